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
    if which.is_empty() || which == "iv" {
        let mut best = f64::MAX;
        for _ in 0..reps {
            let a = Instant::now();
            let acc: f64 = cs.iter().zip(&ps).map(|((c, _), p)| implied_vol(c, *p).0).sum();
            best = best.min(a.elapsed().as_secs_f64());
            std::hint::black_box(acc);
        }
        println!("iv: {:.1} ns/option", best / n as f64 * 1e9);
    }
    if which.is_empty() || which == "greeks_batch" {
        alphastock_core::parallel::set_num_threads(1).unwrap();
        let col = |f: fn(&(Contract, f64)) -> f64| cs.iter().map(f).collect::<Vec<f64>>();
        let (s, k, t, r, q, sigma) =
            (col(|x| x.0.s), col(|x| x.0.k), col(|x| x.0.t), col(|x| x.0.r), col(|x| x.0.q), col(|x| x.1));
        let is_call: Vec<bool> = cs.iter().map(|x| x.0.is_call).collect();
        use alphastock_core::columns::Column;
        let x = ContractColumns {
            is_call: Column::new(&is_call, n),
            s: Column::new(&s, n),
            k: Column::new(&k, n),
            t: Column::new(&t, n),
            r: Column::new(&r, n),
            q: Column::new(&q, n),
            model: Model::Bsm,
        };
        let sigma = Column::new(&sigma, n);
        let mut out: [Vec<f64>; 6] = std::array::from_fn(|_| vec![0.0; n]);
        let mut best = f64::MAX;
        for _ in 0..reps {
            let a = Instant::now();
            let [p, d, g, th, v, rh] = &mut out;
            greeks_batch(&x, &sigma, [p.as_mut_slice(), d, g, th, v, rh]);
            best = best.min(a.elapsed().as_secs_f64());
        }
        println!("greeks_batch ({}): {:.1} ns/option", alphastock_core::simd::kernel_isa(), best / n as f64 * 1e9);
    }
}
