//! Python wrapper for `crate::risk::RiskEngine`: limits arrive once as a dict (from the pydantic
//! `alphastock.risk.Limits`), intents as `OrderIntent` objects that need no conversion.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::errors::invalid_request;
use super::risk_types::{parse_name, token, PyOrderIntent, PyRiskDecision, PyRiskPosition};
use crate::risk::{self, EnumSet, Exchange, Limits, Product, Side, StaleDataAction, TradingState};

/// The caller's time, or the wall clock when the caller gave none (convenience for live use;
/// the engine itself never reads a clock).
fn now_or_clock(now_ns: Option<i64>) -> i64 {
    now_ns.unwrap_or_else(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    })
}

fn names<T: Copy>(value: &Bound<'_, PyAny>, what: &str, parse: impl Fn(&str) -> Option<T>) -> PyResult<Vec<T>> {
    if value.is_instance_of::<PyString>() {
        return Err(invalid_request(format!("{what} must be a collection of names, not a string")));
    }
    let mut out = Vec::new();
    for item in value.try_iter()? {
        let item = item?;
        let text: String = item.extract()?;
        out.push(parse(&text).ok_or_else(|| invalid_request(format!("unknown {what} entry '{text}'")))?);
    }
    Ok(out)
}

/// Builds core limits from the defaults and a dict of overrides keyed by the Python field names.
fn limits_from_dict(dict: Option<&Bound<'_, PyDict>>) -> PyResult<Limits> {
    let mut l = Limits::default();
    let Some(dict) = dict else { return Ok(l) };
    for (key, value) in dict.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "max_order_quantity" => l.max_order_quantity = value.extract()?,
            "max_order_notional" => l.max_order_notional = value.extract()?,
            "max_position_quantity" => l.max_position_quantity = value.extract()?,
            "max_underlying_quantity" => l.max_underlying_quantity = value.extract()?,
            "max_open_positions" => l.max_open_positions = value.extract()?,
            "max_daily_loss" => l.max_daily_loss = value.extract()?,
            "max_drawdown" => l.max_drawdown = value.extract()?,
            "max_trades_per_day" => l.max_trades_per_day = value.extract()?,
            "max_orders_per_second" => l.max_orders_per_second = value.extract()?,
            "max_orders_per_minute" => l.max_orders_per_minute = value.extract()?,
            "max_orders_per_day" => l.max_orders_per_day = value.extract()?,
            "option_collar_pct" => l.option_collar_pct = value.extract()?,
            "option_collar_rupees" => l.option_collar_rupees = value.extract()?,
            "option_collar_threshold" => l.option_collar_threshold = value.extract()?,
            "future_collar_pct" => l.future_collar_pct = value.extract()?,
            "equity_collar_pct" => l.equity_collar_pct = value.extract()?,
            "max_data_age_s" => {
                let seconds: Option<f64> = value.extract()?;
                l.max_data_age_ns = match seconds {
                    Some(s) if s.is_finite() && s > 0.0 => Some((s * 1e9).round() as i64),
                    Some(s) => return Err(invalid_request(format!("max_data_age_s must be > 0 or None, got {s}"))),
                    None => None,
                };
            }
            "stale_data_action" => {
                let text: String = value.extract()?;
                l.stale_data_action = parse_name!(StaleDataAction, "stale_data_action", text.as_str())?;
            }
            "min_cash_reserve" => l.min_cash_reserve = value.extract()?,
            "approval_notional" => l.approval_notional = value.extract()?,
            "allow_market_orders" => l.allow_market_orders = value.extract()?,
            "allowed_products" => {
                l.allowed_products = names(&value, "allowed_products", Product::parse)?.into_iter().collect();
            }
            "allowed_exchanges" => {
                l.allowed_exchanges = names(&value, "allowed_exchanges", Exchange::parse)?.into_iter().collect();
            }
            other => return Err(invalid_request(format!("unknown risk limit '{other}'"))),
        }
    }
    l.validate().map_err(invalid_request)?;
    Ok(l)
}

