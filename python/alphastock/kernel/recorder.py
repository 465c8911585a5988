"""Recording: a session's ticks and closed bars go to DuckDB (``ticks``, ``bars``), so today's session
can be tomorrow's backtest data (``alphastock db export ticks|bars`` writes them to Parquet).

:class:`Recorder` is an engine component subscribed to TICK_BATCH and BAR at LOW priority, after
every trading subscriber. The TickStore keeps every tick it accepts on its recording tap
(:meth:`~alphastock.ticks.TickStore.start_recording`: one copy of the tick's fields, in Rust, as it is
stored), so every stored tick is recorded exactly once, in the order it was stored, whatever the bus
merged or refused. A tick batch only counts ticks; every ``read_batches`` batches (8; or ``read_ticks``
ticks, or ``read_interval_s`` wall seconds) the tap's columns are taken whole (handed over, not copied)
and given to the store's :class:`~alphastock.store.BatchWriter`, whose thread builds the Arrow table and
inserts it. Closed bars are handed over a burst at a time. Nothing on the loop waits for the writer: a
full writer queue drops the batch, counted (``dropped_rows`` in :meth:`Recorder.health`) and logged
once per run of drops; so does a tap left untaken past :data:`TAP_ROWS`.
``benches/test_bench_recording.py`` measures the cost against recording off.

``recording.ticks``: ``off``; ``ltp`` (token, ts_ns, last_price, volume; the other tick columns
are NULL); ``full`` (every TickStore column: last_qty, oi, best bid/ask and their quantities).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from alphastock.bus import EventBus, Subscription, conflate_tick_batches
from alphastock.config.recording import RecordingConfig
from alphastock.engine import BaseComponent, Health, HealthState
from alphastock.events import Event, EventType

if TYPE_CHECKING:
    from alphastock.store import BatchWriter, Store
    from alphastock.ticks import TickStore

log = logging.getLogger(__name__)

TAP_ROWS = 1 << 20
"""Ticks the TickStore's recording tap holds untaken at most (~80 MB); more are counted as dropped. A
read every few batches keeps it near empty; only a stalled loop could fill it."""

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
        """Tick batches counted before the tap is taken (one hand-over for all of them)."""
        self.read_ticks = read_ticks
        """... or ticks counted, whichever comes first."""
        self.read_interval_s = read_interval_s
        """... or wall seconds since the first counted batch (a quiet feed's last ticks are not held)."""
        self._pending_batches = 0
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
        """Open the store's batch writer and the TickStore's recording tap."""
        if self._store is not None and self.enabled and self.writer is None:
            self.writer = self._store.writer(
                flush_interval_s=self.config.flush_interval_s, max_queued_rows=self.config.max_queued_rows
            )
        if self.config.ticks != "off":
            self._ticks.start_recording(TAP_ROWS)

    async def on_stop(self, timeout_s: float = 5.0) -> None:
        """Record what the bus still holds for us (at most ``timeout_s`` wall seconds), then flush and
        close the writer. The engine stops components in reverse order, so the runners (and their
        last bars) stop before this."""
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

    def on_ticks(self, event: Event[Any]) -> None:
        """Bus handler for TICK_BATCH: count the batch; every ``read_batches`` batches (or
        ``read_ticks`` ticks, or ``read_interval_s``) hand the tap's ticks to the writer."""
        count = int(event.payload.tokens.shape[0])
        if count == 0:
            return
        self._pending_batches += 1
        self._pending_ticks += count
        if self._pending_batches >= self.read_batches or self._pending_ticks >= self.read_ticks:
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
        """Take the TickStore tap's ticks now and hand them to the writer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending_batches = self._pending_ticks = 0
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
