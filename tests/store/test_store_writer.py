"""The background batch writer: flush on size, on time and on demand; back-pressure; errors; bars."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from alphastock import BarAggregator
from alphastock.store import BatchWriter, Store, StoreError, ticks_table
from tests.store._store_data import T0, tick_columns


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "w.duckdb") as s:
        yield s


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


def test_flush_on_size(store: Store) -> None:
    writer = store.writer(flush_rows=1_000, flush_interval_s=3_600.0)
    assert writer.append_ticks(tick_columns(600)) is True
    time.sleep(0.05)
    assert writer.stats.written_rows == 0  # below the size, long before the interval
    assert writer.append_ticks(tick_columns(600, start_ns=T0 + 10**12)) is True
    _wait_for(lambda: writer.stats.written_rows == 1_200, "the size-triggered flush")
    stats = writer.stats
    assert (stats.queued_rows, stats.pending_rows, stats.flushes) == (1_200, 0, 1)
    assert store.count("ticks") == 1_200
    writer.close()


def test_flush_on_time(store: Store) -> None:
    writer = store.writer(flush_rows=10**9, flush_interval_s=0.05)
    writer.append_ticks(tick_columns(10))
    _wait_for(lambda: writer.stats.written_rows == 10, "the time-triggered flush")
    assert writer.stats.flushes == 1
    assert store.count("ticks") == 10
    writer.close()


def test_explicit_flush_commits_and_values_round_trip(store: Store) -> None:
    cols = tick_columns(5_000)
    cols["bid"][3] = np.nan  # "not carried" stays NaN
    with store.writer(flush_rows=10**9, flush_interval_s=3_600.0) as writer:
        writer.append_ticks(cols)
        writer.flush()
        assert writer.stats.written_rows == 5_000
        stored = store.query("SELECT * FROM ticks ORDER BY ts_ns")
        for name, values in cols.items():
            np.testing.assert_array_equal(stored.column(name).to_numpy(), values, err_msg=name)


def test_scalar_token_for_one_instrument(store: Store) -> None:
    cols = tick_columns(20)
    del cols["token"]
    with store.writer() as writer:
        writer.append_ticks(cols, token=256_265)
        writer.flush()
    assert store.ticks(256_265).num_rows == 20
    with store.writer() as writer, pytest.raises(ValueError, match="not both"):
        writer.append_ticks(tick_columns(5), token=1)


def test_malformed_batches_raise_in_the_caller(store: Store) -> None:
    with store.writer() as writer:
        cols = tick_columns(10)
        del cols["oi"]
        with pytest.raises(ValueError, match="missing column 'oi'"):
            writer.append_ticks(cols)
        cols = tick_columns(10)
        cols["bid"] = cols["bid"][:5]
        with pytest.raises(ValueError, match="'bid' must be 1-D with 10 rows"):
            writer.append_ticks(cols)
        with pytest.raises(ValueError, match="schema does not match"):
            writer.append_table("ticks", pa.table({"x": [1]}))
        with pytest.raises(ValueError, match="'ticks' or 'bars'"):
            writer.append_table("orders", ticks_table(tick_columns(1)))
        assert writer.append_ticks(tick_columns(0)) is True  # nothing to do
        assert writer.stats.queued_rows == 0


def _gate(writer: BatchWriter) -> tuple[threading.Event, threading.Event]:
    """Hold the writer thread inside its next insert until ``release`` is set."""
    entered, release = threading.Event(), threading.Event()
    original = writer._write

    def held(*args: Any) -> None:
        entered.set()
        release.wait()
        original(*args)

    writer._write = held  # type: ignore[method-assign]
    return entered, release


def test_back_pressure_blocks_then_drops_and_counts(store: Store) -> None:
    writer = store.writer(flush_rows=10, flush_interval_s=3_600.0, max_queued_rows=100)
    entered, release = _gate(writer)
    assert writer.append_ticks(tick_columns(100)) is True
    assert entered.wait(10)  # the writer holds those 100 rows; the queue is empty again
    assert writer.append_ticks(tick_columns(100, start_ns=T0 + 10**12)) is True  # fills the queue
    assert writer.append_ticks(tick_columns(50), timeout=0.02) is False
    stats = writer.stats
    assert (stats.blocked, stats.dropped_batches, stats.dropped_rows) == (1, 1, 50)

    # A blocked append succeeds once the writer makes room.
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(writer.append_ticks(tick_columns(30), timeout=30)))
    waiter.start()
    _wait_for(lambda: writer.stats.blocked == 2, "the second append to block")
    release.set()
    waiter.join()
    writer.close()
    stats = writer.stats
    assert result == [True]
    assert (stats.queued_rows, stats.written_rows, stats.pending_rows) == (230, 230, 0)
    assert (stats.blocked, stats.dropped_batches, stats.dropped_rows) == (2, 1, 50)
    assert store.count("ticks") == 230


def test_a_batch_larger_than_the_queue_is_taken_when_the_queue_is_empty(store: Store) -> None:
    with store.writer(max_queued_rows=10, flush_rows=5) as writer:
        assert writer.append_ticks(tick_columns(1_000), timeout=0) is True
        writer.flush()
    assert store.count("ticks") == 1_000


def test_a_failed_insert_is_counted_and_raised_from_flush(store: Store) -> None:
    writer = store.writer(flush_rows=10**9, flush_interval_s=3_600.0)
    with store.transaction() as cur:
        cur.execute("ALTER TABLE ticks RENAME TO ticks_away")
    writer.append_ticks(tick_columns(10))
    with pytest.raises(StoreError, match="1 insert\\(s\\) failed"):
        writer.flush()
    stats = writer.stats
    assert (stats.failed_batches, stats.failed_rows, stats.written_rows, stats.pending_rows) == (1, 10, 0, 0)
    with store.transaction() as cur:
        cur.execute("ALTER TABLE ticks_away RENAME TO ticks")
    writer.append_ticks(tick_columns(10))
    writer.flush()  # errors are reported once
    assert store.count("ticks") == 10
    writer.close()


def test_closed_writer_refuses_appends_and_store_close_flushes_writers(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    store = Store.open(path)
    writer = store.writer(flush_rows=10**9, flush_interval_s=3_600.0)
    writer.append_ticks(tick_columns(77))
    store.close()  # closes (flushes) the writer first
    with pytest.raises(StoreError, match="closed"):
        writer.append_ticks(tick_columns(1))
    writer.close()  # idempotent
    with Store.open(path) as again:
        assert again.count("ticks") == 77


def test_writer_options_are_checked(store: Store) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.writer(flush_rows=0)
    with pytest.raises(ValueError, match="flush_interval_s"):
        store.writer(flush_interval_s=0)


def test_bars_from_the_aggregator(store: Store) -> None:
    agg = BarAggregator("1m", volume="quantity")
    n = 600
    ts = T0 + np.arange(n, dtype=np.int64) * 500_000_000  # every 0.5 s for 5 minutes
    token = np.where(np.arange(n) % 2 == 0, 256_265, 260_105).astype(np.int64)
    price = 100.0 + np.sin(np.arange(n) / 7.0)
    volume = np.full(n, 65.0)
    bars = agg.update(token, ts, price, volume)
    closed = agg.flush_all()
    with store.writer() as writer:
        writer.append_bars(bars, "1m")
        writer.append_bars(closed, "1m")
        writer.flush()
    stored = store.bars(256_265, "1m")
    expected_starts = sorted(
        [s for s, t in zip(bars["start_ns"], bars["token"], strict=True) if t == 256_265]
        + [s for s, t in zip(closed["start_ns"], closed["token"], strict=True) if t == 256_265]
    )
    assert stored.column("start_ns").to_pylist() == expected_starts
    assert stored.num_rows == 5
    assert stored.column("interval").to_pylist() == ["1m"] * 5
    assert stored.column("volume").to_pylist() == [65 * 60] * 5  # 60 ticks of 65 units per minute
    assert stored.column("ticks").to_pylist() == [60] * 5
    first = stored.slice(0, 1).to_pylist()[0]
    in_first = (token == 256_265) & (ts < first["start_ns"] + 60 * 10**9)
    assert first["open"] == price[in_first][0]
    assert first["high"] == price[in_first].max()
    assert first["low"] == price[in_first].min()
    assert first["close"] == price[in_first][-1]


def test_offers_build_their_tables_on_the_writer_thread(store: Store) -> None:
    cols = tick_columns(20)
    ltp = {name: cols[name] for name in ("token", "ts_ns", "last_price", "volume")}
    bar = SimpleNamespace(
        token=256_265,
        interval="1m",
        start_ns=T0,
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.5,
        volume=64.6,
        ticks=3,
    )
    with store.writer(flush_interval_s=3_600.0) as writer:
        assert writer.offer_ticks(ltp) is True
        assert writer.offer_ticks({name: v[:0] for name, v in ltp.items()}) is True  # nothing to queue
        assert writer.offer_bars([bar, SimpleNamespace(**{**vars(bar), "start_ns": T0 + 60})]) is True
        writer.flush()
        assert writer.stats.written_rows == 22
    rows = store.query("SELECT * FROM ticks ORDER BY ts_ns").to_pylist()
    assert [r["last_price"] for r in rows] == cols["last_price"].tolist()
    assert [r["volume"] for r in rows] == cols["volume"].tolist()
    assert {r["bid"] for r in rows} == {None}  # not recorded: NULL
    bars = store.query("SELECT * FROM bars").to_pylist()
    assert bars[0] == {
        "token": 256_265, "interval": "1m", "start_ns": T0, "open": 1.0, "high": 2.0, "low": 0.5,
        "close": 1.5, "volume": 65, "ticks": 3,
    }  # fmt: skip


def test_a_malformed_offer_fails_on_the_writer_thread_and_is_raised(store: Store) -> None:
    writer = store.writer(flush_interval_s=3_600.0)
    assert writer.offer_ticks({"token": np.arange(3), "ts_ns": np.arange(3)}) is True  # no last_price
    with pytest.raises(StoreError, match="insert"):
        writer.flush()
    stats = writer.stats
    assert (stats.failed_batches, stats.failed_rows, stats.written_rows) == (1, 3, 0)
    writer.close()


def test_offers_never_wait_and_a_run_of_drops_is_logged_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    writer = store.writer(flush_rows=10, flush_interval_s=3_600.0, max_queued_rows=100)
    entered, release = _gate(writer)
    assert writer.append_ticks(tick_columns(100)) is True
    assert entered.wait(10)
    assert writer.offer_ticks(tick_columns(100, start_ns=T0 + 10**12)) is True  # fills the queue
    with caplog.at_level("WARNING", logger="alphastock.store.writer"):
        for i in range(5):
            assert writer.offer_ticks(tick_columns(10, start_ns=T0 + (i + 2) * 10**12)) is False
        assert len(caplog.records) == 1  # the first drop, not one line per batch
        assert "dropping ticks batches" in caplog.records[0].getMessage()
        release.set()
        _wait_for(lambda: writer.stats.written_rows == 200, "the queue to drain")
        assert writer.offer_ticks(tick_columns(10, start_ns=T0 + 9 * 10**12)) is True
        assert len(caplog.records) == 2  # the run's end, with its totals
        assert "5 batches (50 rows) were dropped" in caplog.records[1].getMessage()
    writer.close()
    stats = writer.stats
    assert (stats.blocked, stats.dropped_batches, stats.dropped_rows, stats.written_rows) == (0, 5, 50, 210)
