//! The exception hierarchy, rooted at `AlphaStockError`, and the one place Rust errors become Python ones.

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::ticks::FrameError;

pyo3::create_exception!(_core, AlphaStockError, PyException, "Base class of every error AlphaStock raises on purpose.");

/// A request that cannot be evaluated at all (as opposed to a bad element, which yields NaN).
pub(crate) fn invalid_request(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

const FRAME_ERROR_DOC: &str = "A Kite binary frame is malformed (truncated, a packet past the end, an unknown \
packet size, trailing bytes). `offset` is the byte offset in the frame where the bad packet's 2-byte length \
field starts (for trailing bytes: the first byte after the last declared packet).";

/// `FrameError(AlphaStockError, ValueError)`: built with `type()` because an exception class made by
/// `create_exception!` can have only one base, and a malformed frame is also a bad value.
static FRAME_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn frame_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    let ty = FRAME_ERROR.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(py, [py.get_type::<AlphaStockError>(), py.get_type::<PyValueError>()])?;
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "alphastock._core")?;
        namespace.set_item("__doc__", FRAME_ERROR_DOC)?;
        namespace.set_item("offset", py.None())?;
        let ty = py.get_type::<PyType>().call1(("FrameError", bases, namespace))?;
        Ok(ty.cast_into::<PyType>()?.unbind())
    })?;
    Ok(ty.bind(py))
}

/// `FrameError` with the decoder's message and its byte offset as the `offset` attribute.
pub(crate) fn frame_error(py: Python<'_>, error: &FrameError) -> PyErr {
    let raise = || -> PyResult<PyErr> {
        let value = frame_error_type(py)?.call1((error.to_string(),))?;
        value.setattr("offset", error.offset)?;
        Ok(PyErr::from_value(value))
    };
    raise().unwrap_or_else(|e| e)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("AlphaStockError", m.py().get_type::<AlphaStockError>())?;
    m.add("FrameError", frame_error_type(m.py())?)?;
    Ok(())
}
