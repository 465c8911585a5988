//! The per-token bar state machine.

use rustc_hash::FxHashMap;

use super::session::{ist_midnight_ns, ConfigError, Interval, Placement, Session, Slot};
use super::{Bar, Bars};

/// How the volume column of the ticks is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeMode {
    /// Each tick carries the day's cumulative traded volume (Kite's `volume_traded`);
    /// a tick contributes the increase since the token's previous tick that day.
    Cumulative,
    /// Each tick carries its own traded quantity.
    Quantity,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    pub interval: Interval,
    pub session: Session,
    pub volume: VolumeMode,
    /// Emit flat bars for intervals without ticks (intraday intervals only).
    pub fill_gaps: bool,
    /// Accept zero and negative prices (MCX crude settled below zero in April 2020);
    /// by default they are rejected as invalid, since Kite sends 0 for "no trade yet".
    pub allow_nonpositive_prices: bool,
}

impl Config {
    /// 1-minute bars over the NSE session, cumulative volume, no gap filling.
    pub fn nse(interval: Interval) -> Self {
        Config {
            interval,
            session: Session::NSE,
            volume: VolumeMode::Cumulative,
            fill_gaps: false,
            allow_nonpositive_prices: false,
        }
    }
}

/// What happened to the ticks seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Aggregated into a bar.
    pub accepted: u64,
    /// Outside the session: not aggregated.
    pub off_session: u64,
    /// Earlier than the token's last accepted tick or inside a bar already emitted: rejected.
    pub late: u64,
    /// Non-finite (or, unless allowed, non-positive) price; non-finite or negative volume;
    /// timestamp out of range: rejected.
    pub invalid: u64,
    /// Cumulative volume went down within a day (a feed reset): the tick adds no volume
    /// and the new value becomes the baseline.
    pub volume_resets: u64,
}

#[derive(Clone, Copy, Debug)]
struct OpenBar {
    slot: Slot,
    bar: Bar,
}

#[derive(Clone, Debug)]
struct TokenState {
    token: i64,
    open: Option<OpenBar>,
    /// Timestamp of the last accepted (or off-session) tick.
    last_ts: i64,
    /// End of the last bar emitted; ticks before it are late.
    closed_until: i64,
    /// Close and IST day of the last bar emitted, the reference for gap filling.
    last_close: f64,
    last_day: Option<i64>,
    /// Cumulative-volume baseline and the IST day it belongs to.
    volume_day: Option<i64>,
    volume_base: f64,
}

impl TokenState {
    fn new(token: i64) -> Self {
        TokenState {
            token,
            open: None,
            last_ts: i64::MIN,
            closed_until: i64::MIN,
            last_close: f64::NAN,
            last_day: None,
            volume_day: None,
            volume_base: f64::NAN,
        }
    }
}

/// Aggregates ticks of many tokens into bars of one interval; see the module docs for the rules.
#[derive(Clone, Debug)]
pub struct BarAggregator {
    config: Config,
    index: FxHashMap<i64, usize>,
    states: Vec<TokenState>,
    /// (token, index) of the last lookup: ticks often arrive in runs of one token.
    cached: Option<(i64, usize)>,
    counters: Counters,
}

