"""Recording: a session's ticks and closed bars go to DuckDB (``ticks``, ``bars``), so today's session
can be tomorrow's backtest data (``alphastock db export ticks|bars`` writes them to Parquet).

:class:`Recorder` is an engine component subscribed to TICK_BATCH and BAR at LOW priority, after
every trading subscriber. Its work on the loop is small and bounded: a tick batch only notes its
tokens; every ``read_batches`` batches (8; or ``read_ticks`` ticks, or ``read_interval_s`` wall
seconds) one bulk read takes those tokens' new ticks from the TickStore as numpy columns (the ring
keeps thousands of ticks per instrument, so nothing is overwritten meanwhile), a mask keeps the
ticks not recorded yet, and the arrays are handed to the store's
:class:`~alphastock.store.BatchWriter`, whose thread builds the Arrow table and inserts it. Closed
bars are handed over a burst at a time. Nothing on the loop waits for the writer: a full writer
queue drops the batch, counted (``dropped_rows`` in :meth:`Recorder.health`) and logged once per
run of drops. ``benches/test_bench_recording.py`` measures the cost against recording off.

Every stored tick is recorded once, even when the bus merged several batches into one (a slow
recorder gets the union of their tokens): the recorder remembers the newest recorded ``ts_ns`` of
each token and reads one tick more than the batch says are new; when even that oldest tick is new,
ticks were missed by the count and the token is read back to its last recorded tick (or as far as
the ring holds). Every closed bar published on the bus is recorded once.

``recording.ticks``: ``off``; ``ltp`` (token, ts_ns, last_price, volume; the other tick columns
are NULL); ``full`` (every TickStore column: last_qty, oi, best bid/ask and their quantities).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from alphastock.bus import EventBus, Subscription, conflate_tick_batches
from alphastock.config.recording import RecordingConfig
from alphastock.engine import BaseComponent, Health, HealthState
from alphastock.events import Event, EventType
from alphastock.runners.bars import distinct_tokens
from alphastock.ticks import member_of

if TYPE_CHECKING:
    from alphastock.store import BatchWriter, Store
    from alphastock.ticks import TickStore

log = logging.getLogger(__name__)

_LTP = ("token", "ts_ns", "last_price", "volume")
_FULL = ("token", "ts_ns", "last_price", "last_qty", "volume", "oi", "bid", "ask", "bid_qty", "ask_qty")


class Recorder(BaseComponent):
    """Records ticks and closed bars of a session (see the module docstring).

    ``store`` gives the writer (opened at :meth:`start`, flushed and closed at :meth:`stop`);
    ``ticks`` is the session's TickStore. Subscribe it with :meth:`subscribe` after the trading
    subscribers. Runs on the engine's loop.
    """

    def __init__(
        self,
        store: Store | None,
        ticks: TickStore,
        config: RecordingConfig | None = None,
        *,
        read_batches: int = 8,
        read_ticks: int = 4_096,
        read_interval_s: float = 0.25,
    ) -> None:
        super().__init__("recorder")
        if read_batches < 1 or read_ticks < 1 or not read_interval_s > 0:
            raise ValueError("read_batches, read_ticks and read_interval_s must be positive")
        self.read_batches = read_batches
        """Tick batches noted before the TickStore is read (one bulk read for all of them)."""
        self.read_ticks = max(1, min(read_ticks, ticks.capacity - 1))
        """... or ticks noted, whichever comes first (below the ring's capacity: no instrument can get
        more new ticks than its ring holds between two reads)."""
        self.read_interval_s = read_interval_s
        """... or wall seconds since the first noted batch (a quiet feed's last ticks are not held)."""
        self._pending: list[NDArray[np.int64]] = []
        self._pending_ticks = 0
        self._timer: asyncio.TimerHandle | None = None
        self.config = config or RecordingConfig()
        self._store = store
        self._ticks = ticks
        self._columns = _FULL if self.config.ticks == "full" else _LTP
        self.writer: BatchWriter | None = None
        self._subs: list[Subscription] = []
        self._bar_sub: Subscription | None = None
        self._bars: list[Any] = []  # closed bars of the burst being read
        self._batch_tokens = np.empty(0, dtype=np.int64)  # the last batch's tokens and their positions
        self._batch_pos = np.empty(0, dtype=np.intp)
        # Newest recorded ts_ns per token: tokens sorted, for one vectorised lookup per batch.
        self._known = np.empty(0, dtype=np.int64)
        self._last = np.empty(0, dtype=np.int64)
        self._closed = False
        self.ticks_recorded = 0
        """Ticks handed to the writer."""
        self.bars_recorded = 0
        """Bars handed to the writer."""
        self.dropped_rows = 0
        """Rows the writer refused (queue full) or that arrived after the writer closed."""
        self.reread = 0
        """Tokens read back further because a merged batch hid how many ticks were new."""
        self.wrapped = 0
        """Reads that found an instrument's ring overwritten past its last recorded tick (ticks lost)."""

    # ------------------------------------------------------------------------------------ lifecycle

    @property
    def enabled(self) -> bool:
        """Whether anything is recorded."""
        return self.config.ticks != "off" or self.config.bars

    def subscribe(self, bus: EventBus, *, priority: int) -> None:
        """Subscribe to TICK_BATCH (merged when behind: every tick is still recorded) and BAR."""
        if self.config.ticks != "off":
            self._subs.append(
                bus.subscribe(
                    EventType.TICK_BATCH,
                    self.on_ticks,
                    priority=priority,
                    name="recorder-ticks",
                    conflate=conflate_tick_batches,
                )
            )
        if self.config.bars:
            # Not merged: a bar refused here would be lost, so the queue is deep (bars are few).
            self._bar_sub = bus.subscribe(
                EventType.BAR, self.on_bar, priority=priority, name="recorder-bars", queue_size=65_536
            )
            self._subs.append(self._bar_sub)

    async def on_start(self) -> None:
        """Open the store's batch writer."""
        if self._store is not None and self.enabled and self.writer is None:
            self.writer = self._store.writer(
                flush_interval_s=self.config.flush_interval_s, max_queued_rows=self.config.max_queued_rows
            )

    async def on_stop(self, timeout_s: float = 5.0) -> None:
        """Record what the bus still holds for us (at most ``timeout_s`` wall seconds), then flush and
        close the writer. The engine stops components in reverse order, so the runners (and their
        last bars) stop before this."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while any(sub.depth for sub in self._subs) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        self.record_pending()
        self._hand_over_bars()
        self._closed = True
        writer, self.writer = self.writer, None
        if writer is not None:
            await asyncio.to_thread(writer.close)

    def health(self) -> Health:
        """State and counters (rows recorded, dropped, queued in the writer)."""
        pending = 0 if self.writer is None else self.writer.stats.pending_rows
        refused = sum(sub.rejected for sub in self._subs)
        metrics = {
            "ticks": float(self.ticks_recorded), "bars": float(self.bars_recorded),
            "dropped_rows": float(self.dropped_rows), "bus_refused": float(refused),
            "pending_rows": float(pending), "reread": float(self.reread), "wrapped": float(self.wrapped),
        }  # fmt: skip
        state: HealthState
        if self._closed:
            state = "stopped"
        elif self.dropped_rows or refused or self.wrapped:
            state = "degraded"
        else:
            state = "ok" if self.writer is not None or not self.enabled else "starting"
        detail = f"ticks={self.config.ticks} bars={'on' if self.config.bars else 'off'}"
        if self.dropped_rows or refused:
            detail += f"; {self.dropped_rows} rows dropped, {refused} events refused"
        return Health(state, detail, metrics, self.errors)

    # ------------------------------------------------------------------------------------ handlers

    def on_ticks(self, event: Event[Any]) -> None:
        """Bus handler for TICK_BATCH: note the batch's tokens; every ``read_batches`` batches (or
        ``read_ticks`` ticks, or ``read_interval_s``) read their new ticks in one go and hand them to
        the writer. The ring holds thousands of ticks per instrument: nothing is overwritten meanwhile,
        and one read of many batches costs the loop a fraction of a read per batch."""
        tokens: NDArray[np.int64] = event.payload.tokens
        if tokens.shape[0] == 0:
            return
        self._pending.append(tokens)
        self._pending_ticks += int(tokens.shape[0])
        if len(self._pending) >= self.read_batches or self._pending_ticks >= self.read_ticks:
            self.record_pending()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a direct call): read at the thresholds or the stop
                return
            self._timer = loop.call_later(self.read_interval_s, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        try:
            self.record_pending()
        except Exception as exc:  # a timer callback has nobody to raise to
            self.record_error(f"recording ticks: {exc}")
            log.exception("recorder: reading ticks failed")

    def record_pending(self) -> None:
        """Read the noted batches' new ticks from the TickStore now and hand them to the writer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        pending, self._pending, self._pending_ticks = self._pending, [], 0
        if len(pending) == 1:
            columns = self.new_ticks(pending[0])
        else:
            columns = self._new_ticks_counted(np.concatenate(pending))
        rows = int(columns["ts_ns"].shape[0])
        if rows:
            self._hand_over(rows, lambda writer: writer.offer_ticks(columns), "ticks")

    def on_bar(self, event: Event[Any]) -> None:
        """Bus handler for BAR: hand closed bars to the writer, a burst at a time (bars close together,
        hundreds at a minute's end: one hand-over once the burst is read, not one per bar)."""
        self._bars.append(event.payload)
        if self._bar_sub is None or self._bar_sub.depth == 0:
            self._hand_over_bars()

    def record_bars(self, bars: Sequence[Any]) -> None:
        """Hand closed bars (``Bar`` records) to the writer in one batch (what :meth:`on_bar` does
        at the end of a burst)."""
        self._bars.extend(bars)
        self._hand_over_bars()

    def _hand_over_bars(self) -> None:
        bars, self._bars = self._bars, []
        if bars:
            self._hand_over(len(bars), lambda writer: writer.offer_bars(bars), "bars")

    def _hand_over(self, rows: int, offer: Any, kind: str) -> None:
        writer = self.writer
        if writer is None:  # before start or after stop: counted, never silent
            if self._closed and not self.dropped_rows:
                log.warning("recorder: %s arrived after the recording closed (counted as dropped)", kind)
            self.dropped_rows += rows
            return
        try:
            accepted = offer(writer)
        except Exception as exc:  # a closed or failed writer must not stop the bus worker
            self.errors += 1
            self.dropped_rows += rows
            log.warning("recorder: %d %s rows not recorded: %s", rows, kind, exc)
            return
        if not accepted:
            self.dropped_rows += rows  # the writer counted and logged it
        elif kind == "ticks":
            self.ticks_recorded += rows
        else:
            self.bars_recorded += rows

    # ------------------------------------------------------------------------------------ the read

    def new_ticks(self, tokens: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
        """The ticks of ``tokens`` stored since they were last recorded, as the recorded columns
        (``token`` included); marks them recorded."""
        distinct, counts = distinct_tokens(tokens)
        if counts is None:
            # The usual batch: each token once, one new tick each. Two rows per token (the new tick
            # and the one before it) settle it without per-group bookkeeping.
            if np.array_equal(distinct, self._batch_tokens):  # a feed's frames often repeat their tokens
                pos = self._batch_pos
            else:
                pos = self._lookup(distinct)
                self._batch_tokens, self._batch_pos = distinct, pos
            last = self._last[pos]
            window = cast(dict[str, NDArray[Any]], self._ticks.window_many(distinct, 2))
            ts = window["ts_ns"]
            if ts.shape[0] == 2 * distinct.shape[0] and not (ts[0::2] > last).any():
                newest = ts[1::2]
                keep = newest > last
                self._last[pos] = np.maximum(newest, last)
                if keep.all():
                    return {name: window[name][1::2] for name in self._columns}
                return {name: window[name][1::2][keep] for name in self._columns}
        return self._new_ticks_counted(tokens)

    def _new_ticks_counted(self, tokens: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
        """:meth:`new_ticks` in general: repeated tokens, first sight, ticks the batch did not count."""
        # Ticks per token by counting positions among the known tokens (sorted): far cheaper than
        # np.unique on the many batches of one read.
        per_known = np.bincount(self._lookup(tokens), minlength=self._known.shape[0])
        known = np.flatnonzero(per_known)
        distinct = self._known[known]
        counts = per_known[known]
        last = self._last[known]
        want = counts + 1  # one already-recorded tick shows the count was right
        window = cast(dict[str, NDArray[Any]], self._ticks.window_many(distinct, want))
        row_token = window["token"]
        ts = window["ts_ns"]
        n = ts.shape[0]
        if n == 0:
            return {name: window[name] for name in self._columns}
        starts = np.flatnonzero(np.concatenate(([True], row_token[1:] != row_token[:-1])))
        group = np.searchsorted(distinct, row_token[starts])
        lengths = np.diff(np.append(starts, n))
        row_last = np.repeat(last[group], lengths)
        keep = ts > row_last
        # The oldest tick read is new and more could exist: the count undercounted (merged batches).
        short = keep[starts] & (lengths == want[group])
        if short.any():
            window, keep = self._reread(window, keep, row_token, distinct, last, row_token[starts][short])
            row_token = window["token"]
            ts = window["ts_ns"]
            n = ts.shape[0]
            starts = np.flatnonzero(np.concatenate(([True], row_token[1:] != row_token[:-1])))
            group = np.searchsorted(distinct, row_token[starts])
        ends = np.append(starts[1:], n) - 1
        self._last[known[group]] = ts[ends]  # rows are oldest first per token
        return {name: window[name][keep] for name in self._columns}

    def _reread(
        self,
        window: dict[str, NDArray[Any]],
        keep: NDArray[np.bool_],
        row_token: NDArray[np.int64],
        distinct: NDArray[np.int64],
        last: NDArray[np.int64],
        short_tokens: NDArray[np.int64],
    ) -> tuple[dict[str, NDArray[Any]], NDArray[np.bool_]]:
        """The window with ``short_tokens`` read back as far as the ring holds (rare)."""
        self.reread += int(short_tokens.shape[0])
        deep = cast(dict[str, NDArray[Any]], self._ticks.window_many(short_tokens, self._ticks.capacity))
        deep_last = last[np.searchsorted(distinct, deep["token"])]
        deep_keep = deep["ts_ns"] > deep_last
        # A full ring whose oldest tick is still new: the ring wrapped before this read, and ticks
        # between the last recorded one and it are gone. Counted and logged, never silent.
        starts = np.flatnonzero(np.concatenate(([True], deep["token"][1:] != deep["token"][:-1])))
        lengths = np.diff(np.append(starts, deep["token"].shape[0]))
        wrapped = int(
            np.count_nonzero((lengths >= self._ticks.capacity) & deep_keep[starts] & (deep_last[starts] >= 0))
        )
        if wrapped:
            if not self.wrapped:
                log.warning(
                    "recorder: the tick ring of %d instruments wrapped before their ticks were read: "
                    "some ticks were not recorded (counted in the recorder's health)",
                    wrapped,
                )
            self.wrapped += wrapped
        rest = ~member_of(row_token, short_tokens)  # short_tokens are sorted: groups follow `distinct`
        names = ("token", *(c for c in _FULL if c != "token"))
        merged = {name: np.concatenate((window[name][rest], deep[name])) for name in names}
        return merged, np.concatenate((keep[rest], deep_keep))

    def _lookup(self, tokens: NDArray[np.int64]) -> NDArray[np.intp]:
        """Indices of sorted ``tokens`` in the known arrays, adding new ones (last recorded: -1)."""
        pos = np.searchsorted(self._known, tokens)
        found = pos < self._known.shape[0]
        found[found] = self._known[pos[found]] == tokens[found]
        if not found.all():
            # Sorted and deduplicated by hand: np.union1d/np.unique import numpy.ma on first use
            # (~10 ms), which would land on the loop at the first batch.
            known = np.concatenate((self._known, tokens[~found]))
            known.sort()
            known = known[np.concatenate(([True], known[1:] != known[:-1]))]
            last = np.full(known.shape[0], -1, dtype=np.int64)
            last[np.searchsorted(known, self._known)] = self._last
            self._known, self._last = known, last
            self._batch_tokens = np.empty(0, dtype=np.int64)  # positions moved
            pos = np.searchsorted(self._known, tokens)
        return pos


__all__ = ["Recorder"]
