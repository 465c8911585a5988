"""QuotePoller: Kite's 500-per-call and 1 request/s limits on an injected clock, start/stop on feed events."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

import numpy as np

from alphastock.brokers.kite import KiteBroker
from alphastock.events import Event, EventType, FeedStatus, TickBatch
from alphastock.models import Quote
from alphastock.runners.polling import QuotePoller
from alphastock.sim import SimServer
from alphastock.ticks import TickStore
from tests.runners.conftest import FakeClock, run, sim_now_ns

NS = 1_000_000_000


class FakeQuotes:
    """A broker whose quote() records the clock at each call and answers every key."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[int, int]] = []

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        self.calls.append((self.clock.now, len(instruments)))
        self.clock.now += 50_000_000  # each call takes 50 ms
        return {
            key: Quote.model_validate(
                {
                    "instrument_token": int(key.split(":")[1]),
                    "last_price": 100.0 + len(self.calls),
                    "volume": 10 * len(self.calls),
                    "ohlc": {"open": 1, "high": 1, "low": 1, "close": 1},
                    "depth": {
                        "buy": [{"price": 99.5, "quantity": 5, "orders": 1}],
                        "sell": [{"price": 100.5, "quantity": 7, "orders": 2}],
                    },
                }
            )
            for key in instruments
        }


def test_1200_instruments_take_three_calls_a_second_apart() -> None:
    clock = FakeClock(1_700_000_000 * NS)
    broker, store, events = FakeQuotes(clock), TickStore(8), []
    keys = {token: f"NSE:{token}" for token in range(1, 1201)}
    poller = QuotePoller(broker, store, lambda: keys, events.append, clock=clock)
    assert run(poller.poll_once()) == 1200
    assert [n for _, n in broker.calls] == [500, 500, 200]
    stamps = [t for t, _ in broker.calls]
    assert all(b - a >= NS for a, b in itertools.pairwise(stamps))
    assert stamps[1] - stamps[0] == NS  # waits exactly the limit, not more
    assert run(poller.poll_once()) == 1200
    stamps = [t for t, _ in broker.calls]
    assert all(b - a >= NS for a, b in itertools.pairwise(stamps))
    tick = store.latest(7)
    assert tick is not None
    assert (tick.bid, tick.ask, tick.bid_qty, tick.ask_qty) == (99.5, 100.5, 5, 7)
    batches = [e.payload for e in events if e.type is EventType.TICK_BATCH]
    assert all(isinstance(b, TickBatch) and b.source == "poll" for b in batches)
    assert sum(len(b.tokens) for b in batches) == 2400  # type: ignore[union-attr]


def test_polls_while_stale_and_stops_when_fresh() -> None:
    clock = FakeClock(1_700_000_000 * NS)
    broker, store = FakeQuotes(clock), TickStore(64)
    events: list[Event[object]] = []
    keys = {1: "NSE:1", 2: "NSE:2"}
    poller = QuotePoller(broker, store, lambda: keys, events.append, clock=clock)

    async def scenario() -> None:
        poller.on_feed_event("connected")
        assert not poller.active
        poller.on_feed_event("stale")
        async with asyncio.timeout(5):
            while len(broker.calls) < 5:
                await asyncio.sleep(0)
        poller.on_feed_event("fresh")
        calls = len(broker.calls)
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(broker.calls) == calls  # stopped
        assert not poller.active
        poller.on_feed_event("disconnected")
        assert poller.active
        await poller.close()

    run(scenario())
    stamps = [t for t, _ in broker.calls]
    assert all(b - a >= NS for a, b in itertools.pairwise(stamps))
    statuses = [e.payload.kind for e in events if isinstance(e.payload, FeedStatus)]
    assert statuses == ["polling", "streaming", "polling", "streaming"]
    assert store.len(1) == len(broker.calls)
    assert poller.stats()["requests"] == len(broker.calls)


def test_quotes_from_the_simulator_land_in_the_tick_store(sim: SimServer, broker: KiteBroker) -> None:
    clock = FakeClock(sim_now_ns(sim))
    store = TickStore(8)
    keys = {779521: "NSE:SBIN", 256265: "NSE:NIFTY 50"}
    poller = QuotePoller(broker, store, lambda: keys, clock=clock)
    assert run(poller.poll_once()) == 2
    sbin = store.latest(779521)
    quotes = run(broker.quote(["NSE:SBIN"]))["NSE:SBIN"]
    assert sbin is not None
    assert quotes.best_bid is not None
    assert sbin.last_price == quotes.last_price
    assert sbin.bid == quotes.best_bid.price
    assert sbin.volume == quotes.volume
    assert np.isfinite(sbin.ask)
    assert sbin.ask > sbin.bid
    nifty = store.latest(256265)
    assert nifty is not None
    assert 20000 < nifty.last_price < 30000


class FlakyQuotes(FakeQuotes):
    """Fails its second call (like an HTTP 429), then answers again."""

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        if len(self.calls) == 1:
            self.calls.append((self.clock.now, -1))
            raise ConnectionError("Too many requests")
        return await super().quote(instruments)


def test_a_failed_poll_is_counted_paced_and_retried() -> None:
    clock = FakeClock(1_700_000_000 * NS)
    broker, store = FlakyQuotes(clock), TickStore(64)
    poller = QuotePoller(broker, store, lambda: {1: "NSE:1"}, clock=clock)

    async def scenario() -> None:
        poller.start()
        async with asyncio.timeout(5):
            while len(broker.calls) < 4:
                await asyncio.sleep(0)
        await poller.close()

    run(scenario())
    assert [n for _, n in broker.calls[:4]] == [1, -1, 1, 1]
    stamps = [t for t, _ in broker.calls]
    assert all(b - a >= NS for a, b in itertools.pairwise(stamps))
    assert poller.errors == 1
    assert store.len(1) == len(broker.calls) - 1
