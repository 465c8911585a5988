"""An app on a simulator whose address is known (a SimServer in a thread, here or in the parent of a
process that is killed): the options tests' connection, start-up, the NIFTY signal and the wait for
its trade to be protected at the broker (read back through the official SDK)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

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
from alphastock.signals.model import Signal
from alphastock.sim import SimServer
from alphastock.store import Store

OVERRIDES: dict[str, Any] = {
    # At speed 60 a data age of 600 engine seconds is 10 wall seconds: a loaded machine must not make
    # the quotes look stale (these tests are not about stale data).
    "risk": {"max_data_age_s": 600.0},
    "strategies": {"instances": []},
    "runners": {"options": {"underlyings": ["NIFTY"], "snapshot_interval_s": 5.0}},
    "option_trading": {
        # At speed 60 the default 5 s is 12 reads a second, past Kite's 10/s (the simulator answers 429).
        "gtt_poll_interval_s": 60.0,
        "capital": 1_000_000.0,
        "risk_per_trade_pct": 1.0,
        "levels": {"method": "premium_pct", "sl_pct": 20.0, "target_multiplier": 10.0},
        # Next week's contract, not today's: a 0DTE premium of ~40 swings 20% in a simulated minute, and
        # these tests decide which level trades by walking NIFTY.
        "selection": {"max_spread_pct": 10.0, "expiry": {"min_days_to_expiry": 1}},
    },
}


def endpoint_of(server: SimServer) -> SimEndpoint:
    """The address, credentials and clock of a running simulator (what a child process is given)."""
    while server.clock_origin is None:
        time.sleep(0.01)
    wall_ns, sim_ns = server.clock_origin
    return SimEndpoint(
        rest_url=server.rest_url, ws_url=server.ws_url, api_key=server.api_key,
        access_token=server.access_token, date=str(server.state.model.day), speed=60.0, seed=5,
        clock_origin_wall_ns=wall_ns, clock_origin_sim_ns=sim_ns,
    )  # fmt: skip


def connection(endpoint: SimEndpoint) -> Connection:
    """The Kite adapter's connection to the simulator at ``endpoint``."""
    return Connection(
        mode=RunMode.SIM, api_key=endpoint.api_key, access_token=Secret(endpoint.access_token),
        rest_root=endpoint.rest_url, ws_url=endpoint.ws_url, user_id="SIM001", sim=endpoint,
    )  # fmt: skip


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
async def running(
    endpoint: SimEndpoint, data_dir: Path, session_id: str = "opt", trading: dict[str, Any] | None = None
) -> AsyncIterator[TradingApp]:
    """A started app with no strategies (the test makes the signals), once a NIFTY chain is in the
    options executor's book."""
    overrides = OVERRIDES
    if trading:
        overrides = {**OVERRIDES, "option_trading": {**OVERRIDES["option_trading"], **trading}}
    config = load_config([], environ={}, overrides=overrides)
    store = Store.open(data_dir=data_dir)
    try:
        app = TradingApp(config, connection(endpoint), store, data_dir=data_dir, session_id=session_id)
        await app.build()
        store.start_session(session_id, 1, "sim")
        await app.start()
        app.kernel.strategies.trading = False
        chains = app.kernel.execution.chains
        assert chains is not None

        def quoted() -> bool:  # both expiries' chains, with most of their calls quoted two-sided
            snaps = [chains.latest("NIFTY", e) for e in chains.expiries("NIFTY")]
            return len(snaps) >= 2 and all(s is not None and int((s.call_ask > 0).sum()) >= 15 for s in snaps)

        await until(quoted)
        yield app
    finally:
        store.close()


def nifty_signal(app: TradingApp, sid: str) -> Signal:
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


def walk_nifty(server: SimServer, factor: float) -> Callable[[], None]:
    """A step that scales NIFTY's spot by ``factor`` in the simulator (options reprice from it)."""

    def move(exchange: Any) -> None:
        model = exchange.state.model
        model.spot[model.und_names.index("NIFTY")] *= factor

    return lambda: server.call(move)


def sdk(endpoint: SimEndpoint) -> KiteConnect:
    """The official SDK, logged in to the simulator."""
    kite = KiteConnect(endpoint.api_key, root=endpoint.rest_url)
    kite.set_access_token(endpoint.access_token)
    return kite


async def open_trade(app: TradingApp, endpoint: SimEndpoint) -> tuple[OptionTrade, dict[str, Any]]:
    """Send the BUY signal; return its trade once its entry filled and its protection rests."""
    executor = app.kernel.execution.options
    chains = app.kernel.execution.chains
    assert executor is not None
    assert chains is not None
    signal = nifty_signal(app, "nifty-buy")
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
    kite = sdk(endpoint)

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
