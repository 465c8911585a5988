//! European option pricing, greeks, implied volatility and implied forwards.
//!
//! Two models share one code path: Black-Scholes-Merton on a spot `S` with a
//! continuous yield `q`, and Black-76 on a forward `F`. Both reduce to the
//! undiscounted Black formula on the forward, priced with Jäckel's
//! "Let's Be Rational" machinery (the `implied-vol` crate), so prices stay
//! accurate to a few ulps even far out of the money.
//!
//! Units everywhere in this module: prices in the currency of `S`/`K`, `t` in
//! years, `r`, `q` and `sigma` as annualised decimals (0.07 = 7%).

mod black;
mod forward;
mod greeks;
mod iv;
mod vmath;

pub use black::{norm_cdf, norm_pdf, price};
pub use forward::{implied_forward, DEFAULT_FORWARD_STRIKES};
pub use greeks::{greeks, greeks_batch, Greeks};
pub use iv::{implied_vol, implied_vol_batch, IvStatus};

use crate::columns::Column;

/// Broadcast input columns of a batch of contracts (every column has the batch's rows or one value).
#[derive(Clone, Copy)]
pub struct ContractColumns<'a> {
    pub is_call: Column<'a, bool>,
    pub s: Column<'a, f64>,
    pub k: Column<'a, f64>,
    pub t: Column<'a, f64>,
    pub r: Column<'a, f64>,
    pub q: Column<'a, f64>,
    pub model: Model,
}

impl ContractColumns<'_> {
    /// Row `i` as a [`Contract`].
    #[inline(always)]
    pub fn contract(&self, i: usize) -> Contract {
        Contract {
            is_call: self.is_call.at(i),
            s: self.s.at(i),
            k: self.k.at(i),
            t: self.t.at(i),
            r: self.r.at(i),
            q: self.q.at(i),
            model: self.model,
        }
    }
}

/// Which pricing model interprets the `S` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// Black-Scholes-Merton: `S` is spot, `q` a continuous dividend/carry yield.
    Bsm,
    /// Black-76: `S` is the forward (or futures) price; `q` is ignored.
    Black76,
}

impl Model {
    /// Parse the integer code used at the Python boundary (0 = BSM, 1 = Black-76).
    pub fn from_code(code: u8) -> Option<Model> {
        match code {
            0 => Some(Model::Bsm),
            1 => Some(Model::Black76),
            _ => None,
        }
    }

    /// The yield that turns this model into BSM: Black-76 is BSM on `F` with `q = r`.
    #[inline]
    pub(crate) fn carry_yield(self, r: f64, q: f64) -> f64 {
        match self {
            Model::Bsm => q,
            Model::Black76 => r,
        }
    }

    /// Forward price for expiry `t`.
    #[inline]
    pub(crate) fn forward(self, s: f64, t: f64, r: f64, q: f64) -> f64 {
        match self {
            Model::Bsm => s * ((r - q) * t).exp(),
            Model::Black76 => s,
        }
    }
}

/// Inputs shared by every European contract evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contract {
    /// True for a call, false for a put.
    pub is_call: bool,
    /// Spot (BSM) or forward (Black-76) price.
    pub s: f64,
    /// Strike price.
    pub k: f64,
    /// Time to expiry in years.
    pub t: f64,
    /// Continuously compounded risk-free rate (decimal, annualised).
    pub r: f64,
    /// Continuous yield (decimal, annualised); ignored by Black-76.
    pub q: f64,
    /// Pricing model.
    pub model: Model,
}

impl Contract {
    /// True when every field the model uses is finite and in its domain (S, K > 0; t >= 0).
    #[inline]
    pub(crate) fn is_valid(&self) -> bool {
        self.s.is_finite()
            && self.k.is_finite()
            && self.t.is_finite()
            && self.r.is_finite()
            && (self.model == Model::Black76 || self.q.is_finite())
            && self.s > 0.0
            && self.k > 0.0
            && self.t >= 0.0
    }

    /// +1 for calls, -1 for puts: the sign that folds put formulas into call ones.
    #[inline]
    pub(crate) fn sign(&self) -> f64 {
        if self.is_call {
            1.0
        } else {
            -1.0
        }
    }
}
