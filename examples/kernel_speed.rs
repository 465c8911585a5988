//! Rust-level kernel timing on the benchmark distribution (no Python): `cargo run --release --no-default-features --example kernel_speed [price|greeks|iv]`. For profiling only; published figures come from `make bench`.
use alphastock_core::options::*;
use std::time::Instant;
fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let n = 100_000;
    let mut seed = 12345u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let cs: Vec<(Contract, f64)> = (0..n)
        .map(|_| {
            (
                Contract {
                    is_call: rnd() < 0.5,
                    s: 100.0,
                    k: 70.0 + 60.0 * rnd(),
                    t: 1.0 / 365.0 + rnd() * (1.0 - 1.0 / 365.0),
                    r: 0.065,
                    q: 0.0,
                    model: Model::Bsm,
                },
                0.05 + 1.45 * rnd(),
            )
        })
        .collect();
    let reps = if which.is_empty() { 15 } else { 3 };
    let time = |name: &str, f: &dyn Fn(&Contract, f64) -> f64| {
        if !which.is_empty() && which != name {
            return;
        }
        let mut best = f64::MAX;
        let mut acc = 0.0;
        for _ in 0..reps {
            let a = Instant::now();
            for (c, s) in &cs {
                acc += f(c, *s);
            }
            best = best.min(a.elapsed().as_secs_f64());
        }
        println!("{name}: {:.1} ns/option ({acc:.3e})", best / n as f64 * 1e9);
    };
    time("price", &|c, s| price(c, s));
    time("greeks", &|c, s| {
        let g = greeks(c, s);
        g.delta + g.gamma + g.vega + g.theta + g.rho + g.price
    });
    let ps: Vec<f64> = cs.iter().map(|(c, s)| price(c, *s)).collect();
    time("iv", &|c, s| implied_vol(c, ps[((s * 1e9) as usize) % n]).0);
}
