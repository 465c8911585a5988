//! Token → slot lookup for the tick store: a small open-addressing table.
//!
//! Why not `HashMap`: a lookup there reads a control-byte group and a separate bucket, two cache
//! lines, on every tick. Here an entry is 8 bytes (token, slot) in one array, so a few thousand
//! instruments fit in L1/L2 and a lookup is usually a single line. Kite tokens share their low
//! byte (the segment), so the hash takes the high bits of a multiplicative (Fibonacci) hash.

/// Entry marker for an empty bucket (slots are stored plus one).
const EMPTY: u32 = 0;

#[derive(Clone, Debug)]
pub struct TokenIndex {
    /// (token, slot + 1); slot + 1 == 0 marks an empty bucket. Length is a power of two.
    entries: Vec<(u32, u32)>,
    len: usize,
    shift: u32,
}

impl Default for TokenIndex {
    /// An empty index that allocates on the first insert.
    fn default() -> Self {
        TokenIndex { entries: Vec::new(), len: 0, shift: 64 }
    }
}

impl TokenIndex {
    fn with_buckets(buckets: usize) -> TokenIndex {
        debug_assert!(buckets.is_power_of_two());
        TokenIndex { entries: vec![(0, EMPTY); buckets], len: 0, shift: 64 - buckets.trailing_zeros() }
    }

    #[inline]
    fn bucket(&self, token: u32) -> usize {
        (u64::from(token).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Tokens indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the table.
    pub fn nbytes(&self) -> usize {
        self.entries.capacity() * size_of::<(u32, u32)>()
    }

    /// The slot of `token`, if indexed.
    #[inline]
    pub fn get(&self, token: u32) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let mask = self.entries.len() - 1;
        let mut at = self.bucket(token);
        loop {
            let (key, slot) = self.entries[at];
            if slot == EMPTY {
                return None;
            }
            if key == token {
                return Some((slot - 1) as usize);
            }
            at = (at + 1) & mask;
        }
    }

    /// Index `token` at `slot` (the caller knows it is not indexed yet; slots stay below u32::MAX).
    pub fn insert(&mut self, token: u32, slot: usize) {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut at = self.bucket(token);
        while self.entries[at].1 != EMPTY {
            at = (at + 1) & mask;
        }
        self.entries[at] = (token, slot as u32 + 1);
        self.len += 1;
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, TokenIndex::with_buckets((self.entries.len() * 2).max(16)));
        for (token, slot) in old.entries {
            if slot != EMPTY {
                self.insert(token, (slot - 1) as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_and_nothing_else_across_growth() {
        let mut index = TokenIndex::default();
        assert!(index.is_empty());
        // NSE-like tokens: the low byte is the same segment for all.
        let tokens: Vec<u32> = (0..5000u32).map(|i| (i * 7919 + 13) << 8 | 1).chain([0, u32::MAX]).collect();
        for (slot, &token) in tokens.iter().enumerate() {
            assert_eq!(index.get(token), None);
            index.insert(token, slot);
        }
        assert_eq!(index.len(), tokens.len());
        for (slot, &token) in tokens.iter().enumerate() {
            assert_eq!(index.get(token), Some(slot), "{token}");
        }
        assert_eq!(index.get(2), None);
        assert_eq!(index.get((1 << 8) | 1), None);
        assert!(index.nbytes() >= 2 * tokens.len() * 8);
    }
}
