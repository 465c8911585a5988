//! Option strike scoring: rank candidate contracts for an entry.
//!
//! Each candidate first passes the filters; survivors get five terms, each
//! normalised to [0, 1] (1 = best), and a weighted mean of them:
//!
//! ```text
//! score = (w_liq·L + w_delta·D + w_iv·V + w_mny·M + w_spread·S) / (w_liq + w_delta + w_iv + w_mny + w_spread)
//! L = ½·ln(1+volume)/ln(1+max volume) + ½·ln(1+oi)/ln(1+max oi)   (max over survivors; 0 when the max is 0)
//! D = 1 − | |delta| − target_delta | / max(target_delta, 1 − target_delta)
//! V = (max iv − iv) / (max iv − min iv)                          (1 when all survivors share one iv)
//! M = 1 − |K − underlying| / max |K − underlying|                  (1 when every survivor is at the money)
//! S = 1 − spread% / max_spread_pct, spread% = (ask − bid)/mid·100   (with no cap: relative to the widest
//!                                                                   survivor; 1 when every spread is 0)
//! ```
//!
//! The log keeps one huge-volume strike from flattening everyone else's
//! liquidity term; lower iv scores higher because the scorer picks contracts
//! to buy. The score is therefore in [0, 1] and a weight of 2 counts exactly
//! twice as much as a weight of 1.
//!
//! Filters (a candidate failing any scores NaN): finite strike > 0, ltp > 0,
//! 0 < bid ≤ ask, finite delta, finite iv > 0, wanted option type, volume ≥
//! min_volume, oi ≥ min_oi, spread% ≤ max_spread_pct, and at most
//! `atm_window` strikes from the at-the-money strike (the listed strike
//! nearest the underlying).

/// Relative importance of each score term; non-negative, not all zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StrikeWeights {
    pub liquidity: f64,
    pub delta: f64,
    pub iv: f64,
    pub moneyness: f64,
    pub spread: f64,
}

impl Default for StrikeWeights {
    fn default() -> Self {
        StrikeWeights { liquidity: 0.3, delta: 0.3, iv: 0.15, moneyness: 0.15, spread: 0.1 }
    }
}

/// Which candidates may be scored at all, and the delta the scorer aims for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StrikeFilters {
    /// Minimum traded volume (contracts' units as quoted).
    pub min_volume: f64,
    /// Minimum open interest.
    pub min_oi: f64,
    /// Maximum bid-ask spread as a percentage of mid; `f64::INFINITY` for no cap.
    pub max_spread_pct: f64,
    /// Keep strikes at most this many listed strikes from ATM; `None` for all.
    pub atm_window: Option<usize>,
    /// `Some(true)` calls only, `Some(false)` puts only, `None` both.
    pub option_type: Option<bool>,
    /// The absolute delta the delta term rewards, in (0, 1).
    pub target_delta: f64,
}

impl Default for StrikeFilters {
    fn default() -> Self {
        StrikeFilters {
            min_volume: 0.0,
            min_oi: 0.0,
            max_spread_pct: f64::INFINITY,
            atm_window: None,
            option_type: None,
            target_delta: 0.5,
        }
    }
}

/// Column views of the candidate contracts; every slice has one row per candidate.
#[derive(Clone, Copy, Debug)]
pub struct Candidates<'a> {
    pub strike: &'a [f64],
    pub is_call: &'a [bool],
    pub ltp: &'a [f64],
    pub bid: &'a [f64],
    pub ask: &'a [f64],
    pub volume: &'a [f64],
    pub oi: &'a [f64],
    pub delta: &'a [f64],
    pub iv: &'a [f64],
}

impl Candidates<'_> {
    fn len(&self) -> usize {
        self.strike.len()
    }

    fn lengths_agree(&self) -> bool {
        let n = self.len();
        [
            self.is_call.len(),
            self.ltp.len(),
            self.bid.len(),
            self.ask.len(),
            self.volume.len(),
            self.oi.len(),
            self.delta.len(),
            self.iv.len(),
        ]
        .iter()
        .all(|&m| m == n)
    }

    fn spread_pct(&self, i: usize) -> f64 {
        let (bid, ask) = (self.bid[i], self.ask[i]);
        (ask - bid) / (0.5 * (ask + bid)) * 100.0
    }
}

