//! A fixed-capacity columnar ring buffer of one instrument's ticks; the oldest row is overwritten.

/// One tick as the store keeps it. Prices in rupees (NaN = not carried), quantities in units
/// (0 = not carried), `ts_ns` in UTC epoch nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    pub token: i64,
    pub ts_ns: i64,
    pub last_price: f64,
    pub last_qty: i64,
    pub volume: i64,
    pub oi: i64,
    pub bid: f64,
    pub ask: f64,
    pub bid_qty: i64,
    pub ask_qty: i64,
}

impl Tick {
    /// A tick carrying only a last price; every other field reads as not carried.
    pub fn ltp(token: i64, ts_ns: i64, last_price: f64) -> Tick {
        Tick {
            token,
            ts_ns,
            last_price,
            last_qty: 0,
            volume: 0,
            oi: 0,
            bid: f64::NAN,
            ask: f64::NAN,
            bid_qty: 0,
            ask_qty: 0,
        }
    }
}

/// Bytes one row takes across the columns.
pub const ROW_BYTES: usize = 9 * 8;

/// Rows copied out of a ring, oldest first, one vector per column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
    pub ts_ns: Vec<i64>,
    pub last_price: Vec<f64>,
    pub last_qty: Vec<i64>,
    pub volume: Vec<i64>,
    pub oi: Vec<i64>,
    pub bid: Vec<f64>,
    pub ask: Vec<f64>,
    pub bid_qty: Vec<i64>,
    pub ask_qty: Vec<i64>,
}

impl Window {
    pub fn len(&self) -> usize {
        self.ts_ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts_ns.is_empty()
    }
}

/// Columns of `capacity` rows each; `head` is where the next row goes.
#[derive(Clone, Debug)]
pub struct Ring {
    ts_ns: Box<[i64]>,
    last_price: Box<[f64]>,
    last_qty: Box<[i64]>,
    volume: Box<[i64]>,
    oi: Box<[i64]>,
    bid: Box<[f64]>,
    ask: Box<[f64]>,
    bid_qty: Box<[i64]>,
    ask_qty: Box<[i64]>,
    head: usize,
    len: usize,
}

