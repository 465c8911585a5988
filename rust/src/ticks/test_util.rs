//! Builders shared by the tick tests: packets, frames and deterministic random bytes.

/// A packet of `len` bytes whose big-endian u32 words are `words` (then zeros).
pub(crate) fn packet(len: usize, words: &[u32]) -> Vec<u8> {
    let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    bytes.resize(len, 0);
    bytes
}

/// A frame holding `packets`, each with its length prefix.
pub(crate) fn frame(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = (packets.len() as u16).to_be_bytes().to_vec();
    for p in packets {
        out.extend_from_slice(&(p.len() as u16).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// xorshift64*: deterministic pseudo-random numbers without a dependency.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
