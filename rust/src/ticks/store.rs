//! The tick store: one fixed-capacity ring per instrument, fed tick by tick or straight from Kite frames.
//!
//! A tick is stored only if it is valid, otherwise it is counted under one [`Reject`] reason (the
//! first that applies, in the order of [`Reject::ALL`]):
//! - the token is outside Kite's u32 range;
//! - `last_price` is not finite, or `bid`/`ask` is ±inf (NaN bid/ask means "not carried");
//! - `last_price`, `bid` or `ask` is negative;
//! - a quantity (`last_qty`, `volume`, `oi`, `bid_qty`, `ask_qty`) is negative;
//! - `ts_ns` is older than (out of order) or equal to (duplicate) the token's newest stored tick.
//!
//! Packets of a Kite frame that cannot be decoded count as `malformed_packet`.

use super::bulk::TokenWindows;
use super::index::TokenIndex;
use super::kite::{for_each_packet, validate, FrameError, Packet, Side};
use super::recording::Recording;
use super::ring::{Ring, Tick, Window};

/// Why a tick was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reject {
    InvalidToken = 0,
    NonFinitePrice = 1,
    NegativePrice = 2,
    NegativeQuantity = 3,
    OutOfOrder = 4,
    DuplicateTs = 5,
    MalformedPacket = 6,
}

impl Reject {
    pub const ALL: [Reject; 7] = [
        Reject::InvalidToken,
        Reject::NonFinitePrice,
        Reject::NegativePrice,
        Reject::NegativeQuantity,
        Reject::OutOfOrder,
        Reject::DuplicateTs,
        Reject::MalformedPacket,
    ];

    /// The key `rejected_counts()` reports this reason under.
    pub fn name(self) -> &'static str {
        match self {
            Reject::InvalidToken => "invalid_token",
            Reject::NonFinitePrice => "non_finite_price",
            Reject::NegativePrice => "negative_price",
            Reject::NegativeQuantity => "negative_quantity",
            Reject::OutOfOrder => "out_of_order",
            Reject::DuplicateTs => "duplicate_ts",
            Reject::MalformedPacket => "malformed_packet",
        }
    }
}

/// Rings per instrument, created on a token's first stored tick, each of the store's capacity.
#[derive(Clone, Debug)]
pub struct TickStore {
    capacity: usize,
    slots: TokenIndex,
    rings: Vec<Ring>,
    /// Newest stored timestamp per slot, apart from the rings so that the order check stays in cache.
    last_ts: Vec<i64>,
    tokens: Vec<u32>,
    rejected: [u64; Reject::ALL.len()],
    /// The last (token, slot) looked up: consecutive ticks of one token skip the hash.
    recent: Option<(u32, usize)>,
    /// The last stamp handed out by [`TickStore::receive_stamp`].
    last_stamp: i64,
    /// The recording tap, while recording (boxed: the store's hot fields stay together).
    recording: Option<Box<Recording>>,
}

