"""A Kite Connect v3 compatible exchange simulator: REST, tick WebSocket, market model and matching.

``alphastock sim serve`` runs it from the command line; in code::

    async with SimExchange(SimConfig(seed=7, speed=60)) as sim:
        kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)

or ``with SimServer(config) as sim:`` from synchronous code (a background
thread). The official ``kiteconnect`` client talks to it unchanged.

The settings (:mod:`alphastock.sim.config`) import eagerly and cheaply, since the
application's configuration embeds them; the server, market and instruments load
on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from alphastock.sim.config import FaultConfig, RateLimits, SimConfig, SimSettings, UnderlyingSpec
from alphastock.sim.faults import Faults

if TYPE_CHECKING:
    from alphastock.sim.instruments import Instrument, generate_instruments
    from alphastock.sim.market import MarketModel
    from alphastock.sim.server import SimExchange, SimServer

_LAZY = {
    "Instrument": "alphastock.sim.instruments",
    "generate_instruments": "alphastock.sim.instruments",
    "MarketModel": "alphastock.sim.market",
    "SimExchange": "alphastock.sim.server",
    "SimServer": "alphastock.sim.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "FaultConfig",
    "Faults",
    "Instrument",
    "MarketModel",
    "RateLimits",
    "SimConfig",
    "SimExchange",
    "SimServer",
    "SimSettings",
    "UnderlyingSpec",
    "generate_instruments",
]
