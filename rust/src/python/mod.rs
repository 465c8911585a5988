//! The `alphastock._core` extension module: thin wrappers over the pure Rust modules.
//!
//! Every wrapper takes contiguous numpy arrays, runs the numeric loop (with the
//! GIL released when the batch is large, see `gil`) and returns new numpy arrays. Bad elements become NaN plus a
//! status; only malformed requests (shapes, types, unknown options) raise.

mod append;
mod bars;
mod columns;
mod errors;
mod gil;
mod indicators;
mod options;
mod risk;
mod risk_types;
mod strikes;
mod ticks;

use pyo3::prelude::*;

/// Large result arrays are allocated per call; mimalloc keeps freed pages for reuse, so a
/// batch call does not pay a page fault per 4 KiB of output (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    options::register(m)?;
    strikes::register(m)?;
    indicators::register(m)?;
    append::register(m)?;
    bars::register(m)?;
    risk::register(m)?;
    ticks::register(m)?;
    Ok(())
}
