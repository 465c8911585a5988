"""Recording: a session's ticks and closed bars go to DuckDB (``ticks``, ``bars``), so today's session
can be tomorrow's backtest data (``alphastock db export ticks|bars`` writes them to Parquet).

The :class:`Recorder` is an engine component. The TickStore keeps every tick it accepts on its recording
tap (:meth:`~alphastock.ticks.TickStore.start_recording`: one copy of the tick's fields, in Rust, as it
is stored), so every stored tick is recorded exactly once, in the order it was stored, whatever the bus
merged or refused. The recorder is not on the tick path at all: it does not subscribe to TICK_BATCH
(a subscriber costs every batch a bus hand-off and a task wake-up, which the live first-order latency
showed: ~20 µs of p50); a timer takes the tap's columns whole every ``read_interval_s`` wall seconds
(0.25 s: ~100 µs of loop work four times a second) and hands them to the store's
:class:`~alphastock.store.BatchWriter`, whose thread builds the Arrow table and inserts it. Wall time,
not the engine clock: the tap fills at the feed's wall rate, and a simulated run's clock jumps; the
stop takes what is left. Closed bars come as BAR events (few: a burst a minute) at LOW priority after
every trading subscriber, handed over a burst at a time. Nothing on the loop waits for the writer: a
full writer queue drops the batch, counted (``dropped_rows`` in :meth:`Recorder.health`) and logged
once per run of drops; so does a tap left untaken past :data:`TAP_ROWS`.
``benches/test_bench_recording.py`` measures the cost against recording off.

``recording.ticks``: ``off``; ``ltp`` (token, ts_ns, last_price, volume; the other tick columns
are NULL); ``full`` (every TickStore column: last_qty, oi, best bid/ask and their quantities).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from alphastock.bus import EventBus, Subscription
from alphastock.config.recording import RecordingConfig
from alphastock.engine import BaseComponent, Health, HealthState
from alphastock.events import Event, EventType

if TYPE_CHECKING:
    from alphastock.store import BatchWriter, Store
    from alphastock.ticks import TickStore

log = logging.getLogger(__name__)

TAP_ROWS = 1 << 20
"""Ticks the TickStore's recording tap holds untaken at most (~80 MB); more are counted as dropped. A
read every ``read_interval_s`` keeps it near empty (4M ticks/s would fill it in 0.25 s); only a stalled
loop could fill it."""

_LTP = ("token", "ts_ns", "last_price", "volume")
_FULL = ("token", "ts_ns", "last_price", "last_qty", "volume", "oi", "bid", "ask", "bid_qty", "ask_qty")


class Recorder(BaseComponent):
    """Records ticks and closed bars of a session (see the module docstring).

    ``store`` gives the writer (opened at :meth:`start`, flushed and closed at :meth:`stop`);
    ``ticks`` is the session's TickStore; ``read_interval_s`` the wall seconds between two takes of the
    tap. Subscribe it (closed bars) with :meth:`subscribe` after the trading subscribers. Runs on the
    engine's loop.
    """

    def __init__(
        self,
        store: Store | None,
        ticks: TickStore,
        config: RecordingConfig | None = None,
        *,
        read_interval_s: float = 0.25,
    ) -> None:
        super().__init__("recorder")
        if not read_interval_s > 0:
            raise ValueError("read_interval_s must be positive")
        self.read_interval_s = read_interval_s
        """Wall seconds between two takes of the TickStore's recording tap."""
        self._reader: asyncio.Task[None] | None = None
        self.config = config or RecordingConfig()
        self._store = store
        self._ticks = ticks
        self._columns = _FULL if self.config.ticks == "full" else _LTP
        self.writer: BatchWriter | None = None
        self._subs: list[Subscription] = []
        self._bar_sub: Subscription | None = None
        self._bars: list[Any] = []  # closed bars of the burst being read
        self._closed = False
        self.ticks_recorded = 0
        """Ticks handed to the writer."""
        self.bars_recorded = 0
        """Bars handed to the writer."""
        self.dropped_rows = 0
        """Rows the writer refused (queue full) or that arrived after the writer closed."""
        self._tap_dropped = 0  # the tap's drop count already added to dropped_rows

    # ------------------------------------------------------------------------------------ lifecycle

    @property
    def enabled(self) -> bool:
        """Whether anything is recorded."""
        return self.config.ticks != "off" or self.config.bars

    def subscribe(self, bus: EventBus, *, priority: int) -> None:
        """Subscribe to BAR (ticks are taken from the TickStore's tap on a timer, not from the bus)."""
        if self.config.bars:
            # Not merged: a bar refused here would be lost, so the queue is deep (bars are few).
            self._bar_sub = bus.subscribe(
                EventType.BAR, self.on_bar, priority=priority, name="recorder-bars", queue_size=65_536
            )
            self._subs.append(self._bar_sub)

    async def on_start(self) -> None:
        """Open the store's batch writer and the TickStore's recording tap."""
        if self._store is not None and self.enabled and self.writer is None:
            self.writer = self._store.writer(
                flush_interval_s=self.config.flush_interval_s, max_queued_rows=self.config.max_queued_rows
            )
        if self.config.ticks != "off":
            self._ticks.start_recording(TAP_ROWS)
            self._reader = asyncio.ensure_future(self._read_every_interval())

    async def _read_every_interval(self) -> None:
        while True:
            await asyncio.sleep(self.read_interval_s)
            try:
                self.record_pending()
            except Exception as exc:  # a failed read is counted; the next one takes what is left
                self.record_error(f"recording ticks: {exc}")
                log.exception("recorder: reading ticks failed")

    async def on_stop(self, timeout_s: float = 5.0) -> None:
        """Record what the bus still holds for us (at most ``timeout_s`` wall seconds), then flush and
        close the writer. The engine stops components in reverse order, so the runners (and their
        last bars) stop before this."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while any(sub.depth for sub in self._subs) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        self.record_pending()
        if self.config.ticks != "off":
            self._record(self._ticks.stop_recording())
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
            "pending_rows": float(pending),
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

    def record_pending(self) -> None:
        """Take the TickStore tap's ticks now and hand them to the writer (the timer's read)."""
        if self.config.ticks != "off":
            self._record(self._ticks.take_recorded())

    def _record(self, taken: Any) -> None:
        dropped = self._ticks.recording_dropped - self._tap_dropped
        if dropped > 0:  # the tap was full: counted, and said once per run of drops
            if not self.dropped_rows:
                log.warning("recorder: %d ticks not recorded: the TickStore's tap was full", dropped)
            self._tap_dropped += dropped
            self.dropped_rows += dropped
        rows = int(taken["ts_ns"].shape[0])
        if rows:
            columns = {name: taken[name] for name in self._columns}
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


__all__ = ["TAP_ROWS", "Recorder"]
