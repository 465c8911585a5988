use super::*;
use crate::bars::session::{NS_PER_DAY, NS_PER_SECOND};

const DAY: i64 = 18_718; // 2021-04-01 IST
const MINUTE: i64 = 60 * NS_PER_SECOND;

/// UTC epoch ns of an IST wall-clock time on `DAY` + `days`.
fn at(days: i64, h: i64, m: i64, s: i64) -> i64 {
    ist_midnight_ns(DAY + days) + ((h * 60 + m) * 60 + s) * NS_PER_SECOND
}

fn aggregator(minutes: i64, volume: VolumeMode, fill_gaps: bool) -> BarAggregator {
    let config = Config { volume, fill_gaps, ..Config::nse(Interval::Intraday(minutes * MINUTE)) };
    BarAggregator::new(config).unwrap()
}

fn tick(agg: &mut BarAggregator, token: i64, ts: i64, price: f64, volume: f64) -> Bars {
    let mut out = Bars::default();
    agg.push(token, ts, price, volume, &mut out);
    out
}

#[test]
fn builds_ohlcv_and_closes_on_the_next_bar() {
    let mut agg = aggregator(1, VolumeMode::Quantity, false);
    assert!(tick(&mut agg, 1, at(0, 9, 15, 0), 100.0, 10.0).is_empty());
    assert!(tick(&mut agg, 1, at(0, 9, 15, 20), 102.0, 5.0).is_empty());
    assert!(tick(&mut agg, 1, at(0, 9, 15, 40), 99.0, 1.0).is_empty());
    assert!(tick(&mut agg, 1, at(0, 9, 15, 59), 101.0, 2.0).is_empty());
    let out = tick(&mut agg, 1, at(0, 9, 16, 0), 103.0, 7.0);
    assert_eq!(
        out.get(0),
        Some(Bar {
            token: 1,
            start_ns: at(0, 9, 15, 0),
            open: 100.0,
            high: 102.0,
            low: 99.0,
            close: 101.0,
            volume: 18.0,
            ticks: 4
        })
    );
    assert_eq!(out.len(), 1);
    let mut rest = Bars::default();
    agg.flush_all(&mut rest);
    assert_eq!(rest.len(), 1);
    assert_eq!((rest.start_ns[0], rest.volume[0], rest.ticks[0]), (at(0, 9, 16, 0), 7.0, 1));
}

#[test]
fn tokens_are_independent_and_flush_uses_bar_end() {
    let mut agg = aggregator(5, VolumeMode::Quantity, false);
    let mut out = Bars::default();
    agg.update(&[7, 8, 7], &[at(0, 9, 16, 0), at(0, 9, 17, 0), at(0, 9, 21, 0)], &[1.0, 2.0, 3.0], &[1.0; 3], &mut out)
        .unwrap();
    assert_eq!(out.token, vec![7]); // token 8's 09:15 bar is still open
    out = Bars::default();
    agg.flush(at(0, 9, 19, 59), &mut out);
    assert!(out.is_empty());
    agg.flush(at(0, 9, 20, 0), &mut out);
    assert_eq!((out.token.clone(), out.start_ns.clone()), (vec![8], vec![at(0, 9, 15, 0)]));
    let mut open = Bars::default();
    agg.open_bars(&mut open);
    assert_eq!((open.token.clone(), open.start_ns.clone()), (vec![7], vec![at(0, 9, 20, 0)]));
}

#[test]
fn off_session_late_and_invalid_ticks_are_counted() {
    let mut agg = aggregator(1, VolumeMode::Quantity, false);
    tick(&mut agg, 1, at(0, 9, 8, 0), 100.0, 1.0); // pre-open
    tick(&mut agg, 1, at(0, 9, 15, 30), 100.0, 1.0);
    tick(&mut agg, 1, at(0, 9, 15, 10), 100.0, 1.0); // earlier than the last tick
    tick(&mut agg, 1, at(0, 9, 15, 40), f64::NAN, 1.0);
    tick(&mut agg, 1, at(0, 9, 15, 40), 0.0, 1.0);
    tick(&mut agg, 1, at(0, 9, 15, 40), 100.0, -1.0);
    tick(&mut agg, 1, i64::MAX, 100.0, 1.0);
    tick(&mut agg, 1, at(0, 15, 30, 0), 100.0, 1.0); // session end is exclusive
    let mut out = Bars::default();
    agg.flush(at(0, 9, 16, 0), &mut out);
    assert_eq!(out.ticks, vec![1]);
    tick(&mut agg, 1, at(0, 9, 15, 59), 100.0, 1.0); // its bar was already emitted
    assert_eq!(
        agg.counters(),
        Counters { accepted: 1, off_session: 2, late: 2, invalid: 4, volume_resets: 0 },
        "the 15:30 tick is off-session; it also made the 09:15:59 tick late"
    );
}

#[test]
fn cumulative_volume_uses_differences_and_off_session_baseline() {
    let mut agg = aggregator(1, VolumeMode::Cumulative, false);
    tick(&mut agg, 1, at(0, 9, 8, 0), 100.0, 5000.0); // pre-open auction volume: baseline only
    tick(&mut agg, 1, at(0, 9, 15, 1), 100.0, 5010.0);
    tick(&mut agg, 1, at(0, 9, 15, 2), 100.0, 5025.0);
    let out = tick(&mut agg, 1, at(0, 9, 16, 0), 100.0, 5030.0);
    assert_eq!(out.volume, vec![25.0]);
    tick(&mut agg, 1, at(0, 9, 16, 5), 100.0, 10.0); // feed reset
    let out = tick(&mut agg, 1, at(0, 9, 17, 0), 100.0, 12.0);
    assert_eq!(out.volume, vec![5.0]);
    assert_eq!(agg.counters().volume_resets, 1);
    // Next day: the first reading only sets the baseline.
    let out = tick(&mut agg, 1, at(1, 9, 15, 0), 100.0, 700.0);
    assert_eq!(out.volume, vec![2.0]);
    tick(&mut agg, 1, at(1, 9, 15, 3), 100.0, 750.0);
    let mut rest = Bars::default();
    agg.flush_all(&mut rest);
    assert_eq!(rest.volume, vec![50.0]);
}

