//! Closed-form sensitivities of European options under BSM and Black-76.
//!
//! One kernel computes a block of [`LANES`] options with branch-free
//! arithmetic (`super::vmath`), so LLVM vectorises it; it is compiled twice
//! (x86-64 baseline and AVX2 + FMA) and picked at run time. Lanes the closed
//! form cannot serve exactly — invalid inputs, t = 0 or sigma = 0, extreme
//! moneyness, heavy cancellation in the price — are finished by a scalar
//! fix-up, so every option gets the same answer whatever its neighbours are.

use implied_vol::{DefaultSpecialFn, SpecialFn};

use super::black::price;
use super::vmath;
use super::{Contract, ContractColumns, Model};
use crate::columns::Column;
use crate::parallel;

/// Calendar days per year: theta is reported per calendar day.
pub const DAYS_PER_YEAR: f64 = 365.0;
/// Vega and rho are reported per one percentage point (0.01) of vol or rate.
pub const PER_PERCENT_POINT: f64 = 0.01;
/// Options per kernel block: two AVX2 vectors, so the two chains overlap.
pub const LANES: usize = 8;
/// 1/sqrt(2*pi).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// How much larger than the result the two terms of `F·N(d1) − K·N(d2)` may
/// be before the closed form has lost too many digits (a factor of 64 costs
/// at most 6 bits, leaving better than 1e-13 relative accuracy) and the price
/// is taken from Jäckel's formula instead. Far out of the money, short-dated
/// options cross this line (under 2% of the benchmark's random options).
const CANCELLATION_LIMIT: f64 = 64.0;

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

    fn to_array(self) -> [f64; 6] {
        [self.price, self.delta, self.gamma, self.theta, self.vega, self.rho]
    }

    fn from_array(a: [f64; 6]) -> Greeks {
        Greeks { price: a[0], delta: a[1], gamma: a[2], theta: a[3], vega: a[4], rho: a[5] }
    }
}

/// The elementary functions a kernel is built from.
trait Elementary {
    fn exp(x: f64) -> f64;
    fn ln(x: f64) -> f64;
    fn norm_cdf_with_pdf_lanes<const N: usize>(z: &[f64; N], pdf: &[f64; N]) -> [f64; N];
}

/// Branch-free versions that vectorise: the batch path; `FMA` fuses multiply-adds
/// (only in the copy compiled for FMA hardware).
struct Branchless<const FMA: bool>;

impl<const FMA: bool> Elementary for Branchless<FMA> {
    #[inline(always)]
    fn exp(x: f64) -> f64 {
        vmath::exp::<FMA>(x)
    }
    #[inline(always)]
    fn ln(x: f64) -> f64 {
        vmath::ln::<FMA>(x)
    }
    #[inline(always)]
    fn norm_cdf_with_pdf_lanes<const N: usize>(z: &[f64; N], pdf: &[f64; N]) -> [f64; N] {
        vmath::norm_cdf_with_pdf_lanes::<FMA, N>(z, pdf)
    }
}

/// libm and Cody: full-range, for the rare lanes outside the branch-free domain.
struct Libm;

impl Elementary for Libm {
    fn exp(x: f64) -> f64 {
        x.exp()
    }
    fn ln(x: f64) -> f64 {
        x.ln()
    }
    fn norm_cdf_with_pdf_lanes<const N: usize>(z: &[f64; N], _pdf: &[f64; N]) -> [f64; N] {
        z.map(DefaultSpecialFn::norm_cdf)
    }
}

/// One block of option inputs, column-wise.
#[derive(Clone, Copy)]
struct Block<const N: usize> {
    is_call: [bool; N],
    s: [f64; N],
    k: [f64; N],
    t: [f64; N],
    r: [f64; N],
    q: [f64; N],
    sigma: [f64; N],
}

impl<const N: usize> Block<N> {
    /// Benign values (an at-the-money one-year option) so unused lanes compute nothing odd.
    fn filler() -> Self {
        Block { is_call: [true; N], s: [1.0; N], k: [1.0; N], t: [1.0; N], r: [0.0; N], q: [0.0; N], sigma: [0.2; N] }
    }

    fn contract(&self, lane: usize, model: Model) -> Contract {
        Contract {
            is_call: self.is_call[lane],
            s: self.s[lane],
            k: self.k[lane],
            t: self.t[lane],
            r: self.r[lane],
            q: self.q[lane],
            model,
        }
    }
}

