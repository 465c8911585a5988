//! Python wrappers for `crate::indicators`: batch functions and the incremental classes.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::columns::slice;
use super::errors::invalid_request;
use super::gil::{self, detach_if_large};
use crate::indicators::{self as ind, BandSeries};

type F64Array<'py> = Bound<'py, PyArray1<f64>>;
type BandArrays<'py> = (F64Array<'py>, F64Array<'py>, F64Array<'py>);

/// A period from Python: an int ≥ 1, or ValueError.
fn period(n: i64) -> PyResult<usize> {
    usize::try_from(n)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| invalid_request(format!("period n must be >= 1, got {n}")))
}

fn value_error(e: impl std::fmt::Display) -> PyErr {
    invalid_request(e.to_string())
}

fn equal_lengths(names: &[(&str, usize)]) -> PyResult<()> {
    let first = names[0].1;
    if names.iter().all(|(_, n)| *n == first) {
        return Ok(());
    }
    let shapes: Vec<String> = names.iter().map(|(a, n)| format!("{a}[{n}]")).collect();
    Err(invalid_request(format!("inputs must have equal lengths, got {}", shapes.join(", "))))
}

fn band_arrays(py: Python<'_>, bands: BandSeries) -> BandArrays<'_> {
    (bands.middle.into_pyarray(py), bands.upper.into_pyarray(py), bands.lower.into_pyarray(py))
}

macro_rules! single_input {
    ($wrapper:ident, $inner:ty, $name:literal, $batch:ident, $batch_name:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(name = $name, module = "alphastock._core")]
        pub(crate) struct $wrapper($inner);

        #[pymethods]
        impl $wrapper {
            #[new]
            fn new(n: i64) -> PyResult<Self> {
                Ok($wrapper(<$inner>::new(period(n)?).map_err(value_error)?))
            }

            /// Feed one value; returns the new output (NaN during warm-up).
            fn update(&mut self, x: f64) -> f64 {
                self.0.update(x)
            }

            /// Feed an array in order, continuing the state; returns one output per value.
            fn update_many<'py>(&mut self, py: Python<'py>, x: PyReadonlyArray1<'py, f64>) -> PyResult<F64Array<'py>> {
                let values = slice(&x, "x")?;
                let inner = &mut self.0;
                let out: Vec<f64> = detach_if_large(py, values.len(), gil::ROWS_MIN, || {
                    values.iter().map(|&v| inner.update(v)).collect()
                });
                Ok(out.into_pyarray(py))
            }

            /// Forget every value seen; the period is kept.
            fn reset(&mut self) {
                self.0.reset();
            }

            /// The last output (NaN before the first update and during warm-up).
            #[getter]
            fn value(&self) -> f64 {
                self.0.value()
            }

            /// True when `value` is a number.
            #[getter]
            fn ready(&self) -> bool {
                self.0.ready()
            }

            #[getter]
            fn period(&self) -> usize {
                self.0.period()
            }

            fn __repr__(&self) -> String {
                format!("{}({}, value={})", $name, self.0.period(), self.0.value())
            }
        }

        #[pyfunction]
        #[pyo3(name = $batch_name)]
        fn $batch<'py>(py: Python<'py>, x: PyReadonlyArray1<'py, f64>, n: i64) -> PyResult<F64Array<'py>> {
            let n = period(n)?;
            let values = slice(&x, "x")?;
            let out =
                detach_if_large(py, values.len(), gil::ROWS_MIN, || ind::$batch(values, n)).map_err(value_error)?;
            Ok(out.into_pyarray(py))
        }
    };
}

single_input!(PySma, ind::Sma, "Sma", sma, "sma", "Simple moving average of the last n values.");
single_input!(PyEma, ind::Ema, "Ema", ema, "ema", "EMA, alpha = 2/(n+1), seeded with the SMA of the first n values.");
single_input!(PyRsi, ind::Rsi, "Rsi", rsi, "rsi", "Wilder's RSI in [0, 100]; first value after n changes.");
single_input!(PyRollingMax, ind::RollingMax, "RollingMax", rolling_max, "rolling_max", "Highest of the last n values.");
single_input!(PyRollingMin, ind::RollingMin, "RollingMin", rolling_min, "rolling_min", "Lowest of the last n values.");

