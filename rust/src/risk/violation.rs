//! A failed rule: its code and the numbers behind it. The human message is built only when
//! asked for (`message`, `Display`), so a check that rejects costs about as much as one that
//! approves; shared strings (state reasons, underlying names) are reference-counted.

use std::sync::Arc;

use super::types::{Code, EnumSet, Exchange, Product, SetMember};

/// How wide a price collar is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Band {
    /// ± this many rupees.
    Rupees(f64),
    /// ± this percentage of the reference price.
    Percent(f64),
}

/// Which order-rate window is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Second,
    Minute,
    Day,
}

/// The numbers behind a violation, one variant per kind of rule. Quantities in units, money in
/// rupees, time in nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Detail {
    QtyNotPositive { quantity: i64 },
    QtyNotLotMultiple { quantity: i64, lot: i64 },
    QtyExceedsFreeze { quantity: i64, freeze: i64 },
    QtyExceedsMaxOrder { quantity: i64, max: i64 },
    NotionalExceedsMaxOrder { notional: f64, max: f64, price: f64 },
    ProductNotAllowed { product: Product, allowed: EnumSet<Product> },
    ExchangeNotAllowed { exchange: Exchange, allowed: EnumSet<Exchange> },
    MarketOrderNotAllowed,
    PriceInvalid { price: f64 },
    ReferencePriceInvalid { reference: f64 },
    TickSizeInvalid { price: f64, tick: f64 },
    PriceOutsideCollar { price: f64, low: f64, high: f64, band: Band, reference: f64 },
    PriceOutsideCircuit { price: f64, lower: Option<f64>, upper: Option<f64> },
    NoMarketData { token: u32 },
    StaleMarketData { age_ns: i64, max_ns: i64 },
    RateLimit { count: u32, max: u32, window: Window },
    Halted { reason: Arc<str> },
    Reducing { reason: Arc<str> },
    DailyLoss { loss: f64, max: f64 },
    Drawdown { drawdown: f64, peak: f64, max: f64 },
    TradesPerDay { trades: u32, max: u32 },
    OpenPositions { open: usize, max: u32 },
    PositionLimit { resulting: i64, max: i64 },
    UnderlyingLimit { underlying: Arc<str>, gross: i64, max: i64 },
    CashUnknown,
    CashReserve { cash: f64, margin: f64, reserve: f64 },
    NeedsApproval { notional: f64, max: f64 },
}

/// One failed rule, e.g. `QTY_EXCEEDS_FREEZE: 1950 > 1800 (freeze quantity, units); slice the order`.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub code: Code,
    pub detail: Detail,
    /// For caps: the most units this rule allows (whole lots).
    pub at_most: Option<i64>,
}

/// Prices print with 2 to 4 decimals (CDS ticks are ₹0.0025).
pub(crate) fn rupees(x: f64) -> String {
    let s = format!("{x:.4}");
    let trimmed = s.trim_end_matches('0');
    let decimals = trimmed.find('.').map_or(0, |i| trimmed.len() - i - 1);
    if decimals >= 2 {
        trimmed.to_owned()
    } else {
        format!("{x:.2}")
    }
}

fn names<T: SetMember>(set: &EnumSet<T>) -> String {
    set.members().into_iter().map(T::name).collect::<Vec<_>>().join(", ")
}