/// Per-candidate scores (NaN where filtered out) and the best candidate's index.
#[derive(Clone, Debug, PartialEq)]
pub struct StrikeScores {
    pub scores: Vec<f64>,
    pub best: Option<usize>,
}

/// Why a scoring request itself (not one candidate) is unusable.
#[derive(Clone, Debug, PartialEq)]
pub enum ScoreError {
    /// Candidate columns of different lengths.
    LengthMismatch,
    /// A weight, filter or the underlying price is out of its domain; the text says which.
    Invalid(String),
}

impl std::fmt::Display for ScoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScoreError::LengthMismatch => write!(f, "candidate arrays must all have the same length"),
            ScoreError::Invalid(why) => write!(f, "{why}"),
        }
    }
}

fn validate(underlying: f64, w: &StrikeWeights, f: &StrikeFilters) -> Result<f64, ScoreError> {
    if !(underlying.is_finite() && underlying > 0.0) {
        return Err(ScoreError::Invalid(format!("underlying price must be positive and finite, got {underlying}")));
    }
    let weights = [w.liquidity, w.delta, w.iv, w.moneyness, w.spread];
    if weights.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err(ScoreError::Invalid(format!("weights must be finite and non-negative, got {w:?}")));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(ScoreError::Invalid("at least one weight must be positive".into()));
    }
    if !(f.target_delta > 0.0 && f.target_delta < 1.0) {
        return Err(ScoreError::Invalid(format!("target_delta must be in (0, 1), got {}", f.target_delta)));
    }
    if f.max_spread_pct.is_nan() || f.max_spread_pct <= 0.0 || f.min_volume.is_nan() || f.min_oi.is_nan() {
        return Err(ScoreError::Invalid(format!("filters out of range: {f:?}")));
    }
    Ok(total)
}

/// The at-the-money strike rank of every candidate: distance, in listed strikes, from ATM.
fn strike_steps_from_atm(c: &Candidates, eligible: &[bool], underlying: f64) -> Vec<usize> {
    let mut ladder: Vec<f64> = (0..c.len()).filter(|&i| eligible[i]).map(|i| c.strike[i]).collect();
    ladder.sort_by(f64::total_cmp);
    ladder.dedup();
    let atm = ladder
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - underlying).abs().total_cmp(&(b.1 - underlying).abs()))
        .map_or(0, |(i, _)| i);
    (0..c.len())
        .map(|i| match ladder.binary_search_by(|k| k.total_cmp(&c.strike[i])) {
            Ok(rank) => rank.abs_diff(atm),
            Err(_) => usize::MAX,
        })
        .collect()
}

