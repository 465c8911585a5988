"""Durable writes: committed on return (visible from another thread's connection), idempotent keys, values."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alphastock.store import DailyPnlRecord, FillRecord, PositionRecord, Store, StoreError
from tests.store._store_data import T0, order, signal


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "d.duckdb") as s:
        yield s


def _from_other_thread(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Run a query on a fresh thread (its own DuckDB connection) and return its rows."""
    out: list[list[dict[str, Any]]] = []
    thread = threading.Thread(target=lambda: out.append(store.query(sql, params).to_pylist()))
    thread.start()
    thread.join()
    return out[0]


def test_signal_is_committed_and_read_back_by_value(store: Store) -> None:
    assert store.insert_signal(signal()) is True
    rows = _from_other_thread(store, "SELECT * FROM signals")
    assert rows == [
        {
            "id": "sig-1",
            "ts_ns": T0,
            "symbol": "NIFTY26JAN24500CE",
            "token": 12_345_602,
            "asset_type": "OPTION",
            "strategy": "momentum",
            "action": "BUY",
            "price": 120.05,
            "quantity": 130,
            "confidence": 0.72,
            "target": 150.0,
            "stop_loss": 105.0,
            "status": "NEW",
            "expected_move_pct": 2.5,
            "metadata": '{"iv":0.14,"reason":"breakout"}',
            "updated_ns": T0,
        }
    ]
    assert store.insert_signal(signal(price=1.0)) is False  # same id: nothing changes
    assert store.query("SELECT price FROM signals").column("price").to_pylist() == [120.05]


def test_signal_status_update(store: Store) -> None:
    store.insert_signal(signal())
    assert store.update_signal_status("sig-1", "ACTIVE", T0 + 5) is True
    assert store.update_signal_status("sig-1", "CLOSED", T0 + 9, metadata={"exit": "target"}) is True
    assert store.update_signal_status("nope", "CLOSED", T0) is False
    row = _from_other_thread(store, "SELECT status, updated_ns, metadata FROM signals")[0]
    assert row == {"status": "CLOSED", "updated_ns": T0 + 9, "metadata": '{"exit":"target"}'}


def test_signal_validation(store: Store) -> None:
    with pytest.raises(ValueError, match="action"):
        store.insert_signal(signal(action="HOLD"))
    with pytest.raises(ValueError, match="status"):
        store.insert_signal(signal(status="OPEN"))
    with pytest.raises(ValueError, match="status"):
        store.update_signal_status("sig-1", "DONE", T0)
    with pytest.raises(ValueError, match="JSON"):
        store.insert_signal(signal(metadata={"x": float("nan")}))
    assert store.count("signals") == 0


def test_order_insert_is_idempotent_and_writes_its_first_event(store: Store) -> None:
    assert store.insert_order(order(), payload={"source": "signal"}) is True
    assert store.insert_order(order(quantity=999)) is False
    rows = _from_other_thread(store, "SELECT * FROM orders")
    assert len(rows) == 1
    assert rows[0]["quantity"] == 130
    assert rows[0]["state"] == "PENDING"
    assert rows[0]["filled_quantity"] == 0
    assert rows[0]["updated_ns"] == T0
    events = _from_other_thread(store, "SELECT * FROM order_events")
    assert events == [
        {
            "order_key": "AS0001",
            "seq": 1,
            "ts_ns": T0,
            "from_state": None,
            "to_state": "PENDING",
            "payload": '{"source":"signal"}',
        }
    ]


def test_order_key_is_a_kite_tag(store: Store) -> None:
    with pytest.raises(ValueError, match="1 to 20 characters"):
        store.insert_order(order("X" * 21))
    with pytest.raises(ValueError, match="1 to 20 characters"):
        store.insert_order(order(""))


