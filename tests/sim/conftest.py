"""Simulator fixtures: a manual-clock server per test, and the official SDK pointed at it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from kiteconnect import KiteConnect

from alphastock.sim import RateLimits, SimConfig, SimServer

DAY = dt.date(2026, 1, 12)  # a Monday: NIFTY weekly expiry on the 13th, monthly on the 27th


def make_config(**overrides: object) -> SimConfig:
    """A fast, deterministic configuration: manual clock, no rate limits, one SBIN holding."""
    base: dict[str, object] = {
        "date": DAY,
        "seed": 7,
        "clock": "manual",
        "rate_limits": RateLimits(enabled=False),
        "holdings": (("SBIN", 100, 800.0),),
        "frame_interval": 0.05,
    }
    base.update(overrides)
    return SimConfig.model_validate(base)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    server = SimServer(make_config()).start_in_thread()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kite(sim: SimServer) -> KiteConnect:
    return KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)
