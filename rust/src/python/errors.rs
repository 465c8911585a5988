//! The exception hierarchy, rooted at `AlphaStockError`, and the one place Rust errors become Python ones.

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(_core, AlphaStockError, PyException, "Base class of every error AlphaStock raises on purpose.");

/// A request that cannot be evaluated at all (as opposed to a bad element, which yields NaN).
pub(crate) fn invalid_request(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("AlphaStockError", m.py().get_type::<AlphaStockError>())?;
    Ok(())
}
