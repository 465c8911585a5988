"""Runner fixtures: a manual-clock simulator, a KiteBroker on it, its instruments dump in DuckDB,
a resolver, a feed that records calls, and a clock the tests move by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any, TypeVar

import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.refdata.resolver import SymbolResolver
from alphastock.refdata.store import InstrumentStore
from alphastock.runners.config import RunnersConfig
from alphastock.sim import SimServer
from alphastock.store import Store
from tests.sim.conftest import DAY, make_config

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a scenario on a fresh loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, 30))


class FakeClock:
    """An engine clock moved by the test; ``sleep_until`` jumps there at once and records the wait."""

    def __init__(self, now_ns: int) -> None:
        self.now = now_ns
        self.sleeps: list[int] = []

    def now_ns(self) -> int:
        return self.now

    async def sleep_until(self, ts_ns: int) -> None:
        self.sleeps.append(ts_ns)
        self.now = max(self.now, ts_ns)
        await asyncio.sleep(0)


class RecordingFeed:
    """A feed that records subscribe/unsubscribe calls and keeps token -> mode."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[int], str]] = []
        self.modes: dict[int, str] = {}
        self.stale = False

    async def subscribe(self, tokens: Iterable[int], mode: str = "full") -> None:
        group = list(tokens)
        self.calls.append(("subscribe", group, mode))
        for token in group:
            self.modes[token] = mode

    async def unsubscribe(self, tokens: Iterable[int]) -> None:
        group = list(tokens)
        self.calls.append(("unsubscribe", group, ""))
        for token in group:
            self.modes.pop(token, None)

    def status(self) -> dict[str, Any]:
        return {"subscribed": len(self.modes), "stale": self.stale}


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
    store = Store.open(":memory:")
    try:
        inst = InstrumentStore(store)
        run(inst.refresh(broker, today=DAY))
        yield inst
    finally:
        store.close()


@pytest.fixture(scope="module")
def resolver(instruments: InstrumentStore) -> SymbolResolver:
    config = RunnersConfig()
    return SymbolResolver(instruments, config.aliases, config.underlying_names)


def sim_now_ns(sim: SimServer) -> int:
    """The simulator's market clock, UTC epoch ns."""
    return int(sim.call(lambda ex: ex.state.model.now_ns))