impl TickStore {
    /// A store whose rings hold `capacity` ticks per instrument; `None` if `capacity` is 0.
    pub fn new(capacity: usize) -> Option<TickStore> {
        (capacity > 0).then(|| TickStore {
            capacity,
            slots: TokenIndex::default(),
            rings: Vec::new(),
            last_ts: Vec::new(),
            tokens: Vec::new(),
            rejected: [0; Reject::ALL.len()],
            recent: None,
            last_stamp: i64::MIN,
            recording: None,
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Tokens with at least one stored tick, in order of their first one.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    fn slot(&mut self, token: u32) -> Option<usize> {
        match self.recent {
            Some((t, slot)) if t == token => Some(slot),
            _ => {
                let slot = self.slots.get(token)?;
                self.recent = Some((token, slot));
                Some(slot)
            }
        }
    }

    pub(crate) fn ring(&self, token: i64) -> Option<&Ring> {
        let token = u32::try_from(token).ok()?;
        self.slots.get(token).and_then(|slot| self.rings.get(slot))
    }

    /// Ticks stored for `token` (at most the capacity); 0 for an unknown token.
    pub fn len(&self, token: i64) -> usize {
        self.ring(token).map_or(0, Ring::len)
    }

    /// The newest tick of `token`.
    pub fn latest(&self, token: i64) -> Option<Tick> {
        self.ring(token).and_then(|r| r.latest(token))
    }

    /// The newest `min(n, len)` ticks of `token`, oldest first; empty for an unknown token.
    pub fn window(&self, token: i64, n: usize) -> Window {
        self.ring(token).map_or_else(Window::default, |r| r.window(n))
    }

    /// Approximate bytes held: the rings' columns, the token list and the token index.
    pub fn nbytes(&self) -> usize {
        let rings: usize = self.rings.iter().map(Ring::nbytes).sum();
        let per_slot = size_of::<Ring>() + size_of::<i64>() + size_of::<u32>();
        rings + self.slots.nbytes() + self.rings.capacity() * per_slot
    }

    /// Ticks rejected so far, per reason, in the order of [`Reject::ALL`].
    pub fn rejected_counts(&self) -> [(Reject, u64); Reject::ALL.len()] {
        Reject::ALL.map(|r| (r, self.rejected[r as usize]))
    }

    fn reject(&mut self, reason: Reject, count: u64) -> Reject {
        self.rejected[reason as usize] += count;
        reason
    }

    /// The first content problem of `t`, ignoring its timestamp.
    fn content_problem(t: &Tick) -> Option<Reject> {
        if u32::try_from(t.token).is_err() {
            return Some(Reject::InvalidToken);
        }
        if !t.last_price.is_finite() || t.bid.is_infinite() || t.ask.is_infinite() {
            return Some(Reject::NonFinitePrice);
        }
        // NaN compares false, so an absent bid/ask passes.
        if t.last_price < 0.0 || t.bid < 0.0 || t.ask < 0.0 {
            return Some(Reject::NegativePrice);
        }
        if (t.last_qty | t.volume | t.oi | t.bid_qty | t.ask_qty) < 0 {
            return Some(Reject::NegativeQuantity);
        }
        None
    }

    /// Store `t`, or count and return why not.
    pub fn push(&mut self, t: &Tick) -> Result<(), Reject> {
        if let Some(reason) = Self::content_problem(t) {
            return Err(self.reject(reason, 1));
        }
        let token = t.token as u32; // checked in content_problem
        match self.slot(token) {
            Some(slot) => {
                let last = &mut self.last_ts[slot];
                if t.ts_ns <= *last {
                    let reason = if t.ts_ns < *last { Reject::OutOfOrder } else { Reject::DuplicateTs };
                    return Err(self.reject(reason, 1));
                }
                *last = t.ts_ns;
                self.rings[slot].push(t);
            }
            None => {
                let mut ring = Ring::new(self.capacity);
                ring.push(t);
                let slot = self.rings.len();
                self.rings.push(ring);
                self.last_ts.push(t.ts_ns);
                self.tokens.push(token);
                self.slots.insert(token, slot);
                self.recent = Some((token, slot));
            }
        }
        if let Some(recording) = &mut self.recording {
            recording.append(t);
        }
        Ok(())
    }

    /// Keep every tick stored from now on (at most `max_rows` untaken; more are counted as dropped)
    /// for [`TickStore::take_recorded`]; already recording: only the bound changes.
    pub fn start_recording(&mut self, max_rows: usize) {
        match &mut self.recording {
            Some(recording) => recording.set_max_rows(max_rows),
            None => self.recording = Some(Box::new(Recording::new(max_rows))),
        }
    }

    /// The ticks stored since recording started or since the last take, in the order they were
    /// stored (empty when not recording).
    pub fn take_recorded(&mut self) -> TokenWindows {
        self.recording.as_mut().map_or_else(TokenWindows::default, |r| r.take())
    }

    /// Stop recording; returns the ticks not taken yet.
    pub fn stop_recording(&mut self) -> TokenWindows {
        self.recording.take().map_or_else(TokenWindows::default, |r| r.into_pending())
    }

    /// Ticks waiting for [`TickStore::take_recorded`].
    pub fn recording_pending(&self) -> usize {
        self.recording.as_ref().map_or(0, |r| r.pending())
    }

    /// Ticks not recorded because the bound was reached, since recording started.
    pub fn recording_dropped(&self) -> u64 {
        self.recording.as_ref().map_or(0, |r| r.dropped())
    }

    /// A receive timestamp for a frame arriving at wall-clock `now_ns`: `now_ns`, or one nanosecond
    /// after the previous stamp if the clock has not moved on (or stepped back), so that successive
    /// frames never collide as duplicates or fall out of order.
    pub fn receive_stamp(&mut self, now_ns: i64) -> i64 {
        let stamp = now_ns.max(self.last_stamp.saturating_add(1));
        self.last_stamp = stamp;
        stamp
    }

    /// Decode `frame` straight into the rings, every packet stamped `recv_ts_ns`, and append the
    /// token of every stored tick to `updated` (in packet order).
    ///
    /// With `strict`, a malformed frame is an error and nothing is stored; otherwise the good packets
    /// are stored and the bad ones counted as `malformed_packet`. Returns the number of ticks stored.
    pub fn ingest_kite(
        &mut self,
        frame: &[u8],
        recv_ts_ns: i64,
        strict: bool,
        updated: &mut Vec<u32>,
    ) -> Result<usize, FrameError> {
        if strict {
            validate(frame)?;
        }
        let before = updated.len();
        let summary = for_each_packet(frame, |p| {
            let tick = tick_from_packet(&p, recv_ts_ns);
            if self.push(&tick).is_ok() {
                updated.push(p.instrument_token());
            }
        });
        if summary.skipped > 0 {
            self.reject(Reject::MalformedPacket, summary.skipped as u64);
        }
        Ok(updated.len() - before)
    }
}

/// The tick a Kite packet becomes: quantities the packet does not carry are 0; bid/ask (and their
/// quantities) come from depth level 0 of full packets, and a side with no quantity there (an empty
/// book side, which Kite sends as price 0) reads as NaN price and 0 quantity.
#[inline]
pub fn tick_from_packet(p: &Packet<'_>, ts_ns: i64) -> Tick {
    let best = |side| {
        let level = p.depth(side, 0);
        if level.quantity > 0 {
            (level.price, i64::from(level.quantity))
        } else {
            (f64::NAN, 0)
        }
    };
    let (bid, bid_qty) = best(Side::Buy);
    let (ask, ask_qty) = best(Side::Sell);
    Tick {
        token: i64::from(p.instrument_token()),
        ts_ns,
        last_price: p.last_price(),
        last_qty: i64::from(p.last_traded_quantity()),
        volume: i64::from(p.volume_traded()),
        oi: i64::from(p.oi()),
        bid,
        ask,
        bid_qty,
        ask_qty,
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
