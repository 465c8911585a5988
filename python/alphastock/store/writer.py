"""The background batch writer: ticks and bars go to DuckDB as Arrow tables, off the caller's thread.

:meth:`BatchWriter.append_ticks` / :meth:`BatchWriter.append_bars` take numpy
column dicts (the TickStore's and BarAggregator's output), build a
``pyarrow.Table`` (zero-copy for int64/float64 columns) and queue it; a writer
thread concatenates what is queued and inserts it with one
``INSERT INTO ... SELECT ... FROM <arrow table>`` per table and flush (never row
by row). A flush happens when a table has ``flush_rows`` rows queued, when the
oldest queued batch is ``flush_interval_s`` old, on :meth:`~BatchWriter.flush`
and on :meth:`~BatchWriter.close`.

Each flush commits each table's rows in one transaction, so after a crash a
table holds whole appended batches, never part of one (a batch is never split).
Rows still queued when the process dies are lost: ticks and bars are a
re-derivable stream, and the durable writes (:mod:`alphastock.store.durable`)
are what must not be lost.

**Back-pressure.** At most ``max_queued_rows`` rows wait in the queue (a single
larger batch is accepted when the queue is empty). An append finding the queue
full blocks up to its ``timeout`` (default ``put_timeout_s``) and counts the wait
in ``stats.blocked``; if the queue is still full it drops that batch, counts it
in ``stats.dropped_batches``/``stats.dropped_rows``, logs and returns False.
Nothing is dropped silently: the first drop of a run of drops is logged as a
warning, the end of the run (the next batch accepted, or the close) with the
run's totals; the drops between are counted, not logged one by one.

**From the event loop.** :meth:`BatchWriter.offer_ticks` and
:meth:`BatchWriter.offer_bars` never wait: they queue the caller's numpy columns
(or bar rows) as they are and the writer thread builds the Arrow table, so the
loop's cost is a lock and a deque append. On a full queue the batch is dropped
and counted as above.

**Errors.** A failed insert (a full disk, say) is counted in ``stats.failed_batches``
and ``stats.failed_rows`` and raised as :class:`StoreError` from the next
:meth:`~BatchWriter.flush` or :meth:`~BatchWriter.close`.

The writer thread has its own DuckDB connection; DuckDB runs its appends
concurrently with the store's durable writes (appends never conflict).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from alphastock.store.errors import StoreError
from alphastock.store.schema import BAR_SCHEMA, TICK_SCHEMA

if TYPE_CHECKING:
    from alphastock.store._base import StoreBase

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters of a :class:`BatchWriter` since it started (rows are table rows)."""

    queued_rows: int
    """Rows accepted by the appends so far."""
    written_rows: int
    """Rows committed to the database."""
    pending_rows: int
    """Rows accepted but not yet committed."""
    flushes: int
    """Insert transactions committed (one per table per flush)."""
    blocked: int
    """Appends that had to wait for room in the queue."""
    dropped_batches: int
    """Appends refused after waiting ``timeout`` (their rows were not written)."""
    dropped_rows: int
    failed_batches: int
    """Queued batches whose insert failed (their rows were not written)."""
    failed_rows: int


@dataclass(slots=True)
class _Item:
    table: str
    batch: pa.Table | Callable[[], pa.Table]
    """The table, or (an offer) what builds it on the writer thread."""
    rows: int
    seq: int
    enqueued: float


def _column(columns: Mapping[str, Any], name: str, rows: int | None) -> np.ndarray[Any, Any]:
    if name not in columns:
        raise ValueError(f"missing column {name!r}")
    array = np.asarray(columns[name])
    if array.ndim != 1 or (rows is not None and array.shape[0] != rows):
        raise ValueError(f"column {name!r} must be 1-D with {rows} rows, got shape {array.shape}")
    return array


LTP_TICK_COLUMNS: tuple[str, ...] = ("token", "ts_ns", "last_price", "volume")
"""The tick columns an ``ltp`` recording keeps; the others are stored as NULL."""


