"""DuckDB persistence off the hot path: one background writer thread, and journal replay at start.

The engine never waits for DuckDB (a committed write costs 1-5 ms, the tick →
order budget is 200 µs): a record is first appended to the
:class:`~alphastock.persistence.journal.Journal` (the durability point), then handed
to :class:`StoreWriter`, whose single thread applies the operations in the order
they were queued. An operation may carry an ``on_committed(ok)`` callback; it is
delivered on the asyncio loop that queued it (``call_soon_threadsafe``) so the
receiver stays single-threaded. A failed write is logged, counted and reported
as ``ok=False``: the record is still in the journal, and :func:`replay` inserts
it at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from alphastock.persistence.journal import Journal, read_journal
from alphastock.store import Store
from alphastock.store.records import FillRecord, OrderRecord, option_trade_record, signal_record

log = logging.getLogger(__name__)

OPS: Final = frozenset(
    {
        "insert_signal",
        "update_signal_status",
        "insert_order",
        "transition_order",
        "insert_fill",
        "write_positions",
        "upsert_daily_pnl",
        "record_risk_event",
        "upsert_option_trade",
        "record_option_trade_event",
    }
)
"""The :class:`~alphastock.store.Store` methods a :class:`StoreWriter` applies."""

OnCommitted = Callable[[bool], None]
"""Called with True once the write committed, False when it failed."""


class Lazy:
    """An argument built on the writer thread (``Lazy(fn)`` is replaced by ``fn()``), so that turning an
    immutable object into a store record costs the hot path nothing."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn


@dataclass(slots=True)
class _Op:
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    on_committed: OnCommitted | None
    loop: asyncio.AbstractEventLoop | None


@dataclass(slots=True)
class WriterStats:
    """Counters of a :class:`StoreWriter`."""

    queued: int = 0
    committed: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)


_STOP: Final = object()


