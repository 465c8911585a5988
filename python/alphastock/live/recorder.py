"""Recording: a session's ticks and closed bars go to DuckDB (``ticks``, ``bars``), so today's session
can be tomorrow's backtest data (``alphastock db export ticks|bars`` writes them to Parquet).

:class:`Recorder` is an engine component subscribed to TICK_BATCH and BAR at LOW priority, after
every trading subscriber. Its work on the loop is small and bounded: per tick batch, one bulk read
of the batch's tokens from the TickStore (the numpy columns of their newest ticks), a mask keeping
the ticks not recorded yet, and a hand-over of those arrays to the store's
:class:`~alphastock.store.BatchWriter`, whose thread builds the Arrow table and inserts it. Nothing
on the loop waits for the writer: a full writer queue drops the batch, counted (``dropped_rows`` in
:meth:`Recorder.health`) and logged once per run of drops.

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
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from numpy.typing import NDArray
from pydantic import ConfigDict, Field

from alphastock.bus import EventBus, Subscription, conflate_tick_batches
from alphastock.config_model import ConfigModel
from alphastock.engine import BaseComponent, Health, HealthState
from alphastock.events import Event, EventType

if TYPE_CHECKING:
    from alphastock.store import BatchWriter, Store
    from alphastock.ticks import TickStore

log = logging.getLogger(__name__)

TickRecording = Literal["off", "ltp", "full"]

_LTP = ("token", "ts_ns", "last_price", "volume")
_FULL = ("token", "ts_ns", "last_price", "last_qty", "volume", "oi", "bid", "ask", "bid_qty", "ask_qty")


class RecordingConfig(ConfigModel):
    """The ``recording:`` section: what a live, paper or simulator session records into DuckDB."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticks: TickRecording = Field(
        "ltp",
        description="off; ltp (token, time, last price, volume); full (also last qty, OI, best bid/ask "
        "and their quantities)",
    )
    bars: bool = Field(True, description="record every closed bar the runners publish")
    flush_interval_s: float = Field(
        1.0, gt=0, description="wall seconds a recorded row may wait before it is written"
    )
    max_queued_rows: int = Field(
        2_000_000, ge=1, description="rows waiting for the writer before new batches are dropped (counted)"
    )


class Recorder(BaseComponent):
    """Records ticks and closed bars of a session (see the module docstring).

    ``store`` gives the writer (opened at :meth:`start`, flushed and closed at :meth:`stop`);
    ``ticks`` is the session's TickStore. Subscribe it with :meth:`subscribe` after the trading
    subscribers. Runs on the engine's loop.
    """

    def __init__(self, store: Store | None, ticks: TickStore, config: RecordingConfig | None = None) -> None:
        super().__init__("recorder")
        self.config = config or RecordingConfig()
        self._store = store
        self._ticks = ticks
        self._columns = _FULL if self.config.ticks == "full" else _LTP
        self.writer: BatchWriter | None = None
        self._subs: list[Subscription] = []
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
            self._subs.append(
                bus.subscribe(
                    EventType.BAR, self.on_bar, priority=priority, name="recorder-bars", queue_size=65_536
                )
            )

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
            "pending_rows": float(pending), "reread": float(self.reread),
        }  # fmt: skip
        state: HealthState
        if self._closed:
            state = "stopped"
        elif self.dropped_rows or refused:
            state = "degraded"
        else:
            state = "ok" if self.writer is not None or not self.enabled else "starting"
        detail = f"ticks={self.config.ticks} bars={'on' if self.config.bars else 'off'}"
        if self.dropped_rows or refused:
            detail += f"; {self.dropped_rows} rows dropped, {refused} events refused"
        return Health(state, detail, metrics, self.errors)

    # ------------------------------------------------------------------------------------ handlers

    def on_ticks(self, event: Event[Any]) -> None:
        """Bus handler for TICK_BATCH: hand the batch's new ticks to the writer."""
        tokens: NDArray[np.int64] = event.payload.tokens
        if tokens.shape[0] == 0:
            return
        columns = self.new_ticks(tokens)
        rows = int(columns["ts_ns"].shape[0])
        if rows:
            self._hand_over(rows, lambda writer: writer.offer_ticks(columns), "ticks")

    def on_bar(self, event: Event[Any]) -> None:
        """Bus handler for BAR: hand the closed bar to the writer."""
        self._hand_over(1, lambda writer: writer.offer_bars((event.payload,)), "bars")

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
        distinct, counts = np.unique(tokens, return_counts=True)
        known = self._lookup(distinct)
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
        deep_keep = deep["ts_ns"] > last[np.searchsorted(distinct, deep["token"])]
        rest = ~np.isin(row_token, short_tokens)
        names = ("token", *(c for c in _FULL if c != "token"))
        merged = {name: np.concatenate((window[name][rest], deep[name])) for name in names}
        return merged, np.concatenate((keep[rest], deep_keep))

    def _lookup(self, tokens: NDArray[np.int64]) -> NDArray[np.intp]:
        """Indices of sorted ``tokens`` in the known arrays, adding new ones (last recorded: -1)."""
        pos = np.searchsorted(self._known, tokens)
        found = pos < self._known.shape[0]
        found[found] = self._known[pos[found]] == tokens[found]
        if not found.all():
            known = np.union1d(self._known, tokens)
            last = np.full(known.shape[0], -1, dtype=np.int64)
            last[np.searchsorted(known, self._known)] = self._last
            self._known, self._last = known, last
            pos = np.searchsorted(self._known, tokens)
        return pos


__all__ = ["Recorder", "RecordingConfig", "TickRecording"]
