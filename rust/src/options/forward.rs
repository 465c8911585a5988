//! The forward implied by put-call parity across a strike ladder.

/// How many near-the-money strikes vote on the forward by default.
pub const DEFAULT_FORWARD_STRIKES: usize = 5;

/// Forward price implied by put-call parity, `C − P = e^{−rt}·(F − K)`.
///
/// Each strike with a finite, non-negative call and put price gives one
/// estimate `F = K + (C − P)·e^{rt}`. The `n_strikes` strikes with the smallest
/// `|C − P|` are the ones nearest the forward (where both sides are liquid and
/// parity is tightest); the result is the median of their estimates, so one
/// stale quote cannot move it. NaN when no strike is usable or `t`/`r` are invalid.
pub fn implied_forward(calls: &[f64], puts: &[f64], strikes: &[f64], t: f64, r: f64, n_strikes: usize) -> f64 {
    if !t.is_finite() || t < 0.0 || !r.is_finite() || n_strikes == 0 {
        return f64::NAN;
    }
    let growth = (r * t).exp();
    let mut votes: Vec<(f64, f64)> = calls
        .iter()
        .zip(puts)
        .zip(strikes)
        .filter(|((c, p), k)| c.is_finite() && p.is_finite() && k.is_finite() && **c >= 0.0 && **p >= 0.0 && **k > 0.0)
        .map(|((c, p), k)| ((c - p).abs(), k + (c - p) * growth))
        .collect();
    if votes.is_empty() {
        return f64::NAN;
    }
    votes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut nearest: Vec<f64> = votes.iter().take(n_strikes).map(|v| v.1).collect();
    nearest.sort_by(f64::total_cmp);
    let mid = nearest.len() / 2;
    if nearest.len() % 2 == 1 {
        nearest[mid]
    } else {
        0.5 * (nearest[mid - 1] + nearest[mid])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{price, Contract, Model};

    #[test]
    fn recovers_the_forward_of_a_black76_chain_with_one_bad_quote() {
        let (f, t, r) = (22_517.35, 7.0 / 365.0, 0.065);
        let strikes: Vec<f64> = (0..41).map(|i| 21_500.0 + 50.0 * i as f64).collect();
        let quote =
            |is_call: bool, k: f64| price(&Contract { is_call, s: f, k, t, r, q: 0.0, model: Model::Black76 }, 0.13);
        let calls: Vec<f64> = strikes.iter().map(|&k| quote(true, k)).collect();
        let mut puts: Vec<f64> = strikes.iter().map(|&k| quote(false, k)).collect();
        puts[20] += 40.0; // a stale put right at the money
        let est = implied_forward(&calls, &puts, &strikes, t, r, 5);
        assert!((est - f).abs() < 1e-6, "{est}");
    }

    #[test]
    fn unusable_input_is_nan() {
        assert!(implied_forward(&[], &[], &[], 0.1, 0.05, 5).is_nan());
        assert!(implied_forward(&[f64::NAN], &[1.0], &[100.0], 0.1, 0.05, 5).is_nan());
        assert!(implied_forward(&[1.0], &[1.0], &[100.0], -0.1, 0.05, 5).is_nan());
    }
}
