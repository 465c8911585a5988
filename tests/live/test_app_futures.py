"""Futures trade end to end: a strategy on ``NFO:SBIN`` (resolved to the nearest-month future, which
no runner follows by default) gets bars, signals and orders sized in whole lots, filled by the
simulator and matching its book."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from alphastock.config import load_config
from alphastock.live.app import TradingApp
from alphastock.live.connect import connect
from alphastock.live.safety import RunMode
from alphastock.store import Store

FUTURES = {
    "live": {"sim": {"speed": 60.0, "seed": 9}},
    "strategies": {"instances": [
        {"strategy": "ma_crossover", "params": {"fast": 2, "slow": 4}, "symbols": ["NFO:SBIN"]},
    ]},
    "risk": {"max_order_notional": 2_000_000.0, "max_open_positions": 50},
    "execution": {"max_position_pct": 100.0},
}  # fmt: skip


async def _scenario(data_dir: Path) -> dict[str, Any]:
    config = load_config([], environ={}, overrides=FUTURES)
    out: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        conn = await connect(RunMode.SIM, config.live, stack)
        store = Store.open(data_dir=data_dir)
        stack.callback(store.close)
        app = TradingApp(config, conn, store, data_dir=data_dir, session_id="fut-test")
        await app.build()
        store.start_session("fut-test", 1, "sim")
        out["subscriptions"] = sorted(app.kernel.strategy_manager.subscriptions())
        await app.start()
        await asyncio.sleep(10.0)
        out["summary"] = await app.shutdown("test over")
        cur = store.cursor()
        out["orders"] = cur.execute("SELECT symbol, exchange, product, quantity FROM orders").fetchall()
        out["lot"] = app.kernel.instruments.lot_size("NFO", out["subscriptions"][0][1])
    return out


def test_a_futures_strategy_trades_whole_lots(tmp_path: Path) -> None:
    out = asyncio.run(_scenario(tmp_path))
    ((exchange, symbol, timeframe),) = out["subscriptions"]
    assert (exchange, timeframe) == ("NFO", "1m")
    assert symbol.startswith("SBIN")
    assert symbol.endswith("FUT")
    assert out["lot"] == 750
    assert out["orders"], "no futures order in a simulated hour at fast/slow 2/4"
    for order_symbol, order_exchange, product, quantity in out["orders"]:
        assert (order_symbol, order_exchange, product) == (symbol, "NFO", "MIS")
        assert quantity % out["lot"] == 0
    summary = out["summary"]
    assert summary.fills > 0
    assert summary.reconciliation is not None
    assert summary.reconciliation.ok, summary.reconciliation.differences