/// Wilder's average true range over (high, low, close) bars.
#[pyclass(name = "Atr", module = "alphastock._core")]
pub(crate) struct PyAtr(ind::Atr);

#[pymethods]
impl PyAtr {
    #[new]
    fn new(n: i64) -> PyResult<Self> {
        Ok(PyAtr(ind::Atr::new(period(n)?).map_err(value_error)?))
    }

    /// Feed one bar; returns the new ATR (NaN during warm-up).
    fn update(&mut self, high: f64, low: f64, close: f64) -> f64 {
        self.0.update(high, low, close)
    }

    /// Feed bars in order, continuing the state; returns one output per bar.
    fn update_many<'py>(
        &mut self,
        py: Python<'py>,
        high: PyReadonlyArray1<'py, f64>,
        low: PyReadonlyArray1<'py, f64>,
        close: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<F64Array<'py>> {
        let (h, l, c) = (slice(&high, "high")?, slice(&low, "low")?, slice(&close, "close")?);
        equal_lengths(&[("high", h.len()), ("low", l.len()), ("close", c.len())])?;
        let inner = &mut self.0;
        let out: Vec<f64> = detach_if_large(py, h.len(), gil::ROWS_MIN, || {
            h.iter().zip(l).zip(c).map(|((&h, &l), &c)| inner.update(h, l, c)).collect()
        });
        Ok(out.into_pyarray(py))
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    #[getter]
    fn value(&self) -> f64 {
        self.0.value()
    }

    #[getter]
    fn ready(&self) -> bool {
        self.0.ready()
    }

    #[getter]
    fn period(&self) -> usize {
        self.0.period()
    }

    fn __repr__(&self) -> String {
        format!("Atr({}, value={})", self.0.period(), self.0.value())
    }
}

/// Bollinger bands: SMA(n) ± k population standard deviations.
#[pyclass(name = "Bollinger", module = "alphastock._core")]
pub(crate) struct PyBollinger(ind::Bollinger);

#[pymethods]
impl PyBollinger {
    #[new]
    #[pyo3(signature = (n, k = 2.0))]
    fn new(n: i64, k: f64) -> PyResult<Self> {
        Ok(PyBollinger(ind::Bollinger::new(period(n)?, k).map_err(value_error)?))
    }

    /// Feed one value; returns (middle, upper, lower), NaN during warm-up.
    fn update(&mut self, x: f64) -> (f64, f64, f64) {
        let b = self.0.update(x);
        (b.middle, b.upper, b.lower)
    }

    /// Feed an array in order, continuing the state; returns (middle, upper, lower) arrays.
    fn update_many<'py>(&mut self, py: Python<'py>, x: PyReadonlyArray1<'py, f64>) -> PyResult<BandArrays<'py>> {
        let values = slice(&x, "x")?;
        let inner = &mut self.0;
        let bands = detach_if_large(py, values.len(), gil::ROWS_MIN, || inner.update_slice(values));
        Ok(band_arrays(py, bands))
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    #[getter]
    fn value(&self) -> (f64, f64, f64) {
        let b = self.0.value();
        (b.middle, b.upper, b.lower)
    }

    #[getter]
    fn ready(&self) -> bool {
        self.0.ready()
    }

    #[getter]
    fn period(&self) -> usize {
        self.0.period()
    }

    #[getter]
    fn k(&self) -> f64 {
        self.0.k()
    }

    fn __repr__(&self) -> String {
        let b = self.0.value();
        format!("Bollinger({}, k={}, value=({}, {}, {}))", self.0.period(), self.0.k(), b.middle, b.upper, b.lower)
    }
}

/// Session VWAP: Σ price·volume / Σ volume, restarted whenever the session id changes.
#[pyclass(name = "Vwap", module = "alphastock._core")]
pub(crate) struct PyVwap(ind::Vwap);

#[pymethods]
impl PyVwap {
    #[new]
    fn new() -> Self {
        PyVwap(ind::Vwap::new())
    }

