//! Python wrapper for `crate::bars::BarAggregator`: numpy tick columns in, columnar bar dicts out.

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::columns::slice;
use super::errors::invalid_request;
use super::gil::{self, detach_if_large};
use crate::bars::{self, BarAggregator, Bars, Config, Interval, Session, VolumeMode};

fn bars_dict(py: Python<'_>, bars: Bars) -> PyResult<Bound<'_, PyDict>> {
    let dict = PyDict::new(py);
    // Tick counts leave as int64: uint64 mixed with int64 in numpy arithmetic silently becomes float64.
    let ticks: Vec<i64> = bars.ticks.iter().map(|&t| i64::try_from(t).unwrap_or(i64::MAX)).collect();
    dict.set_item("token", bars.token.into_pyarray(py))?;
    dict.set_item("start_ns", bars.start_ns.into_pyarray(py))?;
    dict.set_item("open", bars.open.into_pyarray(py))?;
    dict.set_item("high", bars.high.into_pyarray(py))?;
    dict.set_item("low", bars.low.into_pyarray(py))?;
    dict.set_item("close", bars.close.into_pyarray(py))?;
    dict.set_item("volume", bars.volume.into_pyarray(py))?;
    dict.set_item("ticks", ticks.into_pyarray(py))?;
    Ok(dict)
}

/// Tick-to-bar aggregation over the IST session; see `alphastock.bars.BarAggregator`.
#[pyclass(name = "BarAggregator", module = "alphastock._core")]
pub(crate) struct PyBarAggregator(BarAggregator);

#[pymethods]
impl PyBarAggregator {
    /// `interval_ns` None means day bars; session bounds are ns after 00:00 IST.
    #[new]
    #[pyo3(signature = (interval_ns, session_start_ns, session_end_ns, *, cumulative_volume, fill_gaps, allow_nonpositive_prices))]
    fn new(
        interval_ns: Option<i64>,
        session_start_ns: i64,
        session_end_ns: i64,
        cumulative_volume: bool,
        fill_gaps: bool,
        allow_nonpositive_prices: bool,
    ) -> PyResult<Self> {
        let err = |e: bars::ConfigError| invalid_request(e.0);
        let interval = match interval_ns {
            None => Interval::Day,
            Some(ns) => Interval::intraday(ns).map_err(err)?,
        };
        let config = Config {
            interval,
            session: Session::new(session_start_ns, session_end_ns).map_err(err)?,
            volume: if cumulative_volume { VolumeMode::Cumulative } else { VolumeMode::Quantity },
            fill_gaps,
            allow_nonpositive_prices,
        };
        Ok(PyBarAggregator(BarAggregator::new(config).map_err(err)?))
    }

    /// Feed ticks in arrival order; returns the bars they closed.
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        token: PyReadonlyArray1<'py, i64>,
        ts_ns: PyReadonlyArray1<'py, i64>,
        price: PyReadonlyArray1<'py, f64>,
        volume: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (t, ts, p, v) =
            (slice(&token, "token")?, slice(&ts_ns, "ts_ns")?, slice(&price, "price")?, slice(&volume, "volume")?);
        let inner = &mut self.0;
        let out = detach_if_large(py, t.len(), gil::ROWS_MIN, || {
            let mut out = Bars::default();
            inner.update(t, ts, p, v, &mut out).map(|()| out)
        })
        .map_err(|e| invalid_request(e.0))?;
        bars_dict(py, out)
    }

    /// Emit every bar whose interval ended at or before `now_ns`.
    fn flush<'py>(&mut self, py: Python<'py>, now_ns: i64) -> PyResult<Bound<'py, PyDict>> {
        let mut out = Bars::default();
        self.0.flush(now_ns, &mut out);
        bars_dict(py, out)
    }

    /// Emit every open bar.
    fn flush_all<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut out = Bars::default();
        self.0.flush_all(&mut out);
        bars_dict(py, out)
    }

    /// The bars still forming (not closed, not removed).
    fn open_bars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut out = Bars::default();
        self.0.open_bars(&mut out);
        bars_dict(py, out)
    }

    /// Tick counts: accepted, off_session, late, invalid, volume_resets.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        let c = self.0.counters();
        vec![
            ("accepted", c.accepted),
            ("off_session", c.off_session),
            ("late", c.late),
            ("invalid", c.invalid),
            ("volume_resets", c.volume_resets),
        ]
    }

    /// Forget every token and zero the counters.
    fn reset(&mut self) {
        self.0.reset();
    }

    /// Tokens seen so far.
    #[getter]
    fn token_count(&self) -> usize {
        self.0.token_count()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBarAggregator>()?;
    Ok(())
}
