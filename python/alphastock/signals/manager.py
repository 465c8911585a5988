"""The :class:`SignalManager`: makes a strategy's signal durable, hands it to execution, publishes it.

Order of operations in :meth:`SignalManager.submit` (all on the engine loop, synchronous):

1. validate (status NEW, not seen before: a duplicate id is ignored and counted);
2. append it to the :class:`~alphastock.persistence.journal.Journal` — the durability point
   (one write through the Rust ``AppendFile``, a few µs, GIL kept; survives ``kill -9``);
3. queue the DuckDB insert on the :class:`~alphastock.persistence.writer.StoreWriter`
   (queued, not waited for; before step 4 so that a status change a consumer makes
   is written after the insert);
4. call the execution consumers (the fast path, e.g. the DirectExecutor), so an order
   can reach the broker within the 200 µs budget — DuckDB (1-5 ms per commit) is
   never waited for;
5. publish ``SIGNAL_GENERATED`` when that insert committed — or, if DuckDB failed,
   right then anyway, because the journal holds it and replay inserts it at the
   next start (counted as ``fallback``). So SIGNAL_GENERATED always means "the
   signal is in DuckDB (or in the fallback journal)".

Status changes (:meth:`update_status`) follow :data:`~alphastock.signals.model.SIGNAL_TRANSITIONS`,
are journaled, written to DuckDB and published as ``SIGNAL_UPDATED`` once written
(the writer applies operations in order, so an update is never published before
its signal). NEW signals not acted on within ``signal_ttl_s`` become EXPIRED; a signal an
executor has sent an order for (:meth:`SignalManager.acted_on`) is acted on and never expires,
however long the broker takes to accept that order.
Times are UTC epoch ns from the engine clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from alphastock.clock import Clock, LiveClock, sleep
from alphastock.engine import Health
from alphastock.events import Event, EventType
from alphastock.latency import now_ns as wall_ns
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import Lazy, StoreWriter
from alphastock.ports import Publisher
from alphastock.signals.model import Signal, SignalStatus, SignalTransitionError

log = logging.getLogger(__name__)

EXPIRY_INTERVAL_S = 1.0
"""Engine seconds between expiry sweeps."""

_signal_json = Signal.__pydantic_serializer__.to_json
"""What ``Signal.model_dump_json`` calls (the same bytes, before ``.decode()``), without its ~0.5 µs
of keyword forwarding per signal."""


Consumer = Callable[[Signal, int], object]
"""An execution consumer: called with the signal and the wall time (ns) it was handed over."""


@dataclass(slots=True)
class SignalStats:
    """Counters of a :class:`SignalManager`."""

    submitted: int = 0
    duplicates: int = 0
    invalid: int = 0
    published: int = 0
    fallback: int = 0
    """Published although DuckDB failed (the journal holds the signal)."""
    dropped_events: int = 0
    consumer_errors: int = 0
    expired: int = 0
    illegal_transitions: int = 0


def signal_status_record(signal: Signal) -> dict[str, Any]:
    """The journal's ``signal_status`` data of ``signal``'s current status."""
    return {
        "id": signal.id,
        "status": signal.status.value,
        "updated_ns": signal.updated_ns if signal.updated_ns is not None else signal.ts_ns,
        "metadata": signal.to_record().metadata,
    }


class SignalManager:
    """Signals from strategies to execution (see the module docstring). Keeps the last ``history`` signals."""

    name = "signals"

    def __init__(
        self,
        journal: Journal,
        writer: StoreWriter,
        bus: Publisher,
        clock: Clock | None = None,
        *,
        signal_ttl_s: float = 60.0,
        history: int = 10_000,
    ) -> None:
        self.journal = journal
        self.writer = writer
        self.bus = bus
        self.clock: Clock = clock or LiveClock()
        self.signal_ttl_ns = int(signal_ttl_s * 1e9)
        self.counters = SignalStats()
        self._history = history
        self.by_strategy: Counter[str] = Counter()
        """Signals accepted since start, per strategy instance name."""
        self._signals: OrderedDict[str, Signal] = OrderedDict()
        self._acted: set[str] = set()
        """Signals an executor sent an order for (kept while the signal is remembered)."""
        self._consumers: list[Consumer] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._expiry_task: asyncio.Task[None] | None = None

    # ----- wiring ---------------------------------------------------------------------------------

    def add_consumer(self, consumer: Consumer) -> None:
        """Register an execution consumer; called synchronously for every accepted signal. A consumer
        returning an awaitable gets it scheduled as a task."""
        self._consumers.append(consumer)

    # ----- signals --------------------------------------------------------------------------------

    def submit(self, signal: Signal) -> bool:
        """Accept a new signal (see the module docstring); False when invalid or a duplicate."""
        signal_id = signal.id
        if signal_id in self._signals:
            self.counters.duplicates += 1
            log.info("signal %s already seen; ignored", signal_id)
            return False
        if signal.status is not SignalStatus.NEW:
            self.counters.invalid += 1
            log.warning("signal %s submitted in status %s, not NEW; ignored", signal_id, signal.status)
            return False
        self.journal.append_json("signal", _signal_json(signal).decode())
        self._remember(signal)
        self.counters.submitted += 1
        self.by_strategy[signal.strategy] += 1
        # Queued before the consumers run: a status change they cause (REJECTED, ACTIVE) is queued
        # after the insert, and the writer applies operations in order.
        self.writer.submit(
            "insert_signal", Lazy(signal.to_record), on_committed=lambda ok: self._generated(signal, ok)
        )
        handed_ns = wall_ns()
        for consumer in self._consumers:
            try:
                result = consumer(signal, handed_ns)
            except Exception:
                self.counters.consumer_errors += 1
                log.exception("execution consumer failed on signal %s", signal_id)
                continue
            # None (the usual result) skips the ABC isinstance check, a few hundred ns.
            if result is not None and isinstance(result, Awaitable):
                self._spawn(result)
        return True

    def _generated(self, signal: Signal, ok: bool) -> None:
        if not ok:
            self.counters.fallback += 1
            log.warning("signal %s not in DuckDB (journal fallback); publishing anyway", signal.id)
        self._publish(EventType.SIGNAL_GENERATED, signal, signal.ts_ns)

    def update_status(
        self, signal_id: str, status: SignalStatus | str, reason: str | None = None, **metadata: Any
    ) -> Signal | None:
        """Move a signal to ``status`` (``reason`` kept in its metadata); journals, writes DuckDB and
        publishes SIGNAL_UPDATED once written. None when unknown or not allowed (counted, logged)."""
        current = self._signals.get(signal_id)
        if current is None:
            log.warning("status %s for unknown signal %s ignored", status, signal_id)
            return None
        extra = dict(metadata)
        if reason is not None:
            extra[f"{SignalStatus(status).value.lower()}_reason"] = reason
        try:
            updated = current.with_status(SignalStatus(status), self.clock.now_ns(), **extra)
        except SignalTransitionError as exc:
            self.counters.illegal_transitions += 1
            log.warning("%s", exc)
            return None
        if updated is current:
            return current
        record = signal_status_record(updated)
        self.journal.append("signal_status", record)
        self._signals[signal_id] = updated
        self.writer.submit(
            "update_signal_status",
            record["id"],
            record["status"],
            record["updated_ns"],
            metadata=record["metadata"],
            on_committed=lambda ok: self._publish(EventType.SIGNAL_UPDATED, updated, record["updated_ns"]),
        )
        return updated

    def acted_on(self, signal_id: str) -> None:
        """An executor sent an order for this signal: it is acted on and no longer expires (its order's
        outcome decides its status: ACTIVE when the broker accepts it, REJECTED when refused)."""
        if signal_id in self._signals:
            self._acted.add(signal_id)

    def expire(self, now_ns: int | None = None) -> int:
        """Expire NEW signals older than ``signal_ttl_s`` that no order was sent for; returns how many."""
        now = self.clock.now_ns() if now_ns is None else now_ns
        acted = self._acted
        stale = [
            s.id
            for s in self._signals.values()
            if s.status is SignalStatus.NEW and now - s.ts_ns >= self.signal_ttl_ns and s.id not in acted
        ]
        for signal_id in stale:
            if self.update_status(signal_id, SignalStatus.EXPIRED, "not acted on within the TTL"):
                self.counters.expired += 1
        return len(stale)

    def get(self, signal_id: str) -> Signal | None:
        """The signal with this id, as it is now."""
        return self._signals.get(signal_id)

    def recent(self, n: int = 20) -> list[Signal]:
        """The last ``n`` signals, newest first."""
        return list(reversed(self._signals.values()))[:n]

    def stats(self) -> dict[str, int]:
        """Counters plus signals by status."""
        out = {k: int(getattr(self.counters, k)) for k in self.counters.__slots__}
        for s in self._signals.values():
            out[f"status_{s.status.value.lower()}"] = out.get(f"status_{s.status.value.lower()}", 0) + 1
        return out

    # ----- lifecycle (engine Component) --------------------------------------------------------------

    async def initialize(self) -> None:
        """Nothing to prepare (the journal was replayed by the wiring)."""

    async def start(self) -> None:
        """Start the expiry task (every second of engine time)."""
        self._expiry_task = asyncio.create_task(self._expiry_loop(), name="signal-expiry")

    async def stop(self) -> None:
        """Stop the expiry task and wait for consumer tasks."""
        if self._expiry_task is not None:
            self._expiry_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry_task
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def health(self) -> Health:
        """``ok``, or ``degraded`` once an execution consumer failed; the counters as metrics."""
        metrics = {k: float(v) for k, v in self.stats().items()}
        errors = self.counters.consumer_errors
        if errors:
            return Health("degraded", f"{errors} execution consumer failures", metrics, errors)
        return Health("ok", "", metrics)

    async def _expiry_loop(self) -> None:
        while True:
            await sleep(self.clock, EXPIRY_INTERVAL_S)
            self.expire()

    # ----- internals ------------------------------------------------------------------------------

    def _remember(self, signal: Signal) -> None:
        signals = self._signals
        signals[signal.id] = signal
        # One in, at most one out: submit adds one new id at a time (update_status replaces in place).
        # An OrderedDict because a plain dict's oldest key (next(iter(d))) gets slow after many deletes.
        if len(signals) > self._history:
            old, _ = signals.popitem(last=False)
            self._acted.discard(old)

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _publish(self, kind: EventType, signal: Signal, ts_event: int) -> None:
        if self.bus.publish_nowait(Event(kind, signal, ts_event=ts_event)):
            self.counters.published += 1
        else:
            self.counters.dropped_events += 1
            log.warning("bus refused %s of signal %s", kind, signal.id)


__all__ = [
    "Consumer",
    "SignalManager",
    "SignalStats",
    "signal_status_record",
]
