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

use super::engine::RiskEngine;
use super::intent::{on_tick, OrderIntent};
use super::limits::Limits;
use super::types::{Action, Code, Decision, InstrumentKind, StaleDataAction, TradingState, Violation};

/// Prices print with 2 to 4 decimals (CDS ticks are ₹0.0025).
fn rupees(x: f64) -> String {
    let s = format!("{x:.4}");
    let trimmed = s.trim_end_matches('0');
    let decimals = trimmed.len() - trimmed.find('.').map_or(trimmed.len(), |i| i + 1);
    if decimals >= 2 {
        trimmed.to_owned()
    } else {
        format!("{x:.2}")
    }
}

/// The collar around `reference` for this kind of instrument: (low, high, description).
fn collar(limits: &Limits, kind: InstrumentKind, reference: f64) -> Option<(f64, f64, String)> {
    let (band, what) = match kind {
        InstrumentKind::Ce | InstrumentKind::Pe => {
            let pct = limits.option_collar_pct?;
            if reference <= limits.option_collar_threshold {
                (limits.option_collar_rupees, format!("±₹{}", rupees(limits.option_collar_rupees)))
            } else {
                (reference * pct / 100.0, format!("±{pct}%"))
            }
        }
        InstrumentKind::Fut => {
            let pct = limits.future_collar_pct?;
            (reference * pct / 100.0, format!("±{pct}%"))
        }
        InstrumentKind::Eq => {
            let pct = limits.equity_collar_pct?;
            (reference * pct / 100.0, format!("±{pct}%"))
        }
    };
    Some(((reference - band).max(0.0), reference + band, what))
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
    fn reject(&mut self, code: Code, message: String) {
        self.hard = true;
        self.violations.push(Violation { code, message });
    }

    #[cold]
    fn needs_approval(&mut self, code: Code, message: String) {
        self.soft = true;
        self.violations.push(Violation { code, message });
    }

    /// The rule allows at most `allowed` units; records a violation when that is below the request.
    #[inline]
    fn cap(&mut self, code: Code, allowed: i64, detail: impl FnOnce() -> String) {
        if allowed >= self.requested {
            return;
        }
        let lots = allowed.max(0) / self.lot * self.lot;
        self.cap = self.cap.min(lots);
        let message = format!("{}; at most {lots} units", detail());
        self.violations.push(Violation { code, message });
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
            v.reject(Code::QtyNotPositive, format!("quantity {q} must be > 0"));
            false
        } else if q % v.lot != 0 {
            v.reject(Code::QtyNotLotMultiple, format!("{q} is not a multiple of lot size {}", v.lot));
            false
        } else {
            true
        };
        if let Some(freeze) = intent.freeze_quantity {
            if q > freeze {
                v.reject(Code::QtyExceedsFreeze, format!("{q} > {freeze} (freeze quantity, units); slice the order"));
            }
        }

        // What may be traded where.
        if !limits.allowed_products.contains(intent.product) {
            let allowed: Vec<_> = limits.allowed_products.members().iter().map(|p| p.as_str()).collect();
            v.reject(
                Code::ProductNotAllowed,
                format!("{} is not an allowed product ({})", intent.product, allowed.join(", ")),
            );
        }
        if !limits.allowed_exchanges.contains(intent.exchange) {
            let allowed: Vec<_> = limits.allowed_exchanges.members().iter().map(|e| e.as_str()).collect();
            v.reject(
                Code::ExchangeNotAllowed,
                format!("{} is not an allowed exchange ({})", intent.exchange, allowed.join(", ")),
            );
        }

        // Prices.
        let slot = book.slot(intent.token);
        let underlying = book.bind_underlying(slot, intent.underlying_name());
        let reference = intent.reference_price;
        let reference_ok = reference.is_finite() && reference > 0.0;
        if !reference_ok {
            v.reject(Code::ReferencePriceInvalid, format!("reference price {reference} must be > 0 and finite"));
        }
        match intent.price {
            None => {
                if !limits.allow_market_orders {
                    v.reject(Code::MarketOrderNotAllowed, "market orders are not allowed; give a limit price".into());
                }
            }
            Some(p) if !(p.is_finite() && p > 0.0) => {
                v.reject(Code::PriceInvalid, format!("limit price {p} must be > 0 and finite"));
            }
            Some(p) => {
                if !on_tick(p, intent.tick_size) {
                    v.reject(
                        Code::TickSizeInvalid,
                        format!("price {p} is not a multiple of tick size {}", intent.tick_size),
                    );
                }
                if reference_ok {
                    if let Some((lo, hi, what)) = collar(limits, intent.kind, reference) {
                        let slack = 1e-9 * reference;
                        if p < lo - slack || p > hi + slack {
                            v.reject(
                                Code::PriceOutsideCollar,
                                format!(
                                    "price {} outside {}..{} ({what} of reference {})",
                                    rupees(p),
                                    rupees(lo),
                                    rupees(hi),
                                    rupees(reference)
                                ),
                            );
                        }
                    }
                }
                let known = book.at(slot).circuit;
                let lower = intent.lower_circuit.or(known.map(|c| c.0));
                let upper = intent.upper_circuit.or(known.map(|c| c.1));
                if lower.is_some_and(|lo| p < lo) || upper.is_some_and(|hi| p > hi) {
                    let show = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), rupees);
                    v.reject(
                        Code::PriceOutsideCircuit,
                        format!("price {} outside circuit {}..{}", rupees(p), show(lower), show(upper)),
                    );
                }
            }
        }

        // The kill switch.
        if *state == TradingState::Halted {
            v.reject(Code::StateHalted, format!("trading is HALTED ({state_reason})"));
        }

        // Market data.
        if let Some(max_age) = limits.max_data_age_ns {
            let stale = match book.at(slot).last_data_ns {
                None => Some(format!("no tick or mark received for token {}", intent.token)),
                Some(t) if now_ns.saturating_sub(t) > max_age => Some(format!(
                    "last tick {:.3} s ago > {:.3} s",
                    now_ns.saturating_sub(t) as f64 / 1e9,
                    max_age as f64 / 1e9
                )),
                Some(_) => None,
            };
            if let Some(message) = stale {
                match limits.stale_data_action {
                    StaleDataAction::Reject => v.reject(Code::StaleMarketData, message),
                    StaleDataAction::RequireApproval if !human_approved => {
                        v.needs_approval(Code::StaleMarketData, message)
                    }
                    StaleDataAction::RequireApproval => {}
                }
            }
        }

        // Order rates (approved orders; the order being checked would be the next one).
        if let Some(max) = limits.max_orders_per_second {
            let n = throttle.last_second(now_ns, max);
            if n >= max {
                v.reject(Code::RateLimitSecond, format!("{n} orders in the last second >= max {max}"));
            }
        }
        if let Some(max) = limits.max_orders_per_minute {
            let n = throttle.last_minute(now_ns);
            if n >= max {
                v.reject(Code::RateLimitMinute, format!("{n} orders in the last 60 seconds >= max {max}"));
            }
        }
        if let Some(max) = limits.max_orders_per_day {
            let n = throttle.today();
            if n >= max {
                v.reject(Code::RateLimitDay, format!("{n} orders today >= max {max}"));
            }
        }

        // Size and exposure.
        let px = intent.valuation_price();
        let px_ok = px.is_finite() && px > 0.0;
        let cur = book.at(slot).qty;
        let sign = intent.side.sign();
        let closing = if cur.signum() == -sign { q.min(cur.abs()) } else { 0 };
        let mut per_unit_margin = 0.0;
        if qty_ok {
            if let Some(max) = limits.max_order_quantity {
                v.cap(Code::QtyExceedsMaxOrder, max, || format!("{q} > {max} (max order quantity, units)"));
            }
            if let (Some(max), true) = (limits.max_order_notional, px_ok) {
                let notional = q as f64 * px;
                if notional > max {
                    v.cap(Code::NotionalExceedsMaxOrder, (max / px).floor() as i64, || {
                        format!("{notional:.2} > {max:.2} rupees (max order notional at price {})", rupees(px))
                    });
                }
            }
            per_unit_margin = intent.margin.map_or(px, |m| m / q as f64);
        }
        if qty_ok && q > closing {
            if *state == TradingState::Reducing {
                v.cap(Code::StateReducing, closing, || {
                    format!("only exposure-reducing orders pass while REDUCING ({state_reason})")
                });
            }
            let equity = book.equity();
            if let Some(max) = limits.max_daily_loss {
                if -equity >= max {
                    v.cap(Code::DailyLossLimit, closing, || format!("day loss {:.2} >= max {max:.2} rupees", -equity));
                }
            }
            if let Some(max) = limits.max_drawdown {
                let dd = book.drawdown();
                if dd >= max {
                    let peak = book.peak();
                    v.cap(Code::DrawdownLimit, closing, || {
                        format!("drawdown {dd:.2} from the day's peak {peak:.2} >= max {max:.2} rupees")
                    });
                }
            }
            if let Some(max) = limits.max_trades_per_day {
                let n = book.trades_today();
                if n >= max {
                    v.cap(Code::MaxTradesPerDay, closing, || format!("{n} trades today >= max {max}"));
                }
            }
            if let Some(max) = limits.max_open_positions {
                let open = book.open_positions();
                if cur == 0 && open >= max as usize {
                    v.cap(Code::MaxOpenPositions, 0, || {
                        format!("{open} open positions >= max {max}; this order would open another")
                    });
                }
            }
            if let Some(max) = limits.max_position_quantity {
                let allowed = max - sign * cur;
                v.cap(Code::PositionLimit, allowed, || {
                    format!("resulting position {} exceeds ±{max} units", cur + sign * q)
                });
            }
            if let Some(max) = limits.max_underlying_quantity {
                let name = intent.underlying_name();
                let gross = book.underlying_gross(underlying);
                let held = cur.abs();
                let allowed = if closing > 0 { held.max(max - gross + 2 * held) } else { max - gross };
                v.cap(Code::UnderlyingLimit, allowed, || {
                    let after = gross - held + (cur + sign * q).abs();
                    format!("gross position on {name} would be {after} > max {max} units")
                });
            }
            if let Some(reserve) = limits.min_cash_reserve {
                match *cash {
                    None => v.cap(Code::CashUnknown, closing, || "available cash is unknown (set_cash)".to_owned()),
                    Some(c) if per_unit_margin.is_finite() && per_unit_margin > 0.0 => {
                        let need = per_unit_margin * (q - closing) as f64;
                        if c - need < reserve {
                            let affordable = ((c - reserve) / per_unit_margin).floor().max(0.0) as i64;
                            v.cap(Code::CashReserve, closing + affordable, || {
                                format!(
                                    "cash {c:.2} - margin {need:.2} = {:.2} < reserve {reserve:.2} rupees",
                                    c - need
                                )
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
                let notional = approved as f64 * px;
                if notional > max {
                    v.needs_approval(
                        Code::NotionalNeedsApproval,
                        format!("{notional:.2} > {max:.2} rupees (approval threshold)"),
                    );
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