def ticks_table(columns: Mapping[str, Any], token: int | None = None, *, nulls: bool = False) -> pa.Table:
    """Build a tick batch (:data:`~alphastock.store.schema.TICK_SCHEMA`) from numpy columns.

    ``columns`` has ``ts_ns`` (UTC epoch ns), ``last_price``, ``bid``, ``ask`` (rupees), ``last_qty``,
    ``volume``, ``oi``, ``bid_qty``, ``ask_qty`` (units) and ``token``, unless all rows are of
    one instrument given as ``token``. int64/float64 arrays are used without copying. With
    ``nulls``, a column missing other than ``token``, ``ts_ns`` and ``last_price`` is stored
    as NULL (an ``ltp`` recording: not recorded, unlike NaN/0 which mean "not carried").
    """
    rows = _column(columns, "ts_ns", None).shape[0]
    arrays = []
    for field in TICK_SCHEMA:
        if field.name == "token" and token is not None:
            if "token" in columns:
                raise ValueError("give the token either as a column or as `token`, not both")
            arrays.append(pa.array(np.full(rows, token, dtype=np.int64)))
            continue
        if nulls and field.name not in columns and field.name not in ("token", "ts_ns", "last_price"):
            arrays.append(pa.nulls(rows, type=field.type))
            continue
        values = _column(columns, field.name, rows)
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=TICK_SCHEMA)


def bars_table(bars: Mapping[str, Any], interval: str) -> pa.Table:
    """Build a bar batch (:data:`~alphastock.store.schema.BAR_SCHEMA`) from a BarAggregator's ``Bars``.

    ``volume`` may be float (as the aggregator emits it); it is rounded to whole units.
    """
    rows = _column(bars, "start_ns", None).shape[0]
    arrays = []
    for field in BAR_SCHEMA:
        if field.name == "interval":
            arrays.append(pa.array([interval] * rows, type=pa.string()))
            continue
        values = _column(bars, field.name, rows)
        if field.name == "volume" and values.dtype.kind == "f":
            values = np.rint(values).astype(np.int64)
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=BAR_SCHEMA)


def bar_rows_table(rows: Sequence[Any]) -> pa.Table:
    """Build a bar batch from bar records with attributes ``token, interval, start_ns, open, high,
    low, close, volume, ticks`` (the engine's ``Bar``); ``volume`` is rounded to whole units."""
    columns: dict[str, list[Any]] = {field.name: [] for field in BAR_SCHEMA}
    for row in rows:
        for name, values in columns.items():
            values.append(getattr(row, name))
    columns["volume"] = [None if v is None else round(v) for v in columns["volume"]]
    return pa.Table.from_pydict(columns, schema=BAR_SCHEMA)


