"""KiteBroker fixtures: a manual-clock simulator per test on 127.0.0.1, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alphastock.sim import SimServer
from tests.sim.conftest import make_config


@pytest.fixture
def kite_sim() -> Iterator[SimServer]:
    server = SimServer(make_config()).start_in_thread()
    try:
        yield server
    finally:
        server.stop()
