//! Tick-to-bar aggregation aligned to the IST trading session.
//!
//! Bars of a fixed length start at the session start (09:15:00 IST for NSE) and
//! are labelled by their start time, as Kite labels its candles; the last bar
//! of the day is clipped at the session end (a 1h bar 15:15–15:30). Day bars
//! are labelled 00:00 IST of the trading date and hold that date's session.
//!
//! Rules (see [`BarAggregator`]):
//! * A token's bar is emitted when that token's first tick of a later bar
//!   arrives, when `flush(now)` finds its end at or before `now`, or by `flush_all`.
//! * Ticks outside the session (pre-open 09:00–09:15, post-close) are not
//!   aggregated; they are counted, and in cumulative-volume mode they still
//!   move the volume baseline, so pre-open auction volume is not charged to
//!   the 09:15 bar. A wider session (e.g. MCX 09:00–23:30) is a config option.
//! * A tick earlier than the token's last accepted tick, or inside a bar already
//!   emitted for it, is rejected and counted as late, never merged.
//! * No empty bar is invented unless `fill_gaps` is set: then every interval of
//!   a session after the token's first bar of that session gets a bar (flat at
//!   the previous close, zero volume, zero ticks) up to the session end.

mod aggregator;
pub mod session;

pub use aggregator::{BarAggregator, Config, Counters, VolumeMode};
pub use session::{ist_day, ist_midnight_ns, ConfigError, Interval, Session, IST_OFFSET_NS, NS_PER_DAY, NS_PER_SECOND};

/// One bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub token: i64,
    /// Label: bar start, UTC epoch ns.
    pub start_ns: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// Traded quantity in the bar (units, not lots).
    pub volume: f64,
    /// Ticks aggregated into the bar (0 for a gap-filling bar).
    pub ticks: u64,
}

/// Bars as columns, the shape they leave the core in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bars {
    pub token: Vec<i64>,
    pub start_ns: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub ticks: Vec<u64>,
}

impl Bars {
    pub fn push(&mut self, bar: &Bar) {
        self.token.push(bar.token);
        self.start_ns.push(bar.start_ns);
        self.open.push(bar.open);
        self.high.push(bar.high);
        self.low.push(bar.low);
        self.close.push(bar.close);
        self.volume.push(bar.volume);
        self.ticks.push(bar.ticks);
    }

    pub fn len(&self) -> usize {
        self.token.len()
    }

    pub fn is_empty(&self) -> bool {
        self.token.is_empty()
    }

    /// Row `i` as a [`Bar`].
    pub fn get(&self, i: usize) -> Option<Bar> {
        (i < self.len()).then(|| Bar {
            token: self.token[i],
            start_ns: self.start_ns[i],
            open: self.open[i],
            high: self.high[i],
            low: self.low[i],
            close: self.close[i],
            volume: self.volume[i],
            ticks: self.ticks[i],
        })
    }
}
