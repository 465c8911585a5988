//! `RiskEngine::check`: every rule, evaluated in a fixed order, all failures reported.
//!
//! Rules are of three kinds:
//! - hard: the order is rejected (bad quantity or price, freeze quantity, product, exchange,
//!   collar, circuit, tick size, HALTED, rate limits, stale data when so configured);
//! - caps: the rule allows at most some quantity; the approved quantity is the smallest cap
//!   rounded down to whole lots (REDUCE_SIZE), or REJECT when no lot fits. The per-order
//!   quantity and notional caps apply to every order; the exposure rules (REDUCING state, loss,
//!   drawdown, trades per day, open positions, position per instrument and per underlying, cash)
//!   apply only to the part of an order that increases exposure, so a pure reduction always
//!   passes them and a flip is cut back to the closing quantity when they bite;
//! - soft: the order needs a human's approval (REQUIRE_APPROVAL) — notional above
//!   `approval_notional` on an exposure-increasing order, or stale data when so configured.
//!   Checking again with `human_approved = true` waives the soft rules only.
//!
//! An APPROVE or REDUCE_SIZE decision counts one order in the rate windows and lowers the cash
//! view by the order's margin: the engine assumes what it approves is sent.

use std::sync::Arc;

use super::engine::RiskEngine;
use super::intent::{on_tick, OrderIntent};
use super::limits::Limits;
use super::types::{Action, Code, Decision, InstrumentKind, StaleDataAction, TradingState};
use super::violation::{Band, Detail, Violation, Window};

/// The collar around `reference` for this kind of instrument: (low, high, band).
#[inline]
fn collar(limits: &Limits, kind: InstrumentKind, reference: f64) -> Option<(f64, f64, Band)> {
    let (width, band) = match kind {
        InstrumentKind::Ce | InstrumentKind::Pe => {
            let pct = limits.option_collar_pct?;
            if reference <= limits.option_collar_threshold {
                (limits.option_collar_rupees, Band::Rupees(limits.option_collar_rupees))
            } else {
                (reference * pct / 100.0, Band::Percent(pct))
            }
        }
        InstrumentKind::Fut => {
            let pct = limits.future_collar_pct?;
            (reference * pct / 100.0, Band::Percent(pct))
        }
        InstrumentKind::Eq => {
            let pct = limits.equity_collar_pct?;
            (reference * pct / 100.0, Band::Percent(pct))
        }
    };
    Some(((reference - width).max(0.0), reference + width, band))
}

/// The violations and quantity bound collected while the rules run.
struct Verdict {
    requested: i64,
    lot: i64,
    /// Largest quantity every cap so far allows, in whole lots.
    cap: i64,
    hard: bool,
    soft: bool,
    violations: Vec<Violation>,
}

impl Verdict {
    #[cold]
    fn reject(&mut self, code: Code, detail: Detail) {
        self.hard = true;
        self.violations.push(Violation { code, detail, at_most: None });
    }

    #[cold]
    fn needs_approval(&mut self, code: Code, detail: Detail) {
        self.soft = true;
        self.violations.push(Violation { code, detail, at_most: None });
    }

    /// The rule allows at most `allowed` units; records a violation when that is below the request.
    #[inline]
    fn cap(&mut self, code: Code, allowed: i64, detail: impl FnOnce() -> Detail) {
        if allowed >= self.requested {
            return;
        }
        let lots = allowed.max(0) / self.lot * self.lot;
        self.cap = self.cap.min(lots);
        self.violations.push(Violation { code, detail: detail(), at_most: Some(lots) });
    }
}

