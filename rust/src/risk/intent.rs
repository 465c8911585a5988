//! The order intent: what a strategy or the OMS wants to send, as the engine needs to see it.

use super::types::{Exchange, InstrumentKind, Product, Side};

/// Prices are compared on a grid of ₹0.0001 (the finest Kite tick, CDS's ₹0.0025, is a multiple
/// of it), in integers, so `24350.05` on a `0.05` tick is exact despite binary floats.
const PRICE_GRID: f64 = 10_000.0;
/// How far from the grid (relative) a float may be and still count as on it.
const GRID_TOLERANCE: f64 = 1e-9;

/// An order the engine is asked about. Quantities as Kite counts them (units, not lots — except on
/// MCX, where Kite's quantity is lots and `multiplier` turns price × quantity into rupees), prices
/// in rupees.
///
/// Construct it with a struct literal and call `validate` (the Python constructor does); the
/// values `validate` accepts can still fail rules (a zero quantity, a NaN price): those are
/// violations in the decision, not construction errors.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderIntent {
    /// Kite instrument token.
    pub token: u32,
    /// Kite trading symbol, e.g. `NIFTY26JAN24500CE`.
    pub symbol: String,
    pub exchange: Exchange,
    pub product: Product,
    pub side: Side,
    /// Units (for F&O: lots × lot size).
    pub quantity: i64,
    /// Limit price; `None` for a market order.
    pub price: Option<f64>,
    /// The price the collar is measured from and market orders are valued at (LTP, or the
    /// exchange's reference price), rupees.
    pub reference_price: f64,
    /// Units per lot; the quantity must be a multiple of it.
    pub lot_size: i64,
    /// Rupees; a limit price must be a multiple of it.
    pub tick_size: f64,
    /// The exchange's largest quantity per order (units); larger orders must be sliced.
    pub freeze_quantity: Option<i64>,
    /// Name of the underlying for the per-underlying limit; `None` means the symbol itself.
    pub underlying: Option<String>,
    pub kind: InstrumentKind,
    /// The instrument's circuit limits (rupees), when known; they override `set_circuit`.
    pub lower_circuit: Option<f64>,
    pub upper_circuit: Option<f64>,
    /// Margin the whole order (at `quantity`) blocks, rupees, e.g. from Kite's order-margins API.
    /// `None` means quantity × price × multiplier (exact for cash buys and option buys only).
    pub margin: Option<f64>,
    /// Rupees per (price × quantity): 1, or the contract multiplier where Kite's quantity counts
    /// lots (MCX CRUDEOIL: 100 barrels per lot). Notional and default margin are scaled by it.
    pub multiplier: f64,
}

impl OrderIntent {
    /// The underlying's name: `underlying`, or the symbol when it is not given.
    #[inline]
    pub fn underlying_name(&self) -> &str {
        self.underlying.as_deref().unwrap_or(&self.symbol)
    }

    /// The price that values the order: the limit price, or the reference price for a market order.
    #[inline]
    pub fn valuation_price(&self) -> f64 {
        self.price.unwrap_or(self.reference_price)
    }

    /// Rupees per unit of quantity at the valuation price (price × multiplier).
    #[inline]
    pub fn unit_value(&self) -> f64 {
        self.valuation_price() * self.multiplier
    }

    /// Checks what makes an intent malformed (as opposed to merely unacceptable).
    pub fn validate(&self) -> Result<(), String> {
        if self.symbol.is_empty() {
            return Err("symbol must not be empty".into());
        }
        if !(self.multiplier.is_finite() && self.multiplier > 0.0) {
            return Err(format!("multiplier must be > 0 and finite, got {}", self.multiplier));
        }
        if self.lot_size < 1 {
            return Err(format!("lot_size must be >= 1, got {}", self.lot_size));
        }
        if tick_units(self.tick_size).is_none() {
            return Err(format!("tick_size must be a positive multiple of 0.0001 rupees, got {}", self.tick_size));
        }
        if let Some(f) = self.freeze_quantity {
            if f < 1 {
                return Err(format!("freeze_quantity must be >= 1 or None, got {f}"));
            }
        }
        if self.underlying.as_deref() == Some("") {
            return Err("underlying must not be empty (None means the symbol itself)".into());
        }
        if self.kind == InstrumentKind::Eq && !self.exchange.is_cash() {
            return Err(format!("kind EQ is not traded on {}; give kind FUT, CE or PE", self.exchange));
        }
        if self.kind != InstrumentKind::Eq && self.exchange.is_cash() {
            return Err(format!("kind {} is not traded on {}", self.kind, self.exchange));
        }
        for (name, v) in [("lower_circuit", self.lower_circuit), ("upper_circuit", self.upper_circuit)] {
            if let Some(x) = v {
                if !(x.is_finite() && x > 0.0) {
                    return Err(format!("{name} must be > 0 and finite or None, got {x}"));
                }
            }
        }
        if let (Some(lo), Some(hi)) = (self.lower_circuit, self.upper_circuit) {
            if lo > hi {
                return Err(format!("lower_circuit {lo} is above upper_circuit {hi}"));
            }
        }
        if let Some(m) = self.margin {
            if !(m.is_finite() && m >= 0.0) {
                return Err(format!("margin must be >= 0 and finite or None, got {m}"));
            }
        }
        Ok(())
    }
}

