//! Wilder's average true range.

use super::{check_lengths, check_period, BatchError, ParamError};

/// ATR with TA-Lib's convention: TR[i] = max(h-l, |h-c[i-1]|, |l-c[i-1]|) from the
/// second bar on (the first bar only supplies a previous close, so TA-Lib's
/// "TR[0] = h-l" is never used); the first ATR, at index n, is the mean of
/// TR[1..=n], then `atr = (atr·(n-1) + TR)/n`. A bar with a non-finite high, low or
/// close yields NaN and is skipped (the previous close stays the last good one).
#[derive(Clone, Debug)]
pub struct Atr {
    period: usize,
    previous_close: f64,
    ranges: usize,
    atr: f64,
    last: f64,
}

impl Atr {
    pub fn new(n: usize) -> Result<Self, ParamError> {
        Ok(Atr { period: check_period(n)?, previous_close: f64::NAN, ranges: 0, atr: 0.0, last: f64::NAN })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> f64 {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) {
            self.last = f64::NAN;
            return self.last;
        }
        let previous = self.previous_close;
        self.previous_close = close;
        if previous.is_nan() {
            self.last = f64::NAN;
            return self.last;
        }
        let true_range = (high - low).max((high - previous).abs()).max((low - previous).abs());
        let n = self.period as f64;
        if self.ranges < self.period {
            self.atr += true_range; // a running sum until n ranges were seen
            self.ranges += 1;
            if self.ranges < self.period {
                self.last = f64::NAN;
                return self.last;
            }
            self.atr /= n;
        } else {
            self.atr = (self.atr * (n - 1.0) + true_range) / n;
        }
        self.last = self.atr;
        self.last
    }

    pub fn reset(&mut self) {
        *self = Atr { previous_close: f64::NAN, ranges: 0, atr: 0.0, last: f64::NAN, ..*self };
    }

    pub fn period(&self) -> usize {
        self.period
    }

    pub fn value(&self) -> f64 {
        self.last
    }

    pub fn ready(&self) -> bool {
        !self.last.is_nan()
    }
}

/// [`Atr`] over bars given as three equal-length slices.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], n: usize) -> Result<Vec<f64>, BatchError> {
    let mut a = Atr::new(n)?;
    check_lengths(&[("high", high.len()), ("low", low.len()), ("close", close.len())])?;
    Ok(high.iter().zip(low).zip(close).map(|((&h, &l), &c)| a.update(h, l, c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testutil::same;

    #[test]
    fn first_value_is_mean_of_tr_1_to_n() {
        let high = [10.0, 12.0, 11.0, 15.0];
        let low = [9.0, 10.0, 8.0, 11.0];
        let close = [9.5, 11.0, 9.0, 14.0];
        // TR[1] = max(2, 2.5, 0.5) = 2.5; TR[2] = max(3, 0, 3) = 3; TR[3] = max(4, 6, 2) = 6
        let out = atr(&high, &low, &close, 2).unwrap();
        assert!(same(&out, &[f64::NAN, f64::NAN, 2.75, (2.75 + 6.0) / 2.0]), "{out:?}");
    }

    #[test]
    fn rejects_mismatched_lengths() {
        assert!(matches!(atr(&[1.0], &[1.0, 2.0], &[1.0], 1), Err(BatchError::Length(_))));
        assert!(matches!(atr(&[1.0], &[1.0], &[1.0], 0), Err(BatchError::Param(ParamError::Period(0)))));
    }

    #[test]
    fn skips_bad_bars() {
        let mut a = Atr::new(1).unwrap();
        a.update(10.0, 9.0, 9.5);
        assert!(a.update(f64::NAN, 9.0, 9.5).is_nan());
        assert_eq!(a.update(10.0, 9.0, 9.0), 1.0); // measured from the close 9.5
    }
}
