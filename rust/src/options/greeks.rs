//! Closed-form sensitivities of European options under BSM and Black-76.

use super::black::{norm_cdf_with_pdf, norm_pdf, price};
use super::{Contract, Model};

/// Calendar days per year: theta is reported per calendar day.
pub const DAYS_PER_YEAR: f64 = 365.0;
/// Vega and rho are reported per one percentage point (0.01) of vol or rate.
pub const PER_PERCENT_POINT: f64 = 0.01;

/// Price and first-order sensitivities of one option.
///
/// Units: `price` in currency; `delta` per unit of `S` (of `F` for Black-76);
/// `gamma` per unit of `S` squared; `theta` in currency per calendar day
/// (value lost as one day passes, usually negative); `vega` in currency per
/// one percentage point of volatility; `rho` in currency per one percentage
/// point of the rate (Black-76 holds the forward fixed, so its rho is `-t·price`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Greeks {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
    pub rho: f64,
}

impl Greeks {
    /// All fields NaN: the result for inputs outside the model's domain.
    pub const NAN: Greeks =
        Greeks { price: f64::NAN, delta: f64::NAN, gamma: f64::NAN, theta: f64::NAN, vega: f64::NAN, rho: f64::NAN };
}

/// How much larger than the result the two terms of `F·N(d1) − K·N(d2)` may
/// be before the closed form has lost too many digits (a factor of 256 costs
/// at most 8 bits, leaving ~1e-13 relative accuracy) and the price is taken
/// from Jäckel's formula instead. Far out of the money, short-dated options
/// cross this line; most of a chain does not.
const CANCELLATION_LIMIT: f64 = 256.0;

/// `exp(-q·t)`, reusing `exp(-r·t)` where Black-76 makes them equal and skipping `q = 0`.
#[inline]
fn yield_discount(q: f64, r: f64, df_r: f64, t: f64) -> f64 {
    if q == r {
        df_r
    } else if q == 0.0 {
        1.0
    } else {
        (-q * t).exp()
    }
}

/// Price and greeks of `c` at volatility `sigma` (annualised decimal).
///
/// NaN everywhere for invalid inputs (as [`price`]). With `t = 0` or
/// `sigma = 0` the option is deterministic: gamma and vega are 0, delta is
/// the discounted step (half of it exactly at the money), theta and rho are
/// those of the discounted intrinsic value. The price agrees with [`price`]
/// to 1e-12 relative: the closed form is used where it is accurate, Jäckel's
/// formula where its two terms cancel.
pub fn greeks(c: &Contract, sigma: f64) -> Greeks {
    if !c.is_valid() || !sigma.is_finite() || sigma < 0.0 {
        return Greeks::NAN;
    }
    // Black-76 is BSM on the forward with the yield equal to the rate.
    let q = c.model.carry_yield(c.r, c.q);
    let sign = c.sign();
    let df_r = (-c.r * c.t).exp();
    let df_q = yield_discount(q, c.r, df_r, c.t);
    let sqrt_t = c.t.sqrt();
    let total_vol = sigma * sqrt_t;
    let spot_df = c.s * df_q;

    if total_vol == 0.0 {
        return deterministic(c, q, price(c, sigma), df_r, df_q);
    }

    let log_moneyness = (c.s / c.k).ln() + (c.r - q) * c.t;
    let inv_total_vol = total_vol.recip();
    let d1 = log_moneyness * inv_total_vol + 0.5 * total_vol;
    let d2 = d1 - total_vol;
    let density = norm_pdf(d1);
    // F·n(d1) = K·n(d2): the second density needs no exponential.
    let density_d2 = density * (spot_df / (c.k * df_r));
    // N(±d1), N(±d2): the probabilities on the option's own side.
    let n_d1 = norm_cdf_with_pdf(sign * d1, density);
    let n_d2 = norm_cdf_with_pdf(sign * d2, density_d2);
    let (asset_leg, strike_leg) = (spot_df * n_d1, c.k * df_r * n_d2);
    let closed_form = sign * (asset_leg - strike_leg);
    let value =
        if CANCELLATION_LIMIT * closed_form >= asset_leg.max(strike_leg) { closed_form } else { price(c, sigma) };

    // sigma / (2·sqrt t) written as sigma²/(2·total_vol): one division fewer.
    let theta_annual =
        -0.5 * spot_df * density * sigma * sigma * inv_total_vol + sign * (q * asset_leg - c.r * strike_leg);
    let rho_annual = match c.model {
        Model::Bsm => sign * c.t * strike_leg,
        Model::Black76 => -c.t * value,
    };
    Greeks {
        price: value,
        delta: sign * df_q * n_d1,
        gamma: df_q * density * inv_total_vol / c.s,
        theta: theta_annual * (1.0 / DAYS_PER_YEAR),
        vega: spot_df * density * sqrt_t * PER_PERCENT_POINT,
        rho: rho_annual * PER_PERCENT_POINT,
    }
}