/// The tick size in grid units (₹0.0001), or `None` when it is not a positive grid multiple.
pub fn tick_units(tick_size: f64) -> Option<i64> {
    let x = tick_size * PRICE_GRID;
    let units = x.round();
    let on_grid = (x - units).abs() <= GRID_TOLERANCE * x.abs().max(1.0);
    (tick_size.is_finite() && on_grid && units >= 1.0).then_some(units as i64)
}

/// Whether `price` is a whole number of ticks (within 1e-9 relative, compared in integers).
pub fn on_tick(price: f64, tick_size: f64) -> bool {
    let Some(tick) = tick_units(tick_size) else { return false };
    let x = price * PRICE_GRID;
    let units = x.round();
    if !(x.is_finite() && (x - units).abs() <= GRID_TOLERANCE * x.abs().max(1.0)) {
        return false;
    }
    (units as i64) % tick == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid NIFTY call intent; tests change what they need with struct update syntax.
    pub(crate) fn nifty_call() -> OrderIntent {
        OrderIntent {
            token: 256_265,
            symbol: "NIFTY26JAN24500CE".into(),
            exchange: Exchange::Nfo,
            product: Product::Nrml,
            side: Side::Buy,
            quantity: 650,
            price: Some(120.05),
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

    #[test]
    fn tick_grid() {
        assert!(on_tick(24350.05, 0.05));
        assert!(on_tick(0.05, 0.05));
        assert!(on_tick(120.1, 0.05));
        assert!(!on_tick(120.03, 0.05));
        assert!(on_tick(83.2525, 0.0025));
        assert!(!on_tick(83.2526, 0.0025));
        assert!(on_tick(5401.0, 1.0));
        assert!(!on_tick(5401.5, 1.0));
        assert!(!on_tick(f64::NAN, 0.05));
        assert!(!on_tick(100.00004, 0.05)); // off the ₹0.0001 grid
        assert_eq!(tick_units(0.05), Some(500));
        assert_eq!(tick_units(0.00001), None);
        assert_eq!(tick_units(0.0), None);
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(nifty_call().validate(), Ok(()));
        let bad = OrderIntent { lot_size: 0, ..nifty_call() };
        assert_eq!(bad.validate(), Err("lot_size must be >= 1, got 0".into()));
        let bad = OrderIntent { kind: InstrumentKind::Eq, ..nifty_call() };
        assert_eq!(bad.validate(), Err("kind EQ is not traded on NFO; give kind FUT, CE or PE".into()));
        let bad = OrderIntent { lower_circuit: Some(130.0), upper_circuit: Some(110.0), ..nifty_call() };
        assert_eq!(bad.validate(), Err("lower_circuit 130 is above upper_circuit 110".into()));
        let bad = OrderIntent { multiplier: 0.0, ..nifty_call() };
        assert_eq!(bad.validate(), Err("multiplier must be > 0 and finite, got 0".into()));
        // A bad quantity or price is a rule violation, not a malformed intent.
        assert_eq!(OrderIntent { quantity: -5, price: Some(f64::NAN), ..nifty_call() }.validate(), Ok(()));
    }

    #[test]
    fn underlying_defaults_to_symbol() {
        assert_eq!(nifty_call().underlying_name(), "NIFTY");
        let eq = OrderIntent {
            exchange: Exchange::Nse,
            kind: InstrumentKind::Eq,
            symbol: "INFY".into(),
            underlying: None,
            ..nifty_call()
        };
        assert_eq!(eq.underlying_name(), "INFY");
    }
}
