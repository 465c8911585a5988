//! Risk limits. Units: rupees for money, units (not lots) for quantities, nanoseconds for
//! time (the Python model takes seconds). `None` means "no limit".

use super::types::{EnumSet, Exchange, Product, StaleDataAction};

/// NSE limit-price protection for options: ±₹20 when the reference price is ≤ ₹50, else ±40 %.
pub const NSE_OPTION_COLLAR_RUPEES: f64 = 20.0;
pub const NSE_OPTION_COLLAR_THRESHOLD: f64 = 50.0;
pub const NSE_OPTION_COLLAR_PCT: f64 = 40.0;
/// NSE limit-price protection for futures: ±3 %.
pub const NSE_FUTURE_COLLAR_PCT: f64 = 3.0;

/// Every limit the engine enforces; see `Limits::default` for the conservative defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Largest quantity of one order, units. Larger orders are reduced to it (in whole lots).
    pub max_order_quantity: Option<i64>,
    /// Largest value of one order, rupees (quantity × limit price, or × reference price for
    /// market orders). Larger orders are reduced to fit (in whole lots).
    pub max_order_notional: Option<f64>,
    /// Largest absolute net position in one instrument after the order, units.
    pub max_position_quantity: Option<i64>,
    /// Largest gross position across the instruments of one underlying after the order, units
    /// (the sum of |net position| per instrument, so long calls and short puts add up).
    pub max_underlying_quantity: Option<i64>,
    /// Most instruments with a non-zero position at once.
    pub max_open_positions: Option<u32>,
    /// Day loss (realised + unrealised, rupees, a positive number) at which the engine enters
    /// REDUCING.
    pub max_daily_loss: Option<f64>,
    /// Fall of the day's P&L from its peak (rupees) at which the engine enters REDUCING.
    pub max_drawdown: Option<f64>,
    /// Trades (fills reported through `on_fill`) per day after which only exposure-reducing
    /// orders pass.
    pub max_trades_per_day: Option<u32>,
    /// Approved orders in any rolling 1 s window (Kite/SEBI: 10).
    pub max_orders_per_second: Option<u32>,
    /// Approved orders in any rolling 60 s window (Kite: 400).
    pub max_orders_per_minute: Option<u32>,
    /// Approved orders per day, reset by `reset_day` (Kite: 5000).
    pub max_orders_per_day: Option<u32>,
    /// Options collar above `option_collar_threshold`: ± this percentage of the reference price;
    /// `None` disables the options collar.
    pub option_collar_pct: Option<f64>,
    /// Options collar at or below `option_collar_threshold`: ± this many rupees.
    pub option_collar_rupees: f64,
    /// Reference price (rupees) up to which the options collar is absolute.
    pub option_collar_threshold: f64,
    /// Futures collar: ± this percentage of the reference price; `None` disables it.
    pub future_collar_pct: Option<f64>,
    /// Equity collar: ± this percentage of the reference price; `None` (default) disables it
    /// (equities are bounded by their circuit limits instead).
    pub equity_collar_pct: Option<f64>,
    /// Market data older than this (since the instrument's last tick or mark) is stale, ns.
    pub max_data_age_ns: Option<i64>,
    /// What a stale-data violation does.
    pub stale_data_action: StaleDataAction,
    /// Cash (rupees) that must remain after an order's required margin; `None` disables the
    /// cash rule entirely (including the "cash unknown" rejection).
    pub min_cash_reserve: Option<f64>,
    /// Exposure-increasing orders worth more than this (rupees) need a human's approval.
    pub approval_notional: Option<f64>,
    /// Whether market orders (no limit price) are accepted at all.
    pub allow_market_orders: bool,
    pub allowed_products: EnumSet<Product>,
    pub allowed_exchanges: EnumSet<Exchange>,
}

impl Default for Limits {
    /// Conservative defaults for a small retail account; the Python `Limits` model documents
    /// the same values (a test keeps them equal).
    fn default() -> Self {
        Limits {
            max_order_quantity: None,
            max_order_notional: Some(500_000.0),
            max_position_quantity: None,
            max_underlying_quantity: None,
            max_open_positions: Some(10),
            max_daily_loss: Some(10_000.0),
            max_drawdown: Some(15_000.0),
            max_trades_per_day: Some(100),
            max_orders_per_second: Some(10),
            max_orders_per_minute: Some(400),
            max_orders_per_day: Some(5000),
            option_collar_pct: Some(NSE_OPTION_COLLAR_PCT),
            option_collar_rupees: NSE_OPTION_COLLAR_RUPEES,
            option_collar_threshold: NSE_OPTION_COLLAR_THRESHOLD,
            future_collar_pct: Some(NSE_FUTURE_COLLAR_PCT),
            equity_collar_pct: None,
            max_data_age_ns: Some(10_000_000_000),
            stale_data_action: StaleDataAction::Reject,
            min_cash_reserve: Some(0.0),
            approval_notional: None,
            allow_market_orders: true,
            allowed_products: [Product::Mis, Product::Cnc, Product::Nrml].into_iter().collect(),
            allowed_exchanges: EnumSet::full(),
        }
    }
}