/// Greeks of an option with no optionality left (t = 0 or sigma = 0): its discounted intrinsic value.
fn deterministic(c: &Contract, q: f64, value: f64, df_r: f64, df_q: f64) -> Greeks {
    let sign = c.sign();
    let forward = c.s * df_q / df_r;
    let moneyness = sign * (forward - c.k);
    let exercise_weight = if moneyness > 0.0 {
        1.0
    } else if moneyness == 0.0 {
        0.5
    } else {
        0.0
    };
    let theta_annual = exercise_weight * sign * (q * c.s * df_q - c.r * c.k * df_r);
    let rho_annual = match c.model {
        Model::Bsm => exercise_weight * sign * c.k * c.t * df_r,
        Model::Black76 => -c.t * value,
    };
    Greeks {
        price: value,
        delta: exercise_weight * sign * df_q,
        gamma: 0.0,
        theta: theta_annual / DAYS_PER_YEAR,
        vega: 0.0,
        rho: rho_annual * PER_PERCENT_POINT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(is_call: bool, model: Model) -> Contract {
        Contract { is_call, s: 49.0, k: 50.0, t: 0.3846, r: 0.05, q: 0.0, model }
    }

    #[test]
    fn hull_delta_and_gamma_example() {
        // Hull Example 19.1/19.4: S=49, K=50, r=5%, sigma=20%, T=0.3846:
        // call delta 0.522, gamma 0.066, vega 12.1 per unit vol, theta -4.31/yr, rho 8.91 per unit rate.
        let g = greeks(&contract(true, Model::Bsm), 0.2);
        assert!((g.delta - 0.522).abs() < 5e-4, "{g:?}");
        assert!((g.gamma - 0.066).abs() < 5e-4);
        assert!((g.vega * 100.0 - 12.1).abs() < 0.05);
        assert!((g.theta * 365.0 + 4.31).abs() < 0.01);
        assert!((g.rho * 100.0 - 8.91).abs() < 0.01);
    }

    #[test]
    fn every_greek_matches_a_central_difference() {
        for model in [Model::Bsm, Model::Black76] {
            for is_call in [true, false] {
                let c = Contract { q: 0.02, ..contract(is_call, model) };
                let sigma = 0.27;
                let g = greeks(&c, sigma);
                let p = |c: &Contract, s: f64| price(c, s);
                let h = 1e-4;
                let ds = c.s * h;
                let up = Contract { s: c.s + ds, ..c };
                let dn = Contract { s: c.s - ds, ..c };
                let delta = (p(&up, sigma) - p(&dn, sigma)) / (2.0 * ds);
                let gamma = (p(&up, sigma) - 2.0 * g.price + p(&dn, sigma)) / (ds * ds);
                let vega = (p(&c, sigma + h) - p(&c, sigma - h)) / (2.0 * h) * 0.01;
                let rho = (p(&Contract { r: c.r + h, ..c }, sigma) - p(&Contract { r: c.r - h, ..c }, sigma))
                    / (2.0 * h)
                    * 0.01;
                let theta = -(p(&Contract { t: c.t + h, ..c }, sigma) - p(&Contract { t: c.t - h, ..c }, sigma))
                    / (2.0 * h)
                    / 365.0;
                assert!((g.delta - delta).abs() < 1e-7, "{model:?} {is_call} delta");
                assert!((g.gamma - gamma).abs() < 1e-5, "{model:?} {is_call} gamma");
                assert!((g.vega - vega).abs() < 1e-8, "{model:?} {is_call} vega");
                assert!((g.rho - rho).abs() < 1e-8, "{model:?} {is_call} rho");
                assert!((g.theta - theta).abs() < 1e-8, "{model:?} {is_call} theta");
            }
        }
    }

    #[test]
    fn greeks_price_agrees_with_price_to_1e_12() {
        for is_call in [true, false] {
            for k in [50.0, 80.0, 99.0, 100.0, 101.0, 125.0, 200.0] {
                for t in [0.001, 0.02, 0.5, 2.0] {
                    for sigma in [0.01, 0.1, 0.3, 1.0, 3.0] {
                        let c = Contract { is_call, s: 100.0, k, t, r: 0.07, q: 0.02, model: Model::Bsm };
                        let (fast, exact) = (greeks(&c, sigma).price, price(&c, sigma));
                        assert!((fast - exact).abs() <= 1e-12 * exact, "{c:?} {sigma} {fast} {exact}");
                    }
                }
            }
        }
    }

    #[test]
    fn deterministic_limits() {
        let c = Contract { s: 110.0, t: 0.0, ..contract(true, Model::Bsm) };
        let g = greeks(&c, 0.2);
        assert_eq!((g.price, g.delta, g.gamma, g.vega), (60.0, 1.0, 0.0, 0.0));
        let atm = Contract { s: 50.0, t: 0.0, ..contract(false, Model::Bsm) };
        assert_eq!(greeks(&atm, 0.2).delta, -0.5);
        assert!(greeks(&Contract { s: f64::NAN, ..c }, 0.2).delta.is_nan());
    }
}
