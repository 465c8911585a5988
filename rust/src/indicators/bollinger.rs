//! Bollinger bands: SMA ± k population standard deviations.

use super::sum::CompensatedSum;
use super::window::Window;
use super::{check_period, ParamError};

/// One output of [`Bollinger`]: the middle band and the upper and lower bands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bands {
    pub middle: f64,
    pub upper: f64,
    pub lower: f64,
}

impl Bands {
    const NAN: Bands = Bands { middle: f64::NAN, upper: f64::NAN, lower: f64::NAN };
}

/// Recompute the deviation sums from the window once Σ(x-K)² exceeds 256 times n·variance,
/// i.e. once `S1²/n > (255/256)·S2`: the subtraction `S2 - S1²/n` then loses about 8 bits,
/// so the variance keeps ~1e-13 relative accuracy.
const STALE_SHIFT_FRACTION: f64 = 255.0 / 256.0;

/// Bollinger bands over the last n values, population std (ddof = 0), as TA-Lib's
/// BBANDS with an SMA: middle = SMA(n), upper/lower = middle ± k·std.
///
/// The variance comes from compensated sums of deviations from a shift K (the window
/// mean when the sums were last rebuilt): `M2 = S2 - S1²/n` with `S1 = Σ(x-K)`,
/// `S2 = Σ(x-K)²`. Keeping K near the mean avoids the catastrophic cancellation of
/// `E[x²] - E[x]²` on prices far from zero; when the mean drifts far from K the sums
/// are rebuilt from the window by two passes (O(n), rare, so O(1) amortised).
#[derive(Clone, Debug)]
pub struct Bollinger {
    window: Window,
    k: f64,
    /// 1/n: multiplications keep the per-value cost to one division (the SMA's own).
    inv_n: f64,
    shift: f64,
    s1: CompensatedSum,
    s2: CompensatedSum,
    /// The deviation sums do not describe the window (warm-up, or a non-finite value was in it).
    stale: bool,
    last: Bands,
}

impl Bollinger {
    pub fn new(n: usize, k: f64) -> Result<Self, ParamError> {
        if !(k.is_finite() && k >= 0.0) {
            return Err(ParamError::Width(k));
        }
        Ok(Bollinger {
            window: Window::new(check_period(n)?),
            k,
            inv_n: 1.0 / n as f64,
            shift: 0.0,
            s1: CompensatedSum::default(),
            s2: CompensatedSum::default(),
            stale: true,
            last: Bands::NAN,
        })
    }

    fn rebuild(&mut self) {
        self.shift = self.window.mean();
        self.s1.clear();
        self.s2.clear();
        for &x in self.window.values() {
            let d = x - self.shift;
            self.s1.add(d);
            self.s2.add(d * d);
        }
    }

    /// n·variance of the window from the deviation sums (clamped at 0 against rounding).
    #[inline]
    fn m2(&self) -> f64 {
        let s1 = self.s1.value();
        (self.s2.value() - s1 * s1 * self.inv_n).max(0.0)
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Bands {
        let dropped = self.window.push(x);
        if !self.window.is_clean_and_full() {
            self.stale = true;
            self.last = Bands::NAN;
            return self.last;
        }
        let mut m2 = f64::NAN;
        if let (Some(old), false) = (dropped, self.stale) {
            // Not stale: the previous window was full and finite, so `old` is finite.
            let (d_new, d_old) = (x - self.shift, old - self.shift);
            self.s1.add(d_new);
            self.s1.add(-d_old);
            self.s2.add(d_new * d_new);
            self.s2.add(-(d_old * d_old));
            let (s1, s2) = (self.s1.value(), self.s2.value());
            let shift_part = s1 * s1 * self.inv_n;
            // Deviations of a few ulps of K are rounding noise of the data itself:
            // rebuilding for them would only repeat forever on a flat window.
            let stale = shift_part > STALE_SHIFT_FRACTION * s2 && s2 > self.noise_floor();
            if !stale && s2.is_finite() {
                m2 = (s2 - shift_part).max(0.0);
            }
        }
        if m2.is_nan() {
            self.rebuild();
            m2 = self.m2();
        }
        self.stale = false;
        let middle = self.window.mean();
        let width = self.k * (m2 * self.inv_n).sqrt();
        self.last = Bands { middle, upper: middle + width, lower: middle - width };
        self.last
    }

    /// Σ(x-K)² of deviations of a few ulps of K: below it, the shift is as good as it gets.
    #[inline]
    fn noise_floor(&self) -> f64 {
        self.window.period() as f64 * (4.0 * f64::EPSILON * self.shift).powi(2)
    }

    pub fn reset(&mut self) {
        self.window.clear();
        self.s1.clear();
        self.s2.clear();
        self.stale = true;
        self.last = Bands::NAN;
    }

    pub fn period(&self) -> usize {
        self.window.period()
    }

    pub fn k(&self) -> f64 {
        self.k
    }

    pub fn value(&self) -> Bands {
        self.last
    }

    pub fn ready(&self) -> bool {
        !self.last.middle.is_nan()
    }
}

/// The three bands as columns, each aligned with the input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BandSeries {
    pub middle: Vec<f64>,
    pub upper: Vec<f64>,
    pub lower: Vec<f64>,
}

