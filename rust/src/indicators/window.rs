//! The last n inputs of a windowed indicator, with a compensated sum of the finite ones.

use super::sum::CompensatedSum;

/// Most values pre-allocated per window: a huge period grows the buffer as data arrives
/// instead of reserving memory up front.
const MAX_PREALLOCATED: usize = 4096;

/// A ring buffer: `values` grows to n, then the oldest value (at `head`) is overwritten.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    period: usize,
    values: Vec<f64>,
    head: usize,
    sum: CompensatedSum,
    /// Non-finite values currently in the window.
    bad: usize,
}

impl Window {
    pub(crate) fn new(period: usize) -> Self {
        Window {
            period,
            values: Vec::with_capacity(period.min(MAX_PREALLOCATED)),
            head: 0,
            sum: CompensatedSum::default(),
            bad: 0,
        }
    }

    /// Append `x`, dropping the oldest value once the window holds n; returns the dropped value.
    #[inline]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let dropped = if self.values.len() == self.period {
            let old = std::mem::replace(&mut self.values[self.head], x);
            self.head += 1;
            if self.head == self.period {
                self.head = 0;
            }
            if old.is_finite() {
                self.sum.add(-old);
            } else {
                self.bad -= 1;
            }
            Some(old)
        } else {
            self.values.push(x);
            None
        };
        if x.is_finite() {
            self.sum.add(x);
        } else {
            self.bad += 1;
        }
        if !self.sum.is_finite() {
            // Finite values can still overflow the sum (|x| near f64::MAX); an inf - inf
            // would then poison it for good, so rebuild it from the window instead.
            self.rebuild_sum();
        }
        dropped
    }

    #[cold]
    #[inline(never)]
    fn rebuild_sum(&mut self) {
        self.sum.clear();
        for &v in self.values.iter().filter(|v| v.is_finite()) {
            self.sum.add(v);
        }
    }

    /// The window holds n values, all finite.
    #[inline]
    pub(crate) fn is_clean_and_full(&self) -> bool {
        self.values.len() == self.period && self.bad == 0
    }

    /// Mean of the window (meaningful only when [`Window::is_clean_and_full`]).
    #[inline]
    pub(crate) fn mean(&self) -> f64 {
        self.sum.value() / self.period as f64
    }

    pub(crate) fn period(&self) -> usize {
        self.period
    }

    /// The values in the window, in no particular order.
    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }

    pub(crate) fn clear(&mut self) {
        self.values.clear();
        self.head = 0;
        self.sum.clear();
        self.bad = 0;
    }
}
