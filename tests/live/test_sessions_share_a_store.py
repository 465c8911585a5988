"""Two `alphastock live` sessions on one data directory (the default one persists): the simulator
numbers orders and trades from the same start in every run, and the second session's fills must
still all be stored and reconcile with its own broker book (they were dropped as duplicates when
fills were keyed by trade id alone)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console

from alphastock.config import load_config
from alphastock.live.runner import LiveOptions, LiveSession
from alphastock.live.safety import RunMode

TRADING: dict[str, Any] = {
    "live": {"sim": {"speed": 60.0, "seed": 11}},
    "strategies": {"instances": [
        {"strategy": "ma_crossover", "params": {"fast": 2, "slow": 5},
         "symbols": ["NSE:RELIANCE", "NSE:INFY", "NSE:SBIN", "NSE:HDFCBANK", "NSE:TCS"]},
    ]},
    "risk": {"max_trades_per_day": 10_000, "max_orders_per_day": 10_000, "max_open_positions": 50},
    "execution": {"max_position_pct": 10.0},
}  # fmt: skip


def _session(data_dir: Path) -> LiveSession:
    config = load_config([], environ={}, overrides=TRADING)
    options = LiveOptions(mode=RunMode.SIM, duration_s=8.0, data_dir=data_dir, headless=True)
    session = LiveSession(config, options, environ={}, console=Console(file=io.StringIO()))
    assert asyncio.run(session.run()) == 0
    return session


def test_a_second_session_on_the_same_data_dir_keeps_and_reconciles_its_fills(tmp_path: Path) -> None:
    first = _session(tmp_path)
    second = _session(tmp_path)
    for session in (first, second):
        summary = session.summary
        assert summary is not None
        assert summary.fills > 0
        assert summary.reconciliation is not None
        assert summary.reconciliation.ok, summary.reconciliation.differences
        assert summary.reconciliation.matched_trades == summary.reconciliation.broker_trades > 0
        # The summary counts this session's signals, orders and fills, not the store's history.
        app = session.app
        assert app is not None
        assert summary.fills == app.kernel.oms.counters.fills
        assert summary.orders == len(app.kernel.oms.orders())
        assert summary.signals == app.kernel.signals.counters.submitted
    con = duckdb.connect(str(tmp_path / "alphastock.duckdb"), read_only=True)
    try:
        stored = con.execute("SELECT count(*), count(DISTINCT trade_id) FROM fills").fetchall()[0]
    finally:
        con.close()
    assert first.app is not None
    assert second.app is not None
    both = first.app.kernel.oms.counters.fills + second.app.kernel.oms.counters.fills
    assert stored[0] == both  # nothing lost to a repeated trade id
    assert stored[1] < stored[0]  # and the simulator did repeat them: the case this guards