impl Bollinger {
    /// Feed a slice in order, continuing the state; one output row per value.
    pub fn update_slice(&mut self, x: &[f64]) -> BandSeries {
        let mut out = BandSeries {
            middle: Vec::with_capacity(x.len()),
            upper: Vec::with_capacity(x.len()),
            lower: Vec::with_capacity(x.len()),
        };
        for &v in x {
            let bands = self.update(v);
            out.middle.push(bands.middle);
            out.upper.push(bands.upper);
            out.lower.push(bands.lower);
        }
        out
    }
}

/// [`Bollinger`] over a slice: middle, upper and lower bands, each aligned with the input.
pub fn bollinger(x: &[f64], n: usize, k: f64) -> Result<BandSeries, ParamError> {
    Ok(Bollinger::new(n, k)?.update_slice(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::sma::sma;
    use crate::indicators::testutil::{close, same, walk};

    fn direct_std(w: &[f64]) -> f64 {
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        (w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / w.len() as f64).sqrt()
    }

    #[test]
    fn matches_two_pass_std_on_a_long_walk() {
        let x = walk(300_000, 45_000.0, 30.0, 11);
        for n in [2, 20, 250] {
            let BandSeries { middle: mid, upper: up, lower: low } = bollinger(&x, n, 2.0).unwrap();
            assert!(same(&mid, &sma(&x, n).unwrap()), "middle band is the SMA bit for bit");
            for i in (n - 1..x.len()).step_by(89) {
                let std = direct_std(&x[i + 1 - n..=i]);
                let got = (up[i] - low[i]) / 4.0;
                assert!(close(got, std, 1e-9) || (got - std).abs() < 1e-12 * mid[i], "n={n} i={i}: {got} vs {std}");
            }
        }
    }

    #[test]
    fn flat_windows_have_zero_width() {
        let mut x = vec![100.0; 50];
        x.extend([101.0, 99.0, 100.0]);
        x.extend(vec![100.25; 40]);
        let BandSeries { middle: mid, upper: up, lower: low } = bollinger(&x, 5, 2.0).unwrap();
        assert_eq!((mid[10], up[10], low[10]), (100.0, 100.0, 100.0));
        let last = x.len() - 1;
        assert_eq!((mid[last], up[last], low[last]), (100.25, 100.25, 100.25));
    }

    #[test]
    fn recovers_after_nan() {
        let x = [1.0, 2.0, f64::NAN, 3.0, 5.0, 7.0];
        let BandSeries { middle: mid, upper: up, .. } = bollinger(&x, 2, 1.0).unwrap();
        assert_eq!((mid[1], up[1]), (1.5, 2.0));
        assert!(mid[2..4].iter().all(|v| v.is_nan()));
        assert_eq!((mid[4], up[4]), (4.0, 5.0));
        assert_eq!((mid[5], up[5]), (6.0, 7.0));
    }

    #[test]
    fn rejects_bad_k() {
        assert_eq!(Bollinger::new(3, -1.0).unwrap_err(), ParamError::Width(-1.0));
        assert!(Bollinger::new(3, f64::NAN).is_err());
        assert_eq!(Bollinger::new(0, 2.0).unwrap_err(), ParamError::Period(0));
    }
}
