//! Python classes for the risk engine's values: `OrderIntent`, `RiskDecision`, `Violation`,
//! `RiskPosition`. They wrap the pure Rust values so `RiskEngine.check` converts nothing per call.

use pyo3::prelude::*;
use pyo3::types::PyString;

use super::errors::invalid_request;
use crate::risk::{self, Action, Decision, Exchange, InstrumentKind, OrderIntent, Product, Side};

/// Parses one of a fieldless enum's names, or raises ValueError listing the accepted ones.
macro_rules! parse_name {
    ($ty:ty, $what:literal, $text:expr) => {
        <$ty>::parse($text)
            .ok_or_else(|| invalid_request(format!("{} must be one of {}, got '{}'", $what, <$ty>::names(), $text)))
    };
}
pub(crate) use parse_name;

/// A Kite instrument token (0 ..= 2**32 − 1), or ValueError.
pub(crate) fn token(value: i64) -> PyResult<u32> {
    u32::try_from(value).map_err(|_| invalid_request(format!("token must be in 0..=4294967295, got {value}")))
}

fn py_float(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// A string as Python's repr writes it in the common case (single quotes); Rust's escaping otherwise.
fn py_str(s: &str) -> String {
    if s.chars().any(|c| c == '\'' || c == '\\' || c.is_control()) {
        format!("{s:?}")
    } else {
        format!("'{s}'")
    }
}

fn py_opt<T>(x: Option<T>, show: impl Fn(T) -> String) -> String {
    x.map_or_else(|| "None".to_owned(), show)
}

/// What the engine is asked about: one order. Keyword-only; ValueError names a malformed field.
///
/// token: Kite instrument token. symbol: trading symbol. exchange: NSE, BSE, NFO, BFO, MCX or CDS.
/// product: CNC, MIS or NRML. side: BUY or SELL. quantity: units (lots x lot_size); a quantity that
/// is not a positive whole number of lots is a REJECT, not an error. price: limit price in rupees,
/// None for a market order. reference_price: rupees (LTP or the exchange's reference): the collar's
/// centre and a market order's valuation. lot_size: units per lot. tick_size: rupees, a multiple of
/// 0.0001. freeze_quantity: the exchange's largest order, units. underlying: name for the
/// per-underlying limit (default: the symbol). kind: EQ (NSE/BSE) or FUT/CE/PE (derivative
/// exchanges); selects the collar. lower_circuit, upper_circuit: rupees. margin: rupees the whole
/// order blocks (default: quantity x price x multiplier, exact for cash buys and option buys only).
/// multiplier: rupees per (price x quantity), 1 except where Kite's quantity counts lots of a
/// contract (MCX: CRUDEOIL 100); notional and the default margin are scaled by it.
#[pyclass(name = "OrderIntent", module = "alphastock.risk", frozen, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyOrderIntent {
    pub(crate) inner: OrderIntent,
}

