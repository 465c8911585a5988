"""``alphastock options positions``: the options executor's trades and their steps, read from the store."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.models import IST
from alphastock.signals.model import SignalAction
from alphastock.store import OptionTradeRecord, Store

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
NS = 1_000_000_000
OPENED = int(dt.datetime(2026, 1, 12, 10, 30, 5, tzinfo=IST).timestamp()) * NS
CLOSED_OPENED = int(dt.datetime(2026, 1, 12, 9, 45, 30, tzinfo=IST).timestamp()) * NS
CHOICE = {"chosen": {"strike": 24500.0, "iv": 0.14, "delta": 0.52, "spread_pct": 0.8, "score": 0.91}}


def _records() -> list[OptionTradeRecord]:
    live = OptionTradeRecord(
        trade_id="OT0001", signal_key="K1", signal_id="S1", strategy="ma_crossover", underlying="NIFTY",
        action=SignalAction.BUY, status="OPEN", opened_ns=OPENED, updated_ns=OPENED + 3 * NS, exchange="NFO",
        tradingsymbol="NIFTY26JAN24500CE", token=10_000_040, expiry=dt.date(2026, 1, 13), strike=24500.0,
        option_type="CE", product="MIS", lot_size=65, lots=2, quantity=130, filled_quantity=130,
        entry_premium=120.0, stop=96.0, target=168.0, exit_method="reprice", entry_order_key="AS0001",
        stop_order_key="AS0002", target_order_key="AS0003", choice=CHOICE, sizing={"lots": 2},
        levels={"method": "reprice"},
    )  # fmt: skip
    closed = OptionTradeRecord(
        trade_id="OT0000", signal_key="K0", signal_id="S0", strategy="orb", underlying="BANKNIFTY",
        action=SignalAction.SELL, status="CLOSED", opened_ns=CLOSED_OPENED, updated_ns=OPENED,
        exchange="NFO", tradingsymbol="BANKNIFTY26JAN52000PE", token=10_000_500, expiry=dt.date(2026, 1, 27),
        strike=52000.0, option_type="PE", product="MIS", lot_size=30, lots=1, quantity=30, filled_quantity=30,
        entry_premium=310.5, stop=248.4, target=434.7, exit_reason="target",
    )  # fmt: skip
    return [live, closed]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with Store.open(data_dir=tmp_path) as store:
        for record in _records():
            store.upsert_option_trade(record)
        store.record_option_trade_event("OT0001", OPENED, "selected", {"strike": 24500.0, "lots": 2})
        store.record_option_trade_event(
            "OT0001", OPENED + NS, "entry_sent", {"order": "AS0001", "price": 120.0}
        )
        store.record_option_trade_event("OT0001", OPENED + 2 * NS + 250_000_000, "filled", {"price": 119.5})
        store.record_option_trade_event("OT0000", CLOSED_OPENED, "selected", {"strike": 52000.0})
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["options", "positions", *args], env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, ANSI.sub("", result.stdout), ANSI.sub("", result.stderr)


def _rows(text: str) -> list[list[str]]:
    """Every table body row of ``text`` as its cells (rich's rows are split by │)."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.count("│") >= 2]


def test_default_shows_the_live_trades(data_dir: Path) -> None:
    code, out, _ = _run("--data-dir", str(data_dir))
    assert code == 0
    assert "live option trades" in out
    assert _rows(out) == [
        ["OT0001", "2026-01-12 10:30:05", "NIFTY", "NIFTY26JAN24500CE", "2", "120.00", "96.00", "168.00",
         "OPEN", ""],
    ]  # fmt: skip


def test_all_adds_the_finished_ones_oldest_first(data_dir: Path) -> None:
    code, out, _ = _run("--all", "--data-dir", str(data_dir))
    assert code == 0
    assert _rows(out) == [
        ["OT0000", "2026-01-12 09:45:30", "BANKNIFTY", "BANKNIFTY26JAN52000PE", "1", "310.50", "248.40",
         "434.70", "CLOSED", "target"],
        ["OT0001", "2026-01-12 10:30:05", "NIFTY", "NIFTY26JAN24500CE", "2", "120.00", "96.00", "168.00",
         "OPEN", ""],
    ]  # fmt: skip


def test_json_gives_every_stored_value(data_dir: Path) -> None:
    code, out, _ = _run("--all", "--json", "--data-dir", str(data_dir))
    assert code == 0
    trades = json.loads(out)
    assert [t["trade_id"] for t in trades] == ["OT0000", "OT0001"]
    live = trades[1]
    expected = {
        "status": "OPEN", "underlying": "NIFTY", "tradingsymbol": "NIFTY26JAN24500CE", "lots": 2,
        "quantity": 130, "filled_quantity": 130, "entry_premium": 120.0, "stop": 96.0, "target": 168.0,
        "expiry": "2026-01-13", "strike": 24500.0, "option_type": "CE", "opened_ns": OPENED,
        "opened_ist": "2026-01-12T10:30:05.000000+0530", "exit_reason": None, "choice": CHOICE,
        "sizing": {"lots": 2}, "levels": {"method": "reprice"}, "stop_order_key": "AS0002",
    }  # fmt: skip
    assert {k: live[k] for k in expected} == expected
    assert trades[0]["exit_reason"] == "target"
    assert trades[0]["choice"] is None


def test_events_show_the_trade_and_its_steps_in_order(data_dir: Path) -> None:
    code, out, _ = _run("--events", "OT0001", "--data-dir", str(data_dir))
    assert code == 0
    rows = _rows(out)
    assert rows[0][:4] == ["OT0001", "2026-01-12 10:30:05", "NIFTY", "NIFTY26JAN24500CE"]
    assert rows[1:] == [
        ["2026-01-12 10:30:05.000", "selected", '{"strike": 24500.0, "lots": 2}'],
        ["2026-01-12 10:30:06.000", "entry_sent", '{"order": "AS0001", "price": 120.0}'],
        ["2026-01-12 10:30:07.250", "filled", '{"price": 119.5}'],
    ]
    # A finished trade's steps too, without --all.
    code, out, _ = _run("--events", "OT0000", "--data-dir", str(data_dir))
    assert code == 0
    assert [r[1] for r in _rows(out)] == ["2026-01-12 09:45:30", "selected"]


def test_events_as_json(data_dir: Path) -> None:
    code, out, _ = _run("--events", "OT0001", "--json", "--data-dir", str(data_dir))
    assert code == 0
    data = json.loads(out)
    assert data["trade"]["trade_id"] == "OT0001"
    assert data["trade"]["entry_premium"] == 120.0
    assert [(e["event"], e["ts_ns"], e["detail"], e["ts_ist"]) for e in data["events"]] == [
        ("selected", OPENED, {"strike": 24500.0, "lots": 2}, "2026-01-12T10:30:05.000000+0530"),
        ("entry_sent", OPENED + NS, {"order": "AS0001", "price": 120.0}, "2026-01-12T10:30:06.000000+0530"),
        ("filled", OPENED + 2 * NS + 250_000_000, {"price": 119.5}, "2026-01-12T10:30:07.250000+0530"),
    ]


def test_unknown_trade_is_an_error(data_dir: Path) -> None:
    code, out, err = _run("--events", "OT9999", "--data-dir", str(data_dir))
    assert code == 1
    assert "no option trade OT9999 in the store" in err
    assert out == ""


def test_nothing_live_says_so(tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        store.upsert_option_trade(_records()[1])
    code, out, _ = _run("--data-dir", str(tmp_path))
    assert code == 0
    assert out.strip() == "no live option trades (--all shows finished ones too)"
    code, out, _ = _run("--json", "--data-dir", str(tmp_path))
    assert json.loads(out) == []


def test_no_database_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "nowhere"
    code, _, err = _run("--data-dir", str(empty))
    assert code == 2
    assert f"no database at {empty / 'alphastock.duckdb'}" in err.replace("\n", "")
    assert not empty.exists()


def test_the_store_is_opened_read_only(data_dir: Path) -> None:
    db = data_dir / "alphastock.duckdb"
    before = db.read_bytes()
    assert _run("--all", "--data-dir", str(data_dir))[0] == 0
    assert db.read_bytes() == before
