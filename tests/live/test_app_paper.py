"""``--paper`` wiring: market data from a Kite feed, fills from the PaperBroker (here the feed is the
embedded simulator's, standing in for Kite's; no order reaches the exchange)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from alphastock.brokers.paper import PaperBroker
from alphastock.config import load_config
from alphastock.live.app import TradingApp
from alphastock.live.connect import Connection, connect
from alphastock.live.safety import RunMode
from alphastock.store import Store

FAST = {
    "live": {"sim": {"speed": 60.0, "seed": 3}},
    "strategies": {"instances": [
        {"strategy": "ma_crossover", "params": {"fast": 2, "slow": 4},
         "symbols": ["NSE:RELIANCE", "NSE:INFY", "NSE:SBIN", "NSE:HDFCBANK", "NSE:TCS"]},
    ]},
    "risk": {"max_open_positions": 50},
    "execution": {"max_position_pct": 10.0},
}  # fmt: skip


async def _scenario(data_dir: Path) -> dict[str, Any]:
    config = load_config([], environ={}, overrides=FAST)
    out: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        sim = await connect(RunMode.SIM, config.live, stack)
        conn = Connection(
            mode=RunMode.PAPER, api_key=sim.api_key, access_token=sim.access_token, rest_root=sim.rest_root,
            ws_url=sim.ws_url, user_id="SIM001", sim=sim.sim,
        )  # fmt: skip
        store = Store.open(data_dir=data_dir)
        stack.callback(store.close)
        app = TradingApp(config, conn, store, data_dir=data_dir, session_id="paper-test")
        await app.build()
        store.start_session("paper-test", 1, "paper")
        await app.start()
        await asyncio.sleep(8.0)
        out["broker"] = type(app.kernel.broker.inner).__name__  # behind the broker health's wrapper
        out["paper_orders"] = await app.kernel.broker.orders()
        out["exchange_orders"] = await app.kernel.market_client.orders()
        out["summary"] = await app.shutdown("test over")
        out["orders"] = store.cursor().execute("SELECT count(*) FROM orders").fetchall()[0][0]
    return out


def test_paper_mode_fills_on_the_paper_broker_only(tmp_path: Path) -> None:
    out = asyncio.run(_scenario(tmp_path))
    assert out["broker"] == PaperBroker.__name__
    assert len(out["paper_orders"]) > 0
    assert out["exchange_orders"] == []  # nothing was sent to the exchange
    assert out["orders"] >= len(out["paper_orders"])
    summary = out["summary"]
    assert summary.mode == "paper"
    assert summary.fills > 0
    assert summary.reconciliation is not None
    assert summary.reconciliation.ok, summary.reconciliation.differences
