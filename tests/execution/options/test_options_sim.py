"""Issue 15 end to end on the simulator, through the Kite adapter (the official SDK): a BUY signal on NIFTY
becomes the contract an independent selection on the same chain picks, whole lots sized to the risk
budget, a filled entry, a resting SL stop and LIMIT target read back through the SDK; NIFTY is then
walked up until the target fills (another run: down until the stop fills), and every step is in DuckDB.

The app runs in-process against a simulator in a thread (speed 60) so the test can move the market: it
scales NIFTY's spot a little each step, and the simulator reprices the options from it."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest

from alphastock.execution.options import OptionTrade, TradeStatus
from alphastock.live.app import TradingApp
from alphastock.signals.model import SignalStatus
from alphastock.sim import SimConfig, SimServer
from alphastock.store import Store
from tests.execution.options._sim_app import (
    endpoint_of,
    nifty_signal,
    open_trade,
    running,
    sdk,
    until,
    walk_nifty,
)


@pytest.fixture
def server() -> Any:
    sim = SimServer(SimConfig(seed=5, speed=60.0)).start_in_thread()
    try:
        yield sim
    finally:
        sim.stop()


def test_a_buy_signal_on_nifty_becomes_a_protected_call_that_exits_at_its_target(
    server: SimServer, tmp_path: Path
) -> None:
    async def scenario() -> tuple[OptionTrade, dict[str, Any], TradingApp]:
        async with running(endpoint_of(server), tmp_path) as app:
            trade, seen = await open_trade(app, endpoint_of(server))
            await until(
                lambda: trade.status is TradeStatus.CLOSED, timeout=60.0, step=walk_nifty(server, 1.0005)
            )
            seen["signal_status"] = app.kernel.signals.get(seen["signal"].id)
            seen["after"] = {o["tag"]: o["status"] for o in sdk(endpoint_of(server)).orders()}
            await app.shutdown("test over")
            return trade, seen, app

    trade, seen, _app = asyncio.run(scenario())
    expected = seen["expected"]
    assert seen["picked"] == {"token": expected.token, "strike": expected.strike, "type": "CE"}
    assert trade.lot_size == 65
    assert trade.quantity == trade.lots * 65
    assert trade.lots >= 1
    # Sized to the budget: 1% of 10 lakh over (entry - stop) x 65 per lot, never more.
    entry, first_stop, target_level = trade.entry_premium, trade.levels["stop"], trade.levels["target"]
    assert entry is not None
    risk_per_lot = (entry - first_stop) * 65
    assert trade.lots == min(math.floor(10_000 / risk_per_lot + 1e-9), 20)
    # premium_pct: the stop 20% under the entry (on the tick, rounded toward the entry); the target
    # entry x (1 + 2% x 10).
    assert first_stop == pytest.approx(entry * 0.8, abs=0.051)
    assert first_stop >= entry * 0.8 - 1e-9
    assert target_level == pytest.approx(entry * 1.2, abs=0.051)
    assert target_level <= entry * 1.2 + 1e-9
    book = seen["book"]
    (stop_key,) = (trade.stop_order_key or "").split(",")
    stop, target = book[stop_key], book[trade.target_order_key or ""]
    assert (stop["order_type"], stop["transaction_type"], stop["status"]) == ("SL", "SELL", "TRIGGER PENDING")
    assert stop["trigger_price"] == pytest.approx(first_stop)
    assert stop["price"] < stop["trigger_price"]
    assert (target["order_type"], target["status"]) == ("LIMIT", "OPEN")
    assert target["price"] == pytest.approx(target_level)
    assert stop["quantity"] == target["quantity"] == trade.quantity
    # Exit at the target: the stop cancelled at the broker, the signal CLOSED.
    assert trade.exit_reason == "target"
    assert seen["after"][stop_key] == "CANCELLED"
    assert seen["after"][trade.target_order_key or ""] == "COMPLETE"
    assert seen["signal_status"].status is SignalStatus.CLOSED
    with Store.open(data_dir=tmp_path) as store:
        (row,) = store.option_trades().to_pylist()
        events = [e["event"] for e in store.option_trade_events(trade.trade_id).to_pylist()]
    assert (row["status"], row["exit_reason"], row["tradingsymbol"]) == (
        "CLOSED",
        "target",
        trade.tradingsymbol,
    )
    assert '"runner_up"' in row["choice"]
    assert '"iv"' in row["choice"]
    assert events[:2] == ["selected", "entry_sent"]
    assert (
        events.index("protected") < events.index("exit_fill") < events.index("closed") == len(events) - 1
    ), events


def test_another_run_exits_at_the_stop(server: SimServer, tmp_path: Path) -> None:
    async def scenario() -> tuple[OptionTrade, dict[str, str]]:
        async with running(endpoint_of(server), tmp_path) as app:
            trade, _ = await open_trade(app, endpoint_of(server))
            await until(
                lambda: trade.status is TradeStatus.CLOSED, timeout=60.0, step=walk_nifty(server, 0.99995)
            )
            after = {o["tag"]: o["status"] for o in sdk(endpoint_of(server)).orders()}
            await app.shutdown("test over")
            return trade, after

    trade, after = asyncio.run(scenario())
    assert trade.exit_reason == "stop"
    assert after[trade.target_order_key or ""] == "CANCELLED"
    assert after[(trade.stop_order_key or "").split(",")[0]] == "COMPLETE"


def test_an_nrml_trade_rests_as_a_gtt_oco_that_fires_at_the_stop(server: SimServer, tmp_path: Path) -> None:
    async def scenario() -> tuple[OptionTrade, dict[str, Any]]:
        endpoint = endpoint_of(server)
        async with running(endpoint, tmp_path, trading={"product": "NRML"}) as app:
            executor = app.kernel.execution.options
            assert executor is not None
            signal = nifty_signal(app, "nifty-nrml")
            assert app.kernel.signals.submit(signal)
            await until(lambda: bool(executor.book.all()))
            (trade,) = executor.book.all()
            await until(lambda: trade.gtt_id is not None)
            kite = sdk(endpoint)
            (gtt,) = [g for g in kite.get_gtts() if g["id"] == int(trade.gtt_id or 0)]
            placed = {"gtt": gtt, "orders": [o for o in kite.orders() if o["order_type"] == "SL"]}
            await until(
                lambda: trade.status is TradeStatus.CLOSED, timeout=60.0, step=walk_nifty(server, 0.99995)
            )
            placed["after"] = kite.get_gtt(int(trade.gtt_id or 0))
            await app.shutdown("test over")
            return trade, placed

    trade, seen = asyncio.run(scenario())
    gtt = seen["gtt"]
    assert (gtt["type"], gtt["status"]) == ("two-leg", "active")
    assert gtt["condition"]["trigger_values"] == pytest.approx([trade.levels["stop"], trade.levels["target"]])
    legs = gtt["orders"]
    assert [(leg["transaction_type"], leg["order_type"], leg["product"]) for leg in legs] == [
        ("SELL", "LIMIT", "NRML"), ("SELL", "LIMIT", "NRML"),
    ]  # fmt: skip
    assert [leg["quantity"] for leg in legs] == [trade.quantity, trade.quantity]
    assert seen["orders"] == []  # no resting SL: the GTT protects the position
    assert seen["after"]["status"] == "triggered"
    assert trade.exit_reason == "stop"