impl Detail {
    fn text(&self) -> String {
        match self {
            Detail::QtyNotPositive { quantity } => format!("quantity {quantity} must be > 0"),
            Detail::QtyNotLotMultiple { quantity, lot } => format!("{quantity} is not a multiple of lot size {lot}"),
            Detail::QtyExceedsFreeze { quantity, freeze } => {
                format!("{quantity} > {freeze} (freeze quantity, units); slice the order")
            }
            Detail::QtyExceedsMaxOrder { quantity, max } => format!("{quantity} > {max} (max order quantity, units)"),
            Detail::NotionalExceedsMaxOrder { notional, max, price } => {
                format!("{notional:.2} > {max:.2} rupees (max order notional at price {})", rupees(*price))
            }
            Detail::ProductNotAllowed { product, allowed } => {
                format!("{product} is not an allowed product ({})", names(allowed))
            }
            Detail::ExchangeNotAllowed { exchange, allowed } => {
                format!("{exchange} is not an allowed exchange ({})", names(allowed))
            }
            Detail::MarketOrderNotAllowed => "market orders are not allowed; give a limit price".into(),
            Detail::PriceInvalid { price } => format!("limit price {price} must be > 0 and finite"),
            Detail::ReferencePriceInvalid { reference } => {
                format!("reference price {reference} must be > 0 and finite")
            }
            Detail::TickSizeInvalid { price, tick } => format!("price {price} is not a multiple of tick size {tick}"),
            Detail::PriceOutsideCollar { price, low, high, band, reference } => {
                let band = match band {
                    Band::Rupees(r) => format!("±₹{}", rupees(*r)),
                    Band::Percent(p) => format!("±{p}%"),
                };
                format!(
                    "price {} outside {}..{} ({band} of reference {})",
                    rupees(*price),
                    rupees(*low),
                    rupees(*high),
                    rupees(*reference)
                )
            }
            Detail::PriceOutsideCircuit { price, lower, upper } => {
                let show = |x: &Option<f64>| x.map_or_else(|| "-".to_owned(), rupees);
                format!("price {} outside circuit {}..{}", rupees(*price), show(lower), show(upper))
            }
            Detail::NoMarketData { token } => format!("no tick or mark received for token {token}"),
            Detail::StaleMarketData { age_ns, max_ns } => {
                format!("last tick {:.3} s ago > {:.3} s", *age_ns as f64 / 1e9, *max_ns as f64 / 1e9)
            }
            Detail::RateLimit { count, max, window } => match window {
                Window::Second => format!("{count} orders in the last second >= max {max}"),
                Window::Minute => format!("{count} orders in the last 60 seconds >= max {max}"),
                Window::Day => format!("{count} orders today >= max {max}"),
            },
            Detail::Halted { reason } => format!("trading is HALTED ({reason})"),
            Detail::Reducing { reason } => format!("only exposure-reducing orders pass while REDUCING ({reason})"),
            Detail::DailyLoss { loss, max } => format!("day loss {loss:.2} >= max {max:.2} rupees"),
            Detail::Drawdown { drawdown, peak, max } => {
                format!("drawdown {drawdown:.2} from the day's peak {peak:.2} >= max {max:.2} rupees")
            }
            Detail::TradesPerDay { trades, max } => format!("{trades} trades today >= max {max}"),
            Detail::OpenPositions { open, max } => {
                format!("{open} open positions >= max {max}; this order would open another")
            }
            Detail::PositionLimit { resulting, max } => format!("resulting position {resulting} exceeds ±{max} units"),
            Detail::UnderlyingLimit { underlying, gross, max } => {
                format!("gross position on {underlying} would be {gross} > max {max} units")
            }
            Detail::CashUnknown => "available cash is unknown (set_cash)".into(),
            Detail::CashReserve { cash, margin, reserve } => {
                format!("cash {cash:.2} - margin {margin:.2} = {:.2} < reserve {reserve:.2} rupees", cash - margin)
            }
            Detail::NeedsApproval { notional, max } => format!("{notional:.2} > {max:.2} rupees (approval threshold)"),
        }
    }
}

impl Violation {
    /// The human message, with the numbers (built on each call).
    pub fn message(&self) -> String {
        let text = self.detail.text();
        match self.at_most {
            Some(n) => format!("{text}; at most {n} units"),
            None => text,
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_built_from_the_numbers() {
        let v = Violation {
            code: Code::QtyExceedsFreeze,
            detail: Detail::QtyExceedsFreeze { quantity: 1950, freeze: 1800 },
            at_most: None,
        };
        assert_eq!(v.to_string(), "QTY_EXCEEDS_FREEZE: 1950 > 1800 (freeze quantity, units); slice the order");
        let v = Violation {
            code: Code::PriceOutsideCollar,
            detail: Detail::PriceOutsideCollar {
                price: 50.05,
                low: 10.0,
                high: 50.0,
                band: Band::Rupees(20.0),
                reference: 30.0,
            },
            at_most: None,
        };
        assert_eq!(v.message(), "price 50.05 outside 10.00..50.00 (±₹20.00 of reference 30.00)");
        let v = Violation {
            code: Code::QtyExceedsMaxOrder,
            detail: Detail::QtyExceedsMaxOrder { quantity: 1300, max: 1000 },
            at_most: Some(975),
        };
        assert_eq!(v.message(), "1300 > 1000 (max order quantity, units); at most 975 units");
    }

    #[test]
    fn rupees_keep_two_to_four_decimals() {
        assert_eq!(rupees(72.0), "72.00");
        assert_eq!(rupees(120.05), "120.05");
        assert_eq!(rupees(80.7525), "80.7525");
        assert_eq!(rupees(0.1), "0.10");
    }
}
