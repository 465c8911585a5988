"""The embedded simulator child process and the scaled clock that follows it."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from kiteconnect import KiteConnect

from alphastock.live.embedded import EmbeddedSimulator
from alphastock.live.simclock import ScaledClock
from alphastock.models import IST


def test_child_serves_kite_and_stops_with_us() -> None:
    async def scenario() -> tuple[object, object, bool, bool]:
        simulator = EmbeddedSimulator(speed=60, seed=7)
        endpoint = await simulator.start()
        alive = simulator.running
        kite = KiteConnect(endpoint.api_key, access_token=endpoint.access_token, root=endpoint.rest_url)
        profile = await asyncio.to_thread(kite.profile)
        ltp = await asyncio.to_thread(kite.ltp, ["NSE:RELIANCE"])
        await simulator.stop()
        return endpoint, (profile, ltp), alive, simulator.running

    endpoint, (profile, ltp), alive, running_after = asyncio.run(scenario())
    assert alive
    assert not running_after
    assert endpoint.rest_url.startswith("http://127.0.0.1:")  # type: ignore[attr-defined]
    assert endpoint.speed == 60
    assert endpoint.seed == 7
    assert profile["user_id"] == "SIM001"  # type: ignore[index]
    assert ltp["NSE:RELIANCE"]["last_price"] > 0  # type: ignore[index]
    # The simulated clock starts at 09:15 IST of a weekday.
    origin = dt.datetime.fromtimestamp(endpoint.clock_origin_sim_ns / 1e9, IST)  # type: ignore[attr-defined]
    assert origin.time() == dt.time(9, 15)
    assert origin.weekday() < 5
    assert "access_token" not in repr(endpoint)


def test_scaled_clock_runs_speed_times_the_wall() -> None:
    clock = ScaledClock(origin_wall_ns=1_000, origin_sim_ns=5_000_000_000, speed=60.0)
    now = clock.now_ns()
    assert now > 5_000_000_000
    assert clock.wall_seconds(60.0) == 1.0
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(0, 0, 0.0)


def test_scaled_clock_sleep_until_reaches_the_target() -> None:
    import time

    clock = ScaledClock(origin_wall_ns=time.time_ns(), origin_sim_ns=0, speed=1000.0)

    async def sleep() -> int:
        target = clock.now_ns() + 20 * 1_000_000_000  # 20 simulated seconds = 20 ms of wall time
        await clock.sleep_until(target)
        return clock.now_ns() - target

    assert asyncio.run(sleep()) >= 0
