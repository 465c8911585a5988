"""Issue 15 end to end on the simulator, through the Kite adapter (the official SDK): a BUY signal on NIFTY
becomes the contract an independent selection on the same chain picks, whole lots sized to the risk
budget, a filled entry, a resting SL stop and LIMIT target read back through the SDK; NIFTY is then
walked up until the target fills (another run: down until the stop fills), and every step is in DuckDB.

The app runs in-process against a simulator in a thread (speed 60) so the test can move the market: it
scales NIFTY's spot a little each step, and the simulator reprices the options from it."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from kiteconnect import KiteConnect

from alphastock.auth.redact import Secret
from alphastock.config import load_config
from alphastock.execution.options import OptionTrade, TradeStatus
from alphastock.live.app import TradingApp
from alphastock.live.connect import Connection
from alphastock.live.embedded import SimEndpoint
from alphastock.live.safety import RunMode
from alphastock.options.selector import select_contract
from alphastock.signals.assets import AssetType
from alphastock.signals.model import Signal, SignalStatus
from alphastock.sim import SimConfig, SimServer
from alphastock.store import Store

OVERRIDES: dict[str, Any] = {
    "risk": {"max_data_age_s": 120.0},
    "runners": {"options": {"underlyings": ["NIFTY"], "snapshot_interval_s": 5.0}},
    "option_trading": {
        "capital": 1_000_000.0,
        "risk_per_trade_pct": 1.0,
        "levels": {"method": "premium_pct", "sl_pct": 20.0, "target_multiplier": 10.0},
        "selection": {"max_spread_pct": 10.0},
    },
}


def _connection(server: SimServer) -> Connection:
    while server.clock_origin is None:
        time.sleep(0.01)
    wall_ns, sim_ns = server.clock_origin
    endpoint = SimEndpoint(
        rest_url=server.rest_url, ws_url=server.ws_url, api_key=server.api_key,
        access_token=server.access_token, date=str(server.state.model.day), speed=60.0, seed=5,
        clock_origin_wall_ns=wall_ns, clock_origin_sim_ns=sim_ns,
    )  # fmt: skip
    return Connection(
        mode=RunMode.SIM, api_key=server.api_key, access_token=Secret(server.access_token),
        rest_root=server.rest_url, ws_url=server.ws_url, user_id="SIM001", sim=endpoint,
    )  # fmt: skip


@pytest.fixture
def server() -> Any:
    sim = SimServer(SimConfig(seed=5, speed=60.0)).start_in_thread()
    try:
        yield sim
    finally:
        sim.stop()


async def until(
    predicate: Callable[[], bool],
    timeout: float = 30.0,
    step: Callable[[], None] | None = None,
    every: float = 0.05,
) -> None:
    """Wait until ``predicate`` holds, calling ``step`` between looks every ``every`` wall seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            if step is not None:
                step()
            await asyncio.sleep(every)


@asynccontextmanager
async def running(server: SimServer, data_dir: Path) -> AsyncIterator[TradingApp]:
    """A started app whose strategies make no signals, once a NIFTY chain is in the executor's book."""
    config = load_config([], environ={}, overrides=OVERRIDES)
    store = Store.open(data_dir=data_dir)
    try:
        app = TradingApp(config, _connection(server), store, data_dir=data_dir, session_id="opt")
        await app.build()
        store.start_session("opt", 1, "sim")
        await app.start()
        app.kernel.strategies.trading = False
        chains = app.kernel.execution.chains
        assert chains is not None
        await until(lambda: bool(chains.expiries("NIFTY")))
        yield app
    finally:
        store.close()


def _nifty_signal(app: TradingApp, sid: str) -> Signal:
    spot = app.kernel.resolver.spot("NIFTY")
    tick = app.kernel.ticks.latest(spot.instrument_token)
    assert tick is not None
    price = round(float(tick.last_price), 1)
    return Signal.model_validate({
        "id": sid, "ts_ns": app.clock.now_ns(), "symbol": "NSE:NIFTY 50", "exchange": "NSE",
        "token": spot.instrument_token, "strategy": "test", "action": "BUY", "entry": price,
        "stop_loss": round(price * 0.99, 1), "target": round(price * 1.02, 1), "expected_move_pct": 2.0,
        "asset_type": AssetType.INDEX,
    })  # fmt: skip


