//! Implied volatility by Jäckel's "Let's Be Rational", with explicit failure codes.

use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};

use super::{Contract, ContractColumns};
use crate::columns::Column;
use crate::parallel;

/// How many ulps of max(F, K) count as rounding when comparing a price with intrinsic value.
const ROUNDING_ULPS: f64 = 8.0;

/// Outcome of one implied-volatility solve. The discriminant is the int8 code
/// returned to Python with `return_status=True`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i8)]
pub enum IvStatus {
    /// Solved; a price within rounding of intrinsic value (8 ulps of max(F, K)) solves to 0.
    Ok = 0,
    /// The price is below the option's intrinsic value on the forward.
    BelowIntrinsic = 1,
    /// The price is at (within rounding) or above the no-arbitrage maximum (discounted F for a call,
    /// discounted K for a put), where the vol would be infinite.
    AboveMaximum = 2,
    /// t ≤ 0: an expired option has no time value to invert.
    NonPositiveExpiry = 3,
    /// A price, S, K, t, r or q is NaN or infinite.
    NonFiniteInput = 4,
    /// S ≤ 0, K ≤ 0, or a forward that overflows.
    InvalidInput = 5,
    /// The solver found no root for an in-range price (not expected; reported, never hidden).
    SolverFailed = 6,
}

/// Implied volatility (annualised decimal) of `c` priced at `option_price` (present value).
///
/// Returns `(NaN, status)` for every failure; never panics.
pub fn implied_vol(c: &Contract, option_price: f64) -> (f64, IvStatus) {
    // Black-76 ignores q, so a NaN there is not an error.
    let q = if c.model == super::Model::Black76 { 0.0 } else { c.q };
    let inputs = [option_price, c.s, c.k, c.t, c.r, q];
    if inputs.iter().any(|v| !v.is_finite()) {
        return (f64::NAN, IvStatus::NonFiniteInput);
    }
    if c.t <= 0.0 {
        return (f64::NAN, IvStatus::NonPositiveExpiry);
    }
    if c.s <= 0.0 || c.k <= 0.0 {
        return (f64::NAN, IvStatus::InvalidInput);
    }
    let forward = c.model.forward(c.s, c.t, c.r, c.q);
    let discount = (-c.r * c.t).exp();
    if !forward.is_finite() || forward <= 0.0 || discount <= 0.0 || !discount.is_finite() {
        return (f64::NAN, IvStatus::InvalidInput);
    }
    let undiscounted = option_price / discount;
    let (intrinsic, maximum) =
        if c.is_call { ((forward - c.k).max(0.0), forward) } else { ((c.k - forward).max(0.0), c.k) };
    // F - K and the bounds carry the rounding of F, of the discount factor and
    // of r, q, t through them: that much past a bound is arithmetic, not arbitrage.
    let tolerance = ROUNDING_ULPS * f64::EPSILON * forward.max(c.k);
    if undiscounted < intrinsic - tolerance {
        return (f64::NAN, IvStatus::BelowIntrinsic);
    }
    // Only a rounded intrinsic value (in the money) has a rounding band above it;
    // out of the money the intrinsic value is exactly 0 and any positive price has a vol.
    let at_intrinsic = if intrinsic > 0.0 { undiscounted <= intrinsic + tolerance } else { undiscounted <= 0.0 };
    if at_intrinsic {
        return (0.0, IvStatus::Ok);
    }
    if undiscounted >= maximum - tolerance {
        return (f64::NAN, IvStatus::AboveMaximum);
    }
    let solved = ImpliedBlackVolatility::builder()
        .option_price(undiscounted)
        .forward(forward)
        .strike(c.k)
        .expiry(c.t)
        .is_call(c.is_call)
        .build()
        .and_then(|solver| solver.calculate::<DefaultSpecialFn>());
    match solved {
        Some(vol) if vol.is_finite() => (vol, IvStatus::Ok),
        Some(_) => (f64::NAN, IvStatus::AboveMaximum),
        None => (f64::NAN, IvStatus::SolverFailed),
    }
}

/// Implied vols of rows `first_row ..` (the solver is scalar; see [`implied_vol_batch`]).
#[inline(always)]
fn implied_vol_rows(x: &ContractColumns, prices: &Column<f64>, first_row: usize, out: (&mut [f64], &mut [i8])) {
    let (vols, status) = out;
    for (i, (vol, code)) in vols.iter_mut().zip(status.iter_mut()).enumerate() {
        let row = first_row + i;
        let (v, s) = implied_vol(&x.contract(row), prices.at(row));
        (*vol, *code) = (v, s as i8);
    }
}

/// [`implied_vol_rows`] compiled with AVX2 and FMA enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn implied_vol_rows_avx2(x: &ContractColumns, prices: &Column<f64>, first_row: usize, out: (&mut [f64], &mut [i8])) {
    implied_vol_rows(x, prices, first_row, out);
}

