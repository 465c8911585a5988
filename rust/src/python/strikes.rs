//! Python wrapper for `crate::strikes::score_strikes`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::columns::slice;
use super::errors::invalid_request;
use super::gil::{self, detach_if_large};
use crate::strikes::{self, Candidates, StrikeFilters, StrikeWeights};

/// Scores per candidate (NaN where filtered out) and the best row, or None.
#[pyfunction]
#[pyo3(signature = (
    strike, is_call, ltp, bid, ask, volume, oi, delta, iv, underlying, *,
    w_liquidity, w_delta, w_iv, w_moneyness, w_spread,
    min_volume, min_oi, max_spread_pct, atm_window, option_type, target_delta
))]
#[allow(clippy::too_many_arguments)]
fn score_strikes<'py>(
    py: Python<'py>,
    strike: PyReadonlyArray1<'py, f64>,
    is_call: PyReadonlyArray1<'py, bool>,
    ltp: PyReadonlyArray1<'py, f64>,
    bid: PyReadonlyArray1<'py, f64>,
    ask: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    oi: PyReadonlyArray1<'py, f64>,
    delta: PyReadonlyArray1<'py, f64>,
    iv: PyReadonlyArray1<'py, f64>,
    underlying: f64,
    w_liquidity: f64,
    w_delta: f64,
    w_iv: f64,
    w_moneyness: f64,
    w_spread: f64,
    min_volume: f64,
    min_oi: f64,
    max_spread_pct: f64,
    atm_window: Option<usize>,
    option_type: Option<bool>,
    target_delta: f64,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Option<usize>)> {
    let candidates = Candidates {
        strike: slice(&strike, "strike")?,
        is_call: slice(&is_call, "option_type")?,
        ltp: slice(&ltp, "ltp")?,
        bid: slice(&bid, "bid")?,
        ask: slice(&ask, "ask")?,
        volume: slice(&volume, "volume")?,
        oi: slice(&oi, "oi")?,
        delta: slice(&delta, "delta")?,
        iv: slice(&iv, "iv")?,
    };
    let weights =
        StrikeWeights { liquidity: w_liquidity, delta: w_delta, iv: w_iv, moneyness: w_moneyness, spread: w_spread };
    let filters = StrikeFilters { min_volume, min_oi, max_spread_pct, atm_window, option_type, target_delta };
    let result = detach_if_large(py, candidates.strike.len(), gil::OPTIONS_MIN, || {
        strikes::score_strikes(&candidates, underlying, &weights, &filters)
    })
    .map_err(|e| invalid_request(e.to_string()))?;
    Ok((result.scores.into_pyarray(py), result.best))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(score_strikes, m)?)?;
    Ok(())
}