fn limits_to_dict<'py>(py: Python<'py>, l: &Limits) -> PyResult<Bound<'py, PyDict>> {
    fn members<T: risk::SetMember>(set: &EnumSet<T>) -> Vec<&'static str> {
        set.members().into_iter().map(T::name).collect()
    }
    let d = PyDict::new(py);
    d.set_item("max_order_quantity", l.max_order_quantity)?;
    d.set_item("max_order_notional", l.max_order_notional)?;
    d.set_item("max_position_quantity", l.max_position_quantity)?;
    d.set_item("max_underlying_quantity", l.max_underlying_quantity)?;
    d.set_item("max_open_positions", l.max_open_positions)?;
    d.set_item("max_daily_loss", l.max_daily_loss)?;
    d.set_item("max_drawdown", l.max_drawdown)?;
    d.set_item("max_trades_per_day", l.max_trades_per_day)?;
    d.set_item("max_orders_per_second", l.max_orders_per_second)?;
    d.set_item("max_orders_per_minute", l.max_orders_per_minute)?;
    d.set_item("max_orders_per_day", l.max_orders_per_day)?;
    d.set_item("option_collar_pct", l.option_collar_pct)?;
    d.set_item("option_collar_rupees", l.option_collar_rupees)?;
    d.set_item("option_collar_threshold", l.option_collar_threshold)?;
    d.set_item("future_collar_pct", l.future_collar_pct)?;
    d.set_item("equity_collar_pct", l.equity_collar_pct)?;
    d.set_item("max_data_age_s", l.max_data_age_ns.map(|ns| ns as f64 / 1e9))?;
    d.set_item("stale_data_action", l.stale_data_action.as_str())?;
    d.set_item("min_cash_reserve", l.min_cash_reserve)?;
    d.set_item("approval_notional", l.approval_notional)?;
    d.set_item("allow_market_orders", l.allow_market_orders)?;
    d.set_item("allowed_products", members(&l.allowed_products))?;
    d.set_item("allowed_exchanges", members(&l.allowed_exchanges))?;
    Ok(d)
}

/// The pre-trade risk engine; the public class is `alphastock.risk.RiskEngine`, which subclasses
/// this one to take a pydantic `Limits`.
#[pyclass(name = "RiskEngine", module = "alphastock._core", subclass)]
pub(crate) struct PyRiskEngine {
    inner: risk::RiskEngine,
}

#[pymethods]
impl PyRiskEngine {
    #[new]
    #[pyo3(signature = (limits=None))]
    fn new(limits: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let inner = risk::RiskEngine::new(limits_from_dict(limits)?).map_err(invalid_request)?;
        Ok(PyRiskEngine { inner })
    }

    /// Replaces every limit (given as a dict of overrides of the defaults); the book is kept.
    fn _apply_limits(&mut self, limits: &Bound<'_, PyDict>) -> PyResult<()> {
        self.inner.set_limits(limits_from_dict(Some(limits))?).map_err(invalid_request)
    }