#[pymethods]
impl PyOrderIntent {
    #[new]
    #[pyo3(signature = (
        *, token, symbol, exchange, product, side, quantity, reference_price, price=None, lot_size=1,
        tick_size=0.05, freeze_quantity=None, underlying=None, kind="EQ", lower_circuit=None, upper_circuit=None,
        margin=None, multiplier=1.0
    ))]
    fn new(
        token: i64,
        symbol: String,
        exchange: &str,
        product: &str,
        side: &str,
        quantity: i64,
        reference_price: f64,
        price: Option<f64>,
        lot_size: i64,
        tick_size: f64,
        freeze_quantity: Option<i64>,
        underlying: Option<String>,
        kind: &str,
        lower_circuit: Option<f64>,
        upper_circuit: Option<f64>,
        margin: Option<f64>,
        multiplier: f64,
    ) -> PyResult<Self> {
        let inner = OrderIntent {
            token: self::token(token)?,
            symbol,
            exchange: parse_name!(Exchange, "exchange", exchange)?,
            product: parse_name!(Product, "product", product)?,
            side: parse_name!(Side, "side", side)?,
            quantity,
            price,
            reference_price,
            lot_size,
            tick_size,
            freeze_quantity,
            underlying,
            kind: parse_name!(InstrumentKind, "kind", kind)?,
            lower_circuit,
            upper_circuit,
            margin,
            multiplier,
        };
        inner.validate().map_err(invalid_request)?;
        Ok(PyOrderIntent { inner })
    }

    /// The same intent with another quantity (units), e.g. one slice of a larger order.
    fn with_quantity(&self, quantity: i64) -> Self {
        PyOrderIntent { inner: OrderIntent { quantity, ..self.inner.clone() } }
    }

    #[getter]
    fn token(&self) -> u32 {
        self.inner.token
    }
    #[getter]
    fn symbol(&self) -> &str {
        &self.inner.symbol
    }
    #[getter]
    fn exchange(&self) -> &'static str {
        self.inner.exchange.as_str()
    }
    #[getter]
    fn product(&self) -> &'static str {
        self.inner.product.as_str()
    }
    #[getter]
    fn side(&self) -> &'static str {
        self.inner.side.as_str()
    }
    #[getter]
    fn quantity(&self) -> i64 {
        self.inner.quantity
    }
    #[getter]
    fn price(&self) -> Option<f64> {
        self.inner.price
    }
    #[getter]
    fn reference_price(&self) -> f64 {
        self.inner.reference_price
    }
    #[getter]
    fn lot_size(&self) -> i64 {
        self.inner.lot_size
    }
    #[getter]
    fn tick_size(&self) -> f64 {
        self.inner.tick_size
    }
    #[getter]
    fn freeze_quantity(&self) -> Option<i64> {
        self.inner.freeze_quantity
    }
    /// The underlying's name as the per-underlying limit sees it (the symbol when not given).
    #[getter]
    fn underlying(&self) -> &str {
        self.inner.underlying_name()
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }
    #[getter]
    fn lower_circuit(&self) -> Option<f64> {
        self.inner.lower_circuit
    }
    #[getter]
    fn upper_circuit(&self) -> Option<f64> {
        self.inner.upper_circuit
    }
    #[getter]
    fn margin(&self) -> Option<f64> {
        self.inner.margin
    }
    #[getter]
    fn multiplier(&self) -> f64 {
        self.inner.multiplier
    }

    fn __repr__(&self) -> String {
        let i = &self.inner;
        format!(
            "OrderIntent(token={}, symbol={}, exchange='{}', product='{}', side='{}', quantity={}, price={}, \
             reference_price={}, lot_size={}, tick_size={}, freeze_quantity={}, underlying={}, kind='{}', \
             lower_circuit={}, upper_circuit={}, margin={}, multiplier={})",
            i.token,
            py_str(&i.symbol),
            i.exchange,
            i.product,
            i.side,
            i.quantity,
            py_opt(i.price, py_float),
            py_float(i.reference_price),
            i.lot_size,
            py_float(i.tick_size),
            py_opt(i.freeze_quantity, |f| f.to_string()),
            py_str(i.underlying_name()),
            i.kind,
            py_opt(i.lower_circuit, py_float),
            py_opt(i.upper_circuit, py_float),
            py_opt(i.margin, py_float),
            py_float(i.multiplier),
        )
    }
}

/// One failed rule: `code` (stable, e.g. "QTY_EXCEEDS_FREEZE") and a `message` with the numbers.
#[pyclass(name = "Violation", module = "alphastock.risk", frozen, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyViolation {
    inner: risk::Violation,
}

#[pymethods]
impl PyViolation {
    #[getter]
    fn code(&self) -> &'static str {
        self.inner.code.as_str()
    }
    #[getter]
    fn message(&self) -> String {
        self.inner.message()
    }
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
    fn __repr__(&self) -> String {
        format!("Violation(code='{}', message={})", self.inner.code, py_str(&self.inner.message()))
    }
}