impl Limits {
    /// No limit at all (every product and exchange allowed, collars off): a base for tests that
    /// switch on one rule at a time.
    pub fn unlimited() -> Self {
        Limits {
            max_order_quantity: None,
            max_order_notional: None,
            max_position_quantity: None,
            max_underlying_quantity: None,
            max_open_positions: None,
            max_daily_loss: None,
            max_drawdown: None,
            max_trades_per_day: None,
            max_orders_per_second: None,
            max_orders_per_minute: None,
            max_orders_per_day: None,
            option_collar_pct: None,
            option_collar_rupees: NSE_OPTION_COLLAR_RUPEES,
            option_collar_threshold: NSE_OPTION_COLLAR_THRESHOLD,
            future_collar_pct: None,
            equity_collar_pct: None,
            max_data_age_ns: None,
            stale_data_action: StaleDataAction::Reject,
            min_cash_reserve: None,
            approval_notional: None,
            allow_market_orders: true,
            allowed_products: EnumSet::full(),
            allowed_exchanges: EnumSet::full(),
        }
    }

    /// Every value in its domain, or a message naming the first one that is not.
    pub fn validate(&self) -> Result<(), String> {
        fn positive_int(name: &str, v: Option<i64>) -> Result<(), String> {
            match v {
                Some(x) if x < 1 => Err(format!("{name} must be >= 1 or None, got {x}")),
                _ => Ok(()),
            }
        }
        fn positive_money(name: &str, v: Option<f64>) -> Result<(), String> {
            match v {
                Some(x) if !(x.is_finite() && x > 0.0) => {
                    Err(format!("{name} must be > 0 and finite or None, got {x}"))
                }
                _ => Ok(()),
            }
        }
        positive_int("max_order_quantity", self.max_order_quantity)?;
        positive_int("max_position_quantity", self.max_position_quantity)?;
        positive_int("max_underlying_quantity", self.max_underlying_quantity)?;
        positive_int("max_data_age_ns", self.max_data_age_ns)?;
        for (name, v) in [
            ("max_open_positions", self.max_open_positions),
            ("max_trades_per_day", self.max_trades_per_day),
            ("max_orders_per_second", self.max_orders_per_second),
            ("max_orders_per_minute", self.max_orders_per_minute),
            ("max_orders_per_day", self.max_orders_per_day),
        ] {
            positive_int(name, v.map(i64::from))?;
        }
        for (name, v) in [
            ("max_order_notional", self.max_order_notional),
            ("max_daily_loss", self.max_daily_loss),
            ("max_drawdown", self.max_drawdown),
            ("option_collar_pct", self.option_collar_pct),
            ("future_collar_pct", self.future_collar_pct),
            ("equity_collar_pct", self.equity_collar_pct),
            ("approval_notional", self.approval_notional),
            ("option_collar_rupees", Some(self.option_collar_rupees)),
            ("option_collar_threshold", Some(self.option_collar_threshold)),
        ] {
            positive_money(name, v)?;
        }
        if let Some(r) = self.min_cash_reserve {
            if !(r.is_finite() && r >= 0.0) {
                return Err(format!("min_cash_reserve must be >= 0 and finite or None, got {r}"));
            }
        }
        if self.allowed_products.is_empty() {
            return Err("allowed_products must not be empty".into());
        }
        if self.allowed_exchanges.is_empty() {
            return Err("allowed_exchanges must not be empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_follow_kite() {
        let d = Limits::default();
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(
            (d.max_orders_per_second, d.max_orders_per_minute, d.max_orders_per_day),
            (Some(10), Some(400), Some(5000))
        );
        assert!(d.allowed_products.contains(Product::Cnc) && d.allowed_exchanges.contains(Exchange::Mcx));
        assert_eq!(Limits::unlimited().validate(), Ok(()));
    }

    #[test]
    fn invalid_values_are_named() {
        let l = Limits { max_order_quantity: Some(0), ..Limits::unlimited() };
        assert_eq!(l.validate(), Err("max_order_quantity must be >= 1 or None, got 0".into()));
        let l = Limits { max_daily_loss: Some(f64::NAN), ..Limits::unlimited() };
        assert!(l.validate().unwrap_err().starts_with("max_daily_loss must be > 0"));
        let l = Limits { min_cash_reserve: Some(-1.0), ..Limits::unlimited() };
        assert!(l.validate().unwrap_err().starts_with("min_cash_reserve"));
        let l = Limits { allowed_products: EnumSet::empty(), ..Limits::unlimited() };
        assert_eq!(l.validate(), Err("allowed_products must not be empty".into()));
    }
}
