//! Python wrappers for `crate::ticks`: Kite frame parsing and the tick store.

use std::time::{SystemTime, UNIX_EPOCH};

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray0, PyArray1, PyReadonlyArray1};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::columns::{read_columns, slice};
use super::errors::{frame_error, invalid_request};
use super::gil::{self, detach_if_large};
use crate::columns::Column;
use crate::ticks::kite::{Mode, DEPTH_LEVELS};
use crate::ticks::{self, Reject, Tick, TickStore, TokenWindows, Window};

/// Frames at least this long are decoded with the GIL released. A real Kite frame (at most a few
/// thousand 184-byte packets, ~100 µs of decoding) is decoded holding it: once released, a Python
/// thread waiting for the GIL (the broker SDK's sender, the DuckDB writer) takes it and the feed,
/// on the engine's hot path, waits up to that thread's switch interval (5 ms) to get it back.
/// Only bulk decodes (recorded sessions, tests) are long enough to be worth sharing the core.
const DETACH_MIN_BYTES: usize = 1 << 20;

fn depth<'py, T: numpy::Element>(py: Python<'py>, values: Vec<T>) -> PyResult<Bound<'py, PyAny>> {
    let rows = values.len() / DEPTH_LEVELS;
    let array = Array2::from_shape_vec((rows, DEPTH_LEVELS), values).map_err(|e| invalid_request(e.to_string()))?;
    Ok(array.into_pyarray(py).into_any())
}

/// Every packet of a Kite binary frame as columns (see `alphastock.feeds.kite.parse_frame`).
#[pyfunction]
#[pyo3(signature = (frame, strict))]
fn parse_kite_frame<'py>(py: Python<'py>, frame: &[u8], strict: bool) -> PyResult<Bound<'py, PyDict>> {
    let parsed = detach_if_large(py, frame.len(), DETACH_MIN_BYTES, || ticks::parse_frame(frame, strict));
    let c = parsed.map_err(|e| frame_error(py, &e))?;
    let out = PyDict::new(py);
    macro_rules! put {
        ($($name:ident),+) => {$(out.set_item(intern!(py, stringify!($name)), c.$name.into_pyarray(py))?;)+};
    }
    macro_rules! put_depth {
        ($($name:ident),+) => {$(out.set_item(intern!(py, stringify!($name)), depth(py, c.$name)?)?;)+};
    }
    put!(instrument_token, mode, tradable, last_price, last_traded_quantity, average_traded_price, volume_traded);
    put!(total_buy_quantity, total_sell_quantity, open, high, low, close, change, last_trade_time);
    put!(oi, oi_day_high, oi_day_low, exchange_timestamp);
    put_depth!(buy_quantity, buy_price, buy_orders, sell_quantity, sell_price, sell_orders);
    out.set_item(intern!(py, "skipped"), PyArray0::from_owned_array(py, numpy::ndarray::arr0(c.skipped as i64)))?;
    Ok(out)
}

/// `latest()`'s row: token, ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty.
type TickRow = (i64, i64, f64, i64, i64, i64, f64, f64, i64, i64);

/// Per-instrument ring buffers of ticks (wrapped by `alphastock.TickStore`).
#[pyclass(name = "TickStore", module = "alphastock._core")]
struct PyTickStore {
    inner: TickStore,
    /// Tokens of the last `ingest_kite` call, reused so that ingesting does not allocate.
    updated: Vec<u32>,
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn window_dict<'py>(py: Python<'py>, w: Window) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    fill_window(py, &out, w)?;
    Ok(out)
}

fn windows_dict<'py>(py: Python<'py>, got: TokenWindows) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item(intern!(py, "token"), got.token.into_pyarray(py))?;
    fill_window(py, &out, got.rows)?;
    Ok(out)
}

