//! Simple moving average.

use super::window::Window;
use super::{check_period, ParamError};

/// Mean of the last n values; NaN until n values were seen and while a non-finite value is in the window.
#[derive(Clone, Debug)]
pub struct Sma {
    window: Window,
    last: f64,
}

impl Sma {
    pub fn new(n: usize) -> Result<Self, ParamError> {
        Ok(Sma { window: Window::new(check_period(n)?), last: f64::NAN })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        self.window.push(x);
        self.last = if self.window.is_clean_and_full() { self.window.mean() } else { f64::NAN };
        self.last
    }

    pub fn reset(&mut self) {
        self.window.clear();
        self.last = f64::NAN;
    }

    pub fn period(&self) -> usize {
        self.window.period()
    }

    /// The last output (NaN before the first full window).
    pub fn value(&self) -> f64 {
        self.last
    }

    pub fn ready(&self) -> bool {
        !self.last.is_nan()
    }
}

/// [`Sma`] over a slice: one output per input.
pub fn sma(x: &[f64], n: usize) -> Result<Vec<f64>, ParamError> {
    let mut s = Sma::new(n)?;
    Ok(x.iter().map(|&v| s.update(v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testutil::{close, walk};

    #[test]
    fn matches_direct_means_over_a_long_walk() {
        let x = walk(200_000, 20_000.0, 25.0, 7);
        for n in [1, 2, 20, 333] {
            let out = sma(&x, n).unwrap();
            assert!(out[..n - 1].iter().all(|v| v.is_nan()));
            for i in (n - 1..x.len()).step_by(97).chain([x.len() - 1]) {
                let direct: f64 = x[i + 1 - n..=i].iter().sum::<f64>() / n as f64;
                assert!(close(out[i], direct, 1e-13), "n={n} i={i}: {} vs {direct}", out[i]);
            }
        }
    }

    #[test]
    fn nan_blanks_every_window_holding_it() {
        let mut x: Vec<f64> = (0..10).map(f64::from).collect();
        x[4] = f64::NAN;
        let out = sma(&x, 3).unwrap();
        let expected = [f64::NAN, f64::NAN, 1.0, 2.0, f64::NAN, f64::NAN, f64::NAN, 6.0, 7.0, 8.0];
        assert!(crate::indicators::testutil::same(&out, &expected), "{out:?}");
    }

    #[test]
    fn infinities_do_not_poison_the_sum() {
        let out = sma(&[1.0, f64::INFINITY, f64::NEG_INFINITY, 2.0, 4.0], 2).unwrap();
        assert!(out[..4].iter().all(|v| v.is_nan()));
        assert_eq!(out[4], 3.0);
        let huge = sma(&[f64::MAX, f64::MAX, 1.0, 1.0], 2).unwrap();
        assert!(huge[1].is_nan()); // the sum overflows: NaN rather than a wrong number
        assert_eq!(huge[3], 1.0); // and it recovers once the huge values leave
    }

    #[test]
    fn rejects_period_zero() {
        assert_eq!(Sma::new(0).unwrap_err(), ParamError::Period(0));
    }

    #[test]
    fn reset_starts_over() {
        let mut s = Sma::new(2).unwrap();
        s.update(1.0);
        assert_eq!(s.update(3.0), 2.0);
        assert!(s.ready());
        s.reset();
        assert!(!s.ready());
        assert!(s.update(5.0).is_nan());
        assert_eq!(s.update(7.0), 6.0);
    }
}
