"""A Kite Connect v3 compatible exchange simulator: REST, tick WebSocket, market model and matching.

``alphastock sim serve`` runs it from the command line; in code::

    async with SimExchange(SimConfig(seed=7, speed=60)) as sim:
        kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)

or ``with SimServer(config) as sim:`` from synchronous code (a background
thread). The official ``kiteconnect`` client talks to it unchanged.
"""

from alphastock.sim.config import FaultConfig, RateLimits, SimConfig, UnderlyingSpec
from alphastock.sim.faults import Faults
from alphastock.sim.instruments import Instrument, generate_instruments
from alphastock.sim.market import MarketModel
from alphastock.sim.server import SimExchange, SimServer

__all__ = [
    "FaultConfig",
    "Faults",
    "Instrument",
    "MarketModel",
    "RateLimits",
    "SimConfig",
    "SimExchange",
    "SimServer",
    "UnderlyingSpec",
    "generate_instruments",
]
