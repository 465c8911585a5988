//! The vocabulary of the risk engine: sides, products, exchanges, instrument kinds, actions,
//! trading states, violation codes and the decision itself.
//!
//! Every enum spells itself exactly as Kite does (`"BUY"`, `"NRML"`, `"NFO"`, ...) so strings
//! cross the Python boundary unchanged; parsing is exact (upper case), never fuzzy.

use super::violation::Violation;

/// Implements `as_str`, `parse` and `ALL` for a fieldless enum from one table of names.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact name Kite (and the Python API) uses.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant named exactly `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted names joined by ", ", for error messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// Direction of an order or a fill.
    Side { Buy = "BUY", Sell = "SELL" }
}

impl Side {
    /// +1 for a buy, -1 for a sell: the sign of the position change.
    #[inline]
    pub const fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

named_enum! {
    /// Kite product: CNC (cash delivery), MIS (intraday), NRML (overnight F&O/commodity).
    Product { Cnc = "CNC", Mis = "MIS", Nrml = "NRML" }
}

named_enum! {
    /// Kite exchange segment of the instrument.
    Exchange { Nse = "NSE", Bse = "BSE", Nfo = "NFO", Bfo = "BFO", Mcx = "MCX", Cds = "CDS" }
}

impl Exchange {
    /// Cash-market exchanges list equities; the others list futures and options only.
    pub const fn is_cash(self) -> bool {
        matches!(self, Exchange::Nse | Exchange::Bse)
    }
}

named_enum! {
    /// What the instrument is; it selects the price collar (options vs futures vs equity).
    InstrumentKind { Eq = "EQ", Fut = "FUT", Ce = "CE", Pe = "PE" }
}

impl InstrumentKind {
    pub const fn is_option(self) -> bool {
        matches!(self, InstrumentKind::Ce | InstrumentKind::Pe)
    }
}

named_enum! {
    /// The engine's verdict on an order intent.
    Action {
        /// Send the order as asked.
        Approve = "APPROVE",
        /// Do not send anything.
        Reject = "REJECT",
        /// Send the order with the smaller approved quantity.
        ReduceSize = "REDUCE_SIZE",
        /// A soft limit was crossed: send only after a human approves (then re-check with approval).
        RequireApproval = "REQUIRE_APPROVAL",
    }
}

named_enum! {
    /// The kill switch. ACTIVE trades normally; REDUCING lets only exposure-reducing orders
    /// through; HALTED rejects every new order (cancels never pass through this engine).
    TradingState { Active = "ACTIVE", Reducing = "REDUCING", Halted = "HALTED" }
}

named_enum! {
    /// What to do with an order when the instrument's market data is stale.
    StaleDataAction { Reject = "REJECT", RequireApproval = "REQUIRE_APPROVAL" }
}

named_enum! {
    /// Machine-readable reason of a violation; the message carries the numbers.
    Code {
        QtyNotPositive = "QTY_NOT_POSITIVE",
        QtyNotLotMultiple = "QTY_NOT_LOT_MULTIPLE",
        QtyExceedsFreeze = "QTY_EXCEEDS_FREEZE",
        QtyExceedsMaxOrder = "QTY_EXCEEDS_MAX_ORDER",
        NotionalExceedsMaxOrder = "NOTIONAL_EXCEEDS_MAX_ORDER",
        ProductNotAllowed = "PRODUCT_NOT_ALLOWED",
        ExchangeNotAllowed = "EXCHANGE_NOT_ALLOWED",
        MarketOrderNotAllowed = "MARKET_ORDER_NOT_ALLOWED",
        PriceInvalid = "PRICE_INVALID",
        ReferencePriceInvalid = "REFERENCE_PRICE_INVALID",
        TickSizeInvalid = "TICK_SIZE_INVALID",
        PriceOutsideCollar = "PRICE_OUTSIDE_COLLAR",
        PriceOutsideCircuit = "PRICE_OUTSIDE_CIRCUIT",
        StaleMarketData = "STALE_MARKET_DATA",
        RateLimitSecond = "RATE_LIMIT_SECOND",
        RateLimitMinute = "RATE_LIMIT_MINUTE",
        RateLimitDay = "RATE_LIMIT_DAY",
        StateHalted = "STATE_HALTED",
        StateReducing = "STATE_REDUCING",
        DailyLossLimit = "DAILY_LOSS_LIMIT",
        DrawdownLimit = "DRAWDOWN_LIMIT",
        MaxTradesPerDay = "MAX_TRADES_PER_DAY",
        MaxOpenPositions = "MAX_OPEN_POSITIONS",
        PositionLimit = "POSITION_LIMIT",
        UnderlyingLimit = "UNDERLYING_LIMIT",
        CashUnknown = "CASH_UNKNOWN",
        CashReserve = "CASH_RESERVE",
        NotionalNeedsApproval = "NOTIONAL_NEEDS_APPROVAL",
    }
}

/// The answer to one order intent.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub action: Action,
    /// The intent's quantity, in units.
    pub requested: i64,
    /// Units that may be sent: the request (APPROVE), less (REDUCE_SIZE), 0 (REJECT), or what
    /// would be sent once a human approves (REQUIRE_APPROVAL).
    pub approved: i64,
    /// Every failed rule, in evaluation order; empty when approved as asked.
    pub violations: Vec<Violation>,
}