fn fill_window<'py>(py: Python<'py>, out: &Bound<'py, PyDict>, w: Window) -> PyResult<()> {
    macro_rules! put {
        ($($name:ident),+) => {$(out.set_item(intern!(py, stringify!($name)), w.$name.into_pyarray(py))?;)+};
    }
    put!(ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty);
    Ok(())
}

#[pymethods]
impl PyTickStore {
    #[new]
    fn new(capacity: usize) -> PyResult<Self> {
        let inner = TickStore::new(capacity)
            .ok_or_else(|| invalid_request("capacity must be at least 1 tick per instrument"))?;
        Ok(PyTickStore { inner, updated: Vec::new() })
    }

    #[getter]
    fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// Decode a Kite frame straight into the rings; the tokens stored, in packet order.
    #[pyo3(signature = (frame, recv_ts_ns, strict))]
    fn ingest_kite<'py>(
        &mut self,
        py: Python<'py>,
        frame: &[u8],
        recv_ts_ns: Option<i64>,
        strict: bool,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let ts = match recv_ts_ns {
            Some(ts) => ts,
            None => self.inner.receive_stamp(now_ns()),
        };
        let PyTickStore { inner, updated } = self;
        updated.clear();
        let result =
            detach_if_large(py, frame.len(), DETACH_MIN_BYTES, || inner.ingest_kite(frame, ts, strict, updated));
        result.map_err(|e| frame_error(py, &e))?;
        Ok(PyArray1::from_iter(py, updated.iter().map(|&t| i64::from(t))))
    }

    /// Store one tick; False if it was rejected (and counted).
    #[pyo3(signature = (token, ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty))]
    fn push(
        &mut self,
        token: i64,
        ts_ns: i64,
        last_price: f64,
        last_qty: i64,
        volume: i64,
        oi: i64,
        bid: f64,
        ask: f64,
        bid_qty: i64,
        ask_qty: i64,
    ) -> bool {
        let t = Tick { token, ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty };
        self.inner.push(&t).is_ok()
    }

    /// Store rows in order from columns of length n or 1; the number stored.
    #[pyo3(signature = (tokens, ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty))]
    fn push_batch(
        &mut self,
        py: Python<'_>,
        tokens: PyReadonlyArray1<'_, i64>,
        ts_ns: PyReadonlyArray1<'_, i64>,
        last_price: PyReadonlyArray1<'_, f64>,
        last_qty: PyReadonlyArray1<'_, i64>,
        volume: PyReadonlyArray1<'_, i64>,
        oi: PyReadonlyArray1<'_, i64>,
        bid: PyReadonlyArray1<'_, f64>,
        ask: PyReadonlyArray1<'_, f64>,
        bid_qty: PyReadonlyArray1<'_, i64>,
        ask_qty: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<usize> {
        read_columns!(rows; tokens, ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty);
        let store = &mut self.inner;
        let stored = detach_if_large(py, rows, gil::ROWS_MIN, || {
            (0..rows)
                .filter(|&i| {
                    let t = Tick {
                        token: tokens.at(i),
                        ts_ns: ts_ns.at(i),
                        last_price: last_price.at(i),
                        last_qty: last_qty.at(i),
                        volume: volume.at(i),
                        oi: oi.at(i),
                        bid: bid.at(i),
                        ask: ask.at(i),
                        bid_qty: bid_qty.at(i),
                        ask_qty: ask_qty.at(i),
                    };
                    store.push(&t).is_ok()
                })
                .count()
        });
        Ok(stored)
    }

    /// The newest tick of `token` as a tuple, or None.
    fn latest(&self, token: i64) -> Option<TickRow> {
        self.inner
            .latest(token)
            .map(|t| (t.token, t.ts_ns, t.last_price, t.last_qty, t.volume, t.oi, t.bid, t.ask, t.bid_qty, t.ask_qty))
    }

    /// The newest tick of every token as columns (`found`, `token`, then the tick columns).
    fn latest_many<'py>(&self, py: Python<'py>, tokens: PyReadonlyArray1<'_, i64>) -> PyResult<Bound<'py, PyDict>> {
        let tokens = slice(&tokens, "tokens")?;
        let store = &self.inner;
        let got = detach_if_large(py, tokens.len(), gil::ROWS_MIN, || store.latest_many(tokens));
        let out = PyDict::new(py);
        out.set_item(intern!(py, "found"), got.found.into_pyarray(py))?;
        out.set_item(intern!(py, "token"), got.token.into_pyarray(py))?;
        fill_window(py, &out, got.rows)?;
        Ok(out)
    }

    /// Each token's newest `min(counts[i], len)` ticks, oldest first, concatenated, with a `token` column.
    fn window_many<'py>(
        &self,
        py: Python<'py>,
        tokens: PyReadonlyArray1<'_, i64>,
        counts: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let tokens = slice(&tokens, "tokens")?;
        let counts = slice(&counts, "counts")?;
        if counts.len() != 1 && counts.len() != tokens.len() {
            return Err(invalid_request(format!(
                "counts has {} elements; tokens has {}: give one count per token or one for all",
                counts.len(),
                tokens.len()
            )));
        }
        let counts = Column::new(counts, tokens.len());
        let store = &self.inner;
        let got = detach_if_large(py, tokens.len(), gil::ROWS_MIN, || store.window_many(tokens, counts));
        let out = PyDict::new(py);
        out.set_item(intern!(py, "token"), got.token.into_pyarray(py))?;
        fill_window(py, &out, got.rows)?;
        Ok(out)
    }

    /// Keep every tick stored from now on for `take_recorded`, at most `max_rows` untaken (more
    /// are counted in `recording_dropped`); already recording: only the bound changes.
    fn start_recording(&mut self, max_rows: usize) {
        self.inner.start_recording(max_rows);
    }

    /// The ticks stored since recording started or the last take, in store order: `token` and the
    /// tick columns, moved into new arrays (no copy). Empty when not recording.
    fn take_recorded<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        windows_dict(py, self.inner.take_recorded())
    }

    /// Stop recording; the ticks not taken yet (as `take_recorded`).
    fn stop_recording<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        windows_dict(py, self.inner.stop_recording())
    }

    /// Ticks waiting for `take_recorded`.
    #[getter]
    fn recording_pending(&self) -> usize {
        self.inner.recording_pending()
    }

    /// Ticks not recorded because `max_rows` were waiting, since recording started.
    #[getter]
    fn recording_dropped(&self) -> u64 {
        self.inner.recording_dropped()
    }

    /// The newest `min(n, len)` ticks of `token`, oldest first, as a dict of new arrays.
    fn window<'py>(&self, py: Python<'py>, token: i64, n: usize) -> PyResult<Bound<'py, PyDict>> {
        window_dict(py, self.inner.window(token, n))
    }

    /// Tokens with at least one stored tick, in order of their first one.
    fn tokens<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        PyArray1::from_iter(py, self.inner.tokens().iter().map(|&t| i64::from(t)))
    }

    /// Ticks stored for `token`.
    #[pyo3(name = "len")]
    fn len_of(&self, token: i64) -> usize {
        self.inner.len(token)
    }

    /// Approximate bytes held by the rings and the token index.
    fn nbytes(&self) -> usize {
        self.inner.nbytes()
    }

    /// Rejected ticks per reason.
    fn rejected_counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (reason, count) in self.inner.rejected_counts() {
            out.set_item(reason.name(), count)?;
        }
        Ok(out)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_kite_frame, m)?)?;
    m.add_class::<PyTickStore>()?;
    let modes: Vec<(u8, &str)> = Mode::ALL.iter().map(|&mode| (mode as u8, mode.name())).collect();
    m.add("KITE_MODES", modes)?;
    m.add("TICK_REJECT_REASONS", Reject::ALL.map(Reject::name).to_vec())?;
    m.add("KITE_DEPTH_LEVELS", DEPTH_LEVELS)?;
    Ok(())
}
