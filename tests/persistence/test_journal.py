"""The journal: round trip, torn lines, rotation, replay into DuckDB (idempotent), and a kill -9."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal as os_signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from alphastock.persistence.journal import Journal, encode_record, read_journal
from alphastock.persistence.writer import replay, replay_and_rotate
from alphastock.store import Store
from alphastock.store.records import FillRecord
from tests.execution._harness import T0, signal

ORDER = {
    "idempotency_key": "ASkey1",
    "symbol": "SBIN",
    "exchange": "NSE",
    "product": "MIS",
    "side": "BUY",
    "order_type": "MARKET",
    "variety": "regular",
    "quantity": 25,
    "state": "NEW",
    "created_ns": T0,
    "token": 779521,
}


def _write_session(journal: Journal) -> None:
    sig = signal()
    journal.append("signal", sig.model_dump(mode="json"))
    journal.append("order", ORDER)
    journal.append(
        "order_transition",
        {"key": "ASkey1", "to_state": "SUBMITTED", "ts_ns": T0 + 1, "broker_order_id": None},
    )
    journal.append(
        "order_transition",
        {
            "key": "ASkey1",
            "to_state": "FILLED",
            "ts_ns": T0 + 2,
            "broker_order_id": "B1",
            "filled_quantity": 25,
            "average_price": 800.05,
        },
    )
    fill = FillRecord(
        trade_id="T1",
        symbol="SBIN",
        side="BUY",
        quantity=25,
        price=800.05,
        ts_ns=T0 + 2,
        order_key="ASkey1",
        broker_order_id="B1",
        token=779521,
    )
    journal.append("fill", {k: getattr(fill, k) for k in fill.__dataclass_fields__})
    journal.append(
        "signal_status",
        {"id": sig.id, "status": "ACTIVE", "updated_ns": T0 + 3, "metadata": {"exchange": "NSE"}},
    )


def test_replay_applies_each_signals_last_status_only(tmp_path: Path) -> None:
    sig = signal()
    with Journal(tmp_path / "j.jsonl") as journal:
        journal.append("signal", sig.model_dump(mode="json"))
        for status, ts in (("ACTIVE", T0 + 3), ("CLOSED", T0 + 9)):
            record = {"id": sig.id, "status": status, "updated_ns": ts, "metadata": {}}
            journal.append("signal_status", record)
        with Store.open(":memory:") as store:
            first = replay(journal, store)  # the signal was missing, and with it both statuses
            assert (first.signals, first.signal_statuses) == (1, 1)
            assert store.signals().column("status").to_pylist() == ["CLOSED"]
            # DuckDB already has the final status (a clean shutdown): nothing is re-applied, and the
            # signal is never moved back through ACTIVE.
            assert replay(journal, store).signal_statuses == 0
            store.update_signal_status(sig.id, "ACTIVE", T0 + 3)  # the CLOSED write was lost
            assert replay(journal, store).signal_statuses == 1
            assert store.signals().column("status").to_pylist() == ["CLOSED"]


def test_round_trip_and_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append("order", ORDER, ts_ns=5)
        assert journal.appended == 1
    with path.open("a") as fh:
        fh.write('{"kind": "fill", "data": {"trade')  # a write cut short by a crash
    (record,) = list(read_journal(path))
    assert record == {"kind": "order", "data": ORDER, "ts_ns": 5}
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError, match="kind"):
        Journal(path).append("nonsense", {})


def test_replay_into_a_fresh_store_is_idempotent(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.jsonl") as journal:
        _write_session(journal)
        with Store.open(":memory:") as store:
            first = replay(journal, store)
            assert (
                first.records,
                first.signals,
                first.orders,
                first.transitions,
                first.fills,
                first.signal_statuses,
            ) == (6, 1, 1, 2, 1, 1)
            second = replay(journal, store)
            assert (
                second.signals,
                second.orders,
                second.transitions,
                second.fills,
                second.signal_statuses,
            ) == (0, 0, 0, 0, 0)
            order = store.order("ASkey1")
            assert order is not None
            assert (
                order["state"],
                order["filled_quantity"],
                order["broker_order_id"],
                order["average_price"],
            ) == ("FILLED", 25, "B1", 800.05)
            assert store.order_events("ASkey1").column("to_state").to_pylist() == [
                "NEW",
                "SUBMITTED",
                "FILLED",
            ]
            assert store.fills().column("trade_id").to_pylist() == ["T1"]
            assert store.signals().column("status").to_pylist() == ["ACTIVE"]


def test_rotation_renames_and_never_deletes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    _write_session(journal)
    with Store.open(":memory:") as store:
        stats = replay_and_rotate(journal, store)
    assert stats.records == 6
    rotated = sorted(tmp_path.glob("j.jsonl.*"))
    assert len(rotated) == 1
    assert len(list(read_journal(rotated[0]))) == 6
    assert list(read_journal(journal.path)) == []
    journal.append("order", ORDER)
    again = journal.rotate(dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.UTC))
    assert again is not None
    assert again.name == "j.jsonl.20260106-100000"
    assert journal.rotate() is None  # empty: nothing to keep
    journal.close()


def test_kill_9_after_journal_write_is_recovered_by_replay(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    jpath = tmp_path / "j.jsonl"
    child = textwrap.dedent(
        f"""
        import os, signal, time
        from alphastock.persistence.writer import StoreWriter
        from alphastock.persistence.journal import Journal
        from alphastock.signals.manager import SignalManager
        from alphastock.store import Store
        from tests.execution._harness import RecordingBus, signal as make
        store = Store.open({str(db)!r})
        journal = Journal({str(jpath)!r})
        # The writer is never started: DuckDB cannot have the signals when the process dies.
        writer = StoreWriter(store)
        writer.start = lambda: writer
        manager = SignalManager(journal, writer, RecordingBus())
        for i in range(3):
            assert manager.submit(make(ts_ns={T0} + i))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", child],
        cwd=root,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert proc.returncode == -os_signal.SIGKILL, proc.stderr.decode()
    assert len(list(read_journal(jpath))) == 3
    with Store.open(db) as store:
        assert store.count("signals") == 0
        assert replay(jpath, store).signals == 3
        assert sorted(store.signals().column("ts_ns").to_pylist()) == [T0, T0 + 1, T0 + 2]


