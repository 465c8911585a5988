//! Bulk reads of the tick store: many tokens' newest ticks in one call, as columns.
//!
//! Why: the engine handles ticks in batches (one Kite frame touches hundreds of tokens), and
//! reading them one token at a time from Python costs a call and a tuple per token, which is
//! most of the engine's per-tick time. These reads fill plain column vectors that the Python
//! binding hands out as numpy arrays.

use super::ring::{Tick, Window};
use super::store::TickStore;
use crate::columns::Column;

/// The newest tick of each requested token, one row per request (in request order, duplicates
/// repeated). `found[i]` is false for a token with no stored tick; its row reads as "not
/// carried": `ts_ns` 0, prices NaN, quantities 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatestColumns {
    pub found: Vec<bool>,
    pub token: Vec<i64>,
    pub rows: Window,
}

impl LatestColumns {
    pub fn len(&self) -> usize {
        self.token.len()
    }

    pub fn is_empty(&self) -> bool {
        self.token.is_empty()
    }
}

/// Several tokens' newest ticks: for each requested token in order its newest `min(k, len)`
/// ticks, oldest first; `token[i]` names the token of row `i`. Unknown tokens add no rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenWindows {
    pub token: Vec<i64>,
    pub rows: Window,
}

impl TokenWindows {
    pub fn len(&self) -> usize {
        self.token.len()
    }

    pub fn is_empty(&self) -> bool {
        self.token.is_empty()
    }
}

impl TickStore {
    /// The newest tick of every token of `tokens` (see [`LatestColumns`]).
    pub fn latest_many(&self, tokens: &[i64]) -> LatestColumns {
        let mut out = LatestColumns {
            found: Vec::with_capacity(tokens.len()),
            token: Vec::with_capacity(tokens.len()),
            rows: Window::with_capacity(tokens.len()),
        };
        for &token in tokens {
            let tick = self.latest(token);
            out.found.push(tick.is_some());
            out.token.push(token);
            out.rows.push(&tick.unwrap_or(Tick { ts_ns: 0, ..Tick::ltp(token, 0, f64::NAN) }));
        }
        out
    }

    /// For each token of `tokens` its newest `min(counts.at(i), len)` ticks (see [`TokenWindows`]);
    /// a negative count reads nothing.
    pub fn window_many(&self, tokens: &[i64], counts: Column<'_, i64>) -> TokenWindows {
        let rows: usize = (0..tokens.len()).map(|i| usize::try_from(counts.at(i)).unwrap_or(0)).sum();
        let rows = rows.min(tokens.len().saturating_mul(self.capacity()));
        let mut out = TokenWindows { token: Vec::with_capacity(rows), rows: Window::with_capacity(rows) };
        for (i, &token) in tokens.iter().enumerate() {
            let k = usize::try_from(counts.at(i)).unwrap_or(0);
            if let Some(ring) = self.ring(token) {
                let added = ring.append_window(k, &mut out.rows);
                out.token.extend(std::iter::repeat_n(token, added));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> TickStore {
        let mut store = TickStore::new(3).unwrap();
        for ts in 1..=5 {
            let t = Tick { volume: ts * 100, bid: ts as f64 - 0.5, bid_qty: ts, ..Tick::ltp(7, ts, 100.0 + ts as f64) };
            store.push(&t).unwrap();
        }
        store.push(&Tick::ltp(9, 10, 1.5)).unwrap();
        store
    }

    #[test]
    fn latest_many_equals_latest_per_token_and_marks_unknown_tokens() {
        let store = store();
        let tokens = [9, 7, 8, 7, -1, 1 << 40];
        let got = store.latest_many(&tokens);
        assert_eq!(got.len(), tokens.len());
        assert_eq!(got.found, [true, true, false, true, false, false]);
        assert_eq!(got.token, tokens);
        for (i, &token) in tokens.iter().enumerate() {
            let Some(want) = store.latest(token) else {
                assert_eq!((got.rows.ts_ns[i], got.rows.volume[i], got.rows.bid_qty[i]), (0, 0, 0));
                assert!(got.rows.last_price[i].is_nan() && got.rows.bid[i].is_nan() && got.rows.ask[i].is_nan());
                continue;
            };
            let row = Tick {
                token: got.token[i],
                ts_ns: got.rows.ts_ns[i],
                last_price: got.rows.last_price[i],
                last_qty: got.rows.last_qty[i],
                volume: got.rows.volume[i],
                oi: got.rows.oi[i],
                bid: got.rows.bid[i],
                ask: got.rows.ask[i],
                bid_qty: got.rows.bid_qty[i],
                ask_qty: got.rows.ask_qty[i],
            };
            assert_eq!(format!("{row:?}"), format!("{want:?}"), "row {i}");
        }
        assert_eq!(got.rows.ts_ns[1], 5);
        assert_eq!(got.rows.last_price[1], 105.0);
        assert!(store.latest_many(&[]).is_empty());
    }

    #[test]
    fn window_many_concatenates_each_tokens_window_in_request_order() {
        let store = store();
        let tokens = [7, 8, 9, 7];
        let counts = [2, 4, 5, 10];
        let got = store.window_many(&tokens, Column::new(&counts, tokens.len()));
        assert_eq!(got.token, [7, 7, 9, 7, 7, 7]);
        assert_eq!(got.rows.ts_ns, [4, 5, 10, 3, 4, 5]);
        assert_eq!(got.rows.volume, [400, 500, 0, 300, 400, 500]);
        assert_eq!(got.rows.last_price, [104.0, 105.0, 1.5, 103.0, 104.0, 105.0]);
        for &token in &[7, 9] {
            let w = store.window(token, 2);
            let one = store.window_many(&[token], Column::new(&[2], 1));
            assert_eq!(format!("{:?}", one.rows), format!("{w:?}"), "NaN bid/ask compare by their text");
            assert!(one.token.iter().all(|&t| t == token));
        }
        // A scalar count broadcasts; zero and negative counts read nothing.
        let ones = store.window_many(&[9, 7], Column::new(&[1], 2));
        assert_eq!((ones.token, ones.rows.ts_ns), (vec![9, 7], vec![10, 5]));
        assert!(store.window_many(&[7, 9], Column::new(&[0, -3], 2)).is_empty());
        assert!(store.window_many(&[], Column::new(&[1], 0)).is_empty());
    }
}
