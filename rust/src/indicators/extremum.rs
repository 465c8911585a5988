//! Rolling maximum and minimum over the last n values.
//!
//! Streaming van Herk/Gil-Werman: the input is cut into blocks of n values. The
//! window ending at position p of the current block is the tail of the previous
//! block (positions p+1..n) plus the head of the current one (0..=p), so its extreme
//! is `extreme(suffix[p+1], prefix)`: `suffix` holds the suffix extremes of the
//! previous block, computed once when it completed (n comparisons per n values),
//! and `prefix` is the running extreme of the current block. That is O(1) per value
//! without the data-dependent branches of a monotonic deque, and exact, since an
//! extreme is one of the inputs.

use super::{check_period, ParamError};

/// Most values pre-allocated per buffer: a huge period grows its buffers as data arrives.
const MAX_PREALLOCATED: usize = 4096;

#[derive(Clone, Debug)]
struct BlockWindow {
    period: usize,
    /// The current block's values so far (non-finite ones replaced by the neutral element).
    block: Vec<f64>,
    /// Suffix extremes of the previous block; empty until one block has completed.
    suffix: Vec<f64>,
    /// Extreme of the current block so far.
    prefix: f64,
    /// Values seen, and the position of the most recent non-finite one, which blanks
    /// every window holding it.
    seen: u64,
    last_bad: Option<u64>,
    last: f64,
}

impl BlockWindow {
    fn new(n: usize) -> Result<Self, ParamError> {
        let period = check_period(n)?;
        Ok(BlockWindow {
            period,
            block: Vec::with_capacity(period.min(MAX_PREALLOCATED)),
            suffix: Vec::new(),
            prefix: f64::NAN,
            seen: 0,
            last_bad: None,
            last: f64::NAN,
        })
    }

    /// `pick(a, b)` is the extreme of two finite-or-neutral values; `neutral` loses to every value.
    #[inline]
    fn update(&mut self, x: f64, neutral: f64, pick: impl Fn(f64, f64) -> f64) -> f64 {
        let i = self.seen;
        self.seen += 1;
        let value = if x.is_finite() {
            x
        } else {
            self.last_bad = Some(i);
            neutral
        };
        let position = self.block.len();
        self.prefix = if position == 0 { value } else { pick(self.prefix, value) };
        self.block.push(value);
        let n = self.period;
        let extreme = if position + 1 == n {
            // The block is complete: it is exactly the window. Keep its suffix extremes.
            let extreme = self.prefix;
            self.suffix.clear();
            self.suffix.extend_from_slice(&self.block);
            for j in (0..n - 1).rev() {
                self.suffix[j] = pick(self.suffix[j], self.suffix[j + 1]);
            }
            self.block.clear();
            extreme
        } else if self.suffix.is_empty() {
            f64::NAN // still in the first block: warm-up
        } else {
            pick(self.suffix[position + 1], self.prefix)
        };
        let clean = self.last_bad.is_none_or(|j| j + n as u64 <= i);
        self.last = if clean { extreme } else { f64::NAN };
        self.last
    }

    fn reset(&mut self) {
        self.block.clear();
        self.suffix.clear();
        self.prefix = f64::NAN;
        self.seen = 0;
        self.last_bad = None;
        self.last = f64::NAN;
    }
}

macro_rules! rolling_extreme {
    ($name:ident, $batch:ident, $neutral:expr, $pick:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// NaN until n values were seen and for every window holding a non-finite value.
        #[derive(Clone, Debug)]
        pub struct $name(BlockWindow);

        impl $name {
            pub fn new(n: usize) -> Result<Self, ParamError> {
                Ok($name(BlockWindow::new(n)?))
            }

            #[inline]
            pub fn update(&mut self, x: f64) -> f64 {
                self.0.update(x, $neutral, $pick)
            }

            pub fn reset(&mut self) {
                self.0.reset();
            }

            pub fn period(&self) -> usize {
                self.0.period
            }

            pub fn value(&self) -> f64 {
                self.0.last
            }

            pub fn ready(&self) -> bool {
                !self.0.last.is_nan()
            }
        }

        #[doc = concat!("[`", stringify!($name), "`] over a slice: one output per input.")]
        pub fn $batch(x: &[f64], n: usize) -> Result<Vec<f64>, ParamError> {
            let mut r = $name::new(n)?;
            Ok(x.iter().map(|&v| r.update(v)).collect())
        }
    };
}

rolling_extreme!(RollingMax, rolling_max, f64::NEG_INFINITY, f64::max, "Highest of the last n values.");
rolling_extreme!(RollingMin, rolling_min, f64::INFINITY, f64::min, "Lowest of the last n values.");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testutil::{same, walk};

    #[test]
    fn matches_direct_extremes() {
        let x = walk(20_000, 100.0, 3.0, 5);
        for n in [1, 2, 7, 64, 1000] {
            let hi = rolling_max(&x, n).unwrap();
            let lo = rolling_min(&x, n).unwrap();
            for i in n - 1..x.len() {
                let w = &x[i + 1 - n..=i];
                assert_eq!(hi[i], w.iter().copied().fold(f64::MIN, f64::max));
                assert_eq!(lo[i], w.iter().copied().fold(f64::MAX, f64::min));
            }
            assert!(hi[..n - 1].iter().chain(&lo[..n - 1]).all(|v| v.is_nan()));
        }
    }

    #[test]
    fn non_finite_blanks_its_windows() {
        let x = [1.0, 5.0, f64::INFINITY, 2.0, 3.0, 1.0, f64::NAN];
        let out = rolling_max(&x, 2).unwrap();
        assert!(same(&out, &[f64::NAN, 5.0, f64::NAN, f64::NAN, 3.0, 3.0, f64::NAN]), "{out:?}");
    }

    #[test]
    fn scattered_non_finite_values_match_the_rule() {
        let mut x = walk(5_000, 50.0, 2.0, 9);
        for i in (0..x.len()).step_by(173) {
            x[i] = if i % 2 == 0 { f64::NAN } else { f64::NEG_INFINITY };
        }
        for n in [1, 3, 16, 173, 174] {
            let hi = rolling_max(&x, n).unwrap();
            let lo = rolling_min(&x, n).unwrap();
            for i in 0..x.len() {
                let w = &x[(i + 1).saturating_sub(n)..=i];
                if i + 1 < n || w.iter().any(|v| !v.is_finite()) {
                    assert!(hi[i].is_nan() && lo[i].is_nan(), "n={n} i={i}");
                } else {
                    assert_eq!(hi[i], w.iter().copied().fold(f64::MIN, f64::max));
                    assert_eq!(lo[i], w.iter().copied().fold(f64::MAX, f64::min));
                }
            }
        }
    }

    #[test]
    fn reset_and_period() {
        let mut m = RollingMin::new(2).unwrap();
        m.update(3.0);
        assert_eq!(m.update(4.0), 3.0);
        m.reset();
        assert!(m.update(9.0).is_nan());
        assert_eq!(m.period(), 2);
        assert!(RollingMax::new(0).is_err());
    }
}
