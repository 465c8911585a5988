//! The Black formula on a forward, and the normal distribution it rests on.

use implied_vol::{DefaultSpecialFn, PriceBlackScholes, SpecialFn};

use super::Contract;

/// 1/sqrt(2*pi).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Standard normal cumulative distribution, via Cody's erfc (full double precision in the tails).
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    DefaultSpecialFn::norm_cdf(x)
}

/// Standard normal density.
#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Undiscounted Black price of a European option on forward `f`.
///
/// Jäckel's normalised formulation avoids the cancellation in
/// `F·N(d1) − K·N(d2)` that costs the textbook formula most of its digits
/// far from the money; NaN when the inputs are outside the model's domain.
#[inline]
pub(crate) fn black_undiscounted(is_call: bool, f: f64, k: f64, t: f64, sigma: f64) -> f64 {
    PriceBlackScholes::builder()
        .forward(f)
        .strike(k)
        .volatility(sigma)
        .expiry(t)
        .is_call(is_call)
        .build()
        .map_or(f64::NAN, |p| p.calculate::<DefaultSpecialFn>())
}

/// Present value of a European option with volatility `sigma` (annualised decimal).
///
/// Returns NaN for inputs outside the domain (non-finite values, S or K ≤ 0,
/// t < 0, sigma < 0). At t = 0 or sigma = 0 the value is the discounted
/// intrinsic value on the forward.
pub fn price(c: &Contract, sigma: f64) -> f64 {
    if !c.is_valid() || !sigma.is_finite() || sigma < 0.0 {
        return f64::NAN;
    }
    let forward = c.model.forward(c.s, c.t, c.r, c.q);
    let discount = (-c.r * c.t).exp();
    discount * black_undiscounted(c.is_call, forward, c.k, c.t, sigma)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Model;

    fn call(s: f64, k: f64, t: f64, r: f64, q: f64) -> Contract {
        Contract { is_call: true, s, k, t, r, q, model: Model::Bsm }
    }

    #[test]
    fn hull_example_15_6_european_call_and_put() {
        // Hull, Options Futures and Other Derivatives, Example 15.6:
        // S=42, K=40, r=10%, sigma=20%, T=0.5 -> c = 4.76, p = 0.81.
        let c = call(42.0, 40.0, 0.5, 0.10, 0.0);
        assert!((price(&c, 0.2) - 4.759_422_392_871_533).abs() < 1e-12);
        let p = Contract { is_call: false, ..c };
        assert!((price(&p, 0.2) - 0.808_599_372_900_093_6).abs() < 1e-12);
    }

    #[test]
    fn black76_equals_bsm_with_yield_equal_to_rate() {
        let f = 105.0;
        let b76 = Contract { model: Model::Black76, ..call(f, 100.0, 0.75, 0.06, 0.0) };
        let bsm = call(f, 100.0, 0.75, 0.06, 0.06);
        assert!((price(&b76, 0.3) - price(&bsm, 0.3)).abs() < 1e-12);
    }

    #[test]
    fn zero_time_and_zero_vol_give_discounted_intrinsic() {
        let c = call(110.0, 100.0, 0.0, 0.05, 0.0);
        assert_eq!(price(&c, 0.25), 10.0);
        let c = call(110.0, 100.0, 1.0, 0.05, 0.0);
        let fwd_intrinsic = (-0.05f64).exp() * (110.0 * 0.05f64.exp() - 100.0);
        assert!((price(&c, 0.0) - fwd_intrinsic).abs() < 1e-12);
    }

    #[test]
    fn invalid_inputs_are_nan_not_panics() {
        for (s, k, t, sigma) in [
            (f64::NAN, 100.0, 1.0, 0.2),
            (100.0, 0.0, 1.0, 0.2),
            (-1.0, 100.0, 1.0, 0.2),
            (100.0, 100.0, -1.0, 0.2),
            (100.0, 100.0, 1.0, -0.2),
            (100.0, 100.0, f64::INFINITY, 0.2),
            (100.0, 100.0, 1.0, f64::INFINITY),
        ] {
            assert!(price(&call(s, k, t, 0.05, 0.0), sigma).is_nan());
        }
    }

    #[test]
    fn norm_cdf_matches_known_values() {
        assert_eq!(norm_cdf(0.0), 0.5);
        assert!((norm_cdf(1.96) - 0.975_002_104_851_779_6).abs() < 1e-15);
        // Deep tail keeps relative precision: N(-10) = 7.619853024160527e-24.
        assert!((norm_cdf(-10.0) / 7.619_853_024_160_526e-24 - 1.0).abs() < 1e-13);
    }
}