impl Ring {
    /// An empty ring holding at most `capacity` rows (at least 1), allocated in full now
    /// so that pushing never allocates.
    pub fn new(capacity: usize) -> Ring {
        let capacity = capacity.max(1);
        Ring {
            ts_ns: vec![0; capacity].into_boxed_slice(),
            last_price: vec![0.0; capacity].into_boxed_slice(),
            last_qty: vec![0; capacity].into_boxed_slice(),
            volume: vec![0; capacity].into_boxed_slice(),
            oi: vec![0; capacity].into_boxed_slice(),
            bid: vec![0.0; capacity].into_boxed_slice(),
            ask: vec![0.0; capacity].into_boxed_slice(),
            bid_qty: vec![0; capacity].into_boxed_slice(),
            ask_qty: vec![0; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.ts_ns.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the columns.
    pub fn nbytes(&self) -> usize {
        self.capacity() * ROW_BYTES
    }

    /// Physical index of the `i`-th oldest row (`i < len`).
    #[inline]
    fn physical(&self, i: usize) -> usize {
        let start = if self.len == self.capacity() { self.head } else { 0 };
        let at = start + i;
        if at >= self.capacity() {
            at - self.capacity()
        } else {
            at
        }
    }

    /// Append a row, overwriting the oldest when full. The caller has validated it.
    #[inline]
    pub fn push(&mut self, t: &Tick) {
        let at = self.head;
        if let Some(slot) = self.ts_ns.get_mut(at) {
            *slot = t.ts_ns;
            self.last_price[at] = t.last_price;
            self.last_qty[at] = t.last_qty;
            self.volume[at] = t.volume;
            self.oi[at] = t.oi;
            self.bid[at] = t.bid;
            self.ask[at] = t.ask;
            self.bid_qty[at] = t.bid_qty;
            self.ask_qty[at] = t.ask_qty;
        }
        self.head = if at + 1 == self.capacity() { 0 } else { at + 1 };
        self.len = (self.len + 1).min(self.capacity());
    }

    /// Timestamp of the newest row.
    #[inline]
    pub fn last_ts(&self) -> Option<i64> {
        if self.len == 0 {
            return None;
        }
        let at = if self.head == 0 { self.capacity() - 1 } else { self.head - 1 };
        Some(self.ts_ns[at])
    }

    fn row(&self, token: i64, at: usize) -> Tick {
        Tick {
            token,
            ts_ns: self.ts_ns[at],
            last_price: self.last_price[at],
            last_qty: self.last_qty[at],
            volume: self.volume[at],
            oi: self.oi[at],
            bid: self.bid[at],
            ask: self.ask[at],
            bid_qty: self.bid_qty[at],
            ask_qty: self.ask_qty[at],
        }
    }

    /// The newest row, labelled with `token`.
    pub fn latest(&self, token: i64) -> Option<Tick> {
        (self.len > 0).then(|| self.row(token, self.physical(self.len - 1)))
    }

    /// The newest `min(n, len)` rows, oldest first.
    pub fn window(&self, n: usize) -> Window {
        let n = n.min(self.len);
        let skip = self.len - n;
        // At most two contiguous runs: from the first wanted row to the end of storage, then from 0.
        let first = if n == 0 { 0 } else { self.physical(skip) };
        let run1 = n.min(self.capacity() - first);
        let ranges = [first..first + run1, 0..n - run1];
        fn gather<T: Copy>(column: &[T], ranges: &[std::ops::Range<usize>; 2]) -> Vec<T> {
            let mut out = Vec::with_capacity(ranges[0].len() + ranges[1].len());
            for r in ranges {
                out.extend_from_slice(&column[r.clone()]);
            }
            out
        }
        Window {
            ts_ns: gather(&self.ts_ns, &ranges),
            last_price: gather(&self.last_price, &ranges),
            last_qty: gather(&self.last_qty, &ranges),
            volume: gather(&self.volume, &ranges),
            oi: gather(&self.oi, &ranges),
            bid: gather(&self.bid, &ranges),
            ask: gather(&self.ask, &ranges),
            bid_qty: gather(&self.bid_qty, &ranges),
            ask_qty: gather(&self.ask_qty, &ranges),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(ts: i64) -> Tick {
        Tick { last_qty: ts * 10, bid: ts as f64 - 0.5, ..Tick::ltp(7, ts, ts as f64) }
    }

    #[test]
    fn fills_then_overwrites_the_oldest() {
        let mut ring = Ring::new(3);
        assert!(ring.is_empty());
        assert_eq!(ring.last_ts(), None);
        assert_eq!(ring.latest(7), None);
        for ts in 1..=2 {
            ring.push(&tick(ts));
        }
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.window(10).ts_ns, vec![1, 2]);
        for ts in 3..=7 {
            ring.push(&tick(ts));
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.last_ts(), Some(7));
        assert_eq!(format!("{:?}", ring.latest(7)), format!("{:?}", Some(tick(7))));
        let w = ring.window(10);
        assert_eq!(w.ts_ns, vec![5, 6, 7]);
        assert_eq!(w.last_price, vec![5.0, 6.0, 7.0]);
        assert_eq!(w.last_qty, vec![50, 60, 70]);
        assert_eq!(w.bid, vec![4.5, 5.5, 6.5]);
        assert_eq!(ring.window(2).ts_ns, vec![6, 7]);
        assert_eq!(ring.window(0).ts_ns, Vec::<i64>::new());
    }

    #[test]
    fn window_matches_a_plain_model_at_every_fill_level() {
        for capacity in 1..6 {
            let mut ring = Ring::new(capacity);
            let mut model: Vec<i64> = Vec::new();
            for ts in 0..20 {
                ring.push(&tick(ts));
                model.push(ts);
                let kept = &model[model.len().saturating_sub(capacity)..];
                for n in 0..=capacity + 1 {
                    let want = &kept[kept.len().saturating_sub(n)..];
                    assert_eq!(ring.window(n).ts_ns, want, "capacity {capacity} ts {ts} n {n}");
                }
                assert_eq!(ring.last_ts(), Some(ts));
            }
        }
    }

    #[test]
    fn capacity_zero_is_treated_as_one() {
        let mut ring = Ring::new(0);
        ring.push(&tick(1));
        ring.push(&tick(2));
        assert_eq!(ring.capacity(), 1);
        assert_eq!(ring.window(5).ts_ns, vec![2]);
        assert_eq!(ring.nbytes(), ROW_BYTES);
    }
}
