//! Exponential moving average, seeded with the SMA of the first n values.

use super::sum::CompensatedSum;
use super::{check_period, ParamError};

/// EMA with alpha = 2/(n+1): `ema += alpha·(x - ema)`, seeded with the mean of the
/// first n finite inputs (TA-Lib's and backtrader's convention), so the first value
/// comes at index n-1. A non-finite input yields NaN and leaves the state unchanged.
#[derive(Clone, Debug)]
pub struct Ema {
    period: usize,
    alpha: f64,
    seed: CompensatedSum,
    seen: usize,
    ema: f64,
    last: f64,
}

impl Ema {
    pub fn new(n: usize) -> Result<Self, ParamError> {
        let period = check_period(n)?;
        Ok(Ema {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            seed: CompensatedSum::default(),
            seen: 0,
            ema: f64::NAN,
            last: f64::NAN,
        })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            self.last = f64::NAN;
            return self.last;
        }
        if self.seen < self.period {
            self.seed.add(x);
            self.seen += 1;
            if self.seen == self.period {
                self.ema = self.seed.value() / self.period as f64;
            }
        } else {
            self.ema += self.alpha * (x - self.ema);
        }
        self.last = self.ema;
        self.last
    }

    pub fn reset(&mut self) {
        *self = Ema { seed: CompensatedSum::default(), seen: 0, ema: f64::NAN, last: f64::NAN, ..*self };
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// The smoothing factor 2/(n+1).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    pub fn value(&self) -> f64 {
        self.last
    }

    pub fn ready(&self) -> bool {
        !self.last.is_nan()
    }
}

/// [`Ema`] over a slice: one output per input.
pub fn ema(x: &[f64], n: usize) -> Result<Vec<f64>, ParamError> {
    let mut e = Ema::new(n)?;
    Ok(x.iter().map(|&v| e.update(v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testutil::same;

    #[test]
    fn seeded_with_the_first_mean() {
        let out = ema(&[1.0, 2.0, 3.0, 4.0, 10.0], 3).unwrap();
        // seed = 2 at index 2; alpha = 0.5: 2 + 0.5·(4-2) = 3, 3 + 0.5·(10-3) = 6.5
        assert!(same(&out, &[f64::NAN, f64::NAN, 2.0, 3.0, 6.5]), "{out:?}");
    }

    #[test]
    fn period_one_follows_the_input() {
        assert_eq!(ema(&[5.0, 7.0, 1.0], 1).unwrap(), vec![5.0, 7.0, 1.0]);
    }

    #[test]
    fn skips_non_finite_inputs() {
        let out = ema(&[1.0, f64::NAN, 3.0, f64::INFINITY, 5.0], 2).unwrap();
        // seed from 1 and 3 (the NaN is skipped) = 2; then 2 + (2/3)·(5-2) = 4
        assert!(same(&out, &[f64::NAN, f64::NAN, 2.0, f64::NAN, 4.0]), "{out:?}");
    }

    #[test]
    fn reset_keeps_the_period() {
        let mut e = Ema::new(2).unwrap();
        e.update(1.0);
        e.update(3.0);
        e.reset();
        assert!(!e.ready());
        assert!(e.update(4.0).is_nan());
        assert_eq!(e.update(6.0), 5.0);
        assert_eq!(e.period(), 2);
    }
}