class StoreWriter:
    """Applies :data:`OPS` to ``store`` on one background thread, in order (bounded queue of ``maxsize``;
    :meth:`submit` blocks when it is full — back-pressure rather than unbounded memory).

    With ``inline=True`` there is no thread: operations are applied on the loop, in the same
    ``call_later(0)`` callback that would hand them to the thread, and ``on_committed`` callbacks are
    scheduled from there. A simulated-clock run uses it so that when a SIGNAL_GENERATED is published
    never depends on a thread's timing: two runs of the same inputs publish the same sequence."""

    def __init__(self, store: Store, *, maxsize: int = 10_000, inline: bool = False) -> None:
        self.store = store
        self.inline = inline
        self.stats = WriterStats()
        self._queue: queue.Queue[_Op | object] = queue.Queue(maxsize=maxsize)
        self._thread = threading.Thread(target=self._run, name="alphastock-store-writer", daemon=True)
        self._started = False
        self._closed = False
        self._held: list[_Op] = []
        self._release_loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> StoreWriter:
        """Start the thread (idempotent; none when ``inline``); returns self."""
        if not self._started and not self.inline:
            self._started = True
            self._thread.start()
        return self

    def submit(self, op: str, *args: Any, on_committed: OnCommitted | None = None, **kwargs: Any) -> None:
        """Queue ``store.<op>(*args, **kwargs)``; ``on_committed`` runs on the calling loop when done."""
        if op not in OPS:
            raise ValueError(f"unknown store operation {op!r}")
        if self._closed:
            raise RuntimeError("the store writer is closed")
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self.stats.queued += 1
        item = _Op(op, args, kwargs, on_committed, loop)
        if loop is None:
            self._put(item)
            return
        # On the loop, operations are held and handed to the thread by a call_later(0) callback:
        # it runs after the tasks already scheduled (the OMS's broker call), so waking the writer
        # thread (a lock, a notify, then a thread wanting the GIL) never delays the hot path.
        self._held.append(item)
        if self._release_loop is not loop:
            self._release_loop = loop
            loop.call_later(0, self._release)

    def _release(self) -> None:
        """Hand held operations to the thread; runs on the loop that holds them (or once it is gone)."""
        self._release_loop = None
        held, self._held = self._held, []
        for item in held:
            self._put(item)

    def _put(self, item: _Op) -> None:
        if self.inline:
            self._apply(item)
            return
        if not self._started:
            self.start()
        self._queue.put(item)

    @property
    def pending(self) -> int:
        """Operations queued (or held on the loop) and not yet applied."""
        return self._queue.unfinished_tasks + len(self._held)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every queued operation was applied; False on timeout. Not for the event loop
        (use :meth:`aflush` there, which first hands over what the loop holds)."""
        if self.inline:
            return True  # applied on submission (off a loop) or on release (on one)
        if not self._started:
            self.start()
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    async def aflush(self, timeout: float | None = None) -> bool:
        """:meth:`flush` in an executor, for coroutines; callbacks queued by then are delivered before
        this returns (they were scheduled on the loop ahead of it)."""
        self._release()
        ok = await asyncio.get_running_loop().run_in_executor(None, self.flush, timeout)
        await asyncio.sleep(0)
        return ok

    def close(self, timeout: float = 10.0) -> None:
        """Apply what is queued, then stop the thread; idempotent."""
        if self._closed:
            return
        self._release()
        self._closed = True
        if self._started:
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                assert isinstance(item, _Op)
                self._apply(item)
            finally:
                self._queue.task_done()

    def _apply(self, op: _Op) -> None:
        ok = True
        try:
            args = tuple(a.fn() if isinstance(a, Lazy) else a for a in op.args)
            getattr(self.store, op.name)(*args, **op.kwargs)
            self.stats.committed += 1
        except Exception:  # any DuckDB or data error: the journal keeps the record
            ok = False
            self.stats.failed += 1
            self.stats.failures[op.name] = self.stats.failures.get(op.name, 0) + 1
            log.exception("store write %s failed; the record stays in the journal for replay", op.name)
        callback = op.on_committed
        if callback is None:
            return
        if op.loop is None:  # submitted outside a loop: the caller expects the writer's thread
            try:
                callback(ok)
            except Exception:
                log.exception("on_committed callback of %s failed", op.name)
            return
        try:
            op.loop.call_soon_threadsafe(callback, ok)
        except RuntimeError:  # the loop closed: its callbacks (bus publications) have no one to tell
            log.debug("on_committed of %s dropped: its event loop is closed (the row is written)", op.name)


@dataclass(slots=True)
class ReplayStats:
    """What :func:`replay` found and inserted."""

    records: int = 0
    signals: int = 0
    signal_statuses: int = 0
    orders: int = 0
    transitions: int = 0
    fills: int = 0
    option_trades: int = 0
    option_trade_events: int = 0

    def add(self, other: ReplayStats) -> None:
        """Add ``other``'s counts to these (a rebuild sums its journal files)."""
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _events(store: Store, key: str, ts_ns: int, to_state: str) -> int:
    """Stored events of order ``key`` to ``to_state`` at ``ts_ns``."""
    rows = (
        store.cursor()
        .execute(
            "SELECT count(*) FROM order_events WHERE order_key = ? AND ts_ns = ? AND to_state = ?",
            [key, int(ts_ns), to_state],
        )
        .fetchall()
    )
    return int(rows[0][0]) if rows else 0


def _has_trade_event(store: Store, trade_id: str, ts_ns: int, event: str) -> bool:
    rows = store.query(
        "SELECT count(*) AS n FROM option_trade_events WHERE trade_id = ? AND ts_ns = ? AND event = ?",
        [trade_id, ts_ns, event],
    ).to_pylist()
    return bool(rows and rows[0]["n"])


def _signal_state(store: Store, signal_id: str) -> tuple[str, int] | None:
    rows = (
        store.cursor().execute("SELECT status, updated_ns FROM signals WHERE id = ?", [signal_id]).fetchall()
    )
    return None if not rows else (str(rows[0][0]), int(rows[0][1]))


_TERMS: Final = ("quantity", "price", "trigger_price")