impl Decision {
    /// True when the order may go to the broker now (APPROVE or REDUCE_SIZE).
    pub fn is_approved(&self) -> bool {
        matches!(self.action, Action::Approve | Action::ReduceSize)
    }

    /// Whether any violation has this code.
    pub fn has(&self, code: Code) -> bool {
        self.violations.iter().any(|v| v.code == code)
    }
}

/// One entry of the state history: when, from which state to which, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct StateChange {
    /// UTC epoch nanoseconds supplied by the caller (or by the event that caused it).
    pub ts_ns: i64,
    pub from: TradingState,
    pub to: TradingState,
    pub reason: String,
}

/// A small set of enum variants stored as a bit mask (at most 8 variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumSet<T> {
    bits: u8,
    _kind: std::marker::PhantomData<T>,
}

/// Variant ↔ bit for `EnumSet`.
pub trait SetMember: Copy + 'static {
    fn all() -> &'static [Self];
    fn bit(self) -> u8;
    fn name(self) -> &'static str;
}

impl<T: SetMember> EnumSet<T> {
    pub const fn empty() -> Self {
        EnumSet { bits: 0, _kind: std::marker::PhantomData }
    }

    pub fn full() -> Self {
        T::all().iter().copied().collect()
    }

    #[inline]
    pub fn contains(&self, item: T) -> bool {
        self.bits & item.bit() != 0
    }

    pub fn insert(&mut self, item: T) {
        self.bits |= item.bit();
    }

    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// Members in declaration order.
    pub fn members(&self) -> Vec<T> {
        T::all().iter().copied().filter(|m| self.contains(*m)).collect()
    }
}

impl<T: SetMember> FromIterator<T> for EnumSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = EnumSet::empty();
        for item in iter {
            set.insert(item);
        }
        set
    }
}

macro_rules! set_member {
    ($name:ident) => {
        impl SetMember for $name {
            fn all() -> &'static [Self] {
                $name::ALL
            }
            fn bit(self) -> u8 {
                1 << ($name::ALL.iter().position(|v| *v == self).unwrap_or(0) as u8)
            }
            fn name(self) -> &'static str {
                self.as_str()
            }
        }
    };
}
set_member!(Product);
set_member!(Exchange);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
        assert_eq!(Side::parse("BUY"), Some(Side::Buy));
        assert_eq!(Side::parse("buy"), None);
        assert_eq!(Exchange::names(), "NSE, BSE, NFO, BFO, MCX, CDS");
        assert_eq!(Action::ReduceSize.to_string(), "REDUCE_SIZE");
    }

    #[test]
    fn enum_sets() {
        let set: EnumSet<Product> = [Product::Mis, Product::Nrml].into_iter().collect();
        assert!(set.contains(Product::Mis) && !set.contains(Product::Cnc));
        assert_eq!(set.members(), vec![Product::Mis, Product::Nrml]);
        assert_eq!(EnumSet::<Exchange>::full().members().len(), 6);
        assert!(EnumSet::<Exchange>::empty().is_empty());
    }
}