def test_transitions_update_the_order_and_append_numbered_events(store: Store) -> None:
    store.insert_order(order())
    assert store.transition_order("AS0001", "OPEN", T0 + 1, broker_order_id="250101000000001") == 2
    assert (
        store.transition_order(
            "AS0001",
            "PARTIAL",
            T0 + 2,
            filled_quantity=65,
            average_price=120.0,
            payload={"status": "OPEN", "filled_quantity": 65},
        )
        == 3
    )
    assert store.transition_order("AS0001", "FILLED", T0 + 3, filled_quantity=130, status_message="done") == 4
    o = store.order("AS0001")
    assert o is not None
    assert (o["state"], o["broker_order_id"], o["filled_quantity"], o["average_price"]) == (
        "FILLED",
        "250101000000001",
        130,
        120.0,
    )
    assert (o["status_message"], o["created_ns"], o["updated_ns"]) == ("done", T0, T0 + 3)
    events = store.order_events("AS0001").to_pydict()
    assert events["seq"] == [1, 2, 3, 4]
    assert events["from_state"] == [None, "PENDING", "OPEN", "PARTIAL"]
    assert events["to_state"] == ["PENDING", "OPEN", "PARTIAL", "FILLED"]
    assert json.loads(events["payload"][2]) == {"status": "OPEN", "filled_quantity": 65}
    with pytest.raises(StoreError, match="no order"):
        store.transition_order("NOPE", "OPEN", T0)
    assert store.count("order_events") == 4


def test_a_transition_stores_confirmed_terms_and_none_keeps_them(store: Store) -> None:
    store.insert_order(order(order_type="SL", price=100.0, trigger_price=101.0))
    store.transition_order("AS0001", "TRIGGER_PENDING", T0 + 1, broker_order_id="B1")
    o = store.order("AS0001")
    assert o is not None
    assert (o["quantity"], o["price"], o["trigger_price"]) == (130, 100.0, 101.0)
    # A confirmed modification: 65 units, stop-limit at 104.5 / trigger 105.
    store.transition_order("AS0001", "TRIGGER_PENDING", T0 + 2, quantity=65, price=104.5, trigger_price=105.0)
    o = store.order("AS0001")
    assert o is not None
    assert (o["quantity"], o["price"], o["trigger_price"], o["updated_ns"]) == (65, 104.5, 105.0, T0 + 2)
    store.transition_order("AS0001", "CANCEL_PENDING", T0 + 3)  # None: unchanged
    store.transition_order("AS0001", "TRIGGER_PENDING", T0 + 4, price=104.0)  # only the limit moves
    o = store.order("AS0001")
    assert o is not None
    assert (o["state"], o["quantity"], o["price"], o["trigger_price"], o["broker_order_id"]) == (
        "TRIGGER_PENDING",
        65,
        104.0,
        105.0,
        "B1",
    )
    assert store.order_events("AS0001").column("to_state").to_pylist() == [
        "PENDING",
        "TRIGGER_PENDING",
        "TRIGGER_PENDING",
        "CANCEL_PENDING",
        "TRIGGER_PENDING",
    ]


def test_fills_ignore_a_redelivered_trade(store: Store) -> None:
    fill = FillRecord(
        trade_id="T1",
        order_key="AS0001",
        broker_order_id="B1",
        token=12_345_602,
        symbol="NIFTY26JAN24500CE",
        side="BUY",
        quantity=65,
        price=120.0,
        ts_ns=T0 + 2,
        charges=23.6,
    )
    assert store.insert_fill(fill) is True
    assert store.insert_fill(fill) is False
    rows = _from_other_thread(store, "SELECT * FROM fills")
    assert rows == [
        {
            "trade_id": "T1",
            "order_key": "AS0001",
            "broker_order_id": "B1",
            "token": 12_345_602,
            "symbol": "NIFTY26JAN24500CE",
            "side": "BUY",
            "quantity": 65,
            "price": 120.0,
            "ts_ns": T0 + 2,
            "charges": 23.6,
        }
    ]


