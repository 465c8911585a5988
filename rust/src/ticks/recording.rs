//! The recording tap of a tick store: every tick the store accepts, in the order it was stored,
//! kept as columns until the recorder takes them.
//!
//! Why: a recorder that reads new ticks back from the rings has to find, per instrument, which
//! of the ring's rows it has not recorded yet: a bulk read plus a selection of the new rows, on
//! the engine loop, costing a fifth of the loop at a million ticks a second. Appending each stored
//! tick to columns as it is stored costs one copy of its fields, and taking them hands the columns
//! over whole (no copy, no selection).

use super::bulk::TokenWindows;
use super::ring::{Tick, Window};

/// Stored ticks not yet taken, at most `max_rows` of them; ticks past that are counted, not kept.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    max_rows: usize,
    pending: TokenWindows,
    dropped: u64,
}

impl Recording {
    /// A tap keeping at most `max_rows` untaken ticks.
    pub fn new(max_rows: usize) -> Recording {
        Recording { max_rows, pending: TokenWindows::default(), dropped: 0 }
    }

    /// A new bound; ticks already waiting stay (even above it).
    pub fn set_max_rows(&mut self, max_rows: usize) {
        self.max_rows = max_rows;
    }

    /// Keep `t` (a tick the store just accepted), or count it dropped when `max_rows` are waiting.
    #[inline]
    pub fn append(&mut self, t: &Tick) {
        if self.pending.token.len() < self.max_rows {
            self.pending.token.push(t.token);
            self.pending.rows.push(t);
        } else {
            self.dropped += 1;
        }
    }

    /// The ticks kept since the last take, oldest first; the tap keeps recording, with room for as
    /// many rows as this take handed over (reads come at a steady rhythm: the columns do not grow
    /// again from empty, reallocating on the tick path, after every take).
    pub fn take(&mut self) -> TokenWindows {
        let rows = self.pending.token.len().min(self.max_rows);
        let fresh = TokenWindows { token: Vec::with_capacity(rows), rows: Window::with_capacity(rows) };
        std::mem::replace(&mut self.pending, fresh)
    }

    /// The ticks not taken yet, ending the tap.
    pub fn into_pending(self) -> TokenWindows {
        self.pending
    }

    /// Ticks waiting to be taken.
    pub fn pending(&self) -> usize {
        self.pending.token.len()
    }

    /// Ticks not kept because `max_rows` were waiting, since the tap started.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticks::TickStore;

    #[test]
    fn a_recording_store_keeps_every_accepted_tick_once_in_store_order() {
        let mut store = TickStore::new(2).unwrap();
        store.push(&Tick::ltp(7, 1, 100.0)).unwrap(); // before recording: not kept
        store.start_recording(10);
        for (token, ts, price) in [(7, 2, 101.0), (9, 1, 5.0), (7, 3, 102.0), (7, 4, 103.0)] {
            store.push(&Tick::ltp(token, ts, price)).unwrap();
        }
        assert!(store.push(&Tick::ltp(7, 4, 104.0)).is_err()); // a duplicate is rejected, not recorded
        let got = store.take_recorded();
        assert_eq!(got.token, [7, 9, 7, 7]);
        assert_eq!(got.rows.ts_ns, [2, 1, 3, 4]);
        assert_eq!(got.rows.last_price, [101.0, 5.0, 102.0, 103.0]); // the ring (2 deep) wrapped: still all
        assert!(store.take_recorded().is_empty());
        store.push(&Tick::ltp(9, 2, 6.0)).unwrap();
        assert_eq!(store.stop_recording().token, [9]);
        store.push(&Tick::ltp(9, 3, 7.0)).unwrap();
        assert!(store.take_recorded().is_empty()); // stopped
        assert_eq!((store.recording_pending(), store.recording_dropped()), (0, 0));
    }

    #[test]
    fn past_max_rows_ticks_are_counted_not_kept() {
        let mut store = TickStore::new(4).unwrap();
        store.start_recording(2);
        for ts in 1..=5 {
            store.push(&Tick::ltp(7, ts, 100.0)).unwrap();
        }
        assert_eq!((store.recording_pending(), store.recording_dropped()), (2, 3));
        assert_eq!(store.take_recorded().rows.ts_ns, [1, 2]);
        store.push(&Tick::ltp(7, 6, 100.0)).unwrap();
        assert_eq!(store.take_recorded().rows.ts_ns, [6]);
        assert_eq!(store.recording_dropped(), 3);
    }
}