    /// Feed one trade or bar; returns the session VWAP so far (NaN until volume > 0).
    fn update(&mut self, price: f64, volume: f64, session_id: i64) -> f64 {
        self.0.update(price, volume, session_id)
    }

    /// Feed arrays in order, continuing the state; returns one output per element.
    fn update_many<'py>(
        &mut self,
        py: Python<'py>,
        price: PyReadonlyArray1<'py, f64>,
        volume: PyReadonlyArray1<'py, f64>,
        session_id: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<F64Array<'py>> {
        let (p, v, s) = (slice(&price, "price")?, slice(&volume, "volume")?, slice(&session_id, "session_id")?);
        equal_lengths(&[("price", p.len()), ("volume", v.len()), ("session_id", s.len())])?;
        let inner = &mut self.0;
        let out: Vec<f64> = detach_if_large(py, p.len(), gil::ROWS_MIN, || {
            p.iter().zip(v).zip(s).map(|((&p, &v), &s)| inner.update(p, v, s)).collect()
        });
        Ok(out.into_pyarray(py))
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    #[getter]
    fn value(&self) -> f64 {
        self.0.value()
    }

    #[getter]
    fn ready(&self) -> bool {
        self.0.ready()
    }

    /// Session id of the last update, or None before the first.
    #[getter]
    fn session_id(&self) -> Option<i64> {
        self.0.session()
    }

    fn __repr__(&self) -> String {
        format!("Vwap(value={})", self.0.value())
    }
}

/// Average true range over bars, aligned with the input; NaN for the first n bars.
#[pyfunction]
#[pyo3(name = "atr")]
fn py_atr<'py>(
    py: Python<'py>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    n: i64,
) -> PyResult<F64Array<'py>> {
    let n = period(n)?;
    let (h, l, c) = (slice(&high, "high")?, slice(&low, "low")?, slice(&close, "close")?);
    let out = detach_if_large(py, h.len(), gil::ROWS_MIN, || ind::atr(h, l, c, n)).map_err(value_error)?;
    Ok(out.into_pyarray(py))
}

/// Bollinger bands (middle, upper, lower), aligned with the input; NaN for the first n-1 values.
#[pyfunction]
#[pyo3(name = "bollinger", signature = (x, n, k = 2.0))]
fn py_bollinger<'py>(py: Python<'py>, x: PyReadonlyArray1<'py, f64>, n: i64, k: f64) -> PyResult<BandArrays<'py>> {
    let n = period(n)?;
    let values = slice(&x, "x")?;
    let bands =
        detach_if_large(py, values.len(), gil::ROWS_MIN, || ind::bollinger(values, n, k)).map_err(value_error)?;
    Ok(band_arrays(py, bands))
}

/// Session VWAP, aligned with the input.
#[pyfunction]
#[pyo3(name = "vwap")]
fn py_vwap<'py>(
    py: Python<'py>,
    price: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    session_id: PyReadonlyArray1<'py, i64>,
) -> PyResult<F64Array<'py>> {
    let (p, v, s) = (slice(&price, "price")?, slice(&volume, "volume")?, slice(&session_id, "session_id")?);
    let out = detach_if_large(py, p.len(), gil::ROWS_MIN, || ind::vwap(p, v, s)).map_err(value_error)?;
    Ok(out.into_pyarray(py))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySma>()?;
    m.add_class::<PyEma>()?;
    m.add_class::<PyRsi>()?;
    m.add_class::<PyRollingMax>()?;
    m.add_class::<PyRollingMin>()?;
    m.add_class::<PyAtr>()?;
    m.add_class::<PyBollinger>()?;
    m.add_class::<PyVwap>()?;
    m.add_function(wrap_pyfunction!(sma, m)?)?;
    m.add_function(wrap_pyfunction!(ema, m)?)?;
    m.add_function(wrap_pyfunction!(rsi, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_max, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_min, m)?)?;
    m.add_function(wrap_pyfunction!(py_atr, m)?)?;
    m.add_function(wrap_pyfunction!(py_bollinger, m)?)?;
    m.add_function(wrap_pyfunction!(py_vwap, m)?)?;
    Ok(())
}
