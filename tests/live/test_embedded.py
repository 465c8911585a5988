"""The embedded simulator child process and the scaled clock that follows it."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex
from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.clock import ScaledClock
from alphastock.live.embedded import EmbeddedSimulator
from alphastock.models import IST
from alphastock.sim.config import FaultConfig, SimSettings


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


def test_child_runs_with_the_sim_sections_faults() -> None:
    settings = SimSettings(faults=FaultConfig(rest_error_rate=1.0, ws_drop_interval=30.0))

    async def scenario() -> tuple[dict[str, object], int, str]:
        async with EmbeddedSimulator(speed=60, seed=7, settings=settings) as endpoint:
            kite = KiteConnect(endpoint.api_key, access_token=endpoint.access_token, root=endpoint.rest_url)
            try:
                await asyncio.to_thread(kite.profile)
            except kex.NetworkException as exc:
                return endpoint.faults, exc.code, str(exc)
        raise AssertionError("the embedded simulator injected no 503")

    faults, code, message = asyncio.run(scenario())
    assert (faults["rest_error_rate"], faults["ws_drop_interval"], faults["order_reject_rate"]) == (
        1.0,
        30.0,
        0.0,
    )
    assert (code, message) == (503, "Simulated upstream failure (fault injection).")


def test_alphastock_live_honours_the_sim_section(tmp_path: Path) -> None:
    """`alphastock live` on the embedded default with `sim: faults: rest_error_rate: 1.0`: every Kite call
    the app makes is answered 503 by the embedded simulator, so after its read retries it stops, saying so."""
    config = tmp_path / "faults.yaml"
    config.write_text("sim:\n  faults:\n    rest_error_rate: 1.0\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["live", "-c", str(config), "--duration", "5", "--headless", "--data-dir", str(tmp_path / "data")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2, result.output
    assert "Simulated upstream failure (fault injection)." in result.output
    log = next((tmp_path / "data").rglob("*.log")).read_text(encoding="utf-8")
    assert "read failed (503)" in log
