//! Rust-level timing of the indicators and the bar aggregator (no Python):
//! `cargo run --release --no-default-features --example indicator_speed`. For profiling only;
//! published figures come from `benches/test_bench_indicators.py`.
use alphastock_core::bars::{BarAggregator, Bars, Config, Interval, VolumeMode};
use alphastock_core::indicators as ind;
use std::time::Instant;

fn main() {
    let n = 1_000_000;
    let mut seed = 12345u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut level = 14_800.0;
    let x: Vec<f64> = (0..n)
        .map(|_| {
            level += 6.0 * rnd();
            level
        })
        .collect();
    let high: Vec<f64> = x.iter().map(|v| v + 1.0).collect();
    let low: Vec<f64> = x.iter().map(|v| v - 1.0).collect();
    let volume: Vec<f64> = (0..n).map(|i| (i % 97 + 1) as f64).collect();
    let session: Vec<i64> = (0..n as i64).map(|i| i / 375).collect();
    let time = |name: &str, f: &dyn Fn() -> f64| {
        let mut best = f64::MAX;
        let mut acc = 0.0;
        for _ in 0..15 {
            let a = Instant::now();
            acc += f();
            best = best.min(a.elapsed().as_secs_f64());
        }
        println!("{name:>12}: {:6.2} ns/value (checksum {acc:.3e})", best * 1e9 / n as f64);
    };
    time("sma", &|| ind::sma(&x, 20).unwrap()[n - 1]);
    time("ema", &|| ind::ema(&x, 20).unwrap()[n - 1]);
    time("rsi", &|| ind::rsi(&x, 14).unwrap()[n - 1]);
    time("atr", &|| ind::atr(&high, &low, &x, 14).unwrap()[n - 1]);
    time("bollinger", &|| ind::bollinger(&x, 20, 2.0).unwrap().upper[n - 1]);
    time("vwap", &|| ind::vwap(&x, &volume, &session).unwrap()[n - 1]);
    time("rolling_max", &|| ind::rolling_max(&x, 20).unwrap()[n - 1]);
    time("rolling_min", &|| ind::rolling_min(&x, 20).unwrap()[n - 1]);

    let ticks = 500_000usize;
    let start = 1_617_248_700_000_000_000i64;
    let mut ts: Vec<i64> = (0..ticks).map(|_| start + ((rnd() + 0.5) * 375.0 * 60e9) as i64).collect();
    ts.sort_unstable();
    let tokens: Vec<i64> = (0..ticks).map(|_| 256_265 + ((rnd() + 0.5) * 200.0) as i64 * 1000).collect();
    let prices: Vec<f64> = x[..ticks].to_vec();
    let quantity = &volume[..ticks];
    let mut best = f64::MAX;
    for _ in 0..10 {
        let a = Instant::now();
        let config = Config { volume: VolumeMode::Quantity, ..Config::nse(Interval::Intraday(60_000_000_000)) };
        let mut agg = BarAggregator::new(config).unwrap();
        let mut out = Bars::default();
        agg.update(&tokens, &ts, &prices, quantity, &mut out).unwrap();
        agg.flush_all(&mut out);
        best = best.min(a.elapsed().as_secs_f64());
        assert_eq!(out.ticks.iter().sum::<u64>(), ticks as u64);
    }
    println!("{:>12}: {:6.2} ns/tick (200 tokens, 1m bars)", "bars", best * 1e9 / ticks as f64);
}