def _confirmed_terms(fields: dict[str, Any]) -> dict[str, Any]:
    """An ``order_transition`` record's fields for :meth:`Store.transition_order`. The OMS journals a
    confirmed modification's terms as fields of their own; records written before it did carry them
    only in the ``payload`` (``modify: confirmed``), which is read for them then."""
    payload = fields.get("payload")
    if (
        isinstance(payload, dict)
        and payload.get("modify") == "confirmed"
        and not any(t in fields for t in _TERMS)
    ):
        fields.update({t: payload[t] for t in _TERMS if payload.get(t) is not None})
    return fields


def replay(journal: str | Path | Journal, store: Store) -> ReplayStats:
    """Insert every journaled record DuckDB lacks, in journal order; idempotent (a rerun inserts nothing).

    Signals and orders by key (``insert_*`` return False for existing keys), fills by
    ``(order_key, trade_id)``, the n-th order transition with a given (key, ts_ns, to_state) when
    fewer than n such events are stored (a simulated clock stamps several records of one order
    alike: a modification's request and confirmation, say), with the terms (quantity, price,
    trigger) a confirmed modification set, as the live write set them (see
    :func:`_confirmed_terms`). A signal's status is its last ``signal_status`` record in the
    journal, applied (after every insert) when the stored status or time differs: replaying the
    earlier ones too would move a CLOSED signal back through ACTIVE, and count statuses DuckDB
    already had as missing.
    """
    path = journal.path if isinstance(journal, Journal) else Path(journal)
    stats = ReplayStats()
    last_status: dict[str, dict[str, Any]] = {}
    last_trade: dict[str, dict[str, Any]] = {}
    transitions_seen: dict[tuple[str, int, str], int] = {}
    for record in read_journal(path):
        stats.records += 1
        kind, data = record["kind"], record["data"]
        if kind == "signal":
            stats.signals += store.insert_signal(signal_record(data))
        elif kind == "signal_status":
            last_status.pop(data["id"], None)  # re-inserted: dicts keep insertion order
            last_status[data["id"]] = data
        elif kind == "order":
            stats.orders += store.insert_order(OrderRecord(**data))
        elif kind == "order_transition":
            fields = _confirmed_terms(dict(data))
            key, to_state, ts_ns = fields.pop("key"), fields.pop("to_state"), int(fields.pop("ts_ns"))
            event = (key, ts_ns, to_state)
            transitions_seen[event] = transitions_seen.get(event, 0) + 1
            if store.order(key) is not None and _events(store, *event) < transitions_seen[event]:
                store.transition_order(key, to_state, ts_ns, **fields)
                stats.transitions += 1
        elif kind == "fill":
            stats.fills += store.insert_fill(FillRecord(**data))
        elif kind == "option_trade":
            last_trade[data["trade_id"]] = data
        elif kind == "option_trade_event" and not _has_trade_event(
            store, data["trade_id"], int(data["ts_ns"]), data["event"]
        ):
            trade_id, ts_ns = data["trade_id"], int(data["ts_ns"])
            store.record_option_trade_event(trade_id, ts_ns, data["event"], data["detail"])
            stats.option_trade_events += 1
    for trade_id, data in last_trade.items():
        rows = store.query(
            "SELECT updated_ns, status FROM option_trades WHERE trade_id = ?", [trade_id]
        ).to_pylist()
        latest = (int(data["updated_ns"]), data["status"])
        if not rows or (rows[0]["updated_ns"], rows[0]["status"]) != latest:
            store.upsert_option_trade(option_trade_record(data))
            stats.option_trades += 1
    for signal_id, data in last_status.items():
        stored = _signal_state(store, signal_id)
        if stored is not None and stored != (data["status"], int(data["updated_ns"])):
            store.update_signal_status(
                signal_id, data["status"], int(data["updated_ns"]), metadata=data.get("metadata")
            )
            stats.signal_statuses += 1
    return stats


def replay_and_rotate(journal: Journal, store: Store) -> ReplayStats:
    """:func:`replay`, then :meth:`Journal.rotate` (the old file is renamed, never deleted)."""
    stats = replay(journal, store)
    rotated = journal.rotate()
    if stats.records:
        log.info("journal replay: %s; rotated to %s", stats, rotated)
    return stats


__all__ = [
    "OPS",
    "Lazy",
    "OnCommitted",
    "ReplayStats",
    "StoreWriter",
    "WriterStats",
    "replay",
    "replay_and_rotate",
]