/// Score every candidate; see the module docs for the formula.
pub fn score_strikes(
    c: &Candidates,
    underlying: f64,
    weights: &StrikeWeights,
    filters: &StrikeFilters,
) -> Result<StrikeScores, ScoreError> {
    if !c.lengths_agree() {
        return Err(ScoreError::LengthMismatch);
    }
    let total_weight = validate(underlying, weights, filters)?;
    let n = c.len();

    // Quotes that can be scored at all; the ATM ladder is built from these.
    let quotable: Vec<bool> = (0..n)
        .map(|i| {
            c.strike[i].is_finite()
                && c.strike[i] > 0.0
                && c.ltp[i] > 0.0
                && c.bid[i] > 0.0
                && c.ask[i] >= c.bid[i]
                && c.ask[i].is_finite()
                && c.delta[i].is_finite()
                && c.iv[i].is_finite()
                && c.iv[i] > 0.0
                && c.volume[i].is_finite()
                && c.oi[i].is_finite()
                && filters.option_type.is_none_or(|want| c.is_call[i] == want)
        })
        .collect();
    let steps = strike_steps_from_atm(c, &quotable, underlying);
    let survivors: Vec<usize> = (0..n)
        .filter(|&i| {
            quotable[i]
                && c.volume[i] >= filters.min_volume
                && c.oi[i] >= filters.min_oi
                && c.spread_pct(i) <= filters.max_spread_pct
                && filters.atm_window.is_none_or(|w| steps[i] <= w)
        })
        .collect();

    let mut scores = vec![f64::NAN; n];
    if survivors.is_empty() {
        return Ok(StrikeScores { scores, best: None });
    }
    let max_of = |f: &dyn Fn(usize) -> f64| survivors.iter().map(|&i| f(i)).fold(f64::NEG_INFINITY, f64::max);
    let min_of = |f: &dyn Fn(usize) -> f64| survivors.iter().map(|&i| f(i)).fold(f64::INFINITY, f64::min);
    let log_max_volume = max_of(&|i| c.volume[i].max(0.0).ln_1p());
    let log_max_oi = max_of(&|i| c.oi[i].max(0.0).ln_1p());
    let (iv_min, iv_max) = (min_of(&|i| c.iv[i]), max_of(&|i| c.iv[i]));
    let max_distance = max_of(&|i| (c.strike[i] - underlying).abs());
    let spread_cap =
        if filters.max_spread_pct.is_finite() { filters.max_spread_pct } else { max_of(&|i| c.spread_pct(i)) };
    let delta_span = filters.target_delta.max(1.0 - filters.target_delta);
    // When every survivor ties (zero distance, zero spread, one iv) the term is 1 for all.
    let ratio_or_one = |num: f64, den: f64| if den > 0.0 { num / den } else { 1.0 };
    let ratio_or_zero = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };

    for &i in &survivors {
        let volume_term = if log_max_volume > 0.0 { c.volume[i].max(0.0).ln_1p() / log_max_volume } else { 0.0 };
        let oi_term = if log_max_oi > 0.0 { c.oi[i].max(0.0).ln_1p() / log_max_oi } else { 0.0 };
        let liquidity = 0.5 * (volume_term + oi_term);
        let delta = (1.0 - (c.delta[i].abs() - filters.target_delta).abs() / delta_span).clamp(0.0, 1.0);
        let iv = ratio_or_one(iv_max - c.iv[i], iv_max - iv_min);
        let moneyness = 1.0 - ratio_or_zero((c.strike[i] - underlying).abs(), max_distance);
        let spread = (1.0 - ratio_or_zero(c.spread_pct(i), spread_cap)).clamp(0.0, 1.0);
        scores[i] = (weights.liquidity * liquidity
            + weights.delta * delta
            + weights.iv * iv
            + weights.moneyness * moneyness
            + weights.spread * spread)
            / total_weight;
    }
    // Ties go to the strike nearer the money, then to the earlier row: deterministic.
    let best = survivors.iter().copied().max_by(|&a, &b| {
        scores[a]
            .total_cmp(&scores[b])
            .then_with(|| (c.strike[b] - underlying).abs().total_cmp(&(c.strike[a] - underlying).abs()))
            .then_with(|| b.cmp(&a))
    });
    Ok(StrikeScores { scores, best })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chain {
        strike: Vec<f64>,
        is_call: Vec<bool>,
        ltp: Vec<f64>,
        bid: Vec<f64>,
        ask: Vec<f64>,
        volume: Vec<f64>,
        oi: Vec<f64>,
        delta: Vec<f64>,
        iv: Vec<f64>,
    }

    impl Chain {
        fn view(&self) -> Candidates<'_> {
            Candidates {
                strike: &self.strike,
                is_call: &self.is_call,
                ltp: &self.ltp,
                bid: &self.bid,
                ask: &self.ask,
                volume: &self.volume,
                oi: &self.oi,
                delta: &self.delta,
                iv: &self.iv,
            }
        }
    }

    fn three_calls() -> Chain {
        Chain {
            strike: vec![22_400.0, 22_500.0, 22_600.0],
            is_call: vec![true; 3],
            ltp: vec![160.0, 100.0, 60.0],
            bid: vec![159.0, 99.5, 59.0],
            ask: vec![161.0, 100.5, 61.0],
            volume: vec![1_000.0, 50_000.0, 20_000.0],
            oi: vec![5_000.0, 90_000.0, 40_000.0],
            delta: vec![0.65, 0.5, 0.35],
            iv: vec![0.14, 0.13, 0.135],
        }
    }

    #[test]
    fn single_weight_terms_have_exact_values() {
        let chain = three_calls();
        let only = |w: StrikeWeights| score_strikes(&chain.view(), 22_500.0, &w, &StrikeFilters::default()).unwrap();
        let zero = StrikeWeights { liquidity: 0.0, delta: 0.0, iv: 0.0, moneyness: 0.0, spread: 0.0 };
        // Delta term: |0.65-0.5|/0.5 = 0.3 off target.
        assert_eq!(only(StrikeWeights { delta: 1.0, ..zero }).scores, vec![0.7, 1.0, 0.7]);
        // IV term: (0.14 - iv) / 0.01.
        let iv = only(StrikeWeights { iv: 3.0, ..zero }).scores;
        assert!((iv[0] - 0.0).abs() < 1e-12 && (iv[1] - 1.0).abs() < 1e-12 && (iv[2] - 0.5).abs() < 1e-9);
        // Moneyness: 22500 is ATM, the others are the farthest.
        assert_eq!(only(StrikeWeights { moneyness: 1.0, ..zero }).scores, vec![0.0, 1.0, 0.0]);
        let liq = only(StrikeWeights { liquidity: 1.0, ..zero });
        let expect = 0.5 * (1_001f64.ln() / 50_001f64.ln() + 5_001f64.ln() / 90_001f64.ln());
        assert!((liq.scores[0] - expect).abs() < 1e-12);
        assert_eq!(liq.best, Some(1));
    }

    #[test]
    fn filters_give_nan_and_move_the_best() {
        let chain = three_calls();
        let filters = StrikeFilters { min_volume: 10_000.0, max_spread_pct: 2.0, ..Default::default() };
        let s = score_strikes(&chain.view(), 22_500.0, &StrikeWeights::default(), &filters).unwrap();
        assert!(s.scores[0].is_nan());
        assert_eq!(s.best, Some(1));
        let window = StrikeFilters { atm_window: Some(0), ..Default::default() };
        let s = score_strikes(&chain.view(), 22_590.0, &StrikeWeights::default(), &window).unwrap();
        assert_eq!(s.best, Some(2));
        assert!(s.scores[0].is_nan() && s.scores[1].is_nan());
        let puts = StrikeFilters { option_type: Some(false), ..Default::default() };
        let s = score_strikes(&chain.view(), 22_500.0, &StrikeWeights::default(), &puts).unwrap();
        assert_eq!(s.best, None);
    }

    #[test]
    fn ties_score_one_not_zero() {
        let mut chain = three_calls();
        chain.strike = vec![22_500.0; 3];
        chain.bid = chain.ask.clone();
        let zero = StrikeWeights { liquidity: 0.0, delta: 0.0, iv: 0.0, moneyness: 0.0, spread: 0.0 };
        for w in [StrikeWeights { moneyness: 1.0, ..zero }, StrikeWeights { spread: 1.0, ..zero }] {
            let s = score_strikes(&chain.view(), 22_500.0, &w, &StrikeFilters::default()).unwrap();
            assert_eq!(s.scores, vec![1.0; 3]);
        }
    }

    #[test]
    fn bad_requests_are_errors() {
        let chain = three_calls();
        let bad = StrikeWeights { liquidity: -1.0, ..Default::default() };
        assert!(score_strikes(&chain.view(), 22_500.0, &bad, &StrikeFilters::default()).is_err());
        assert!(score_strikes(&chain.view(), f64::NAN, &StrikeWeights::default(), &StrikeFilters::default()).is_err());
        let mut short = three_calls();
        short.iv.pop();
        assert_eq!(
            score_strikes(&short.view(), 22_500.0, &StrikeWeights::default(), &StrikeFilters::default()),
            Err(ScoreError::LengthMismatch)
        );
    }
}
