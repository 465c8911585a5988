"""RunnerSet: every runner from config on one feed, fan-out of ticks, snapshot, health; the real KiteFeed."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from alphastock.brokers.kite import KiteBroker
from alphastock.config import load_config
from alphastock.events import Bar, Event, EventType, FeedStatus, TickBatch
from alphastock.feeds.kite_ws import FeedEvent, KiteFeed
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.config import RunnersConfig
from alphastock.runners.runnerset import RunnerSet
from alphastock.sim import SimServer
from alphastock.ticks import TickStore
from tests.runners.conftest import FakeClock, RecordingFeed, run, sim_now_ns


def test_default_config_builds_every_runner(
    sim: SimServer, broker: KiteBroker, resolver: SymbolResolver
) -> None:
    config = load_config(environ={}).runners
    assert config == RunnersConfig()
    clock, feed, ticks = FakeClock(sim_now_ns(sim)), RecordingFeed(), TickStore(16)
    events: list[Event[object]] = []
    runners = RunnerSet.from_config(
        config, resolver=resolver, feed=feed, ticks=ticks, broker=broker, publish=events.append, clock=clock
    )
    assert [r.name for r in runners.runners] == ["equity", "index", "futures", "options", "commodity"]

    async def scenario() -> None:
        await runners.initialize()
        await runners.start(timers=False)

    run(scenario())
    assert runners.health().state == "ok"
    modes = feed.modes
    assert modes[256265] == "quote"  # NIFTY 50: index (quote), futures spot (quote), options spot (quote)
    assert modes[779521] == "full"  # SBIN
    assert sorted(runners.tokens()) == sorted(modes)
    # 5 stocks + 3 indices + 2 NFO futures + 2 MCX futures + 2 x 2 x 21 x 2 options
    assert len(modes) == 5 + 3 + 2 + 2 + 168
    keys = runners.instrument_keys()
    assert keys[256265] == "NSE:NIFTY 50"
    assert len(keys) == len(modes)
    assert runners.poller is not None
    run(runners.poller.poll_once())  # the REST path fills the store and publishes a TICK_BATCH
    batch = next(e.payload for e in events if e.type is EventType.TICK_BATCH)
    assert isinstance(batch, TickBatch)
    runners.handle(Event(EventType.TICK_BATCH, batch, 0))
    run(runners.on_timer(clock.now))
    view = runners.snapshot()
    json.dumps(view)  # JSON-friendly
    assert {row["symbol"] for row in view["equity"]["rows"]} == {
        "RELIANCE",
        "INFY",
        "SBIN",
        "HDFCBANK",
        "TCS",
    }
    assert all(row["last"] > 0 for row in view["equity"]["rows"])
    assert view["index"]["vix"] > 0
    futures = {row["underlying"]: row for row in view["futures"]["rows"]}
    assert futures["NIFTY"]["basis"] > 0  # carried at 6.5 %
    assert len(view["options"]["rows"]) == 4
    assert {row["forward_source"] for row in view["options"]["rows"]} == {"parity"}
    assert sum(1 for e in events if e.type is EventType.CHAIN) == 4
    assert {row["symbol"] for row in view["commodity"]["rows"]} == {"CRUDEOIL26JANFUT", "GOLDM26JANFUT"}

    async def stop() -> None:
        await runners.stop()

    run(stop())
    assert feed.modes == {}
    assert runners.health().state == "stopped"


def test_a_bad_symbol_degrades_one_runner_only(sim: SimServer, resolver: SymbolResolver) -> None:
    config = RunnersConfig.model_validate(
        {
            "equity": {"symbols": ["SBIN", "SBINN"]},
            "options": {"enabled": False},
            "commodity": {"enabled": False},
        }
    )
    feed, ticks = RecordingFeed(), TickStore(8)
    clock = FakeClock(sim_now_ns(sim))
    runners = RunnerSet.from_config(config, resolver=resolver, feed=feed, ticks=ticks, clock=clock)

    async def scenario() -> None:
        await runners.initialize()
        await runners.start(timers=False)

    run(scenario())
    health = runners.health()
    assert health.state == "degraded"
    assert health.detail.startswith("equity: unknown instrument 'SBINN' on NSE; did you mean SBIN?")
    assert runners.runner("index").health().state == "ok"
    assert runners.runner("futures").health().state == "ok"
    assert runners.poller is None  # no broker to poll


def test_with_the_real_kite_feed_on_the_simulator(sim: SimServer, resolver: SymbolResolver) -> None:
    config = RunnersConfig.model_validate(
        {
            "options": {"enabled": False},
            "commodity": {"enabled": False},
            "futures": {"underlyings": ["NIFTY"]},
        }
    )
    ticks = TickStore(64)
    batches: list[TickBatch] = []

    def on_event(event: FeedEvent) -> None:
        if event.kind == "ticks":
            batches.append(TickBatch(tokens=event.tokens, recv_ns=event.ts_ns))

    async def scenario() -> dict[int, str]:
        feed = KiteFeed(sim.api_key, sim.access_token, ticks, url=sim.ws_url, on_event=on_event)
        clock = FakeClock(sim_now_ns(sim))  # the simulated date decides the futures month
        runners = RunnerSet.from_config(config, resolver=resolver, feed=feed, ticks=ticks, clock=clock)
        await runners.initialize()
        await feed.start()
        try:
            await runners.start(timers=False)  # the fake clock would race through the days
            async with asyncio.timeout(10):
                while len({t for b in batches for t in b.tokens.tolist()}) < len(runners.tokens()):
                    await asyncio.sleep(0.01)
            for batch in list(batches):
                runners.on_ticks(batch)
            modes = feed.modes()
            view = runners.snapshot()
        finally:
            await runners.stop()
            await feed.stop()
        assert all(row["last"] > 0 for row in view["equity"]["rows"])
        assert all(row["last"] > 0 for row in view["index"]["rows"])
        assert view["futures"]["rows"][0]["basis"] == view["futures"]["rows"][0]["basis"]  # not NaN
        return modes

    modes = run(scenario())
    nifty_fut = resolver.resolve("NIFTY26JANFUT").instrument_token
    assert modes[nifty_fut] == "full"
    assert modes[779521] == "full"
    assert modes[264969] == "quote"
    assert len(modes) == 5 + 3 + 1


def test_timer_loop_flushes_bars_and_feed_events_switch_the_poller(
    sim: SimServer, broker: KiteBroker, resolver: SymbolResolver
) -> None:
    config = RunnersConfig.model_validate(
        {
            "equity": {"symbols": ["SBIN"]},
            "index": {"enabled": False},
            "futures": {"enabled": False},
            "options": {"enabled": False},
            "commodity": {"enabled": False},
            "timer_interval_s": 20,
        }
    )
    start = sim_now_ns(sim)
    clock, feed, ticks = FakeClock(start), RecordingFeed(), TickStore(8)
    events: list[Event[object]] = []
    runners = RunnerSet.from_config(
        config, resolver=resolver, feed=feed, ticks=ticks, broker=broker, publish=events.append, clock=clock
    )
    ticks.push(779521, start + 1_000_000_000, 851.0, volume=10)
    ticks.push(779521, start + 2_000_000_000, 852.0, volume=30)

    async def scenario() -> None:
        await runners.initialize()
        await runners.start()
        runners.on_ticks(TickBatch(tokens=np.array([779521, 779521], dtype=np.int64)))  # two new ticks
        async with asyncio.timeout(5):
            while not any(e.type is EventType.BAR for e in events):
                await asyncio.sleep(0)
        runners.handle(Event(EventType.FEED_STATUS, FeedStatus("disconnected"), 0))
        assert runners.poller is not None
        assert runners.poller.active
        runners.handle(Event(EventType.FEED_STATUS, FeedStatus("polling"), 0))  # its own: ignored
        assert runners.poller.active
        runners.on_feed_event("connected")
        assert not runners.poller.active
        await runners.stop()

    run(scenario())
    bar = next(e.payload for e in events if e.type is EventType.BAR)
    assert bar.recv_ns > 0  # closed by the timer: stamped with the flush's wall time
    assert bar._replace(recv_ns=0) == Bar(
        token=779521, symbol="SBIN", interval="1m", start_ns=start, open=851.0, high=852.0, low=851.0,
        close=852.0, volume=20.0, ticks=2, exchange="NSE", recv_ns=0,
    )  # fmt: skip
    # The timer slept in 20 s steps of the engine clock; the bar closed on the 09:16 pass.
    assert clock.sleeps[:3] == [start + 20 * 10**9, start + 40 * 10**9, start + 60 * 10**9]
    statuses = [e.payload.kind for e in events if e.type is EventType.FEED_STATUS]  # type: ignore[attr-defined]
    assert statuses == ["polling", "streaming"]
