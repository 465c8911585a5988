"""The default strategies trade index options on the embedded default (issue 15).

``alphastock live --duration 60 --speed 60 --headless`` runs as a user runs it (a subprocess, default
configuration, its own simulator child): one simulated hour from 09:15 IST. The default instance
``ma_crossover_index`` on NSE:NIFTY 50 and NSE:NIFTY BANK must signal in that hour; the signal router
must hand those index signals to the options executor, which must buy a CE (BUY) or PE (SELL) on NIFTY
or BANKNIFTY and rest a stop-loss order at the broker for what filled.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alphastock.models import IST
from alphastock.store import Store

pytestmark = pytest.mark.slow  # a minute of wall time (one simulated hour at 60x)

ALPHASTOCK = Path(sys.executable).with_name("alphastock")
INDEX_INSTANCE = "ma_crossover_index"
UNDERLYINGS = {"NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY"}


class Run:
    """One finished ``alphastock live`` run: its output and its store's rows."""

    def __init__(self, result: subprocess.CompletedProcess[str], store: Store) -> None:
        self.result = result
        self.signals: list[dict[str, Any]] = store.signals().to_pylist()
        self.trades: list[dict[str, Any]] = store.option_trades().to_pylist()
        self.events: list[dict[str, Any]] = store.option_trade_events().to_pylist()
        self.orders = {o["idempotency_key"]: o for o in store.orders().to_pylist()}
        # The embedded simulator starts at 09:15 IST of its trading day: the first hour ends at 10:15.
        day = dt.datetime.fromtimestamp(self.signals[0]["ts_ns"] / 1e9, IST).date() if self.signals else None
        self.hour_end_ns = (
            int(dt.datetime.combine(day, dt.time(10, 15), IST).timestamp()) * 1_000_000_000 if day else 0
        )

    def index_signals(self) -> list[dict[str, Any]]:
        """The index instance's signals of the first simulated hour."""
        return [s for s in self.signals if s["strategy"] == INDEX_INSTANCE and s["ts_ns"] <= self.hour_end_ns]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    data_dir = tmp_path_factory.mktemp("live-options")
    result = subprocess.run(
        [str(ALPHASTOCK), "live", "--duration", "60", "--speed", "60", "--headless",
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": str(ALPHASTOCK.parent), "HOME": str(data_dir), "COLUMNS": "200", "PYTHONUTF8": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    store = Store.open(data_dir / "alphastock.duckdb", read_only=True)
    try:
        yield Run(result, store)
    finally:
        store.close()


def test_the_index_instance_signals_in_index_points_within_the_first_hour(run: Run) -> None:
    signals = run.index_signals()
    assert signals, [(s["strategy"], s["symbol"]) for s in run.signals]
    assert {s["symbol"] for s in signals} <= set(UNDERLYINGS)
    for s in signals:
        assert s["asset_type"] == "index"
        entry, stop, target = s["price"], s["stop_loss"], s["target"]
        side = 1 if s["action"] == "BUY" else -1
        assert side * (target - entry) > 0, s
        assert side * (entry - stop) > 0, s
        # Levels of the index itself (points), not of a premium: the stop is a fraction of a percent
        # away (two 1-minute ATRs) and the target twice as far (reward:risk 2).
        assert 0.005 < abs(entry - stop) / entry * 100 < 1.0, s
        # (each level is rounded to the 0.05 tick)
        assert abs(target - entry) == pytest.approx(2 * abs(entry - stop), abs=0.16)
        assert s["expected_move_pct"] == pytest.approx(abs(target - entry) / entry * 100)


def test_index_signals_become_option_trades_with_a_resting_stop(run: Run) -> None:
    by_id = {s["id"]: s for s in run.index_signals()}
    trades = [t for t in run.trades if t["signal_id"] in by_id]
    assert trades, (run.trades, run.result.stderr[-3000:])
    for trade in trades:
        signal = by_id[trade["signal_id"]]
        assert trade["strategy"] == INDEX_INSTANCE
        assert trade["underlying"] == UNDERLYINGS[signal["symbol"]]
        assert trade["action"] == signal["action"]
        # option_trading.selection.option_side buy_premium: BUY -> a call, SELL -> a put, bought.
        assert trade["option_type"] == ("CE" if signal["action"] == "BUY" else "PE")
        assert trade["exchange"] == "NFO"
        assert trade["tradingsymbol"].startswith(trade["underlying"])
        assert trade["quantity"] == trade["lots"] * trade["lot_size"] > 0
        entry = run.orders[trade["entry_order_key"]]
        assert (entry["symbol"], entry["side"]) == (trade["tradingsymbol"], "BUY")
        assert entry["signal_id"] == signal["id"]
    # At least one entry filled and its position rested a stop-loss (SL, never SL-M on index options)
    # at the broker for what filled.
    protected = []
    for trade in trades:
        stop = run.orders.get(trade["stop_order_key"] or "")
        if trade["filled_quantity"] > 0 and stop is not None and stop["broker_order_id"]:
            assert (stop["symbol"], stop["side"]) == (trade["tradingsymbol"], "SELL")
            assert stop["order_type"] == "SL"
            assert 0 < stop["quantity"] <= trade["filled_quantity"]  # less once a target part filled
            assert 0 < stop["price"] <= stop["trigger_price"]
            protected.append(trade["trade_id"])
    assert protected, trades
    steps = {(e["trade_id"], e["event"]) for e in run.events}
    assert all((tid, "selected") in steps and (tid, "protected") in steps for tid in protected)
    assert "options executor: " in run.result.stderr