    /// The limits the engine enforces, keyed like `Limits` (seconds for `max_data_age_s`).
    fn core_limits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        limits_to_dict(py, self.inner.limits())
    }

    /// Decides on one intent at `now_ns` (UTC epoch ns; the wall clock when None).
    #[pyo3(signature = (intent, now_ns=None, *, human_approved=false))]
    fn check(
        &mut self,
        intent: &Bound<'_, PyOrderIntent>,
        now_ns: Option<i64>,
        human_approved: bool,
    ) -> PyRiskDecision {
        PyRiskDecision { inner: self.inner.check(&intent.get().inner, now_or_clock(now_ns), human_approved) }
    }

    #[pyo3(signature = (token, side, quantity, price, ts_ns, *, underlying=None, charges=0.0, multiplier=1.0))]
    fn on_fill(
        &mut self,
        token: i64,
        side: &str,
        quantity: i64,
        price: f64,
        ts_ns: i64,
        underlying: Option<&str>,
        charges: f64,
        multiplier: f64,
    ) -> PyResult<()> {
        let side = parse_name!(Side, "side", side)?;
        self.inner
            .on_fill(self::token(token)?, side, quantity, price, ts_ns, underlying, charges, multiplier)
            .map_err(invalid_request)
    }

    fn on_mark(&mut self, token: i64, price: f64, ts_ns: i64) -> PyResult<bool> {
        Ok(self.inner.on_mark(self::token(token)?, price, ts_ns))
    }

    fn on_tick(&mut self, token: i64, ts_ns: i64) -> PyResult<()> {
        self.inner.on_tick(self::token(token)?, ts_ns);
        Ok(())
    }

    fn set_cash(&mut self, available: f64) -> PyResult<()> {
        self.inner.set_cash(available).map_err(invalid_request)
    }

    #[getter]
    fn cash(&self) -> Option<f64> {
        self.inner.cash()
    }

    #[pyo3(signature = (token, lower, upper))]
    fn set_circuit(&mut self, token: i64, lower: Option<f64>, upper: Option<f64>) -> PyResult<()> {
        let circuit = match (lower, upper) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            (None, None) => None,
            _ => return Err(invalid_request("give both circuit limits, or neither to forget them")),
        };
        self.inner.set_circuit(self::token(token)?, circuit).map_err(invalid_request)
    }

    #[getter]
    fn state(&self) -> &'static str {
        self.inner.state().as_str()
    }

    #[getter]
    fn state_reason(&self) -> &str {
        self.inner.state_reason()
    }

    #[pyo3(signature = (state, reason, now_ns=None))]
    fn set_state(&mut self, state: &str, reason: &str, now_ns: Option<i64>) -> PyResult<bool> {
        let to = parse_name!(TradingState, "state", state)?;
        self.inner.set_state(to, reason, now_or_clock(now_ns)).map_err(invalid_request)
    }

    #[pyo3(signature = (reason, now_ns=None))]
    fn kill(&mut self, reason: &str, now_ns: Option<i64>) -> PyResult<bool> {
        self.inner.kill(reason, now_or_clock(now_ns)).map_err(invalid_request)
    }

    #[pyo3(signature = (reason, now_ns=None))]
    fn resume(&mut self, reason: &str, now_ns: Option<i64>) -> PyResult<bool> {
        self.inner.resume(reason, now_or_clock(now_ns)).map_err(invalid_request)
    }

    fn state_history(&self) -> Vec<(i64, &'static str, &'static str, String)> {
        self.inner.history().iter().map(|c| (c.ts_ns, c.from.as_str(), c.to.as_str(), c.reason.clone())).collect()
    }

    #[pyo3(signature = (now_ns=None))]
    fn reset_day(&mut self, now_ns: Option<i64>) {
        self.inner.reset_day(now_or_clock(now_ns));
    }

    fn position(&self, token: i64) -> PyResult<Option<PyRiskPosition>> {
        let token = self::token(token)?;
        let book = self.inner.book();
        Ok(book.get(token).filter(|i| i.qty != 0).map(|i| PyRiskPosition {
            token,
            quantity: i.qty,
            avg_price: i.avg_price,
            mark: i.mark,
            unrealised_pnl: i.unrealised(),
            multiplier: i.multiplier,
            underlying: book.underlying_name(token).map(str::to_owned),
        }))
    }

    /// Open positions, in the order they opened.
    fn positions(&self) -> PyResult<Vec<PyRiskPosition>> {
        let mut out = Vec::new();
        for t in self.inner.book().open_tokens() {
            out.extend(self.position(i64::from(t))?);
        }
        Ok(out)
    }

    fn underlying_quantity(&self, underlying: &str) -> i64 {
        self.inner.book().underlying_gross_by_name(underlying)
    }

    #[getter]
    fn realised_pnl(&self) -> f64 {
        self.inner.book().realised()
    }
    #[getter]
    fn unrealised_pnl(&self) -> f64 {
        self.inner.book().unrealised()
    }
    #[getter]
    fn day_pnl(&self) -> f64 {
        self.inner.book().equity()
    }
    #[getter]
    fn peak_pnl(&self) -> f64 {
        self.inner.book().peak()
    }
    #[getter]
    fn drawdown(&self) -> f64 {
        self.inner.book().drawdown()
    }
    #[getter]
    fn trades_today(&self) -> u32 {
        self.inner.book().trades_today()
    }
    #[getter]
    fn orders_today(&self) -> u32 {
        self.inner.orders_today()
    }
    #[getter]
    fn open_positions(&self) -> usize {
        self.inner.book().open_positions()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    super::risk_types::register(m)?;
    m.add_class::<PyRiskEngine>()?;
    Ok(())
}
