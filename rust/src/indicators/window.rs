//! The last n inputs of a windowed indicator, with a compensated sum of the finite ones.

use std::collections::VecDeque;

use super::sum::CompensatedSum;

/// Most values pre-allocated per window: a huge period grows the buffer as data arrives
/// instead of reserving memory up front.
const MAX_PREALLOCATED: usize = 4096;

#[derive(Clone, Debug)]
pub(crate) struct Window {
    period: usize,
    values: VecDeque<f64>,
    sum: CompensatedSum,
    /// Non-finite values currently in the window.
    bad: usize,
}

impl Window {
    pub(crate) fn new(period: usize) -> Self {
        Window {
            period,
            values: VecDeque::with_capacity(period.min(MAX_PREALLOCATED)),
            sum: CompensatedSum::default(),
            bad: 0,
        }
    }

    /// Append `x`, dropping the oldest value once the window holds n; returns the dropped value.
    #[inline]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let dropped = if self.values.len() == self.period { self.values.pop_front() } else { None };
        if let Some(old) = dropped {
            if old.is_finite() {
                self.sum.add(-old);
            } else {
                self.bad -= 1;
            }
        }
        self.values.push_back(x);
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

    pub(crate) fn values(&self) -> &VecDeque<f64> {
        &self.values
    }

    pub(crate) fn clear(&mut self) {
        self.values.clear();
        self.sum.clear();
        self.bad = 0;
    }
}
