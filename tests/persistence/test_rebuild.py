"""``alphastock db rebuild``: a damaged database is moved aside and rebuilt from every journal segment."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.persistence.journal import Journal
from alphastock.persistence.rebuild import NOT_IN_JOURNAL, journal_segments, rebuild
from alphastock.persistence.writer import replay
from alphastock.store import Store
from alphastock.store.records import FillRecord
from tests.execution._harness import T0, signal

ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "80"}
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
FILL = FillRecord(
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


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _journal_three_runs(data_dir: Path) -> list[str]:
    """Two rotated segments and the live journal, as three `alphastock live` runs leave them."""
    first, second = signal(ts_ns=T0), signal(ts_ns=T0 + 5, symbol="INFY")
    journal = Journal(data_dir / "journal" / "journal.jsonl")
    journal.append("signal", first.model_dump(mode="json"))
    journal.append("order", ORDER)
    journal.append("order_transition", {"key": "ASkey1", "to_state": "SUBMITTED", "ts_ns": T0 + 1})
    journal.rotate(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    journal.append(
        "order_transition",
        {"key": "ASkey1", "to_state": "FILLED", "ts_ns": T0 + 2, "broker_order_id": "B1",
         "filled_quantity": 25, "average_price": 800.05},
    )  # fmt: skip
    journal.append("fill", {k: getattr(FILL, k) for k in FILL.__dataclass_fields__})
    journal.append(
        "signal_status", {"id": first.id, "status": "ACTIVE", "updated_ns": T0 + 3, "metadata": {}}
    )
    journal.rotate(dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC))
    journal.append("signal", second.model_dump(mode="json"))
    journal.append(
        "signal_status", {"id": first.id, "status": "CLOSED", "updated_ns": T0 + 9, "metadata": {}}
    )
    journal.close()
    return ["journal.jsonl.20260105-090000", "journal.jsonl.20260105-150000", "journal.jsonl"]


def _contents(store: Store) -> dict[str, Any]:
    return {
        "signals": store.query("SELECT id, status, updated_ns FROM signals ORDER BY id").to_pylist(),
        "orders": store.query("SELECT idempotency_key, state, filled_quantity FROM orders").to_pylist(),
        "events": store.query(
            "SELECT order_key, to_state, ts_ns FROM order_events ORDER BY ts_ns"
        ).to_pylist(),
        "fills": store.query("SELECT trade_id, order_key, quantity, price FROM fills").to_pylist(),
    }


def _damaged_store(data_dir: Path) -> tuple[dict[str, Any], int]:
    """The store the three runs left (plus an audit row the journal lacks), truncated to half."""
    names = _journal_three_runs(data_dir)
    with Store.open(data_dir=data_dir) as store:
        for name in names:
            replay(data_dir / "journal" / name, store)
        store.audit(T0, "test", "not journaled")
        before = _contents(store)
        store.checkpoint()
    file = data_dir / "alphastock.duckdb"
    half = file.stat().st_size // 2
    os.truncate(file, half)
    return before, half


def test_segments_are_read_oldest_first_with_the_live_file_last(tmp_path: Path) -> None:
    for name in ("journal.jsonl", "journal.jsonl.20260105-150000", "journal.jsonl.20260105-090000.1",
                 "journal.jsonl.20260105-090000", "journal.jsonl.bak", "notes.txt"):  # fmt: skip
        (tmp_path / name).write_text("")
    assert [p.name for p in journal_segments(tmp_path)] == [
        "journal.jsonl.20260105-090000",
        "journal.jsonl.20260105-090000.1",
        "journal.jsonl.20260105-150000",
        "journal.jsonl",
    ]
    assert journal_segments(tmp_path / "missing") == []


def test_db_rebuild_restores_what_the_journal_holds(tmp_path: Path) -> None:
    before, half = _damaged_store(tmp_path)
    file = tmp_path / "alphastock.duckdb"
    assert _cli("db", "info", "--data-dir", str(tmp_path))[0] == 2

    code, out, err = _cli("db", "rebuild", "--data-dir", str(tmp_path))
    assert (code, err) == (0, "")
    (aside,) = tmp_path.glob("alphastock.duckdb.damaged-*")
    assert out.splitlines() == [
        f"damaged: {file}: the file is {half:,} bytes, its {2 * half:,} bytes of blocks are not all there",
        f"moved aside: {file} -> {aside} (kept, not deleted)",
        f"rebuilt {file} from 3 journal file(s) (journal.jsonl.20260105-090000, "
        "journal.jsonl.20260105-150000, journal.jsonl): 2 signals, 2 signal status changes, 1 orders, "
        "2 order transitions, 1 fills",
        "not rebuilt (not in the journal): " + "; ".join(NOT_IN_JOURNAL),
    ]
    assert aside.stat().st_size == half
    assert stat.S_IMODE(aside.stat().st_mode) == 0o600
    with Store.open(data_dir=tmp_path) as store:
        assert store.check(full=True) is None
        assert _contents(store) == before
        statuses = sorted((row["status"], row["updated_ns"]) for row in before["signals"])
        assert statuses == [("CLOSED", T0 + 9), ("NEW", T0 + 5)]
        assert store.count("audit_log") == 0  # not journaled: gone with the damaged file

    code, out, _ = _cli("db", "rebuild", "--data-dir", str(tmp_path))
    assert code == 0
    assert out == (
        f"the database {file} is whole (every row of every table read back); nothing to rebuild (--force "
        "rebuilds it from the journal anyway)\n"
    )


def test_forced_rebuild_of_a_whole_store_keeps_the_old_file(tmp_path: Path) -> None:
    names = _journal_three_runs(tmp_path)
    with Store.open(data_dir=tmp_path) as store:
        for name in names:
            replay(tmp_path / "journal" / name, store)
        before = _contents(store)
    report = rebuild(tmp_path, force=True, now=dt.datetime(2026, 1, 6, 8, 0, tzinfo=dt.UTC))
    assert report.problem is None
    assert report.rebuilt
    assert [new.name for _, new in report.moved] == ["alphastock.duckdb.replaced-20260106-080000"]
    done = report.replayed
    assert (done.signals, done.orders, done.transitions, done.fills) == (2, 1, 2, 1)
    with Store.open(data_dir=tmp_path) as store:
        assert _contents(store) == before


def test_rebuild_without_a_database_or_journal(tmp_path: Path) -> None:
    report = rebuild(tmp_path)
    assert (report.problem, report.rebuilt, report.segments, report.moved) == (
        "there is no database file",
        True,
        [],
        [],
    )
    with Store.open(data_dir=tmp_path) as store:
        assert store.count("orders") == 0
