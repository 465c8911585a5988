//! Volume-weighted average price, reset at each new session.

use super::sum::CompensatedSum;
use super::{check_lengths, BatchError};

/// Σ price·volume / Σ volume since the session id last changed; NaN until some
/// volume was seen in the session. A non-finite price or a non-finite or negative
/// volume yields NaN and is skipped (a new session id still starts a new session).
#[derive(Clone, Debug, Default)]
pub struct Vwap {
    session: Option<i64>,
    price_volume: CompensatedSum,
    volume: CompensatedSum,
    last: f64,
}

impl Vwap {
    pub fn new() -> Self {
        Vwap { last: f64::NAN, ..Vwap::default() }
    }

    #[inline]
    pub fn update(&mut self, price: f64, volume: f64, session: i64) -> f64 {
        if self.session != Some(session) {
            self.session = Some(session);
            self.price_volume.clear();
            self.volume.clear();
        }
        if !(price.is_finite() && volume.is_finite() && volume >= 0.0) {
            self.last = f64::NAN;
            return self.last;
        }
        if volume > 0.0 {
            self.price_volume.add(price * volume);
            self.volume.add(volume);
        }
        let total = self.volume.value();
        self.last = if total > 0.0 { self.price_volume.value() / total } else { f64::NAN };
        self.last
    }

    pub fn reset(&mut self) {
        *self = Vwap::new();
    }

    /// The session id of the last update, if any.
    pub fn session(&self) -> Option<i64> {
        self.session
    }

    pub fn value(&self) -> f64 {
        self.last
    }

    pub fn ready(&self) -> bool {
        !self.last.is_nan()
    }
}

/// [`Vwap`] over equal-length slices of price, volume and session id.
pub fn vwap(price: &[f64], volume: &[f64], session: &[i64]) -> Result<Vec<f64>, BatchError> {
    check_lengths(&[("price", price.len()), ("volume", volume.len()), ("session_id", session.len())])?;
    let mut v = Vwap::new();
    Ok(price.iter().zip(volume).zip(session).map(|((&p, &q), &s)| v.update(p, q, s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testutil::same;

    #[test]
    fn resets_on_new_session() {
        let price = [10.0, 20.0, 30.0, 40.0, 50.0];
        let volume = [0.0, 1.0, 3.0, 2.0, 2.0];
        let session = [1, 1, 1, 2, 2];
        let out = vwap(&price, &volume, &session).unwrap();
        assert!(same(&out, &[f64::NAN, 20.0, 27.5, 40.0, 45.0]), "{out:?}");
    }

    #[test]
    fn skips_bad_ticks() {
        let out = vwap(&[10.0, f64::NAN, 20.0, 30.0], &[1.0, 5.0, -1.0, 1.0], &[0, 0, 0, 0]).unwrap();
        assert!(same(&out, &[10.0, f64::NAN, f64::NAN, 20.0]), "{out:?}");
        assert!(vwap(&[1.0], &[1.0, 2.0], &[0]).is_err());
    }
}
