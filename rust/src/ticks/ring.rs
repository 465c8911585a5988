//! A fixed-capacity columnar ring buffer of one instrument's ticks; the oldest row is overwritten.
//!
//! Columns are stored in blocks of [`BLOCK_ROWS`] rows (see [`Ring`] for why).

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

/// Rows per block: each column's values in a block fill one 64-byte cache line.
pub const BLOCK_ROWS: usize = 8;

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
    /// An empty window with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Window {
        Window {
            ts_ns: Vec::with_capacity(rows),
            last_price: Vec::with_capacity(rows),
            last_qty: Vec::with_capacity(rows),
            volume: Vec::with_capacity(rows),
            oi: Vec::with_capacity(rows),
            bid: Vec::with_capacity(rows),
            ask: Vec::with_capacity(rows),
            bid_qty: Vec::with_capacity(rows),
            ask_qty: Vec::with_capacity(rows),
        }
    }

    /// Append one tick's fields (its token is not kept here).
    #[inline]
    pub fn push(&mut self, t: &Tick) {
        self.ts_ns.push(t.ts_ns);
        self.last_price.push(t.last_price);
        self.last_qty.push(t.last_qty);
        self.volume.push(t.volume);
        self.oi.push(t.oi);
        self.bid.push(t.bid);
        self.ask.push(t.ask);
        self.bid_qty.push(t.bid_qty);
        self.ask_qty.push(t.ask_qty);
    }

    pub fn len(&self) -> usize {
        self.ts_ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts_ns.is_empty()
    }
}

/// `BLOCK_ROWS` consecutive rows, column by column (one cache line per column).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Block {
    ts_ns: [i64; BLOCK_ROWS],
    last_price: [f64; BLOCK_ROWS],
    last_qty: [i64; BLOCK_ROWS],
    volume: [i64; BLOCK_ROWS],
    oi: [i64; BLOCK_ROWS],
    bid: [f64; BLOCK_ROWS],
    ask: [f64; BLOCK_ROWS],
    bid_qty: [i64; BLOCK_ROWS],
    ask_qty: [i64; BLOCK_ROWS],
}

impl Block {
    const ZERO: Block = Block {
        ts_ns: [0; BLOCK_ROWS],
        last_price: [0.0; BLOCK_ROWS],
        last_qty: [0; BLOCK_ROWS],
        volume: [0; BLOCK_ROWS],
        oi: [0; BLOCK_ROWS],
        bid: [0.0; BLOCK_ROWS],
        ask: [0.0; BLOCK_ROWS],
        bid_qty: [0; BLOCK_ROWS],
        ask_qty: [0; BLOCK_ROWS],
    };
}

/// A ring of `capacity` rows stored column by column in blocks of [`BLOCK_ROWS`] rows.
///
/// Why blocks rather than one array per column: a store fed ticks of hundreds of instruments in
/// interleaved order writes to a different ring each time, and nine separate column arrays per
/// ring put each write on nine different memory pages (nine TLB misses, ~100 ns a tick at 4096
/// ticks per ring). A block keeps one row's nine values within 576 contiguous bytes while each
/// column stays contiguous for 8 rows, so reading a column is still a run of whole cache lines.
#[derive(Clone, Debug)]
pub struct Ring {
    blocks: Box<[Block]>,
    capacity: usize,
    /// Row where the next push goes.
    head: usize,
    len: usize,
}

