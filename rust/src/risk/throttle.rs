//! Order-rate windows: rolling 1 s and 60 s counts and a daily count of approved orders.
//!
//! An order recorded at `t` is inside a window of length `w` at time `now` when
//! `now - w < t`, i.e. its age is strictly less than the window: ten orders at `t = 0` block an
//! eleventh until `now = 1 s` exactly. Timestamps come from the caller; one earlier than the
//! latest recorded is recorded as the latest (the window stays sorted, and a clock that steps
//! back can only make the engine stricter, never looser).

use std::collections::VecDeque;

pub const SECOND_NS: i64 = 1_000_000_000;
pub const MINUTE_NS: i64 = 60 * SECOND_NS;

#[derive(Clone, Debug, Default)]
pub struct Throttle {
    /// Timestamps (ns) of the orders recorded in the last minute, oldest first.
    recent: VecDeque<i64>,
    today: u32,
}

impl Throttle {
    /// Forgets orders that have left the longest (60 s) window.
    #[inline]
    fn prune(&mut self, now_ns: i64) {
        let cutoff = now_ns.saturating_sub(MINUTE_NS);
        while self.recent.front().is_some_and(|&t| t <= cutoff) {
            self.recent.pop_front();
        }
    }

    /// Orders recorded in the last second, counting at most `stop_at` of them.
    #[inline]
    pub fn last_second(&mut self, now_ns: i64, stop_at: u32) -> u32 {
        self.prune(now_ns);
        let cutoff = now_ns.saturating_sub(SECOND_NS);
        let mut n = 0;
        for &t in self.recent.iter().rev() {
            if t <= cutoff || n >= stop_at {
                break;
            }
            n += 1;
        }
        n
    }

    /// Orders recorded in the last 60 seconds.
    #[inline]
    pub fn last_minute(&mut self, now_ns: i64) -> u32 {
        self.prune(now_ns);
        self.recent.len() as u32
    }

    /// Orders recorded since the last `reset_day`.
    #[inline]
    pub fn today(&self) -> u32 {
        self.today
    }

    /// Counts one order sent at `now_ns`.
    pub fn record(&mut self, now_ns: i64) {
        let t = self.recent.back().map_or(now_ns, |&last| last.max(now_ns));
        self.recent.push_back(t);
        self.today = self.today.saturating_add(1);
        self.prune(now_ns);
    }

    /// A new trading day: the daily count restarts; the rolling windows keep running.
    pub fn reset_day(&mut self) {
        self.today = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_second_is_half_open() {
        let mut th = Throttle::default();
        for _ in 0..10 {
            th.record(0);
        }
        assert_eq!(th.last_second(0, u32::MAX), 10);
        assert_eq!(th.last_second(SECOND_NS - 1, u32::MAX), 10);
        assert_eq!(th.last_second(SECOND_NS, u32::MAX), 0);
        assert_eq!(th.last_second(0, 3), 3); // counting stops early
        assert_eq!(th.last_minute(SECOND_NS), 10);
        assert_eq!(th.last_minute(MINUTE_NS - 1), 10);
        assert_eq!(th.last_minute(MINUTE_NS), 0);
        assert_eq!(th.today(), 10);
        th.reset_day();
        assert_eq!(th.today(), 0);
    }

    #[test]
    fn clock_stepping_back_stays_conservative() {
        let mut th = Throttle::default();
        th.record(5 * SECOND_NS);
        th.record(2 * SECOND_NS); // recorded as 5 s
        assert_eq!(th.last_second(5 * SECOND_NS + 999_999_999, u32::MAX), 2);
        assert_eq!(th.last_second(3 * SECOND_NS, u32::MAX), 2);
    }
}