impl BarAggregator {
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        if config.fill_gaps && config.interval == Interval::Day {
            return Err(ConfigError(
                "fill_gaps applies to intraday intervals only: filling missing days needs a trading calendar".into(),
            ));
        }
        Ok(BarAggregator {
            config,
            index: FxHashMap::default(),
            states: Vec::new(),
            cached: None,
            counters: Counters::default(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Tokens seen so far.
    pub fn token_count(&self) -> usize {
        self.states.len()
    }

    /// Forget every token and zero the counters.
    pub fn reset(&mut self) {
        self.index.clear();
        self.states.clear();
        self.cached = None;
        self.counters = Counters::default();
    }

    fn state_index(&mut self, token: i64) -> usize {
        if let Some((t, i)) = self.cached {
            if t == token {
                return i;
            }
        }
        let next = self.states.len();
        let i = *self.index.entry(token).or_insert(next);
        if i == next {
            self.states.push(TokenState::new(token));
        }
        self.cached = Some((token, i));
        i
    }

    /// Feed ticks in arrival order; bars they close are appended to `out`.
    ///
    /// Errors only when the four columns differ in length (nothing is processed then).
    pub fn update(
        &mut self,
        token: &[i64],
        ts_ns: &[i64],
        price: &[f64],
        volume: &[f64],
        out: &mut Bars,
    ) -> Result<(), ConfigError> {
        let n = token.len();
        if ts_ns.len() != n || price.len() != n || volume.len() != n {
            return Err(ConfigError(format!(
                "tick columns must have equal lengths, got token[{n}], ts_ns[{}], price[{}], volume[{}]",
                ts_ns.len(),
                price.len(),
                volume.len()
            )));
        }
        for i in 0..n {
            self.push(token[i], ts_ns[i], price[i], volume[i], out);
        }
        Ok(())
    }

    /// Feed one tick; a bar it closes is appended to `out`.
    #[inline]
    pub fn push(&mut self, token: i64, ts_ns: i64, price: f64, volume: f64, out: &mut Bars) {
        let price_ok = price.is_finite() && (price > 0.0 || self.config.allow_nonpositive_prices);
        if !(price_ok && volume.is_finite() && volume >= 0.0) {
            self.counters.invalid += 1;
            return;
        }
        // Fast path: most ticks fall in the token's open bar, whose slot is already known.
        let i = self.state_index(token);
        let state = &mut self.states[i];
        if let Some(open) = &mut state.open {
            if open.slot.start_ns <= ts_ns && ts_ns < open.slot.end_ns && ts_ns >= state.last_ts {
                let traded = match self.config.volume {
                    VolumeMode::Quantity => volume,
                    // The open bar's day is the baseline's day: its first tick set the baseline.
                    VolumeMode::Cumulative => cumulative_increase(&mut state.volume_base, volume, &mut self.counters),
                };
                state.last_ts = ts_ns;
                self.counters.accepted += 1;
                let bar = &mut open.bar;
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                bar.volume += traded;
                bar.ticks += 1;
                return;
            }
        }
        self.push_slow(i, token, ts_ns, price, volume, out);
    }

    fn push_slow(&mut self, i: usize, token: i64, ts_ns: i64, price: f64, volume: f64, out: &mut Bars) {
        let placement = self.config.interval.place(&self.config.session, ts_ns);
        let day = match placement {
            Placement::Invalid => {
                self.counters.invalid += 1;
                return;
            }
            Placement::OffSession { day } => day,
            Placement::InSession(slot) => slot.day,
        };
        let config = self.config;
        let state = &mut self.states[i];
        if ts_ns < state.last_ts || ts_ns < state.closed_until {
            self.counters.late += 1;
            return;
        }
        state.last_ts = ts_ns;
        let traded = match config.volume {
            VolumeMode::Quantity => volume,
            VolumeMode::Cumulative if state.volume_day == Some(day) => {
                cumulative_increase(&mut state.volume_base, volume, &mut self.counters)
            }
            VolumeMode::Cumulative => {
                // First reading of the day: its total includes everything traded before
                // (pre-open auction, or the morning before a restart), so it only sets the baseline.
                state.volume_day = Some(day);
                state.volume_base = volume;
                0.0
            }
        };
        let Placement::InSession(slot) = placement else {
            self.counters.off_session += 1;
            return;
        };
        self.counters.accepted += 1;
        if let Some(open) = &mut state.open {
            if open.slot.start_ns == slot.start_ns {
                let bar = &mut open.bar;
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                bar.volume += traded;
                bar.ticks += 1;
                return;
            }
            close_open_bar(state, out);
        }
        if let (true, Some(last_day)) = (config.fill_gaps, state.last_day) {
            // Same day: up to this tick's bar. An earlier day: the rest of that day's session.
            let limit = if last_day == slot.day { slot.start_ns } else { i64::MAX };
            fill(&config, state, last_day, limit, i64::MAX, out);
        }
        state.open = Some(OpenBar {
            slot,
            bar: Bar {
                token,
                start_ns: slot.start_ns,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: traded,
                ticks: 1,
            },
        });
    }

    /// Emit every bar whose interval has ended by `now_ns` (end ≤ now), and with
    /// `fill_gaps` the flat bars of the intervals that ended since, within each token's session.
    pub fn flush(&mut self, now_ns: i64, out: &mut Bars) {
        let config = self.config;
        for state in &mut self.states {
            if state.open.is_some_and(|o| o.slot.end_ns <= now_ns) {
                close_open_bar(state, out);
            }
            if config.fill_gaps && state.open.is_none() {
                if let Some(day) = state.last_day {
                    fill(&config, state, day, i64::MAX, now_ns, out);
                }
            }
        }
    }

    /// Emit every open bar (session end or shutdown); with `fill_gaps`, also the flat bars
    /// up to the end of each token's session.
    pub fn flush_all(&mut self, out: &mut Bars) {
        let config = self.config;
        for state in &mut self.states {
            close_open_bar(state, out);
            if config.fill_gaps {
                if let Some(day) = state.last_day {
                    fill(&config, state, day, i64::MAX, i64::MAX, out);
                }
            }
        }
    }

    /// The bars still forming, one per token that has one, without closing them.
    pub fn open_bars(&self, out: &mut Bars) {
        for open in self.states.iter().filter_map(|s| s.open.as_ref()) {
            out.push(&open.bar);
        }
    }
}

/// Volume traded since the token's previous reading today; a decrease is a feed reset.
#[inline]
fn cumulative_increase(baseline: &mut f64, volume: f64, counters: &mut Counters) -> f64 {
    let base = std::mem::replace(baseline, volume);
    if volume >= base {
        volume - base
    } else {
        counters.volume_resets += 1;
        0.0
    }
}

fn close_open_bar(state: &mut TokenState, out: &mut Bars) {
    if let Some(open) = state.open.take() {
        out.push(&open.bar);
        state.closed_until = open.slot.end_ns;
        state.last_close = open.bar.close;
        state.last_day = Some(open.slot.day);
    }
}

/// Flat bars from the token's last emitted bar on, for bars on `day` starting before
/// `start_limit` and ending by `end_limit`; never past the session end.
fn fill(config: &Config, state: &mut TokenState, day: i64, start_limit: i64, end_limit: i64, out: &mut Bars) {
    if state.last_close.is_nan() || state.closed_until < ist_midnight_ns(day) {
        return;
    }
    while let Some(slot) = config.interval.slot_starting_at(&config.session, day, state.closed_until) {
        if slot.start_ns >= start_limit || slot.end_ns > end_limit {
            break;
        }
        let c = state.last_close;
        out.push(&Bar {
            token: state.token,
            start_ns: slot.start_ns,
            open: c,
            high: c,
            low: c,
            close: c,
            volume: 0.0,
            ticks: 0,
        });
        state.closed_until = slot.end_ns;
    }
}

#[cfg(test)]
#[path = "aggregator_tests.rs"]
mod tests;