impl Ring {
    /// An empty ring holding at most `capacity` rows (at least 1), allocated in full now
    /// so that pushing never allocates.
    pub fn new(capacity: usize) -> Ring {
        let capacity = capacity.max(1);
        let blocks = vec![Block::ZERO; capacity.div_ceil(BLOCK_ROWS)].into_boxed_slice();
        Ring { blocks, capacity, head: 0, len: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the columns (the capacity rounded up to whole blocks).
    pub fn nbytes(&self) -> usize {
        self.blocks.len() * size_of::<Block>()
    }

    /// Row index of the `i`-th oldest row (`i < len`).
    #[inline]
    fn physical(&self, i: usize) -> usize {
        let start = if self.len == self.capacity { self.head } else { 0 };
        let at = start + i;
        if at >= self.capacity {
            at - self.capacity
        } else {
            at
        }
    }

    /// Append a row, overwriting the oldest when full. The caller has validated it.
    #[inline]
    pub fn push(&mut self, t: &Tick) {
        let at = self.head;
        if let Some(b) = self.blocks.get_mut(at / BLOCK_ROWS) {
            let lane = at % BLOCK_ROWS;
            b.ts_ns[lane] = t.ts_ns;
            b.last_price[lane] = t.last_price;
            b.last_qty[lane] = t.last_qty;
            b.volume[lane] = t.volume;
            b.oi[lane] = t.oi;
            b.bid[lane] = t.bid;
            b.ask[lane] = t.ask;
            b.bid_qty[lane] = t.bid_qty;
            b.ask_qty[lane] = t.ask_qty;
        }
        self.head = if at + 1 == self.capacity { 0 } else { at + 1 };
        self.len = (self.len + 1).min(self.capacity);
    }

    /// Timestamp of the newest row.
    #[inline]
    pub fn last_ts(&self) -> Option<i64> {
        if self.len == 0 {
            return None;
        }
        let at = if self.head == 0 { self.capacity - 1 } else { self.head - 1 };
        Some(self.blocks[at / BLOCK_ROWS].ts_ns[at % BLOCK_ROWS])
    }

    /// The newest row, labelled with `token`.
    pub fn latest(&self, token: i64) -> Option<Tick> {
        if self.len == 0 {
            return None;
        }
        let at = self.physical(self.len - 1);
        let (b, lane) = (&self.blocks[at / BLOCK_ROWS], at % BLOCK_ROWS);
        Some(Tick {
            token,
            ts_ns: b.ts_ns[lane],
            last_price: b.last_price[lane],
            last_qty: b.last_qty[lane],
            volume: b.volume[lane],
            oi: b.oi[lane],
            bid: b.bid[lane],
            ask: b.ask[lane],
            bid_qty: b.bid_qty[lane],
            ask_qty: b.ask_qty[lane],
        })
    }

    /// One column of `n` rows from row index `start` on, wrapping at the capacity.
    fn gather<T: Copy>(&self, start: usize, n: usize, column: impl Fn(&Block) -> &[T; BLOCK_ROWS]) -> Vec<T> {
        let mut out = Vec::with_capacity(n);
        let mut at = start;
        for _ in 0..n {
            out.push(column(&self.blocks[at / BLOCK_ROWS])[at % BLOCK_ROWS]);
            at = if at + 1 == self.capacity { 0 } else { at + 1 };
        }
        out
    }

    /// The newest `min(n, len)` rows, oldest first.
    pub fn window(&self, n: usize) -> Window {
        let n = n.min(self.len);
        let start = if n == 0 { 0 } else { self.physical(self.len - n) };
        Window {
            ts_ns: self.gather(start, n, |b| &b.ts_ns),
            last_price: self.gather(start, n, |b| &b.last_price),
            last_qty: self.gather(start, n, |b| &b.last_qty),
            volume: self.gather(start, n, |b| &b.volume),
            oi: self.gather(start, n, |b| &b.oi),
            bid: self.gather(start, n, |b| &b.bid),
            ask: self.gather(start, n, |b| &b.ask),
            bid_qty: self.gather(start, n, |b| &b.bid_qty),
            ask_qty: self.gather(start, n, |b| &b.ask_qty),
        }
    }

    /// Append the newest `min(n, len)` rows, oldest first, to `out`; the number appended.
    ///
    /// Row by row rather than column by column: the bulk reads visit many rings with a few rows
    /// each, and one row's nine values sit in the same block.
    pub fn append_window(&self, n: usize, out: &mut Window) -> usize {
        let n = n.min(self.len);
        if n == 0 {
            return 0;
        }
        let mut at = self.physical(self.len - n);
        for _ in 0..n {
            let (b, lane) = (&self.blocks[at / BLOCK_ROWS], at % BLOCK_ROWS);
            out.ts_ns.push(b.ts_ns[lane]);
            out.last_price.push(b.last_price[lane]);
            out.last_qty.push(b.last_qty[lane]);
            out.volume.push(b.volume[lane]);
            out.oi.push(b.oi[lane]);
            out.bid.push(b.bid[lane]);
            out.ask.push(b.ask[lane]);
            out.bid_qty.push(b.bid_qty[lane]);
            out.ask_qty.push(b.ask_qty[lane]);
            at = if at + 1 == self.capacity { 0 } else { at + 1 };
        }
        n
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
        assert_eq!(ring.nbytes(), BLOCK_ROWS * ROW_BYTES);
    }
}
