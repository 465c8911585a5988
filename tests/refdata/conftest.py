"""Reference-data fixtures: one manual-clock simulator per module, its instruments dump in DuckDB
(freeze quantities from the default configuration) and a resolver with the default aliases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.config import AlphaStockConfig
from alphastock.refdata.store import InstrumentStore
from alphastock.store import Store
from tests.runners.conftest import broker, resolver, sim  # noqa: F401 - the runners' fixtures, reused
from tests.sim.conftest import DAY


@pytest.fixture(scope="module")
def instruments(broker: KiteBroker) -> Iterator[InstrumentStore]:  # noqa: F811 - the imported fixture
    """The dump of :data:`DAY`; tests only read it."""
    store = Store.open(":memory:")
    try:
        repo = InstrumentStore(store, AlphaStockConfig().instruments.freeze_quantities)
        asyncio.run(repo.refresh(broker, today=DAY))
        yield repo
    finally:
        store.close()
