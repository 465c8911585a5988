"""A default start on the simulator stays inside Kite's rate limits: the simulator, which enforces them
as Kite does, refuses nothing with 429 during the start-up (instruments dump, previous closes, margins,
the strategies' historical warm-up) and the first simulated minutes of trading.

The simulator runs in a thread of this process (not the child ``alphastock live`` starts) so its
count of refused requests can be read; sharing our interpreter lock it answers later than a child
would, which is the hard case for the client's limiter (a request counted late at the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from alphastock.auth.redact import Secret
from alphastock.config import load_config
from alphastock.live.app import TradingApp
from alphastock.live.connect import Connection
from alphastock.live.embedded import SimEndpoint
from alphastock.live.safety import RunMode
from alphastock.sim import RateLimits, SimConfig, SimServer
from alphastock.sim.errors import KiteError
from alphastock.sim.state import RateLimiter as SimRateLimiter
from alphastock.store import Store

SPEED = 60.0
"""Simulated seconds per wall second: the first minutes in a few wall seconds."""
TRADING_WALL_S = 4.0
"""Wall seconds of trading after the start-up (four simulated minutes)."""


def _connection(server: SimServer) -> Connection:
    exchange = server.exchange
    origin = exchange.clock_origin
    assert origin is not None
    endpoint = SimEndpoint(
        rest_url=server.rest_url, ws_url=server.ws_url, api_key=server.api_key,
        access_token=server.access_token, date=exchange.state.model.day.isoformat(), speed=SPEED,
        seed=exchange.config.seed, clock_origin_wall_ns=origin[0], clock_origin_sim_ns=origin[1],
    )  # fmt: skip
    return Connection(
        mode=RunMode.SIM, api_key=server.api_key, access_token=Secret(server.access_token),
        rest_root=server.rest_url, ws_url=server.ws_url, user_id="SIM001", sim=endpoint,
    )  # fmt: skip


async def _run(server: SimServer, data_dir: Path) -> dict[str, Any]:
    config = load_config([], environ={}, overrides={"live": {"sim": {"speed": SPEED}}})
    out: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        store = Store.open(data_dir=data_dir)
        stack.callback(store.close)
        app = TradingApp(config, _connection(server), store, data_dir=data_dir, session_id="sim-limits")
        await app.build()
        store.start_session("sim-limits", 1, "sim")
        await app.start()
        out["warmup_bars"] = app.kernel.strategies.warmup_bars
        await asyncio.sleep(TRADING_WALL_S)
        out["acquired"] = dict(app.kernel.market_client.limiter.acquired)
        out["bars"] = app.kernel.strategies.bars
        await app.shutdown("test over")
    return out


def test_a_default_start_is_never_refused_for_rate(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    defaults = load_config([], environ={}).live.sim
    server = SimServer(
        SimConfig(seed=defaults.seed, speed=SPEED, frame_interval=defaults.frame_interval_s)
    ).start_in_thread()
    try:
        for _ in range(500):  # the clock task records its origin on its first run
            if server.exchange.clock_origin is not None:
                break
            time.sleep(0.01)
        out = asyncio.run(_run(server, tmp_path))
        refused = server.call(lambda exchange: dict(exchange.state.limiter.refused))
    finally:
        server.stop()
    # The start-up did what needs the limits: the dump, closes, margins, several historical requests.
    assert out["acquired"]["historical"] >= 4, out["acquired"]
    assert out["acquired"]["quote"] >= 1
    assert out["acquired"]["other"] >= 2
    assert out["warmup_bars"] > 0
    assert out["bars"] > 0  # live bars came: the first simulated minutes ran
    assert refused == {}, refused  # no category answered 429, not once
    assert "429" not in caplog.text, [r.getMessage() for r in caplog.records if "429" in r.getMessage()]


def test_the_simulator_counts_what_it_refuses_per_category() -> None:
    """The counter the test above reads: one per 429, by category; nothing for what it let through."""
    limiter = SimRateLimiter(RateLimits())
    limiter.check("key", "quote")
    for _ in range(2):
        with pytest.raises(KiteError) as info:
            limiter.check("key", "quote")
        assert info.value.status == 429
    for _ in range(3):
        limiter.check("key", "historical")
    assert limiter.refused == {"quote": 2}
