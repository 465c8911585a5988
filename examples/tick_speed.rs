//! Rust-level timing of the Kite parser and the tick store (no Python):
//! `cargo run --release --no-default-features --example tick_speed [parse]`.
//! For profiling only; published figures come from `make bench`.
use alphastock_core::ticks::{parse_frame, Tick, TickStore};
use std::time::Instant;

fn frame_of_full_packets(n: usize, seed: &mut u64) -> Vec<u8> {
    let mut out = (n as u16).to_be_bytes().to_vec();
    for i in 0..n {
        out.extend_from_slice(&184u16.to_be_bytes());
        out.extend_from_slice(&((((i as u32) + 1) << 8) | 1).to_be_bytes());
        for _ in 0..45 {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            out.extend_from_slice(&((*seed % 1_000_000) as u32).to_be_bytes());
        }
    }
    out
}

fn main() {
    let mut seed = 99u64;
    let frame = frame_of_full_packets(200, &mut seed);
    let parse_only = std::env::args().nth(1).as_deref() == Some("parse");
    let mut best = f64::INFINITY;
    for _ in 0..if parse_only { 200_000 } else { 2000 } {
        let start = Instant::now();
        let columns = parse_frame(&frame, true).unwrap();
        std::hint::black_box(&columns);
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("parse_frame, 200 full packets: {:.2} us/frame", best * 1e6);
    if parse_only {
        return;
    }
    let mut store = TickStore::new(4096).unwrap();
    let mut best = f64::INFINITY;
    let mut updated = Vec::new();
    for k in 0..2000 {
        updated.clear();
        let start = Instant::now();
        store.ingest_kite(&frame, k, true, &mut updated).unwrap();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("ingest_kite, 200 full packets: {:.2} us/frame", best * 1e6);
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
