//! Bar intervals and the trading session they are aligned to (IST, UTC+05:30, no DST).

use std::fmt;

pub const NS_PER_SECOND: i64 = 1_000_000_000;
pub const NS_PER_DAY: i64 = 86_400 * NS_PER_SECOND;
/// India Standard Time is UTC+05:30 all year.
pub const IST_OFFSET_NS: i64 = 19_800 * NS_PER_SECOND;
/// Timestamps further than this from the epoch (about 146 years) are rejected as invalid,
/// which keeps every day/offset computation far from i64 overflow.
const MAX_ABS_TS_NS: i64 = i64::MAX / 2;

/// Length of a bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// A fixed length in nanoseconds (> 0), aligned to the session start, e.g. 1s, 1m, 3m, 5m, 15m, 1h.
    Intraday(i64),
    /// One bar per trading date, labelled 00:00 IST of that date (as Kite's day candles are).
    Day,
}

/// The daily session: [start, end) as offsets from 00:00 IST, 0 ≤ start < end ≤ 24h.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    start_ns: i64,
    end_ns: i64,
}

/// A session or interval that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Session {
    /// NSE/BSE cash and F&O: 09:15–15:30 IST.
    pub const NSE: Session =
        Session { start_ns: (9 * 3600 + 15 * 60) * NS_PER_SECOND, end_ns: (15 * 3600 + 30 * 60) * NS_PER_SECOND };

    pub fn new(start_ns: i64, end_ns: i64) -> Result<Self, ConfigError> {
        if 0 <= start_ns && start_ns < end_ns && end_ns <= NS_PER_DAY {
            Ok(Session { start_ns, end_ns })
        } else {
            Err(ConfigError(format!(
                "session must satisfy 00:00 <= start < end <= 24:00 IST, got start {start_ns} ns, end {end_ns} ns"
            )))
        }
    }

    pub fn start_ns(&self) -> i64 {
        self.start_ns
    }

    pub fn end_ns(&self) -> i64 {
        self.end_ns
    }
}

impl Interval {
    pub fn intraday(ns: i64) -> Result<Self, ConfigError> {
        if ns > 0 {
            Ok(Interval::Intraday(ns))
        } else {
            Err(ConfigError(format!("bar interval must be positive, got {ns} ns")))
        }
    }
}

/// The bar a timestamp falls into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// IST calendar day: days since 1970-01-01 in IST.
    pub day: i64,
    /// Bar label (start), UTC epoch ns.
    pub start_ns: i64,
    /// Bar end (exclusive), UTC epoch ns; clipped at the session end.
    pub end_ns: i64,
}

/// Where a timestamp falls relative to the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    InSession(Slot),
    /// Outside the session on this IST day.
    OffSession {
        day: i64,
    },
    /// Too far from the epoch to be a real timestamp.
    Invalid,
}

/// IST calendar day (days since 1970-01-01 IST) of a UTC epoch-ns timestamp.
#[inline]
pub fn ist_day(ts_ns: i64) -> i64 {
    (ts_ns.clamp(-MAX_ABS_TS_NS, MAX_ABS_TS_NS) + IST_OFFSET_NS).div_euclid(NS_PER_DAY)
}

/// 00:00 IST of an IST day, as UTC epoch ns.
#[inline]
pub fn ist_midnight_ns(day: i64) -> i64 {
    day * NS_PER_DAY - IST_OFFSET_NS
}

impl Interval {
    /// The bar holding `ts_ns` under `session`.
    #[inline]
    pub fn place(&self, session: &Session, ts_ns: i64) -> Placement {
        if !(-MAX_ABS_TS_NS..=MAX_ABS_TS_NS).contains(&ts_ns) {
            return Placement::Invalid;
        }
        let local = ts_ns + IST_OFFSET_NS;
        let day = local.div_euclid(NS_PER_DAY);
        let time_of_day = local.rem_euclid(NS_PER_DAY);
        if time_of_day < session.start_ns || time_of_day >= session.end_ns {
            return Placement::OffSession { day };
        }
        let midnight = ist_midnight_ns(day);
        let (start, end) = match *self {
            Interval::Intraday(length) => {
                let start = session.start_ns + (time_of_day - session.start_ns) / length * length;
                (start, start.saturating_add(length).min(session.end_ns))
            }
            Interval::Day => (0, session.end_ns),
        };
        Placement::InSession(Slot { day, start_ns: midnight + start, end_ns: midnight + end })
    }

    /// The intraday bar that starts at `start_ns` (a bar boundary on `day`), if it is inside the session.
    #[inline]
    pub fn slot_starting_at(&self, session: &Session, day: i64, start_ns: i64) -> Option<Slot> {
        let Interval::Intraday(length) = *self else { return None };
        let session_end = ist_midnight_ns(day) + session.end_ns;
        (start_ns < session_end).then(|| Slot {
            day,
            start_ns,
            end_ns: start_ns.saturating_add(length).min(session_end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTC epoch ns of an IST wall-clock time on 2021-04-01.
    fn ist(h: i64, m: i64, s: i64) -> i64 {
        let day = 18_718; // 2021-04-01
        ist_midnight_ns(day) + ((h * 60 + m) * 60 + s) * NS_PER_SECOND
    }

    #[test]
    fn known_epoch() {
        // 2021-04-01T09:15:00+05:30 = 2021-04-01T03:45:00Z = 1617248700 s
        assert_eq!(ist(9, 15, 0), 1_617_248_700 * NS_PER_SECOND);
        assert_eq!(ist_day(ist(0, 0, 0)), 18_718);
        assert_eq!(ist_day(ist(0, 0, 0) - 1), 18_717);
    }

    #[test]
    fn bars_align_to_0915() {
        let m = 60 * NS_PER_SECOND;
        let five = Interval::Intraday(5 * m);
        let Placement::InSession(slot) = five.place(&Session::NSE, ist(9, 21, 59)) else { panic!() };
        assert_eq!((slot.start_ns, slot.end_ns), (ist(9, 20, 0), ist(9, 25, 0)));
        let hour = Interval::Intraday(60 * m);
        let Placement::InSession(last) = hour.place(&Session::NSE, ist(15, 29, 59)) else { panic!() };
        assert_eq!((last.start_ns, last.end_ns), (ist(15, 15, 0), ist(15, 30, 0)), "last hour bar is clipped");
        assert_eq!(hour.place(&Session::NSE, ist(15, 30, 0)), Placement::OffSession { day: 18_718 });
        assert_eq!(hour.place(&Session::NSE, ist(9, 14, 59)), Placement::OffSession { day: 18_718 });
        let Placement::InSession(day) = Interval::Day.place(&Session::NSE, ist(9, 15, 0)) else { panic!() };
        assert_eq!((day.start_ns, day.end_ns), (ist(0, 0, 0), ist(15, 30, 0)));
        assert_eq!(hour.place(&Session::NSE, i64::MAX), Placement::Invalid);
    }

    #[test]
    fn bad_configs() {
        assert!(Session::new(10, 10).is_err());
        assert!(Session::new(0, NS_PER_DAY + 1).is_err());
        assert!(Interval::intraday(0).is_err());
        assert!(Session::new(9 * 3600 * NS_PER_SECOND, 23 * 3600 * NS_PER_SECOND + 30 * 60 * NS_PER_SECOND).is_ok());
    }
}
