"""End to end: ``alphastock live --duration 60 --speed 60 --headless`` on the embedded simulator.

The command runs as a user would run it (a subprocess, default configuration, its own
simulator child). Afterwards the DuckDB store it wrote must hold signals, orders, fills and
positions, and they must agree by value with the simulator's own order book, trades and
positions — which the run fetched from the simulator through the Kite API at the end and
stored in the audit log (``broker_book``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

ALPHASTOCK = Path(sys.executable).with_name("alphastock")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    data_dir = tmp_path_factory.mktemp("live")
    result = subprocess.run(
        [str(ALPHASTOCK), "live", "--duration", "60", "--speed", "60", "--headless", "--stats",
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": str(ALPHASTOCK.parent), "HOME": str(data_dir), "COLUMNS": "200", "PYTHONUTF8": "1"},
    )  # fmt: skip
    return result, data_dir


def test_the_run_ends_cleanly_and_says_where_things_are(
    run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, data_dir = run
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "embedded simulator at http://127.0.0.1:" in out
    assert f"database {data_dir / 'alphastock.duckdb'}" in out
    assert "session summary (sim)" in out
    assert re.search(r"tick→submit\s+│ p50 [\d,.]+ µs\s+p99 [\d,.]+ µs", out), out[-2000:]
    # --stats: every stage, and each strategy's own hook time (the default config runs ma_crossover).
    assert re.search(r"first_of_trigger\s+│ p50 [\d,.]+\s+p99", out), out[-2000:]
    assert re.search(
        r"hooks of ma_crossover\S*\s+│ p50 [\d,.]+\s+p99 [\d,.]+\s+max [\d,.]+ µs \([\d,]+ calls\)", out
    )
    assert re.search(r"realised after [\d,.]+ charges", out), out[-2000:]
    assert "broker book" in out
    assert "matches" in out
    assert "duration 60 s elapsed; new orders stopped" in out


def test_store_agrees_with_the_simulators_book(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, data_dir = run
    con = duckdb.connect(str(data_dir / "alphastock.duckdb"), read_only=True)
    signals = _rows(con, "SELECT * FROM signals")
    orders = _rows(con, "SELECT * FROM orders")
    fills = _rows(con, "SELECT * FROM fills")
    positions = _rows(con, "SELECT * FROM positions ORDER BY ts_ns")
    book = json.loads(_rows(con, "SELECT detail FROM audit_log WHERE action = 'broker_book'")[0]["detail"])
    sessions = _rows(con, "SELECT * FROM sessions")
    con.close()

    assert len(signals) > 0
    assert len(orders) > 0
    assert len(fills) > 0
    assert all(f["charges"] > 0 for f in fills)  # every execution pays at least exchange fees
    assert len(positions) > 0
    assert len(sessions) == 1
    assert sessions[0]["mode"] == "sim"
    assert sessions[0]["ended_ns"] > sessions[0]["started_ns"]
    assert book["differences"] == []

    # Every order of ours is in the simulator's book with the same id, quantities and price.
    broker_orders = {o["tag"]: o for o in book["orders"]}
    for order in orders:
        theirs = broker_orders[order["idempotency_key"]]
        assert order["broker_order_id"] == theirs["order_id"]
        assert order["symbol"] == theirs["tradingsymbol"]
        assert order["side"] == theirs["transaction_type"]
        assert order["quantity"] == theirs["quantity"]
        assert order["filled_quantity"] == theirs["filled_quantity"]
        if theirs["status"] == "COMPLETE":
            assert order["state"] == "FILLED"
            assert order["average_price"] == pytest.approx(theirs["average_price"], abs=0.005)
    assert len(broker_orders) == len(orders)

    # Every trade is a fill, one for one, same quantity and price.
    ours = {f["trade_id"]: f for f in fills}
    assert {t["trade_id"] for t in book["trades"]} == set(ours)
    for trade in book["trades"]:
        fill = ours[trade["trade_id"]]
        assert fill["broker_order_id"] == trade["order_id"]
        assert fill["quantity"] == trade["quantity"]
        assert fill["price"] == pytest.approx(trade["average_price"], abs=0.005)

    # Net positions: from our fills, from our last position snapshots, and the simulator's.
    net: dict[str, int] = {}
    for fill in fills:
        net[fill["symbol"]] = (
            net.get(fill["symbol"], 0) + (1 if fill["side"] == "BUY" else -1) * fill["quantity"]
        )
    last_snapshot = {p["symbol"]: p["quantity"] for p in positions}
    for position in book["positions"]:
        assert net.get(position["tradingsymbol"], 0) == position["quantity"]
        assert last_snapshot.get(position["tradingsymbol"], 0) == position["quantity"]

    # Signals and orders are linked: an entry order names a stored signal, and a signal that
    # got an order is no longer NEW.
    ids = {s["id"]: s for s in signals}
    for order in orders:
        if order["signal_id"] is not None:
            assert order["signal_id"] in ids
            assert ids[order["signal_id"]]["status"] in ("ACTIVE", "CLOSED", "REJECTED")


def test_secrets_stay_out_of_the_log(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, data_dir = run
    logs = list((data_dir / "logs").glob("live-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    assert "live session sim-" in text
    assert not re.search(r"access_token=[0-9a-f]{16,}", text)
    assert not re.search(r"token [^ :]+:[0-9a-f]{16,}", text)


def test_ctrl_c_to_the_whole_terminal_group_still_shuts_down_cleanly(tmp_path: Path) -> None:
    # A terminal's Ctrl-C sends SIGINT to every process of the foreground group: the simulator
    # child must not die with us before the square-off and the reconciliation have run.
    process = subprocess.Popen(
        [str(ALPHASTOCK), "live", "--speed", "60", "--headless", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={"PATH": str(ALPHASTOCK.parent), "HOME": str(tmp_path), "COLUMNS": "200", "PYTHONUTF8": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        log_dir = tmp_path / "logs"
        while time.monotonic() < deadline:  # trading has started once the engine runs
            logs = list(log_dir.glob("live-*.log")) if log_dir.exists() else []
            if logs and "strategies warmed up" in logs[0].read_text():
                break
            time.sleep(0.5)
        time.sleep(8.0)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, err[-3000:]
    assert "SIGINT received; new orders stopped" in out
    assert "broker book" in out
    assert "matches" in out
    assert "broker book unavailable" not in out
