//! Rolling maximum and minimum over the last n values (monotonic deque).

use std::collections::VecDeque;

use super::{check_period, ParamError};

/// Keeps the candidates for the window's extreme: values that no later value beats,
/// oldest first, so the front is the extreme and each value is pushed and popped once.
#[derive(Clone, Debug)]
struct MonotonicWindow {
    period: usize,
    seen: u64,
    candidates: VecDeque<(u64, f64)>,
    /// Index of the most recent non-finite input, which blanks every window holding it.
    last_bad: Option<u64>,
    last: f64,
}

impl MonotonicWindow {
    fn new(n: usize) -> Result<Self, ParamError> {
        Ok(MonotonicWindow {
            period: check_period(n)?,
            seen: 0,
            candidates: VecDeque::new(),
            last_bad: None,
            last: f64::NAN,
        })
    }

    /// `beats(a, b)`: a newer value `a` makes an older `b` useless.
    #[inline]
    fn update(&mut self, x: f64, beats: impl Fn(f64, f64) -> bool) -> f64 {
        let i = self.seen;
        self.seen += 1;
        let n = self.period as u64;
        if x.is_finite() {
            while self.candidates.back().is_some_and(|&(_, v)| beats(x, v)) {
                self.candidates.pop_back();
            }
            self.candidates.push_back((i, x));
        } else {
            self.last_bad = Some(i);
        }
        while self.candidates.front().is_some_and(|&(j, _)| j + n <= i) {
            self.candidates.pop_front();
        }
        let warm = self.seen >= n;
        let clean = self.last_bad.is_none_or(|j| j + n <= i);
        self.last = match self.candidates.front() {
            Some(&(_, v)) if warm && clean => v,
            _ => f64::NAN,
        };
        self.last
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.candidates.clear();
        self.last_bad = None;
        self.last = f64::NAN;
    }
}

macro_rules! rolling_extreme {
    ($name:ident, $batch:ident, $beats:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// NaN until n values were seen and for every window holding a non-finite value.
        #[derive(Clone, Debug)]
        pub struct $name(MonotonicWindow);

        impl $name {
            pub fn new(n: usize) -> Result<Self, ParamError> {
                Ok($name(MonotonicWindow::new(n)?))
            }

            #[inline]
            pub fn update(&mut self, x: f64) -> f64 {
                self.0.update(x, $beats)
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

rolling_extreme!(RollingMax, rolling_max, |new: f64, old: f64| new >= old, "Highest of the last n values.");
rolling_extreme!(RollingMin, rolling_min, |new: f64, old: f64| new <= old, "Lowest of the last n values.");

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
