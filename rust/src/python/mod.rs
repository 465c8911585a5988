//! The `alphastock._core` extension module: thin wrappers over the pure Rust modules.
//!
//! Every wrapper takes contiguous numpy arrays, releases the GIL for the
//! numeric loop and returns new numpy arrays. Bad elements become NaN plus a
//! status; only malformed requests (shapes, types, unknown options) raise.

mod columns;
mod errors;
mod options;
mod strikes;
mod ticks;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    options::register(m)?;
    strikes::register(m)?;
    ticks::register(m)?;
    Ok(())
}
