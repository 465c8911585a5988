//! Rust-level tick store timing (no Python): `cargo run --release --no-default-features --example tick_speed`.
//! For profiling only; published figures come from `make bench`.
use alphastock_core::ticks::{Tick, TickStore};
use std::time::Instant;

fn main() {
    let n = 1_000_000usize;
    let tokens_n = 500u64;
    let mut seed = 12345u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let tokens: Vec<i64> = (0..n).map(|_| (((rnd() % tokens_n + 1) << 8) | 2) as i64).collect();
    for (label, sorted) in [("random token order", false), ("grouped by token", true)] {
        let mut tokens = tokens.clone();
        if sorted {
            tokens.sort_unstable();
        }
        for capacity in [64usize, 4096] {
            let mut store = TickStore::new(capacity).unwrap();
            let mut offset = 0i64;
            let mut best = f64::INFINITY;
            for _ in 0..6 {
                let start = Instant::now();
                let mut stored = 0;
                for (i, &token) in tokens.iter().enumerate() {
                    let ts = offset + i as i64;
                    let t = Tick {
                        last_qty: 5,
                        volume: ts,
                        bid: 1.0,
                        ask: 2.0,
                        bid_qty: 3,
                        ask_qty: 4,
                        ..Tick::ltp(token, ts, 1.5)
                    };
                    stored += usize::from(store.push(&t).is_ok());
                }
                assert_eq!(stored, n);
                best = best.min(start.elapsed().as_secs_f64());
                offset += n as i64;
            }
            println!(
                "{label}, capacity {capacity}: {:.1} ns/tick ({:.1}M ticks/s)",
                best * 1e9 / n as f64,
                n as f64 / best / 1e6
            );
        }
    }
}