/// The engine's answer to one `OrderIntent`: `action`, `approved` (may be sent now),
/// `requested_quantity` and `approved_quantity` (units), and every failed rule in `violations`
/// (`codes` lists just their codes).
#[pyclass(name = "RiskDecision", module = "alphastock.risk", frozen, freelist = 64)]
pub(crate) struct PyRiskDecision {
    pub(crate) inner: Decision,
}

#[pymethods]
impl PyRiskDecision {
    /// "APPROVE", "REJECT", "REDUCE_SIZE" or "REQUIRE_APPROVAL" (equal to `RiskAction` members).
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        match self.inner.action {
            Action::Approve => pyo3::intern!(py, "APPROVE").clone(),
            Action::Reject => pyo3::intern!(py, "REJECT").clone(),
            Action::ReduceSize => pyo3::intern!(py, "REDUCE_SIZE").clone(),
            Action::RequireApproval => pyo3::intern!(py, "REQUIRE_APPROVAL").clone(),
        }
    }
    /// True when the order may be sent now (APPROVE or REDUCE_SIZE).
    #[getter]
    fn approved(&self) -> bool {
        self.inner.is_approved()
    }
    /// The intent's quantity, units.
    #[getter]
    fn requested_quantity(&self) -> i64 {
        self.inner.requested
    }
    /// Units that may be sent (0 on REJECT; on REQUIRE_APPROVAL, what may be sent once approved).
    #[getter]
    fn approved_quantity(&self) -> i64 {
        self.inner.approved
    }
    /// Every failed rule, in evaluation order.
    #[getter]
    fn violations(&self) -> Vec<PyViolation> {
        self.inner.violations.iter().map(|v| PyViolation { inner: v.clone() }).collect()
    }
    /// The violations' codes, in order.
    #[getter]
    fn codes(&self) -> Vec<&'static str> {
        self.inner.violations.iter().map(|v| v.code.as_str()).collect()
    }
    fn __repr__(&self) -> String {
        let violations: Vec<String> = self.inner.violations.iter().map(|v| py_str(&v.to_string())).collect();
        format!(
            "RiskDecision(action='{}', requested_quantity={}, approved_quantity={}, violations=[{}])",
            self.inner.action,
            self.inner.requested,
            self.inner.approved,
            violations.join(", ")
        )
    }
}

/// An open position as the engine sees it (rupees, units).
#[pyclass(name = "RiskPosition", module = "alphastock.risk", frozen, eq, get_all)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyRiskPosition {
    /// Kite instrument token.
    pub(crate) token: u32,
    /// Net units: positive long, negative short.
    pub(crate) quantity: i64,
    /// Average price, rupees (the day basis after `reset_day`).
    pub(crate) avg_price: f64,
    /// Last mark or fill price, rupees.
    pub(crate) mark: Option<f64>,
    /// quantity × (mark − avg_price) × multiplier, rupees.
    pub(crate) unrealised_pnl: f64,
    /// Rupees per (price × quantity) of the last fill: 1, or the MCX contract multiplier.
    pub(crate) multiplier: f64,
    /// The underlying the position counts towards.
    pub(crate) underlying: Option<String>,
}

#[pymethods]
impl PyRiskPosition {
    fn __repr__(&self) -> String {
        format!(
            "RiskPosition(token={}, quantity={}, avg_price={}, mark={}, unrealised_pnl={}, multiplier={}, underlying={})",
            self.token,
            self.quantity,
            py_float(self.avg_price),
            py_opt(self.mark, py_float),
            py_float(self.unrealised_pnl),
            py_float(self.multiplier),
            py_opt(self.underlying.as_deref(), py_str),
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyOrderIntent>()?;
    m.add_class::<PyViolation>()?;
    m.add_class::<PyRiskDecision>()?;
    m.add_class::<PyRiskPosition>()?;
    m.add("RISK_CODES", risk::Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>())?;
    Ok(())
}
