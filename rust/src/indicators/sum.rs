//! Neumaier-compensated running sums.

/// A running sum that carries its rounding error in a second word (Knuth's TwoSum).
///
/// Adding and later subtracting the same values (a rolling window) leaves an
/// error of a few ulps of the current total, not of everything ever added.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let total = self.sum + x;
        // TwoSum without a branch: the exact rounding error of `sum + x`.
        let x_part = total - self.sum;
        let error = (self.sum - (total - x_part)) + (x - x_part);
        self.sum = total;
        self.compensation += error;
    }

    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.compensation
    }

    #[inline]
    pub(crate) fn is_finite(&self) -> bool {
        self.sum.is_finite() && self.compensation.is_finite()
    }

    pub(crate) fn clear(&mut self) {
        *self = CompensatedSum::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_large_terms_exactly() {
        let mut s = CompensatedSum::default();
        s.add(1e16);
        s.add(1.0);
        s.add(-1e16);
        assert_eq!(s.value(), 1.0);
    }

    #[test]
    fn rolling_window_does_not_drift() {
        // Add 0.1 a million times while removing the value added 10 steps earlier.
        let mut s = CompensatedSum::default();
        let values: Vec<f64> = (0..1_000_000).map(|i| 1000.0 + 0.1 * (i % 7) as f64).collect();
        for (i, &x) in values.iter().enumerate() {
            s.add(x);
            if i >= 10 {
                s.add(-values[i - 10]);
            }
        }
        let exact: f64 = values[values.len() - 10..].iter().sum();
        assert!((s.value() - exact).abs() <= 4.0 * f64::EPSILON * exact, "{} vs {exact}", s.value());
    }
}