/// Closed-form greeks of every lane; returns which lanes need [`fix_up`].
///
/// Written as stages, each a loop over the lanes with straight-line arithmetic
/// (selects, no branches), so every stage vectorises; `model` is the same for
/// the whole block.
#[inline(always)]
fn closed_form<M: Elementary, const N: usize>(model: Model, x: &Block<N>, out: &mut [[f64; N]; 6]) -> [bool; N] {
    let black76 = model == Model::Black76;
    let (mut q, mut sign, mut df_r, mut df_q) = ([0.0; N], [0.0; N], [0.0; N], [0.0; N]);
    let (mut sqrt_t, mut total_vol, mut inv_total_vol) = ([0.0; N], [0.0; N], [0.0; N]);
    let (mut d1, mut d2, mut density, mut density_d2) = ([0.0; N], [0.0; N], [0.0; N], [0.0; N]);
    let (mut z1, mut z2, mut moneyness) = ([0.0; N], [0.0; N], [0.0; N]);
    for i in 0..N {
        // Black-76 is BSM on the forward with the yield equal to the rate.
        q[i] = if black76 { x.r[i] } else { x.q[i] };
        df_r[i] = M::exp(-x.r[i] * x.t[i]);
    }
    // The yield discount is often the rate's (Black-76) or 1 (no yield): skip its exponential then.
    if black76 {
        df_q = df_r;
    } else if q.iter().all(|&v| v == 0.0) {
        df_q = [1.0; N];
    } else {
        for i in 0..N {
            df_q[i] = M::exp(-q[i] * x.t[i]);
        }
    }
    for i in 0..N {
        let (s, k, t, r, sigma) = (x.s[i], x.k[i], x.t[i], x.r[i], x.sigma[i]);
        sign[i] = if x.is_call[i] { 1.0 } else { -1.0 };
        sqrt_t[i] = t.sqrt();
        total_vol[i] = sigma * sqrt_t[i];
        inv_total_vol[i] = 1.0 / total_vol[i];
        moneyness[i] = s / k;
        d1[i] = (M::ln(moneyness[i]) + (r - q[i]) * t) * inv_total_vol[i] + 0.5 * total_vol[i];
        d2[i] = d1[i] - total_vol[i];
        density[i] = FRAC_1_SQRT_2PI * M::exp(-0.5 * d1[i] * d1[i]);
        // F·n(d1) = K·n(d2): the second density needs no exponential.
        density_d2[i] = density[i] * (s * df_q[i]) / (k * df_r[i]);
        // N(±d1), N(±d2): the probabilities on the option's own side.
        z1[i] = sign[i] * d1[i];
        z2[i] = sign[i] * d2[i];
    }
    let n_d1 = M::norm_cdf_with_pdf_lanes(&z1, &density);
    let n_d2 = M::norm_cdf_with_pdf_lanes(&z2, &density_d2);
    let mut needs_fix_up = [false; N];
    for i in 0..N {
        let (s, k, t, r, sigma) = (x.s[i], x.k[i], x.t[i], x.r[i], x.sigma[i]);
        let spot_df = s * df_q[i];
        let asset_leg = spot_df * n_d1[i];
        let strike_leg = k * df_r[i] * n_d2[i];
        let value = sign[i] * (asset_leg - strike_leg);
        // sigma / (2·sqrt t) written as sigma²/(2·total_vol): one division fewer.
        let theta = -0.5 * spot_df * density[i] * sigma * sigma * inv_total_vol[i]
            + sign[i] * (q[i] * asset_leg - r * strike_leg);
        let rho = if black76 { -t * value } else { sign[i] * t * strike_leg };
        out[0][i] = value;
        out[1][i] = sign[i] * df_q[i] * n_d1[i];
        out[2][i] = df_q[i] * density[i] * inv_total_vol[i] / s;
        out[3][i] = theta * (1.0 / DAYS_PER_YEAR);
        out[4][i] = spot_df * density[i] * sqrt_t[i] * PER_PERCENT_POINT;
        out[5][i] = rho * PER_PERCENT_POINT;
        // `&` not `&&`: every test is evaluated, so this stays a mask, not a branch.
        let in_domain = (s > 0.0)
            & (k > 0.0)
            & (t > 0.0)
            & (sigma > 0.0)
            & (s < f64::INFINITY)
            & (k < f64::INFINITY)
            & (t < f64::INFINITY)
            & (sigma < f64::INFINITY)
            & (r.abs() < f64::INFINITY)
            & (q[i].abs() < f64::INFINITY)
            & (f64::MIN_POSITIVE..f64::INFINITY).contains(&moneyness[i])
            & (total_vol[i] >= 1e-150)
            & (df_r[i] >= f64::MIN_POSITIVE)
            & (df_q[i] >= f64::MIN_POSITIVE)
            & (df_r[i] < f64::INFINITY)
            & (df_q[i] < f64::INFINITY);
        let cancelled = CANCELLATION_LIMIT * value < asset_leg.max(strike_leg);
        needs_fix_up[i] = !in_domain | cancelled;
    }
    needs_fix_up
}