fn implied_vol_rows_dispatch(
    x: &ContractColumns,
    prices: &Column<f64>,
    first_row: usize,
    out: (&mut [f64], &mut [i8]),
) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only
        // requirement of a `#[target_feature(enable = "avx2,fma")]` fn.
        #[allow(unsafe_code)]
        unsafe {
            implied_vol_rows_avx2(x, prices, first_row, out);
        }
        return;
    }
    implied_vol_rows(x, prices, first_row, out);
}

/// Implied vol and status of every row: `out` = (vols, status codes as `IvStatus as i8`).
///
/// Row `i` equals [`implied_vol`] of row `i`; large batches run on the thread pool.
pub fn implied_vol_batch(x: &ContractColumns, prices: &Column<f64>, out: (&mut [f64], &mut [i8])) {
    parallel::fill_chunks(out, |first_row, part| implied_vol_rows_dispatch(x, prices, first_row, part));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{price, Model};

    fn contract(is_call: bool, s: f64, k: f64, t: f64) -> Contract {
        Contract { is_call, s, k, t, r: 0.065, q: 0.01, model: Model::Bsm }
    }

    #[test]
    fn round_trip_reprices_within_a_few_ulps() {
        for is_call in [true, false] {
            for k in [60.0, 90.0, 100.0, 115.0, 180.0] {
                for t in [1.0 / 365.0 / 6.0, 0.1, 1.0, 3.0] {
                    for sigma in [0.05, 0.2, 0.8, 2.5] {
                        let c = contract(is_call, 100.0, k, t);
                        let p = price(&c, sigma);
                        let (iv, status) = implied_vol(&c, p);
                        assert_eq!(status, IvStatus::Ok);
                        let repriced = price(&c, iv);
                        // Representing sigma itself costs half an ulp of sigma, which moves the
                        // price by vega·sigma·eps: that plus a few ulps of price is the floor.
                        let vega_per_unit = crate::options::greeks(&c, sigma).vega * 100.0;
                        let floor = p * f64::EPSILON + vega_per_unit * iv * f64::EPSILON;
                        assert!((repriced - p).abs() <= 8.0 * floor, "{c:?} sigma={sigma}");
                        if vega_per_unit > 1e-6 {
                            assert!((iv - sigma).abs() < 1e-9 * sigma.max(1.0));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn failures_have_their_own_codes() {
        let c = contract(true, 100.0, 80.0, 0.5);
        let intrinsic = 100.0 * ((0.065 - 0.01) * 0.5f64).exp() - 80.0;
        let df = (-0.065 * 0.5f64).exp();
        assert_eq!(implied_vol(&c, df * intrinsic - 0.01).1, IvStatus::BelowIntrinsic);
        assert_eq!(implied_vol(&c, 100.0).1, IvStatus::AboveMaximum);
        // Exactly at the bound S·e^{-qt} (here q = 0) is the maximum too, whatever the rounding.
        let no_yield = Contract { q: 0.0, ..c };
        assert_eq!(implied_vol(&no_yield, 100.0).1, IvStatus::AboveMaximum);
        let put = Contract { is_call: false, ..c };
        assert_eq!(implied_vol(&put, 80.0 * (-0.065 * 0.5f64).exp()).1, IvStatus::AboveMaximum);
        assert_eq!(implied_vol(&contract(true, 100.0, 80.0, 0.0), 20.0).1, IvStatus::NonPositiveExpiry);
        assert_eq!(implied_vol(&c, f64::NAN).1, IvStatus::NonFiniteInput);
        assert_eq!(implied_vol(&contract(true, 100.0, -5.0, 0.5), 5.0).1, IvStatus::InvalidInput);
    }

    #[test]
    fn price_within_rounding_of_intrinsic_is_zero_vol() {
        let c = contract(false, 100.0, 130.0, 0.25);
        let p = price(&c, 0.0);
        assert_eq!(implied_vol(&c, p), (0.0, IvStatus::Ok));
        let just_below = p * (1.0 - 2.0 * f64::EPSILON);
        assert_eq!(implied_vol(&c, just_below), (0.0, IvStatus::Ok));
        assert_eq!(implied_vol(&contract(true, 100.0, 130.0, 0.25), 0.0), (0.0, IvStatus::Ok));
        // One ulp above a rounded intrinsic value is still intrinsic.
        let itm = contract(true, 22_500.0, 22_500.0, 1.0);
        let p = price(&itm, 0.0);
        assert_eq!(implied_vol(&itm, p * (1.0 + f64::EPSILON)), (0.0, IvStatus::Ok));
        // Out of the money, a tiny positive price has a (small) vol, not 0.
        let (vol, status) = implied_vol(&contract(true, 100.0, 130.0, 0.25), 1e-20);
        assert!(status == IvStatus::Ok && vol > 0.0);
    }
}