impl RiskEngine {
    /// Decides on one order intent at `now_ns` (UTC epoch ns). `human_approved` waives the soft
    /// rules (a human approved an earlier REQUIRE_APPROVAL); hard rules and caps still apply.
    pub fn check(&mut self, intent: &OrderIntent, now_ns: i64, human_approved: bool) -> Decision {
        self.enforce_pnl_limits(now_ns);
        let RiskEngine { limits, state, state_reason, book, throttle, cash, .. } = self;
        let q = intent.quantity;
        let mut v = Verdict {
            requested: q,
            lot: intent.lot_size.max(1),
            cap: q,
            hard: false,
            soft: false,
            violations: Vec::new(),
        };

        // Quantity.
        let qty_ok = if q <= 0 {
            v.reject(Code::QtyNotPositive, Detail::QtyNotPositive { quantity: q });
            false
        } else if q % v.lot != 0 {
            v.reject(Code::QtyNotLotMultiple, Detail::QtyNotLotMultiple { quantity: q, lot: v.lot });
            false
        } else {
            true
        };
        if let Some(freeze) = intent.freeze_quantity {
            if q > freeze {
                v.reject(Code::QtyExceedsFreeze, Detail::QtyExceedsFreeze { quantity: q, freeze });
            }
        }

        // What may be traded where.
        if !limits.allowed_products.contains(intent.product) {
            let detail = Detail::ProductNotAllowed { product: intent.product, allowed: limits.allowed_products };
            v.reject(Code::ProductNotAllowed, detail);
        }
        if !limits.allowed_exchanges.contains(intent.exchange) {
            let detail = Detail::ExchangeNotAllowed { exchange: intent.exchange, allowed: limits.allowed_exchanges };
            v.reject(Code::ExchangeNotAllowed, detail);
        }

        // Prices.
        let slot = book.slot(intent.token);
        let underlying = book.bind_underlying(slot, intent.underlying_name());
        let reference = intent.reference_price;
        let reference_ok = reference.is_finite() && reference > 0.0;
        if !reference_ok {
            v.reject(Code::ReferencePriceInvalid, Detail::ReferencePriceInvalid { reference });
        }
        match intent.price {
            None => {
                if !limits.allow_market_orders {
                    v.reject(Code::MarketOrderNotAllowed, Detail::MarketOrderNotAllowed);
                }
            }
            Some(p) if !(p.is_finite() && p > 0.0) => {
                v.reject(Code::PriceInvalid, Detail::PriceInvalid { price: p });
            }
            Some(p) => {
                if !on_tick(p, intent.tick_size) {
                    v.reject(Code::TickSizeInvalid, Detail::TickSizeInvalid { price: p, tick: intent.tick_size });
                }
                if reference_ok {
                    if let Some((low, high, band)) = collar(limits, intent.kind, reference) {
                        let slack = 1e-9 * reference;
                        if p < low - slack || p > high + slack {
                            let detail = Detail::PriceOutsideCollar { price: p, low, high, band, reference };
                            v.reject(Code::PriceOutsideCollar, detail);
                        }
                    }
                }
                let known = book.at(slot).circuit;
                let lower = intent.lower_circuit.or(known.map(|c| c.0));
                let upper = intent.upper_circuit.or(known.map(|c| c.1));
                if lower.is_some_and(|lo| p < lo) || upper.is_some_and(|hi| p > hi) {
                    v.reject(Code::PriceOutsideCircuit, Detail::PriceOutsideCircuit { price: p, lower, upper });
                }
            }
        }

        // The kill switch.
        if *state == TradingState::Halted {
            v.reject(Code::StateHalted, Detail::Halted { reason: Arc::clone(state_reason) });
        }

        // Market data.
        if let Some(max_ns) = limits.max_data_age_ns {
            let stale = match book.at(slot).last_data_ns {
                None => Some(Detail::NoMarketData { token: intent.token }),
                Some(t) if now_ns.saturating_sub(t) > max_ns => {
                    Some(Detail::StaleMarketData { age_ns: now_ns.saturating_sub(t), max_ns })
                }
                Some(_) => None,
            };
            if let Some(detail) = stale {
                match limits.stale_data_action {
                    StaleDataAction::Reject => v.reject(Code::StaleMarketData, detail),
                    StaleDataAction::RequireApproval if !human_approved => {
                        v.needs_approval(Code::StaleMarketData, detail)
                    }
                    StaleDataAction::RequireApproval => {}
                }
            }
        }

        // Order rates (approved orders; the order being checked would be the next one).
        if let Some(max) = limits.max_orders_per_second {
            let count = throttle.last_second(now_ns, max);
            if count >= max {
                v.reject(Code::RateLimitSecond, Detail::RateLimit { count, max, window: Window::Second });
            }
        }
        if let Some(max) = limits.max_orders_per_minute {
            let count = throttle.last_minute(now_ns);
            if count >= max {
                v.reject(Code::RateLimitMinute, Detail::RateLimit { count, max, window: Window::Minute });
            }
        }
        if let Some(max) = limits.max_orders_per_day {
            let count = throttle.today();
            if count >= max {
                v.reject(Code::RateLimitDay, Detail::RateLimit { count, max, window: Window::Day });
            }
        }

        // Size and exposure.
        let px = intent.valuation_price();
        let px_ok = px.is_finite() && px > 0.0;
        // Rupees per unit of quantity: the price, times the contract multiplier on MCX.
        let unit_value = intent.unit_value();
        let cur = book.at(slot).qty;
        let sign = intent.side.sign();
        let closing = if cur.signum() == -sign { q.min(cur.abs()) } else { 0 };
        let mut per_unit_margin = 0.0;
        if qty_ok {
            if let Some(max) = limits.max_order_quantity {
                v.cap(Code::QtyExceedsMaxOrder, max, || Detail::QtyExceedsMaxOrder { quantity: q, max });
            }
            if let (Some(max), true) = (limits.max_order_notional, px_ok) {
                let notional = q as f64 * unit_value;
                if notional > max {
                    v.cap(Code::NotionalExceedsMaxOrder, (max / unit_value).floor() as i64, || {
                        Detail::NotionalExceedsMaxOrder { notional, max, price: px }
                    });
                }
            }
            per_unit_margin = intent.margin.map_or(unit_value, |m| m / q as f64);
        }
        if qty_ok && q > closing {
            if *state == TradingState::Reducing {
                v.cap(Code::StateReducing, closing, || Detail::Reducing { reason: Arc::clone(state_reason) });
            }
            let equity = book.equity();
            if let Some(max) = limits.max_daily_loss {
                if -equity >= max {
                    v.cap(Code::DailyLossLimit, closing, || Detail::DailyLoss { loss: -equity, max });
                }
            }
            if let Some(max) = limits.max_drawdown {
                let dd = book.drawdown();
                if dd >= max {
                    let peak = book.peak();
                    v.cap(Code::DrawdownLimit, closing, || Detail::Drawdown { drawdown: dd, peak, max });
                }
            }
            if let Some(max) = limits.max_trades_per_day {
                let n = book.trades_today();
                if n >= max {
                    v.cap(Code::MaxTradesPerDay, closing, || Detail::TradesPerDay { trades: n, max });
                }
            }
            if let Some(max) = limits.max_open_positions {
                let open = book.open_positions();
                if cur == 0 && open >= max as usize {
                    v.cap(Code::MaxOpenPositions, 0, || Detail::OpenPositions { open, max });
                }
            }
            if let Some(max) = limits.max_position_quantity {
                let allowed = max - sign * cur;
                v.cap(Code::PositionLimit, allowed, || Detail::PositionLimit { resulting: cur + sign * q, max });
            }
            if let Some(max) = limits.max_underlying_quantity {
                let gross = book.underlying_gross(underlying);
                let held = cur.abs();
                let allowed = if closing > 0 { held.max(max - gross + 2 * held) } else { max - gross };
                v.cap(Code::UnderlyingLimit, allowed, || Detail::UnderlyingLimit {
                    underlying: book.underlying_arc(underlying),
                    gross: gross - held + (cur + sign * q).abs(),
                    max,
                });
            }
            if let Some(reserve) = limits.min_cash_reserve {
                match *cash {
                    None => v.cap(Code::CashUnknown, closing, || Detail::CashUnknown),
                    Some(c) if per_unit_margin.is_finite() && per_unit_margin > 0.0 => {
                        let need = per_unit_margin * (q - closing) as f64;
                        if c - need < reserve {
                            let affordable = ((c - reserve) / per_unit_margin).floor().max(0.0) as i64;
                            v.cap(Code::CashReserve, closing + affordable, || Detail::CashReserve {
                                cash: c,
                                margin: need,
                                reserve,
                            });
                        }
                    }
                    Some(_) => {}
                }
            }
        }

        let approved = if v.hard || !qty_ok { 0 } else { v.cap };
        if approved > closing && !human_approved {
            if let (Some(max), true) = (limits.approval_notional, px_ok) {
                let notional = approved as f64 * unit_value;
                if notional > max {
                    v.needs_approval(Code::NotionalNeedsApproval, Detail::NeedsApproval { notional, max });
                }
            }
        }
        let action = if approved == 0 {
            Action::Reject
        } else if v.soft {
            Action::RequireApproval
        } else if approved < q {
            Action::ReduceSize
        } else {
            Action::Approve
        };
        if matches!(action, Action::Approve | Action::ReduceSize) {
            throttle.record(now_ns);
            if let Some(c) = cash.as_mut() {
                *c -= per_unit_margin * (approved - closing).max(0) as f64;
            }
        }
        Decision { action, requested: q, approved, violations: v.violations }
    }
}
