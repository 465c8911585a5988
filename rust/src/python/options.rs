//! Python wrappers for `crate::options`: price, greeks, implied vol, implied forward, threads.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::columns::read_columns;
use super::errors::invalid_request;
use super::gil::{self, detach_if_large};
use crate::options::{self, Contract, ContractColumns, IvStatus, Model};
use crate::parallel;

fn model_from_code(code: u8) -> PyResult<Model> {
    Model::from_code(code).ok_or_else(|| invalid_request(format!("unknown model code {code}: 0 = bsm, 1 = black76")))
}

type F64Array<'py> = Bound<'py, PyArray1<f64>>;

/// Present value of European options; arrays have length n or 1.
#[pyfunction]
#[pyo3(name = "price", signature = (is_call, s, k, t, r, sigma, q, model))]
#[allow(clippy::too_many_arguments)]
fn py_price<'py>(
    py: Python<'py>,
    is_call: PyReadonlyArray1<'py, bool>,
    s: PyReadonlyArray1<'py, f64>,
    k: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    r: PyReadonlyArray1<'py, f64>,
    sigma: PyReadonlyArray1<'py, f64>,
    q: PyReadonlyArray1<'py, f64>,
    model: u8,
) -> PyResult<F64Array<'py>> {
    let model = model_from_code(model)?;
    read_columns!(rows; is_call, s, k, t, r, sigma, q);
    let out = detach_if_large(py, rows, gil::OPTIONS_MIN, || {
        let mut out = vec![0.0; rows];
        parallel::fill(out.as_mut_slice(), |i| {
            let c =
                Contract { is_call: is_call.at(i), s: s.at(i), k: k.at(i), t: t.at(i), r: r.at(i), q: q.at(i), model };
            options::price(&c, sigma.at(i))
        });
        out
    });
    Ok(out.into_pyarray(py))
}

/// Price, delta, gamma, theta (per day), vega and rho (per 1%) as six arrays.
#[pyfunction]
#[pyo3(name = "greeks", signature = (is_call, s, k, t, r, sigma, q, model))]
#[allow(clippy::too_many_arguments)]
#[allow(clippy::type_complexity)]
fn py_greeks<'py>(
    py: Python<'py>,
    is_call: PyReadonlyArray1<'py, bool>,
    s: PyReadonlyArray1<'py, f64>,
    k: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    r: PyReadonlyArray1<'py, f64>,
    sigma: PyReadonlyArray1<'py, f64>,
    q: PyReadonlyArray1<'py, f64>,
    model: u8,
) -> PyResult<(F64Array<'py>, F64Array<'py>, F64Array<'py>, F64Array<'py>, F64Array<'py>, F64Array<'py>)> {
    let model = model_from_code(model)?;
    read_columns!(rows; is_call, s, k, t, r, sigma, q);
    let columns = ContractColumns { is_call, s, k, t, r, q, model };
    let [p, d, g, th, v, rh] = detach_if_large(py, rows, gil::OPTIONS_MIN, || {
        let mut columns_out: [Vec<f64>; 6] = std::array::from_fn(|_| vec![0.0; rows]);
        let [p, d, g, th, v, rh] = &mut columns_out;
        options::greeks_batch(&columns, &sigma, [p.as_mut_slice(), d, g, th, v, rh]);
        columns_out
    });
    Ok((
        p.into_pyarray(py),
        d.into_pyarray(py),
        g.into_pyarray(py),
        th.into_pyarray(py),
        v.into_pyarray(py),
        rh.into_pyarray(py),
    ))
}

/// Implied volatility and an int8 status per option (see `IV_STATUS`).
#[pyfunction]
#[pyo3(name = "implied_vol", signature = (price, is_call, s, k, t, r, q, model))]
#[allow(clippy::too_many_arguments)]
fn py_implied_vol<'py>(
    py: Python<'py>,
    price: PyReadonlyArray1<'py, f64>,
    is_call: PyReadonlyArray1<'py, bool>,
    s: PyReadonlyArray1<'py, f64>,
    k: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    r: PyReadonlyArray1<'py, f64>,
    q: PyReadonlyArray1<'py, f64>,
    model: u8,
) -> PyResult<(F64Array<'py>, Bound<'py, PyArray1<i8>>)> {
    let model = model_from_code(model)?;
    read_columns!(rows; price, is_call, s, k, t, r, q);
    let columns = ContractColumns { is_call, s, k, t, r, q, model };
    let (vols, status) = detach_if_large(py, rows, gil::IMPLIED_VOL_MIN, || {
        let mut vols = vec![0.0; rows];
        let mut status = vec![0i8; rows];
        options::implied_vol_batch(&columns, &price, (vols.as_mut_slice(), status.as_mut_slice()));
        (vols, status)
    });
    Ok((vols.into_pyarray(py), status.into_pyarray(py)))
}

/// Forward implied by put-call parity (median over the `n_strikes` nearest the money).
#[pyfunction]
#[pyo3(name = "implied_forward", signature = (call_prices, put_prices, strikes, t, r, n_strikes))]
fn py_implied_forward(
    call_prices: PyReadonlyArray1<'_, f64>,
    put_prices: PyReadonlyArray1<'_, f64>,
    strikes: PyReadonlyArray1<'_, f64>,
    t: f64,
    r: f64,
    n_strikes: usize,
) -> PyResult<f64> {
    let calls = super::columns::slice(&call_prices, "call_prices")?;
    let puts = super::columns::slice(&put_prices, "put_prices")?;
    let ks = super::columns::slice(&strikes, "strikes")?;
    if calls.len() != puts.len() || calls.len() != ks.len() {
        return Err(invalid_request(format!(
            "call_prices, put_prices and strikes must have equal lengths, got {}, {}, {}",
            calls.len(),
            puts.len(),
            ks.len()
        )));
    }
    Ok(options::implied_forward(calls, puts, ks, t, r, n_strikes))
}

/// Threads used for large batches; 0 restores the default (RAYON_NUM_THREADS or the core count).
#[pyfunction]
fn set_num_threads(n: usize) -> PyResult<()> {
    parallel::set_num_threads(n).map_err(super::errors::AlphaStockError::new_err)
}

/// Threads large batches currently run on.
#[pyfunction]
fn get_num_threads() -> usize {
    parallel::num_threads()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(py_price, m)?)?;
    m.add_function(wrap_pyfunction!(py_greeks, m)?)?;
    m.add_function(wrap_pyfunction!(py_implied_vol, m)?)?;
    m.add_function(wrap_pyfunction!(py_implied_forward, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    let statuses = [
        IvStatus::Ok,
        IvStatus::BelowIntrinsic,
        IvStatus::AboveMaximum,
        IvStatus::NonPositiveExpiry,
        IvStatus::NonFiniteInput,
        IvStatus::InvalidInput,
        IvStatus::SolverFailed,
    ];
    let table: Vec<(i8, String)> = statuses.iter().map(|s| (*s as i8, format!("{s:?}"))).collect();
    m.add("IV_STATUS", table)?;
    m.add("PARALLEL_THRESHOLD", parallel::PARALLEL_THRESHOLD)?;
    Ok(())
}
