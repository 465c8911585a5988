//! Engine-level tests: rules together, state transitions, determinism.

use super::intent::tests::nifty_call;
use super::*;

const T0: i64 = 1_767_000_000_000_000_000;

fn engine(limits: Limits) -> RiskEngine {
    let mut e = RiskEngine::new(limits).unwrap();
    e.on_tick(256_265, T0);
    e
}

fn codes(d: &Decision) -> Vec<&'static str> {
    d.violations.iter().map(|v| v.code.as_str()).collect()
}

#[test]
fn clean_order_is_approved_and_counted() {
    let mut e = engine(Limits::default());
    e.set_cash(1_000_000.0).unwrap();
    let d = e.check(&nifty_call(), T0 + 1, false);
    assert_eq!((d.action, d.approved, d.violations.len()), (Action::Approve, 650, 0));
    assert_eq!(e.orders_today(), 1);
    assert_eq!(e.cash(), Some(1_000_000.0 - 650.0 * 120.05));
}

#[test]
fn freeze_quantity_rejects_with_the_issue_message() {
    let mut e = engine(Limits::unlimited());
    let d = e.check(&OrderIntent { quantity: 1950, ..nifty_call() }, T0, false);
    assert_eq!(d.action, Action::Reject);
    assert_eq!(d.approved, 0);
    assert_eq!(
        d.violations[0].to_string(),
        "QTY_EXCEEDS_FREEZE: 1950 > 1800 (freeze quantity, units); slice the order"
    );
    assert_eq!(e.orders_today(), 0);
}

#[test]
fn caps_reduce_to_whole_lots() {
    let limits = Limits { max_order_quantity: Some(1000), max_order_notional: Some(100_000.0), ..Limits::unlimited() };
    let mut e = engine(limits);
    // 1300 units at 120.05: quantity cap 1000 → 975 (15 lots); notional cap floor(100000/120.05) = 832 → 780.
    let d = e.check(&OrderIntent { quantity: 1300, ..nifty_call() }, T0, false);
    assert_eq!((d.action, d.approved), (Action::ReduceSize, 780));
    assert_eq!(codes(&d), ["QTY_EXCEEDS_MAX_ORDER", "NOTIONAL_EXCEEDS_MAX_ORDER"]);
    assert_eq!(d.violations[0].message(), "1300 > 1000 (max order quantity, units); at most 975 units");
    assert_eq!(
        d.violations[1].message(),
        "156065.00 > 100000.00 rupees (max order notional at price 120.05); at most 780 units"
    );
}

#[test]
fn reducing_state_cuts_a_flip_to_the_close() {
    let mut e = engine(Limits::unlimited());
    e.on_fill(256_265, Side::Buy, 130, 100.0, T0, Some("NIFTY"), 0.0, 1.0).unwrap();
    e.set_state(TradingState::Reducing, "manual", T0).unwrap();
    let sell = OrderIntent { side: Side::Sell, quantity: 325, price: Some(120.0), ..nifty_call() };
    let d = e.check(&sell, T0, false);
    assert_eq!((d.action, d.approved), (Action::ReduceSize, 130));
    assert_eq!(codes(&d), ["STATE_REDUCING"]);
    let buy = e.check(&nifty_call(), T0, false);
    assert_eq!((buy.action, buy.approved), (Action::Reject, 0));
}

#[test]
fn daily_loss_enters_reducing_once_with_its_reason() {
    let limits = Limits { max_daily_loss: Some(5000.0), ..Limits::unlimited() };
    let mut e = engine(limits);
    e.on_fill(256_265, Side::Buy, 650, 100.0, T0, None, 0.0, 1.0).unwrap();
    e.on_mark(256_265, 93.0, T0 + 5); // −4550: still ACTIVE
    assert_eq!(e.state(), TradingState::Active);
    e.on_mark(256_265, 92.0, T0 + 6); // −5200
    assert_eq!(e.state(), TradingState::Reducing);
    assert_eq!(
        e.history(),
        [StateChange {
            ts_ns: T0 + 6,
            from: TradingState::Active,
            to: TradingState::Reducing,
            reason: "daily loss 5200.00 >= max 5000.00 rupees".into()
        }]
    );
    e.on_mark(256_265, 91.0, T0 + 7);
    assert_eq!(e.history().len(), 1);
    e.reset_day(T0 + 10);
    assert_eq!(e.state(), TradingState::Active);
    assert_eq!(e.history()[1].reason, "new trading day");
}

#[test]
fn kill_switch_survives_reset_day_and_rejects_everything() {
    let mut e = engine(Limits::unlimited());
    assert_eq!(e.kill("operator", T0), Ok(true));
    assert_eq!(e.kill("again", T0), Ok(false));
    e.reset_day(T0 + 1);
    assert_eq!(e.state(), TradingState::Halted);
    let d = e.check(&nifty_call(), T0 + 2, false);
    assert_eq!(d.action, Action::Reject);
    assert_eq!(d.violations[0].to_string(), "STATE_HALTED: trading is HALTED (operator)");
    assert!(e.set_state(TradingState::Active, " ", T0).is_err());
}

#[test]
fn rate_limit_counts_only_approved_orders() {
    let limits = Limits { max_orders_per_second: Some(2), ..Limits::unlimited() };
    let mut e = engine(limits);
    let bad = OrderIntent { quantity: 1, ..nifty_call() };
    for _ in 0..5 {
        assert_eq!(e.check(&bad, T0, false).action, Action::Reject);
    }
    assert_eq!(e.check(&nifty_call(), T0, false).action, Action::Approve);
    assert_eq!(e.check(&nifty_call(), T0 + 1, false).action, Action::Approve);
    let d = e.check(&nifty_call(), T0 + 2, false);
    assert_eq!(d.violations[0].to_string(), "RATE_LIMIT_SECOND: 2 orders in the last second >= max 2");
    assert_eq!(e.check(&nifty_call(), T0 + SECOND_NS, false).action, Action::Approve);
}

#[test]
fn same_calls_give_the_same_decisions() {
    let run = || {
        let mut e = engine(Limits { max_daily_loss: Some(2000.0), ..Limits::default() });
        e.set_cash(200_000.0).unwrap();
        let mut out = Vec::new();
        for i in 0..200_i64 {
            let t = T0 + i * 150_000_000;
            e.on_mark(256_265, 120.0 - (i % 7) as f64, t);
            let side = if i % 3 == 0 { Side::Sell } else { Side::Buy };
            let d = e.check(&OrderIntent { side, quantity: 65 * (1 + i % 4), ..nifty_call() }, t, false);
            if d.is_approved() {
                e.on_fill(256_265, side, d.approved, 120.0 - (i % 5) as f64, t, None, 20.0, 1.0).unwrap();
            }
            out.push((d, e.book().equity().to_bits(), e.state()));
        }
        out
    };
    assert_eq!(run(), run());
}
