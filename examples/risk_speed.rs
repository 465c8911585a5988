//! Rust-level timing of `RiskEngine::check` (no Python): `cargo run --release --no-default-features --example
//! risk_speed`. For profiling only; published figures come from `benches/test_bench_risk.py`.
use alphastock_core::risk::*;
use std::time::Instant;

fn intent(quantity: i64, price: f64) -> OrderIntent {
    OrderIntent {
        token: 256_265,
        symbol: "NIFTY26JAN24500CE".into(),
        exchange: Exchange::Nfo,
        product: Product::Nrml,
        side: Side::Buy,
        quantity,
        price: Some(price),
        reference_price: 120.0,
        lot_size: 65,
        tick_size: 0.05,
        freeze_quantity: Some(1800),
        underlying: Some("NIFTY".into()),
        kind: InstrumentKind::Ce,
        lower_circuit: None,
        upper_circuit: None,
        margin: None,
        multiplier: 1.0,
    }
}

fn main() {
    let limits = Limits {
        max_orders_per_second: None,
        max_orders_per_minute: None,
        max_orders_per_day: None,
        max_order_quantity: Some(975),
        ..Limits::default()
    };
    let cases = [
        ("approve", intent(650, 120.05)),
        ("reduce (1 cap)", intent(1300, 120.05)),
        ("reject (freeze)", intent(1950, 120.05)),
        ("reject (tick + collar + freeze)", intent(1950, 200.03)),
    ];
    let n = 1_000_000;
    for (name, order) in &cases {
        let mut engine = RiskEngine::new(limits.clone()).unwrap();
        engine.set_cash(1e15).unwrap();
        let mut best = f64::MAX;
        let mut approved = 0;
        for _ in 0..5 {
            let start = Instant::now();
            for i in 0..n {
                engine.on_tick(256_265, i);
                approved += engine.check(order, i, false).approved;
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        println!("{name}: {:.1} ns/check (incl. on_tick) [{approved}]", best / n as f64 * 1e9);
    }
}
