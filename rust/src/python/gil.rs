//! When a call releases the GIL.
//!
//! DESIGN §3 asks batch calls to release the GIL for their loops, so that other
//! Python threads run meanwhile. On the engine's live path that is the wrong
//! trade for small batches: once the GIL is released, a thread waiting for it
//! (the broker SDK's sender, the DuckDB writer) takes it, and the engine thread
//! waits up to that thread's switch interval (5 ms by default) to get it back —
//! for a call that took microseconds. So a call releases the GIL only when its
//! work is long enough (around a millisecond or more) that sharing the core is
//! worth that risk; each call site states its threshold in elements.

use pyo3::marker::Ungil;
use pyo3::prelude::*;

/// Options priced, greeks or scores: above this (the rayon threshold) the work is ~0.5 ms or more.
pub(crate) const OPTIONS_MIN: usize = 16_384;
/// Implied vols (~300 ns each): ~1 ms of work.
pub(crate) const IMPLIED_VOL_MIN: usize = 4_096;
/// Ticks, bars or indicator values (tens of ns each): ~1 ms of work.
pub(crate) const ROWS_MIN: usize = 65_536;

/// `f()`, with the GIL released when `elements >= min_elements`.
pub(crate) fn detach_if_large<T, F>(py: Python<'_>, elements: usize, min_elements: usize, f: F) -> T
where
    F: Ungil + FnOnce() -> T,
    T: Ungil,
{
    if elements >= min_elements {
        py.detach(f)
    } else {
        f()
    }
}
