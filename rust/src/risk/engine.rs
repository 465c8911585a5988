//! The engine's state and its updates: limits, the trading state and its history, positions and
//! P&L, market-data times, cash. The rules themselves are in `check.rs`.

use std::sync::Arc;

use super::limits::Limits;
use super::positions::Book;
use super::throttle::Throttle;
use super::types::{Side, StateChange, TradingState};

/// The pre-trade risk engine. Deterministic: no clock, no I/O, no randomness; every timestamp
/// is an argument (UTC epoch nanoseconds), so replaying the same calls gives the same answers.
#[derive(Clone, Debug)]
pub struct RiskEngine {
    pub(super) limits: Limits,
    pub(super) state: TradingState,
    pub(super) state_reason: Arc<str>,
    /// Whether the current state was entered automatically (loss or drawdown limit); only such a
    /// state is lifted by `reset_day`, a human's kill switch is not.
    auto_state: bool,
    history: Vec<StateChange>,
    pub(super) book: Book,
    pub(super) throttle: Throttle,
    /// Available cash or margin, rupees; `None` until `set_cash`.
    pub(super) cash: Option<f64>,
}

impl RiskEngine {
    /// A new engine in ACTIVE state with no positions, or the first invalid limit.
    pub fn new(limits: Limits) -> Result<Self, String> {
        limits.validate()?;
        Ok(RiskEngine {
            limits,
            state: TradingState::Active,
            state_reason: Arc::from("engine created"),
            auto_state: false,
            history: Vec::new(),
            book: Book::default(),
            throttle: Throttle::default(),
            cash: None,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Replaces every limit at once (positions, P&L, counters and state are kept).
    pub fn set_limits(&mut self, limits: Limits) -> Result<(), String> {
        limits.validate()?;
        self.limits = limits;
        Ok(())
    }

    pub fn state(&self) -> TradingState {
        self.state
    }

    /// Why the engine is in its current state.
    pub fn state_reason(&self) -> &str {
        &self.state_reason
    }

    /// Every state change so far, oldest first.
    pub fn history(&self) -> &[StateChange] {
        &self.history
    }

    /// Moves to `to` and records why; returns false (and records nothing) when already there.
    pub fn set_state(&mut self, to: TradingState, reason: &str, ts_ns: i64) -> Result<bool, String> {
        if reason.trim().is_empty() {
            return Err("a state change needs a reason".into());
        }
        Ok(self.transition(to, reason.to_owned(), ts_ns, false))
    }

    /// The kill switch: HALTED, nothing but cancels until `resume`.
    pub fn kill(&mut self, reason: &str, ts_ns: i64) -> Result<bool, String> {
        self.set_state(TradingState::Halted, reason, ts_ns)
    }

    /// Back to ACTIVE. If a loss or drawdown limit is still breached, the next fill, mark or
    /// check puts the engine straight back into REDUCING (and records that too).
    pub fn resume(&mut self, reason: &str, ts_ns: i64) -> Result<bool, String> {
        self.set_state(TradingState::Active, reason, ts_ns)
    }

    fn transition(&mut self, to: TradingState, reason: String, ts_ns: i64, auto: bool) -> bool {
        if to == self.state {
            return false;
        }
        self.state_reason = Arc::from(reason.as_str());
        self.history.push(StateChange { ts_ns, from: self.state, to, reason });
        self.state = to;
        self.auto_state = auto;
        true
    }

    /// ACTIVE → REDUCING when the day loss or the drawdown reaches its limit (checked after every
    /// fill and mark and before every check). The engine does not return to ACTIVE by itself
    /// when P&L recovers: a breached loss limit ends the day's new risk.
    pub(super) fn enforce_pnl_limits(&mut self, ts_ns: i64) {
        if self.state != TradingState::Active {
            return;
        }
        let loss = -self.book.equity();
        if let Some(max) = self.limits.max_daily_loss {
            if loss >= max {
                let reason = format!("daily loss {loss:.2} >= max {max:.2} rupees");
                self.transition(TradingState::Reducing, reason, ts_ns, true);
                return;
            }
        }
        if let Some(max) = self.limits.max_drawdown {
            let dd = self.book.drawdown();
            if dd >= max {
                let peak = self.book.peak();
                let reason = format!("drawdown {dd:.2} from the day's peak {peak:.2} >= max {max:.2} rupees");
                self.transition(TradingState::Reducing, reason, ts_ns, true);
            }
        }
    }

    /// Records an execution: `quantity` (> 0, as Kite counts it: units, or lots on MCX) at `price`
    /// rupees, worth `price × quantity × multiplier` rupees (`multiplier` 1 except for contracts whose
    /// quantity counts lots), with `charges` rupees (brokerage, taxes) taken from realised P&L. Counts as one trade for `max_trades_per_day`.
    /// `underlying` (re)binds the instrument for the per-underlying limit; without it the
    /// instrument keeps the underlying of its last check (or a group of its own).
    pub fn on_fill(
        &mut self,
        token: u32,
        side: Side,
        quantity: i64,
        price: f64,
        ts_ns: i64,
        underlying: Option<&str>,
        charges: f64,
        multiplier: f64,
    ) -> Result<(), String> {
        if quantity < 1 {
            return Err(format!("fill quantity must be >= 1, got {quantity}"));
        }
        if !(price.is_finite() && price > 0.0) {
            return Err(format!("fill price must be > 0 and finite, got {price}"));
        }
        if !(charges.is_finite() && charges >= 0.0) {
            return Err(format!("charges must be >= 0 and finite, got {charges}"));
        }
        if !(multiplier.is_finite() && multiplier > 0.0) {
            return Err(format!("multiplier must be > 0 and finite, got {multiplier}"));
        }
        if underlying == Some("") {
            return Err("underlying must not be empty".into());
        }
        let slot = self.book.slot(token);
        if let Some(name) = underlying {
            self.book.bind_underlying(slot, name);
        }
        self.book.fill(slot, side.sign() * quantity, price, multiplier, charges);
        self.enforce_pnl_limits(ts_ns);
        Ok(())
    }

    /// A market price for the instrument (rupees): revalues its position and refreshes its
    /// market-data time. A non-finite or non-positive price is ignored and returns false.
    pub fn on_mark(&mut self, token: u32, price: f64, ts_ns: i64) -> bool {
        if !(price.is_finite() && price > 0.0) {
            return false;
        }
        let slot = self.book.slot(token);
        if self.book.mark(slot, price, ts_ns) {
            self.enforce_pnl_limits(ts_ns);
        }
        true
    }

    /// A tick arrived for the instrument at `ts_ns` (refreshes its market-data time only).
    pub fn on_tick(&mut self, token: u32, ts_ns: i64) {
        let slot = self.book.slot(token);
        self.book.touch(slot, ts_ns);
    }

    /// Available cash or margin, rupees (may be negative). The engine lowers it by the margin of
    /// every order it approves, so two orders cannot spend the same rupees before the next
    /// `set_cash` brings the broker's figure.
    pub fn set_cash(&mut self, available: f64) -> Result<(), String> {
        if !available.is_finite() {
            return Err(format!("cash must be finite, got {available}"));
        }
        self.cash = Some(available);
        Ok(())
    }

    pub fn cash(&self) -> Option<f64> {
        self.cash
    }

    /// The instrument's circuit limits (rupees), or `None` to forget them.
    pub fn set_circuit(&mut self, token: u32, circuit: Option<(f64, f64)>) -> Result<(), String> {
        if let Some((lo, hi)) = circuit {
            if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi) {
                return Err(format!("circuit limits must satisfy 0 < lower <= upper, got {lo}..{hi}"));
            }
        }
        let slot = self.book.slot(token);
        self.book.set_circuit(slot, circuit);
        Ok(())
    }

    /// Starts a new trading day: realised P&L, peak, trade and daily order counts to 0; open
    /// positions re-based at their last mark; a state entered automatically (loss, drawdown)
    /// returns to ACTIVE, a state set by hand (kill switch) stays. Rolling rate windows, cash
    /// and market-data times are kept.
    pub fn reset_day(&mut self, ts_ns: i64) {
        self.book.reset_day();
        self.throttle.reset_day();
        if self.auto_state {
            self.transition(TradingState::Active, "new trading day".into(), ts_ns, false);
        }
    }

    /// Positions, marks and P&L.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// Orders approved since the last `reset_day`.
    pub fn orders_today(&self) -> u32 {
        self.throttle.today()
    }
}