def test_risk_events_and_audit_get_increasing_ids(store: Store) -> None:
    assert store.record_risk_event(T0, "rejection", code="MAX_QTY", message="too big") == 1
    assert (
        store.record_risk_event(
            T0 + 1, "kill_switch", state_from="ACTIVE", state_to="HALTED", payload={"loss": 50_000.0}
        )
        == 2
    )
    assert store.audit(T0, "cli", "kill", {"reason": "manual"}) == 1
    assert store.audit(T0 + 1, "engine", "resume") == 2
    risk = _from_other_thread(store, "SELECT id, kind, code, state_to, payload FROM risk_events ORDER BY id")
    assert risk == [
        {"id": 1, "kind": "rejection", "code": "MAX_QTY", "state_to": None, "payload": None},
        {"id": 2, "kind": "kill_switch", "code": None, "state_to": "HALTED", "payload": '{"loss":50000.0}'},
    ]
    assert store.audit_log().column("detail").to_pylist() == ['{"reason":"manual"}', None]


def test_sessions(store: Store) -> None:
    store.start_session("s1", T0, "paper", config={"risk": {"max_daily_loss": 5000}}, version="0.1.0")
    with pytest.raises(StoreError, match="already exists"):
        store.start_session("s1", T0, "paper")
    with pytest.raises(ValueError, match="mode"):
        store.start_session("s2", T0, "demo")
    assert store.end_session("s1", T0 + 10) is True
    assert store.end_session("s9", T0 + 10) is False
    assert _from_other_thread(store, "SELECT * FROM sessions") == [
        {
            "session_id": "s1",
            "started_ns": T0,
            "ended_ns": T0 + 10,
            "mode": "paper",
            "config": '{"risk":{"max_daily_loss":5000}}',
            "version": "0.1.0",
        }
    ]


def test_positions_snapshot_and_daily_pnl(store: Store) -> None:
    snap = [
        PositionRecord(ts_ns=T0, token=2, symbol="B", product="MIS", quantity=-65, average_price=10.0),
        PositionRecord(
            ts_ns=T0, token=1, symbol="A", product="NRML", quantity=130, realised=5.0, unrealised=-1.5
        ),
    ]
    assert store.write_positions(snap) == 2
    assert (
        store.write_positions([PositionRecord(ts_ns=T0 + 1, token=1, symbol="A", product="NRML", quantity=0)])
        == 1
    )
    assert store.write_positions([]) == 0
    latest = store.latest_positions().to_pylist()
    assert latest == [
        {
            "ts_ns": T0 + 1,
            "token": 1,
            "symbol": "A",
            "product": "NRML",
            "quantity": 0,
            "average_price": None,
            "realised": None,
            "unrealised": None,
            "multiplier": 1.0,
        }
    ]
    day = dt.date(2026, 1, 2)
    pnl = DailyPnlRecord(
        date=day,
        realised=100.0,
        unrealised=5.0,
        charges=40.0,
        gross=105.0,
        net=65.0,
        trades=4,
        peak=80.0,
        drawdown=15.0,
    )
    store.upsert_daily_pnl(pnl)
    store.upsert_daily_pnl(dataclasses.replace(pnl, net=70.0))  # replaces the day's row
    assert store.daily_pnl().to_pylist() == [
        {
            "date": day,
            "realised": 100.0,
            "unrealised": 5.0,
            "charges": 40.0,
            "gross": 105.0,
            "net": 70.0,
            "trades": 4,
            "peak": 80.0,
            "drawdown": 15.0,
        }
    ]


def test_a_failed_transaction_rolls_back(store: Store) -> None:
    def insert_then_fail() -> None:
        with store.transaction() as cur:
            cur.execute("INSERT INTO audit_log (ts_ns, actor, action) VALUES (1, 'a', 'b')")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        insert_then_fail()
    assert store.count("audit_log") == 0
    assert store.audit(1, "a", "after") == 2  # the sequence moved on; the row did not stay


def test_concurrent_durable_writers(store: Store) -> None:
    def work(t: int) -> None:
        for i in range(20):
            key = f"T{t}-{i:03d}"
            store.insert_order(order(key))
            store.transition_order(key, "OPEN", T0 + i)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count("orders") == 80
    assert store.count("order_events") == 160
    assert store.orders("OPEN").num_rows == 80