def test_append_json_writes_the_same_record_shape(tmp_path: Path) -> None:
    sig = signal()
    with Journal(tmp_path / "j.jsonl") as journal:
        journal.append_json("signal", sig.model_dump_json(), ts_ns=7)
        journal.append("signal", sig.model_dump(mode="json"), ts_ns=7)
    first, second = read_journal(tmp_path / "j.jsonl")
    assert first == second
    assert first["data"]["id"] == sig.id
    journal.close()
    with pytest.raises(ValueError, match="closed"):
        journal.append_json("signal", "{}")


def test_records_encode_as_standard_json() -> None:
    record = {"price": 1502.35, "qty": 10, "none": None, "note": "NaN in words", "nested": [1, {"x": 2.5}]}
    assert json.loads(encode_record(record)) == record
    assert json.loads(encode_record({"name": "टाटा"})) == {"name": "टाटा"}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_refused(tmp_path: Path, bad: float) -> None:
    with Journal(tmp_path / "j.jsonl") as journal:
        with pytest.raises(ValueError, match="JSON compliant"):
            journal.append("fill", {"price": bad})
        with pytest.raises(ValueError, match="JSON compliant"):
            journal.append("fill", {"legs": [{"price": bad}]})
        assert journal.appended == 0
    assert not (tmp_path / "j.jsonl").read_bytes()


def test_unserialisable_values_raise_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        encode_record({"x": object()})


def test_replay_maps_a_journaled_signal_to_the_row_a_live_write_makes() -> None:
    from alphastock.signals.manager import _signal_json
    from alphastock.store.records import signal_record

    live = signal(timeframe="5m", metadata={"why": "breakout"}, quantity=12, expected_move_pct=1.5)
    journaled = json.loads(_signal_json(live))
    assert signal_record(journaled) == live.to_record()
    assert live.to_record().metadata == {"why": "breakout", "exchange": "NSE", "timeframe": "5m"}
