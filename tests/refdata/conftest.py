"""Reference-data fixtures: one manual-clock simulator per module, its instruments dump in DuckDB
(freeze quantities from the default configuration) and a resolver with the default aliases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.config import AlphaStockConfig
from alphastock.refdata.resolver import SymbolResolver
from alphastock.refdata.store import InstrumentStore
from alphastock.runners.config import RunnersConfig
from alphastock.sim import SimServer
from alphastock.store import Store
from tests.sim.conftest import DAY, make_config


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer(make_config()).start_in_thread()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def broker(sim: SimServer) -> Iterator[KiteBroker]:
    kb = KiteBroker(sim.api_key, sim.access_token, root=sim.rest_url)
    try:
        yield kb
    finally:
        kb.close()


@pytest.fixture(scope="module")
def instruments(broker: KiteBroker) -> Iterator[InstrumentStore]:
    """The dump of :data:`DAY`; tests only read it."""
    store = Store.open(":memory:")
    try:
        repo = InstrumentStore(store, AlphaStockConfig().instruments.freeze_quantities)
        asyncio.run(repo.refresh(broker, today=DAY))
        yield repo
    finally:
        store.close()


@pytest.fixture(scope="module")
def resolver(instruments: InstrumentStore) -> SymbolResolver:
    config = RunnersConfig()
    return SymbolResolver(instruments, config.aliases, config.underlying_names)