def _walk_nifty(server: SimServer, factor: float) -> Callable[[], None]:
    """A step that scales NIFTY's spot by ``factor`` in the simulator (options reprice from it)."""

    def move(exchange: Any) -> None:
        model = exchange.state.model
        model.spot[model.und_names.index("NIFTY")] *= factor

    return lambda: server.call(move)


def _sdk(server: SimServer) -> KiteConnect:
    kite = KiteConnect(server.api_key, root=server.rest_url)
    kite.set_access_token(server.access_token)
    return kite


async def _open_trade(app: TradingApp, server: SimServer) -> tuple[OptionTrade, dict[str, Any]]:
    """Send the BUY signal; return its trade once its entry filled and its protection rests."""
    executor = app.kernel.execution.options
    chains = app.kernel.execution.chains
    assert executor is not None
    assert chains is not None
    signal = _nifty_signal(app, "nifty-buy")
    assert app.kernel.signals.submit(signal)
    await until(lambda: any(t.signal_id == signal.id for t in executor.book.all()))
    (trade,) = [t for t in executor.book.all() if t.signal_id == signal.id]
    assert trade.expiry is not None
    # The contract an independent selection on the same chain picks.
    snapshot = chains.latest("NIFTY", trade.expiry)
    assert snapshot is not None
    expected = select_contract(snapshot, "BUY", app.kernel.config.option_trading.selection).chosen
    assert expected is not None
    picked = {"token": trade.token, "strike": trade.strike, "type": trade.option_type}
    await until(
        lambda: trade.status is TradeStatus.OPEN and bool(trade.stop_order_key and trade.target_order_key)
    )
    kite = _sdk(server)

    def resting() -> dict[str, str]:
        rows = {o["tag"]: o["status"] for o in kite.orders()}
        return {
            k: rows.get(k, "")
            for k in [*(trade.stop_order_key or "").split(","), trade.target_order_key or ""]
        }

    # Kite allows 10 requests/s on the order book (the simulator enforces it): look 4 times a second.
    await until(lambda: set(resting().values()) == {"TRIGGER PENDING", "OPEN"}, every=0.25)
    book = {o["tag"]: o for o in kite.orders()}
    return trade, {"expected": expected, "picked": picked, "book": book, "signal": signal}


def test_a_buy_signal_on_nifty_becomes_a_protected_call_that_exits_at_its_target(
    server: SimServer, tmp_path: Path
) -> None:
    async def scenario() -> tuple[OptionTrade, dict[str, Any], TradingApp]:
        async with running(server, tmp_path) as app:
            trade, seen = await _open_trade(app, server)
            await until(
                lambda: trade.status is TradeStatus.CLOSED, timeout=60.0, step=_walk_nifty(server, 1.0005)
            )
            seen["signal_status"] = app.kernel.signals.get(seen["signal"].id)
            seen["after"] = {o["tag"]: o["status"] for o in _sdk(server).orders()}
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
    assert events.index("protected") < events.index("exit_fill") < events.index("closed") == len(events) - 1, events


def test_another_run_exits_at_the_stop(server: SimServer, tmp_path: Path) -> None:
    async def scenario() -> tuple[OptionTrade, dict[str, str]]:
        async with running(server, tmp_path) as app:
            trade, _ = await _open_trade(app, server)
            await until(
                lambda: trade.status is TradeStatus.CLOSED, timeout=60.0, step=_walk_nifty(server, 0.99995)
            )
            after = {o["tag"]: o["status"] for o in _sdk(server).orders()}
            await app.shutdown("test over")
            return trade, after

    trade, after = asyncio.run(scenario())
    assert trade.exit_reason == "stop"
    assert after[trade.target_order_key or ""] == "CANCELLED"
    assert after[(trade.stop_order_key or "").split(",")[0]] == "COMPLETE"
