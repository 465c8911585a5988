//! Technical indicators, each an incremental struct plus a batch function over a slice.
//!
//! Every indicator is a small state machine with `update(input) -> output`,
//! `reset()`, `value()` (the last output) and `ready()` (the last output is a
//! number). The batch functions simply run a fresh struct over the slice, so
//! batch output and a stream of `update` calls agree bit for bit, and the
//! output is aligned with the input: one value per input, NaN during warm-up.
//!
//! Definitions (the conventions TA-Lib and backtrader use):
//!
//! | indicator | first value at index | definition |
//! | --- | --- | --- |
//! | [`Sma`] | n-1 | mean of the last n values |
//! | [`Ema`] | n-1 | alpha = 2/(n+1), seeded with the SMA of the first n values |
//! | [`Rsi`] | n | Wilder: first averages are simple means of the first n changes, then `avg = (avg·(n-1) + x)/n`; `100·avg_gain/(avg_gain+avg_loss)`, 50 when both are 0 |
//! | [`Atr`] | n | Wilder on true range; first value = mean of TR[1..=n] (bar 0 only supplies a previous close), as TA-Lib |
//! | [`Bollinger`] | n-1 | middle = SMA(n), upper/lower = middle ± k·population std (ddof = 0) |
//! | [`Vwap`] | first bar with volume | Σ price·volume / Σ volume since the session id last changed |
//! | [`RollingMax`], [`RollingMin`] | n-1 | extreme of the last n values (streaming van Herk/Gil-Werman blocks, O(1) amortised) |
//!
//! Non-finite inputs (NaN, ±inf) never panic and never poison the state forever:
//! * windowed indicators (SMA, Bollinger, rolling max/min) output NaN for every
//!   window that contains a non-finite value, and recover once it leaves the window;
//! * recursive indicators (EMA, RSI, ATR, VWAP) skip the bad input: its output is
//!   NaN and the state is left as it was, so the next good input continues from the
//!   last good one (for RSI, the next change is measured from the last finite close).
//!
//! Numerics: rolling sums use Neumaier-compensated (TwoSum) accumulators, so an
//! SMA over millions of values does not drift; the Bollinger variance is kept as
//! compensated sums of deviations from a shift near the window mean and is
//! recomputed from the window whenever the shift has gone stale (see `bollinger.rs`).

mod atr;
mod bollinger;
mod ema;
mod extremum;
mod rsi;
mod sma;
mod sum;
mod vwap;
mod window;

use std::fmt;

pub use atr::{atr, Atr};
pub use bollinger::{bollinger, BandSeries, Bands, Bollinger};
pub use ema::{ema, Ema};
pub use extremum::{rolling_max, rolling_min, RollingMax, RollingMin};
pub use rsi::{rsi, Rsi};
pub use sma::{sma, Sma};
pub use vwap::{vwap, Vwap};

/// An indicator was asked for a period below 1 (or a Bollinger width that is not a finite k ≥ 0).
#[derive(Clone, Debug, PartialEq)]
pub enum ParamError {
    /// The period n must be at least 1.
    Period(usize),
    /// Bollinger's k must be finite and non-negative.
    Width(f64),
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Period(n) => write!(f, "period n must be at least 1, got {n}"),
            ParamError::Width(k) => write!(f, "Bollinger k must be a finite number >= 0, got {k}"),
        }
    }
}

impl std::error::Error for ParamError {}

pub(crate) fn check_period(n: usize) -> Result<usize, ParamError> {
    if n == 0 {
        Err(ParamError::Period(n))
    } else {
        Ok(n)
    }
}

/// Inputs of different lengths passed to a multi-input batch function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LengthError(pub String);

impl fmt::Display for LengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LengthError {}

/// Error of a batch function: a bad parameter or mismatched input lengths.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchError {
    Param(ParamError),
    Length(LengthError),
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Param(e) => e.fmt(f),
            BatchError::Length(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BatchError {}

impl From<ParamError> for BatchError {
    fn from(e: ParamError) -> Self {
        BatchError::Param(e)
    }
}

pub(crate) fn check_lengths(names: &[(&str, usize)]) -> Result<usize, BatchError> {
    let first = names.first().map_or(0, |(_, n)| *n);
    if names.iter().all(|(_, n)| *n == first) {
        Ok(first)
    } else {
        let shapes: Vec<String> = names.iter().map(|(a, n)| format!("{a}[{n}]")).collect();
        Err(BatchError::Length(LengthError(format!("inputs must have equal lengths, got {}", shapes.join(", ")))))
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    /// A deterministic pseudo-random walk (xorshift), positive, around `level`.
    pub(crate) fn walk(len: usize, level: f64, step: f64, seed: u64) -> Vec<f64> {
        let mut state = seed.max(1);
        let mut x = level;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                x = (x + step * u).abs().max(step);
                x
            })
            .collect()
    }

    /// Bitwise equality that treats NaN == NaN.
    pub(crate) fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    pub(crate) fn close(a: f64, b: f64, rel: f64) -> bool {
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }
}