class BatchWriter:
    """A thread that appends queued tick and bar batches to the store (see the module docstring).

    Create it with :meth:`alphastock.store.Store.writer`; use it as a context manager or call
    :meth:`close`. ``flush_rows``: rows of one table that trigger a flush; ``flush_interval_s``:
    the longest a queued batch waits; ``max_queued_rows``: the queue's bound; ``put_timeout_s``:
    how long an append waits for room by default.
    """

    def __init__(
        self,
        store: StoreBase,
        *,
        flush_rows: int = 250_000,
        flush_interval_s: float = 1.0,
        max_queued_rows: int = 2_000_000,
        put_timeout_s: float = 5.0,
    ) -> None:
        if flush_rows < 1 or max_queued_rows < 1:
            raise ValueError("flush_rows and max_queued_rows must be positive")
        if not flush_interval_s > 0 or put_timeout_s < 0:
            raise ValueError("flush_interval_s must be > 0 and put_timeout_s >= 0")
        self._store = store
        self._flush_rows = flush_rows
        self._flush_interval_s = flush_interval_s
        self._max_queued_rows = max_queued_rows
        self._put_timeout_s = put_timeout_s
        self._cond = threading.Condition()
        self._queue: deque[_Item] = deque()
        self._queued_now = 0  # rows in _queue
        self._table_rows: dict[str, int] = {"ticks": 0, "bars": 0}
        self._seq = 0  # last enqueued
        self._done_seq = 0  # last processed (written or failed)
        self._flush_requested = 0  # a seq the writer must reach without waiting for size or time
        self._closing = False
        self._errors: list[BaseException] = []
        self._counts = {
            "queued_rows": 0,
            "written_rows": 0,
            "flushes": 0,
            "blocked": 0,
            "dropped_batches": 0,
            "dropped_rows": 0,
            "failed_batches": 0,
            "failed_rows": 0,
        }
        self._drop_run = [0, 0]  # batches, rows dropped since the last accepted batch (for the log)
        self._thread = threading.Thread(target=self._run, name="alphastock-store-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------------------------------ appends

    def append_ticks(
        self, columns: Mapping[str, Any], *, token: int | None = None, timeout: float | None = None
    ) -> bool:
        """Queue a tick batch (see :func:`ticks_table`); False if dropped after waiting ``timeout`` s."""
        return self.append_table("ticks", ticks_table(columns, token), timeout=timeout)

    def append_bars(self, bars: Mapping[str, Any], interval: str, *, timeout: float | None = None) -> bool:
        """Queue closed bars of ``interval`` (see :func:`bars_table`); False if dropped after waiting."""
        return self.append_table("bars", bars_table(bars, interval), timeout=timeout)

    def append_table(self, table: str, batch: pa.Table, *, timeout: float | None = None) -> bool:
        """Queue an Arrow table for ``"ticks"`` or ``"bars"`` (schema as :mod:`~alphastock.store.schema`).

        Blocks up to ``timeout`` seconds (default ``put_timeout_s``) while the queue is full;
        returns False, counting the drop, if it stays full.
        """
        expected = {"ticks": TICK_SCHEMA, "bars": BAR_SCHEMA}.get(table)
        if expected is None:
            raise ValueError(f"the batch writer writes 'ticks' or 'bars', not {table!r}")
        if not batch.schema.equals(expected):
            raise ValueError(f"batch schema does not match the {table} table:\n{batch.schema}")
        rows = batch.num_rows
        if rows == 0:
            return True
        wait = self._put_timeout_s if timeout is None else timeout
        return self._enqueue(table, batch, rows, wait)

    def offer_ticks(self, columns: Mapping[str, Any]) -> bool:
        """Queue tick columns without waiting (for the event loop); False if the queue is full.

        ``columns`` are numpy arrays as :func:`ticks_table` takes them, ``token`` included; the
        full-only columns may be missing (stored as NULL: an ``ltp`` recording). The arrays must
        not change afterwards: the writer thread reads them when it builds the table. A malformed
        batch fails on the writer thread (counted in ``failed_*``, raised from :meth:`flush`).
        """
        rows = int(np.shape(columns["ts_ns"])[0])
        if rows == 0:
            return True
        return self._enqueue("ticks", lambda: ticks_table(columns, nulls=True), rows, 0.0)

    def offer_bars(self, bars: Sequence[Any]) -> bool:
        """Queue closed bars (records as :func:`bar_rows_table` takes them) without waiting;
        False if the queue is full (counted as a drop)."""
        if not bars:
            return True
        rows = list(bars)
        return self._enqueue("bars", lambda: bar_rows_table(rows), len(rows), 0.0)

    def _enqueue(self, table: str, batch: pa.Table | Callable[[], pa.Table], rows: int, wait: float) -> bool:
        with self._cond:
            if self._closing:
                raise StoreError("the writer is closed")
            if not self._has_room(rows):
                if wait > 0:
                    self._counts["blocked"] += 1
                deadline = time.monotonic() + wait
                while not self._has_room(rows) and not self._closing:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if self._closing:
                    raise StoreError("the writer is closed")
                if not self._has_room(rows):
                    self._counts["dropped_batches"] += 1
                    self._counts["dropped_rows"] += rows
                    if self._drop_run[0] == 0:  # the first of a run; the run's end is logged too
                        log.warning(
                            "store writer queue full (%d rows, waited %.3f s): dropping %s batches "
                            "until there is room (counted; the total is logged when it ends)",
                            self._queued_now,
                            wait,
                            table,
                        )
                    self._drop_run[0] += 1
                    self._drop_run[1] += rows
                    return False
            self._end_drop_run()
            self._seq += 1
            was_empty = not self._queue
            self._queue.append(_Item(table, batch, rows, self._seq, time.monotonic()))
            self._queued_now += rows
            self._table_rows[table] += rows
            self._counts["queued_rows"] += rows
            # Wake the writer only when it has something new to decide: a first item starts its
            # interval, a full table is due. Waking it for every batch would make the appending
            # thread (the event loop) hand the GIL back and forth once per batch.
            if was_empty or self._table_rows[table] >= self._flush_rows:
                self._cond.notify_all()
        return True

    def _end_drop_run(self) -> None:
        """Log the totals of a run of drops once it ends (caller holds the lock)."""
        batches, rows = self._drop_run
        if batches:
            log.warning(
                "store writer: %d batches (%d rows) were dropped while the queue was full", batches, rows
            )
            self._drop_run = [0, 0]

    def _has_room(self, rows: int) -> bool:
        return self._queued_now == 0 or self._queued_now + rows <= self._max_queued_rows

    # ------------------------------------------------------------------------------------ flush, close

    def flush(self, timeout: float | None = None) -> None:
        """Write everything queued so far and wait until it is committed (or ``timeout`` s pass).

        Raises :class:`StoreError` if an insert has failed since the last flush, or on timeout.
        """
        with self._cond:
            target = self._seq
            self._flush_requested = max(self._flush_requested, target)
            self._cond.notify_all()
            if not self._cond.wait_for(
                lambda: self._done_seq >= target or not self._thread.is_alive(), timeout
            ):
                raise StoreError(f"store writer flush timed out after {timeout} s")
            if self._done_seq < target:
                raise StoreError("the store writer thread has stopped")
        self._raise_errors()

    def close(self) -> None:
        """Flush what is queued, stop the thread (idempotent); raises like :meth:`flush`."""
        with self._cond:
            self._closing = True
            self._end_drop_run()
            self._cond.notify_all()
        self._thread.join()
        self._raise_errors()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stats(self) -> WriterStats:
        """A snapshot of the counters."""
        with self._cond:
            c = self._counts
            pending = c["queued_rows"] - c["written_rows"] - c["failed_rows"]
            return WriterStats(pending_rows=pending, **c)

    def _raise_errors(self) -> None:
        with self._cond:
            errors, self._errors = self._errors, []
        if errors:
            raise StoreError(f"store writer: {len(errors)} insert(s) failed; first: {errors[0]}") from errors[
                0
            ]

    # ------------------------------------------------------------------------------------ the thread

    def _due(self, now: float) -> bool:
        if not self._queue:
            return False
        if self._closing or self._flush_requested > self._done_seq:
            return True
        if max(self._table_rows.values()) >= self._flush_rows:
            return True
        return now - self._queue[0].enqueued >= self._flush_interval_s

    def _run(self) -> None:
        cur = self._store.cursor()
        while True:
            with self._cond:
                while True:
                    now = time.monotonic()
                    if self._due(now):
                        break
                    if self._closing and not self._queue:
                        return
                    timeout = self._queue[0].enqueued + self._flush_interval_s - now if self._queue else None
                    self._cond.wait(timeout)
                items = list(self._queue)
                self._queue.clear()
                self._queued_now = 0
                self._table_rows = {"ticks": 0, "bars": 0}
                self._cond.notify_all()  # room for blocked appends
            for table in ("ticks", "bars"):
                batches = [self._built(item) for item in items if item.table == table]
                built = [batch for batch in batches if batch is not None]
                if built:
                    self._write(cur, table, built)
            with self._cond:
                self._done_seq = items[-1].seq
                self._cond.notify_all()

    def _built(self, item: _Item) -> pa.Table | None:
        """The item's table, built now for an offer; None (counted as failed) if that fails."""
        if isinstance(item.batch, pa.Table):
            return item.batch
        expected = TICK_SCHEMA if item.table == "ticks" else BAR_SCHEMA
        try:
            batch = item.batch()
            if not batch.schema.equals(expected) or batch.num_rows != item.rows:
                raise ValueError(f"offered {item.table} batch does not match its table or row count")
        except Exception as exc:  # counted and re-raised from flush()/close()
            log.error(
                "store writer: an offered %s batch of %d rows is malformed: %s", item.table, item.rows, exc
            )
            with self._cond:
                self._counts["failed_batches"] += 1
                self._counts["failed_rows"] += item.rows
                self._errors.append(exc)
            return None
        return batch

    def _write(self, cur: Any, table: str, batches: list[pa.Table]) -> None:
        data = pa.concat_tables(batches)
        columns = ", ".join(data.column_names)
        try:
            cur.register("_writer_batch", data)
            try:
                cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _writer_batch")
            finally:
                cur.unregister("_writer_batch")
        except Exception as exc:  # counted and re-raised from flush()/close()
            log.error("store writer: inserting %d %s rows failed: %s", data.num_rows, table, exc)
            with self._cond:
                self._counts["failed_batches"] += len(batches)
                self._counts["failed_rows"] += data.num_rows
                self._errors.append(exc)
            return
        self._store.keep_wal_private()
        with self._cond:
            self._counts["written_rows"] += data.num_rows
            self._counts["flushes"] += 1
