//! Wilder's relative strength index.

use super::{check_period, ParamError};

/// RSI with Wilder smoothing, TA-Lib's definition: the first average gain and loss
/// are simple means of the first n changes (first value at index n), then
/// `avg = (avg·(n-1) + change)/n`, and `RSI = 100·avg_gain/(avg_gain + avg_loss)`.
///
/// Flat window (both averages 0): 50, neither overbought nor oversold, as backtrader's
/// `safediv` gives. TA-Lib outputs 0 there (it treats `avg_gain + avg_loss < 1e-8` as
/// zero), which reads as extremely oversold on a halted or illiquid instrument.
/// A non-finite input yields NaN and is skipped: the next change is measured from
/// the last finite value.
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    previous: f64,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
    last: f64,
}

/// RSI for the given average gain and loss (both ≥ 0).
#[inline]
fn rsi_value(avg_gain: f64, avg_loss: f64) -> f64 {
    let total = avg_gain + avg_loss;
    if total == 0.0 {
        50.0
    } else {
        100.0 * (avg_gain / total)
    }
}

impl Rsi {
    pub fn new(n: usize) -> Result<Self, ParamError> {
        Ok(Rsi {
            period: check_period(n)?,
            previous: f64::NAN,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
            last: f64::NAN,
        })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            self.last = f64::NAN;
            return self.last;
        }
        if self.previous.is_nan() {
            self.previous = x;
            self.last = f64::NAN;
            return self.last;
        }
        let change = x - self.previous;
        self.previous = x;
        let (gain, loss) = if change > 0.0 {
            (change, 0.0)
        } else if change < 0.0 {
            (0.0, -change)
        } else {
            (0.0, 0.0)
        };
        let n = self.period as f64;
        if self.changes < self.period {
            // Warm-up: the averages hold running sums until n changes were seen.
            self.avg_gain += gain;
            self.avg_loss += loss;
            self.changes += 1;
            if self.changes < self.period {
                self.last = f64::NAN;
                return self.last;
            }
            self.avg_gain /= n;
            self.avg_loss /= n;
        } else {
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
        }
        self.last = rsi_value(self.avg_gain, self.avg_loss);
        self.last
    }

    pub fn reset(&mut self) {
        *self = Rsi { previous: f64::NAN, changes: 0, avg_gain: 0.0, avg_loss: 0.0, last: f64::NAN, ..*self };
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

/// [`Rsi`] over a slice: one output per input.
pub fn rsi(x: &[f64], n: usize) -> Result<Vec<f64>, ParamError> {
    let mut r = Rsi::new(n)?;
    Ok(x.iter().map(|&v| r.update(v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testutil::same;

    #[test]
    fn wilder_smoothing_by_hand() {
        // changes: +2, -1, +3, -2; n = 2: first avgs (2+0)/2 = 1 gain, (0+1)/2 = 0.5 loss
        let out = rsi(&[10.0, 12.0, 11.0, 14.0, 12.0], 2).unwrap();
        let g1 = 1.0;
        let l1 = 0.5;
        let (g2, l2) = ((g1 + 3.0) / 2.0, (l1 + 0.0) / 2.0);
        let (g3, l3) = ((g2 + 0.0) / 2.0, (l2 + 2.0) / 2.0);
        let expected =
            [f64::NAN, f64::NAN, 100.0 * (g1 / (g1 + l1)), 100.0 * (g2 / (g2 + l2)), 100.0 * (g3 / (g3 + l3))];
        assert!(same(&out, &expected), "{out:?}");
    }

    #[test]
    fn special_cases() {
        assert_eq!(rsi(&[1.0, 2.0, 3.0, 4.0], 3).unwrap()[3], 100.0);
        assert_eq!(rsi(&[4.0, 3.0, 2.0, 1.0], 3).unwrap()[3], 0.0);
        assert_eq!(rsi(&[5.0, 5.0, 5.0, 5.0], 3).unwrap()[3], 50.0);
    }

    #[test]
    fn skips_non_finite_inputs() {
        let with_gap = rsi(&[1.0, 2.0, f64::NAN, 4.0, 3.0], 2).unwrap();
        let without = rsi(&[1.0, 2.0, 4.0, 3.0], 2).unwrap();
        assert!(with_gap[2].is_nan());
        assert_eq!(with_gap[3].to_bits(), without[2].to_bits());
        assert_eq!(with_gap[4].to_bits(), without[3].to_bits());
    }
}
