"""Readers by value: ticks and bars by token and range, orders by state, signals by status, instruments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from alphastock.store import FillRecord, Store, bars_table, to_numpy
from tests.store._store_data import T0, order, signal, tick_columns

MINUTE = 60 * 10**9


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "r.duckdb") as s:
        yield s


def test_ticks_by_token_and_half_open_range(store: Store) -> None:
    cols = tick_columns(2_000, tokens=3)
    with store.writer() as writer:
        writer.append_ticks(cols)
        writer.flush()
    token = int(cols["token"][0])
    start, end = int(cols["ts_ns"][100]), int(cols["ts_ns"][900])
    got = to_numpy(store.ticks(token, start, end))
    mask = (cols["token"] == token) & (cols["ts_ns"] >= start) & (cols["ts_ns"] < end)
    for name in ("ts_ns", "last_price", "volume", "bid_qty"):
        np.testing.assert_array_equal(got[name], cols[name][mask], err_msg=name)
    assert store.ticks(token).num_rows == int((cols["token"] == token).sum())
    assert store.ticks(1).num_rows == 0


def test_bars_by_token_interval_and_range(store: Store) -> None:
    starts = T0 + np.arange(10, dtype=np.int64) * MINUTE
    bars = {
        "token": np.full(10, 256_265, dtype=np.int64),
        "start_ns": starts,
        "open": np.arange(10.0),
        "high": np.arange(10.0) + 1,
        "low": np.arange(10.0) - 1,
        "close": np.arange(10.0) + 0.5,
        "volume": np.arange(10.0) * 100,
        "ticks": np.full(10, 3, dtype=np.int64),
    }
    with store.writer() as writer:
        writer.append_table("bars", bars_table(bars, "1m"))
        writer.append_bars(bars, "5m")
        writer.flush()
    got = store.bars(256_265, "1m", int(starts[2]), int(starts[5]))
    assert got.column("start_ns").to_pylist() == starts[2:5].tolist()
    assert got.column("open").to_pylist() == [2.0, 3.0, 4.0]
    assert got.column("volume").to_pylist() == [200, 300, 400]
    assert store.bars(256_265, "1m").num_rows == 10
    assert store.bars(256_265, "5m", start_ns=int(starts[8])).column("close").to_pylist() == [8.5, 9.5]
    assert store.bars(256_265, "15m").num_rows == 0


def test_orders_by_state_and_broker_id(store: Store) -> None:
    for i, state in enumerate(["PENDING", "OPEN", "OPEN", "FILLED"]):
        store.insert_order(order(f"K{i}", created_ns=T0 + i, state=state, broker_order_id=f"B{i}"))
    assert store.orders("OPEN").column("idempotency_key").to_pylist() == ["K1", "K2"]
    assert store.orders(["PENDING", "FILLED"]).column("idempotency_key").to_pylist() == ["K0", "K3"]
    assert store.orders([]).num_rows == 0
    assert store.orders().num_rows == 4
    assert store.orders(keys=["K3", "K1", "K9"]).column("idempotency_key").to_pylist() == ["K1", "K3"]
    assert store.orders("OPEN", keys=["K1", "K3"]).column("idempotency_key").to_pylist() == ["K1"]
    assert store.orders(keys=[]).num_rows == 0
    found = store.order_by_broker_id("B2")
    assert found is not None
    assert found["idempotency_key"] == "K2"
    assert store.order_by_broker_id("B9") is None
    assert store.order("K9") is None


def test_signals_by_status_and_time(store: Store) -> None:
    store.insert_signal(signal("a", ts_ns=T0 + 2))
    store.insert_signal(signal("b", ts_ns=T0 + 1, status="ACTIVE"))
    store.insert_signal(signal("c", ts_ns=T0 + 3, status="ACTIVE"))
    assert store.signals("ACTIVE").column("id").to_pylist() == ["b", "c"]
    assert store.signals().column("id").to_pylist() == ["b", "a", "c"]
    assert store.signals(since_ns=T0 + 2).column("id").to_pylist() == ["a", "c"]
    assert store.signals(["NEW", "ACTIVE"], since_ns=T0 + 3).column("id").to_pylist() == ["c"]


def test_fills_by_order(store: Store) -> None:
    for i, key in enumerate(["K1", "K2", "K1"]):
        store.insert_fill(
            FillRecord(
                trade_id=f"T{i}", order_key=key, symbol="X", side="BUY", quantity=1, price=1.0, ts_ns=T0 + i
            )
        )
    assert store.fills("K1").column("trade_id").to_pylist() == ["T0", "T2"]
    assert store.fills(since_ns=T0 + 1).column("trade_id").to_pylist() == ["T1", "T2"]
    assert store.fills(["K2", "K1"]).column("trade_id").to_pylist() == ["T0", "T1", "T2"]
    assert store.fills([]).num_rows == 0


def test_instruments_dump_by_date(store: Store) -> None:
    day1, day2 = dt.date(2026, 1, 1), dt.date(2026, 1, 2)
    dump = {
        "instrument_token": [12_345_602, 256_265],
        "exchange_token": [48_225, 1_001],
        "tradingsymbol": ["NIFTY26JAN24500CE", "NIFTY 50"],
        "name": ["NIFTY", "NIFTY 50"],
        "last_price": [0.0, 0.0],
        "expiry": [dt.date(2026, 1, 27), None],
        "strike": [24_500.0, 0.0],
        "tick_size": [0.05, 0.0],
        "lot_size": [65, 0],
        "instrument_type": ["CE", "EQ"],
        "segment": ["NFO-OPT", "INDICES"],
        "exchange": ["NFO", "NSE"],
    }
    assert store.write_instruments(dump, day1) == 2
    assert store.write_instruments({**dump, "freeze_quantity": [1_800, None]}, day1) == 2  # replaces day1
    assert store.write_instruments(pa.table({**dump, "lot_size": [75, 0]}), day2) == 2
    latest = store.instruments()
    assert latest.column("lot_size").to_pylist() == [0, 75]  # by token
    assert latest.column("freeze_quantity").to_pylist() == [None, None]
    first = store.instruments(day1).to_pylist()
    assert first[1] == {
        "dump_date": day1,
        "instrument_token": 12_345_602,
        "exchange_token": 48_225,
        "tradingsymbol": "NIFTY26JAN24500CE",
        "name": "NIFTY",
        "last_price": 0.0,
        "expiry": dt.date(2026, 1, 27),
        "strike": 24_500.0,
        "tick_size": 0.05,
        "lot_size": 65,
        "instrument_type": "CE",
        "segment": "NFO-OPT",
        "exchange": "NFO",
        "freeze_quantity": 1_800,
    }
    assert store.count("instruments") == 4
    with pytest.raises(ValueError, match="lacks columns"):
        store.write_instruments({"instrument_token": [1]}, day1)


def test_count_rejects_unknown_tables(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown table"):
        store.count("ticks; DROP TABLE orders")
