//! AlphaStock's Rust core.
//!
//! The numeric modules are plain Rust with no interpreter dependency, so
//! `cargo test --no-default-features` exercises them directly. The only PyO3
//! code lives in `python/`, compiled with the default `python` feature.

pub mod append;
pub mod bars;
pub mod columns;
pub mod indicators;
pub mod options;
pub mod parallel;
pub mod risk;
pub mod simd;
pub mod strikes;
pub mod ticks;

#[cfg(feature = "python")]
mod python;