/// Greeks of one lane the closed form flagged: NaN, the deterministic limit,
/// the full-range (libm) closed form, and/or Jäckel's price.
#[cold]
fn fix_up(c: &Contract, sigma: f64, computed: [f64; 6]) -> [f64; 6] {
    if !c.is_valid() || !sigma.is_finite() || sigma < 0.0 {
        return Greeks::NAN.to_array();
    }
    let q = c.model.carry_yield(c.r, c.q);
    let df_r = (-c.r * c.t).exp();
    let df_q = (-q * c.t).exp();
    if sigma * c.t.sqrt() == 0.0 {
        return deterministic(c, q, price(c, sigma), df_r, df_q).to_array();
    }
    let mut g = computed;
    let branchless_domain = computed.iter().all(|v| v.is_finite())
        && (c.s / c.k) >= f64::MIN_POSITIVE
        && (c.s / c.k).is_finite()
        && sigma * c.t.sqrt() >= 1e-150
        && df_r >= f64::MIN_POSITIVE
        && df_q >= f64::MIN_POSITIVE;
    if !branchless_domain {
        let mut block = Block::<1>::filler();
        (block.is_call[0], block.s[0], block.k[0], block.t[0], block.r[0], block.q[0], block.sigma[0]) =
            (c.is_call, c.s, c.k, c.t, c.r, c.q, sigma);
        let mut out = [[0.0; 1]; 6];
        closed_form::<Libm, 1>(c.model, &block, &mut out);
        g = out.map(|column| column[0]);
    }
    let exact = price(c, sigma);
    if (g[0] - exact).abs() > 1e-13 * exact.abs() {
        g[0] = exact;
        if c.model == Model::Black76 {
            g[5] = -c.t * exact * PER_PERCENT_POINT;
        }
    }
    g
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

/// Price and greeks of `c` at volatility `sigma` (annualised decimal).
///
/// NaN everywhere for invalid inputs (as [`price`]). With `t = 0` or
/// `sigma = 0` the option is deterministic: gamma and vega are 0, delta is
/// the discounted step (half of it exactly at the money), theta and rho are
/// those of the discounted intrinsic value. The price agrees with [`price`]
/// to 1e-13 relative: the closed form where it is accurate, Jäckel's formula
/// where its two terms cancel. Agrees with a row of [`greeks_batch`] to a few ulps
/// (the batch fuses multiply-adds on FMA hardware).
pub fn greeks(c: &Contract, sigma: f64) -> Greeks {
    let mut block = Block::<1>::filler();
    (block.is_call[0], block.s[0], block.k[0], block.t[0], block.r[0], block.q[0], block.sigma[0]) =
        (c.is_call, c.s, c.k, c.t, c.r, c.q, sigma);
    let mut out = [[0.0; 1]; 6];
    let flagged = closed_form::<Branchless<false>, 1>(c.model, &block, &mut out);
    let values = out.map(|column| column[0]);
    Greeks::from_array(if flagged[0] { fix_up(c, sigma, values) } else { values })
}

/// Greeks of rows `first_row ..` into the six output slices, block by block.
#[inline(always)]
fn greeks_rows<const FMA: bool>(x: &ContractColumns, sigma: &Column<f64>, first_row: usize, mut out: [&mut [f64]; 6]) {
    let rows = out[0].len();
    let mut start = 0;
    while start < rows {
        let len = (rows - start).min(LANES);
        let row = first_row + start;
        let filler = Block::<LANES>::filler();
        let block = Block {
            is_call: x.is_call.block(row, len, true),
            s: x.s.block(row, len, filler.s[0]),
            k: x.k.block(row, len, filler.k[0]),
            t: x.t.block(row, len, filler.t[0]),
            r: x.r.block(row, len, filler.r[0]),
            q: x.q.block(row, len, filler.q[0]),
            sigma: sigma.block(row, len, filler.sigma[0]),
        };
        let mut values = [[0.0; LANES]; 6];
        let flagged = closed_form::<Branchless<FMA>, LANES>(x.model, &block, &mut values);
        for (column, computed) in out.iter_mut().zip(&values) {
            column[start..start + len].copy_from_slice(&computed[..len]);
        }
        for lane in (0..len).filter(|&lane| flagged[lane]) {
            let fixed = fix_up(&block.contract(lane, x.model), block.sigma[lane], values.map(|column| column[lane]));
            for (column, value) in out.iter_mut().zip(fixed) {
                column[start + lane] = value;
            }
        }
        start += len;
    }
}

/// [`greeks_rows`] compiled with AVX2 and FMA enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn greeks_rows_avx2(x: &ContractColumns, sigma: &Column<f64>, first_row: usize, out: [&mut [f64]; 6]) {
    greeks_rows::<true>(x, sigma, first_row, out);
}

fn greeks_rows_dispatch(x: &ContractColumns, sigma: &Column<f64>, first_row: usize, out: [&mut [f64]; 6]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above), which is
        // the only requirement of a `#[target_feature(enable = "avx2,fma")]` fn.
        #[allow(unsafe_code)]
        unsafe {
            greeks_rows_avx2(x, sigma, first_row, out);
        }
        return;
    }
    greeks_rows::<false>(x, sigma, first_row, out);
}

/// Price and greeks of every row at volatility `sigma` into `out` = [price, delta, gamma, theta, vega, rho].
///
/// Row `i` equals [`greeks`] of row `i`'s inputs. Large batches run on the
/// thread pool (see [`crate::parallel`]).
pub fn greeks_batch(x: &ContractColumns, sigma: &Column<f64>, out: [&mut [f64]; 6]) {
    parallel::fill_chunks(out, |first_row, part| greeks_rows_dispatch(x, sigma, first_row, part));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::price;

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