#[test]
fn hour_and_day_bars() {
    let config = Config { volume: VolumeMode::Quantity, ..Config::nse(Interval::Intraday(60 * MINUTE)) };
    let mut hour = BarAggregator::new(config).unwrap();
    let mut day = BarAggregator::new(Config { interval: Interval::Day, ..config }).unwrap();
    let mut hours = Bars::default();
    let mut days = Bars::default();
    for (d, h, m, p) in [(0, 9, 15, 1.0), (0, 10, 14, 2.0), (0, 10, 15, 3.0), (0, 15, 29, 4.0), (1, 9, 20, 5.0)] {
        hour.push(3, at(d, h, m, 0), p, 1.0, &mut hours);
        day.push(3, at(d, h, m, 0), p, 1.0, &mut days);
    }
    assert_eq!(hours.start_ns, vec![at(0, 9, 15, 0), at(0, 10, 15, 0), at(0, 15, 15, 0)]);
    assert_eq!(hours.close, vec![2.0, 3.0, 4.0]);
    assert_eq!(days.start_ns, vec![at(0, 0, 0, 0)]);
    assert_eq!((days.open[0], days.high[0], days.low[0], days.close[0], days.ticks[0]), (1.0, 4.0, 1.0, 4.0, 4));
    let mut flushed = Bars::default();
    day.flush(at(1, 15, 29, 59), &mut flushed);
    assert!(flushed.is_empty());
    day.flush(at(1, 15, 30, 0), &mut flushed);
    assert_eq!(flushed.start_ns, vec![at(1, 0, 0, 0)]);
    assert!(BarAggregator::new(Config { fill_gaps: true, ..Config::nse(Interval::Day) }).is_err());
}

#[test]
fn fill_gaps_within_the_session_only() {
    let mut agg = aggregator(1, VolumeMode::Quantity, true);
    tick(&mut agg, 1, at(0, 9, 20, 0), 100.0, 1.0); // no bars before the first trade of the day
    let out = tick(&mut agg, 1, at(0, 9, 23, 30), 101.0, 1.0);
    assert_eq!(out.start_ns, vec![at(0, 9, 20, 0), at(0, 9, 21, 0), at(0, 9, 22, 0)]);
    assert_eq!((out.close[2], out.volume[2], out.ticks[2]), (100.0, 0.0, 0));
    let mut flushed = Bars::default();
    agg.flush(at(0, 9, 26, 30), &mut flushed);
    assert_eq!(flushed.start_ns, vec![at(0, 9, 23, 0), at(0, 9, 24, 0), at(0, 9, 25, 0)]);
    assert_eq!(flushed.close, vec![101.0, 101.0, 101.0]);
    // A tick the next day fills the rest of today's session (to 15:29), not the night.
    let out = tick(&mut agg, 1, at(1, 9, 30, 0), 102.0, 1.0);
    assert_eq!(out.len(), (15 * 60 + 30) - (9 * 60 + 26));
    assert_eq!(*out.start_ns.last().unwrap(), at(0, 15, 29, 0));
    let mut rest = Bars::default();
    agg.flush_all(&mut rest);
    assert_eq!(rest.len(), (15 * 60 + 30) - (9 * 60 + 30));
    assert_eq!((rest.ticks[0], rest.ticks[1], rest.close[1]), (1, 0, 102.0));
}

#[test]
fn wide_session_for_mcx() {
    let session = Session::new(9 * 3600 * NS_PER_SECOND, (23 * 3600 + 30 * 60) * NS_PER_SECOND).unwrap();
    let config = Config { session, volume: VolumeMode::Quantity, ..Config::nse(Interval::Intraday(15 * MINUTE)) };
    let mut agg = BarAggregator::new(config).unwrap();
    let mut out = Bars::default();
    agg.push(9, at(0, 9, 5, 0), 1.0, 1.0, &mut out);
    agg.push(9, at(0, 23, 29, 0), 2.0, 1.0, &mut out);
    agg.push(9, at(0, 23, 31, 0), 3.0, 1.0, &mut out);
    assert_eq!(out.start_ns, vec![at(0, 9, 0, 0)]);
    agg.flush(at(1, 0, 0, 0), &mut out);
    assert_eq!(out.start_ns, vec![at(0, 9, 0, 0), at(0, 23, 15, 0)]);
    assert_eq!(agg.counters().off_session, 1);
    assert_eq!(at(1, 0, 0, 0) - at(0, 0, 0, 0), NS_PER_DAY);
}

#[test]
fn mismatched_columns_are_rejected_whole() {
    let mut agg = aggregator(1, VolumeMode::Quantity, false);
    let mut out = Bars::default();
    assert!(agg.update(&[1, 2], &[0], &[1.0, 2.0], &[1.0, 1.0], &mut out).is_err());
    assert_eq!(agg.counters(), Counters::default());
    assert_eq!(agg.token_count(), 0);
}
