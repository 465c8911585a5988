"""KiteFeed against the simulator on 127.0.0.1: modes, order updates, drops, the watchdog, limits."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import numpy as np
import pytest
from kiteconnect import KiteConnect

from alphastock import TickStore
from alphastock.feeds.kite import FeedError, FeedEvent, FeedLimitError, KiteFeed
from alphastock.feeds.kite_ws import backoff_delay
from alphastock.sim import SimServer
from tests.sim.conftest import make_config

T = TypeVar("T")
SBIN, RELIANCE, INFY, NIFTY = 779521, 738561, 408065, 256265
SECRET = "sim-api-secret-for-tests"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 20))


@pytest.fixture
def sim() -> Iterator[SimServer]:
    server = SimServer(make_config(api_secret=SECRET)).start_in_thread()
    try:
        yield server
    finally:
        server.stop()


class Recorder:
    def __init__(self) -> None:
        self.events: list[FeedEvent] = []

    def __call__(self, event: FeedEvent) -> None:
        self.events.append(event)

    def kinds(self, kind: str) -> list[FeedEvent]:
        return [e for e in self.events if e.kind == kind]


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def make_feed(sim: SimServer, store: TickStore, rec: Recorder, **kwargs: Any) -> KiteFeed:
    kwargs.setdefault("random", lambda: 0.0)
    return KiteFeed(sim.api_key, sim.access_token, store, url=sim.ws_url, on_event=rec, **kwargs)


def test_every_mode_lands_in_the_tick_store(sim: SimServer) -> None:
    store, rec = TickStore(64), Recorder()

    async def scenario() -> None:
        feed = make_feed(sim, store, rec)
        await feed.start()
        await feed.subscribe([SBIN, NIFTY], "full")
        await feed.subscribe([RELIANCE], "quote")
        await feed.subscribe([INFY], "ltp")
        await until(lambda: all(store.len(t) >= 3 for t in (SBIN, NIFTY, RELIANCE, INFY)))
        status = feed.status()
        await feed.stop()
        assert status["subscribed"] == {"ltp": 1, "quote": 1, "full": 2}
        assert status["connected"] == 1
        assert status["frames"] >= 3
        assert status["ticks"] >= 12
        assert status["reconnects"] == 0
        assert status["last_frame_ns"] > 0

    run(scenario())
    sbin, nifty, reliance, infy = (store.latest(t) for t in (SBIN, NIFTY, RELIANCE, INFY))
    assert sbin is not None
    assert nifty is not None
    assert reliance is not None
    assert infy is not None
    assert 700 < sbin.last_price < 1000  # spot 850
    assert sbin.bid < sbin.ask  # full mode: depth level 0
    assert sbin.bid_qty > 0
    assert sbin.ask_qty > 0
    assert 20000 < nifty.last_price < 30000  # index, spot 25500
    assert 1200 < reliance.last_price < 1700
    assert math.isnan(reliance.bid)  # quote mode carries no depth
    assert 1300 < infy.last_price < 1800
    assert infy.volume == 0
    assert math.isnan(infy.bid)
    ticks = rec.kinds("ticks")
    assert ticks
    assert all(e.tokens.dtype == np.int64 for e in ticks)
    assert {int(t) for e in ticks for t in e.tokens} == {SBIN, NIFTY, RELIANCE, INFY}
    stamps = [e.ts_ns for e in ticks]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_mode_change_and_unsubscribe_reach_the_server(sim: SimServer) -> None:
    store, rec = TickStore(16), Recorder()

    def server_modes() -> list[dict[int, str]]:
        def read(ex: Any) -> list[dict[int, str]]:
            by_index = {r.index: r.instrument_token for r in ex.state.instruments}
            return [{by_index[i]: m for i, m in c.modes.items()} for c in ex.connections]

        return sim.call(read)

    async def scenario() -> None:
        feed = make_feed(sim, store, rec)
        await feed.start()
        await feed.subscribe([SBIN, INFY], "quote")
        await until(lambda: server_modes() == [{SBIN: "quote", INFY: "quote"}])
        await feed.set_mode([INFY], "full")
        await until(lambda: server_modes() == [{SBIN: "quote", INFY: "full"}])
        await feed.unsubscribe([SBIN])
        await until(lambda: server_modes() == [{INFY: "full"}])
        assert feed.modes() == {INFY: "full"}
        with pytest.raises(ValueError, match="not subscribed"):
            await feed.set_mode([SBIN], "ltp")
        with pytest.raises(ValueError, match="mode must be one of"):
            await feed.subscribe([SBIN], "depth")
        await feed.stop()

    run(scenario())


def test_order_update_becomes_a_verified_event(sim: SimServer) -> None:
    store, rec = TickStore(16), Recorder()
    kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)

    async def scenario() -> str:
        feed = make_feed(sim, store, rec, api_secret=SECRET)
        await feed.start()
        order_id = await asyncio.to_thread(
            kite.place_order,
            "regular",
            "NSE",
            "SBIN",
            "BUY",
            3,
            "CNC",
            "MARKET",
            market_protection=-1,
            tag="feed-1",
        )
        await until(lambda: any(e.order and e.order.status == "COMPLETE" for e in rec.kinds("order_update")))
        await feed.stop()
        return str(order_id)

    order_id = run(scenario())
    updates = rec.kinds("order_update")
    done = next(e.order for e in updates if e.order and e.order.status == "COMPLETE")
    assert done.order_id == order_id
    assert done.tradingsymbol == "SBIN"
    assert done.filled_quantity == 3
    assert done.tag == "feed-1"
    assert 700 < done.average_price < 1000
    assert rec.kinds("error") == []


def test_order_updates_arrive_once_with_several_connections(sim: SimServer) -> None:
    store, rec = TickStore(4), Recorder()
    kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)

    async def scenario() -> None:
        feed = make_feed(sim, store, rec, api_secret=SECRET, max_per_connection=2)
        await feed.start()
        await feed.subscribe([SBIN, INFY, RELIANCE, NIFTY, 2953217], "ltp")  # TCS last
        await feed.wait_connected()
        assert sim.call(lambda ex: len(ex.connections)) == 3
        await asyncio.to_thread(
            kite.place_order, "regular", "NSE", "SBIN", "BUY", 2, "CNC", "MARKET", market_protection=-1
        )
        await until(lambda: any(e.order and e.order.status == "COMPLETE" for e in rec.kinds("order_update")))
        await until(lambda: len({e.connection for e in rec.kinds("ticks")}) == 3)
        await asyncio.sleep(0.2)  # the copies on the other connections
        await feed.stop()

    run(scenario())
    statuses = [e.order.status for e in rec.kinds("order_update") if e.order]
    assert statuses.count("COMPLETE") == 1
    assert len(statuses) == len(set(statuses))
    assert len({e.connection for e in rec.kinds("ticks")}) == 3


def test_order_update_with_a_bad_checksum_is_rejected(sim: SimServer) -> None:
    store, rec = TickStore(16), Recorder()
    kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)

    async def scenario() -> None:
        feed = make_feed(sim, store, rec, api_secret="not-the-app-secret")
        await feed.start()
        await asyncio.to_thread(
            kite.place_order, "regular", "NSE", "SBIN", "BUY", 1, "CNC", "MARKET", market_protection=-1
        )
        await until(lambda: len(rec.kinds("error")) >= 1)
        await feed.stop()

    run(scenario())
    assert rec.kinds("order_update") == []
    assert "checksum mismatch" in rec.kinds("error")[0].data


def test_server_error_text_frame_becomes_an_error_event(sim: SimServer) -> None:
    store, rec = TickStore(16), Recorder()

    async def scenario() -> None:
        feed = make_feed(sim, store, rec)
        await feed.start()
        await feed._send(feed._conns[0], {"a": "bogus", "v": []})
        await until(lambda: bool(rec.kinds("error")))
        await feed.stop()

    run(scenario())
    assert rec.kinds("error")[0].data == "Unknown action 'bogus'."


def test_dropped_websocket_reconnects_and_resubscribes(sim: SimServer) -> None:
    store, rec = TickStore(256), Recorder()

    async def scenario() -> None:
        feed = make_feed(sim, store, rec)
        await feed.start()
        await feed.subscribe([SBIN], "full")
        await feed.subscribe([INFY], "ltp")
        await until(lambda: store.len(SBIN) >= 2)
        sim.faults.drop_websockets()
        await until(lambda: feed.status()["reconnects"] == 1)
        before = store.len(SBIN), store.len(INFY)
        await until(lambda: store.len(SBIN) > before[0] + 2 and store.len(INFY) > before[1] + 2)
        modes = sim.call(lambda ex: sorted(m for c in ex.connections for m in c.modes.values()))
        assert modes == ["full", "ltp"]
        assert feed.status()["reconnects"] == 1
        assert feed.status()["connected"] == 1
        await feed.stop()

    run(scenario())
    assert [e.kind for e in rec.events if e.kind in ("connected", "disconnected")] == [
        "connected",
        "disconnected",
        "connected",
    ]
    latest = store.latest(SBIN)
    assert latest is not None
    assert latest.bid < latest.ask


def test_watchdog_marks_stale_reconnects_then_fresh(sim: SimServer) -> None:
    store, rec = TickStore(256), Recorder()
    now = [1000.0]

    async def scenario() -> None:
        feed = make_feed(sim, store, rec, clock=lambda: now[0], stale_after_s=5.0, watchdog_interval_s=3600)
        await feed.start()
        await feed.subscribe([SBIN], "quote")
        await until(lambda: store.len(SBIN) >= 1)
        assert not await feed.check_stale()
        now[0] += 4.0
        assert not await feed.check_stale()
        assert not feed.stale
        now[0] += 2.0  # 6 s without a frame on the feed's clock
        assert await feed.check_stale()
        assert feed.stale
        assert [e.kind for e in rec.events if e.kind in ("stale", "fresh")] == ["stale"]
        await until(lambda: not feed.stale)
        count = store.len(SBIN)
        await until(lambda: store.len(SBIN) > count)
        assert feed.status()["reconnects"] == 1
        await feed.stop()

    run(scenario())
    assert [e.kind for e in rec.events if e.kind in ("stale", "fresh")] == ["stale", "fresh"]


def test_watchdog_task_fires_on_its_own(sim: SimServer) -> None:
    store, rec = TickStore(256), Recorder()
    now = [50.0]

    async def scenario() -> None:
        feed = make_feed(sim, store, rec, clock=lambda: now[0], stale_after_s=5.0, watchdog_interval_s=0.01)
        await feed.start()
        await feed.subscribe([SBIN], "ltp")
        await until(lambda: store.len(SBIN) >= 1)
        now[0] += 10.0
        await until(lambda: len(rec.kinds("fresh")) == 1)
        assert feed.status()["reconnects"] >= 1
        await feed.stop()

    run(scenario())
    assert [e.kind for e in rec.events if e.kind in ("stale", "fresh")][:2] == ["stale", "fresh"]


def test_a_feed_that_stays_down_is_stale(sim: SimServer) -> None:
    store, rec = TickStore(16), Recorder()
    now = [0.0]

    async def scenario() -> None:
        feed = make_feed(
            sim, store, rec, clock=lambda: now[0], stale_after_s=5.0, watchdog_interval_s=3600,
            backoff=(30.0, 30.0), random=lambda: 1.0,
        )  # fmt: skip
        await feed.start()
        await feed.subscribe([SBIN], "full")
        await until(lambda: store.len(SBIN) >= 1)
        sim.faults.drop_websockets()
        await until(lambda: bool(rec.kinds("disconnected")))
        assert not feed.stale  # not yet: a drop is stale only once it lasts
        now[0] += 6.0
        assert await feed.check_stale()
        assert feed.stale
        assert feed.status()["connected"] == 0
        assert feed.status()["connections"][0]["stale"]
        await feed.stop()

    run(scenario())
    assert [e.kind for e in rec.events if e.kind in ("stale", "fresh")] == ["stale"]


def test_tokens_spread_over_connections_and_the_limit(sim: SimServer) -> None:
    store, rec = TickStore(4), Recorder()
    fake = list(range(10_000_001, 10_000_001 + 3500))  # tokens the exchange does not list: no ticks

    async def scenario() -> None:
        feed = make_feed(sim, store, rec)
        await feed.start()
        await feed.subscribe([SBIN, *fake[:-1]], "ltp")
        await feed.wait_connected()
        status = feed.status()
        assert [c["subscribed"] for c in status["connections"]] == [3000, 500]
        assert status["connected"] == 2
        assert sim.call(lambda ex: len(ex.connections)) == 2
        with pytest.raises(FeedLimitError, match=r"at most 3000 per connection x 3 connections = 9000"):
            await feed.subscribe(range(20_000_001, 20_000_001 + 5501), "ltp")
        assert sum(feed.status()["subscribed"].values()) == 3500
        await feed.subscribe(range(20_000_001, 20_000_001 + 5500), "ltp")
        await feed.wait_connected()
        assert [c["subscribed"] for c in feed.status()["connections"]] == [3000, 3000, 3000]
        assert sim.call(lambda ex: len(ex.connections)) == 3
        await until(lambda: store.len(SBIN) >= 1)
        await feed.stop()

    run(scenario())


def test_rejected_credentials_raise(sim: SimServer) -> None:
    rec = Recorder()

    async def scenario() -> None:
        feed = KiteFeed(sim.api_key, "wrong-token-value", TickStore(4), url=sim.ws_url, on_event=rec)
        with pytest.raises(FeedError, match="HTTP 403"):
            await feed.start()
        assert not feed.running

    run(scenario())
    assert [e.data for e in rec.kinds("error")] == ["HTTP 403"]


def test_handshake_debug_log_never_shows_the_token(sim: SimServer, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        feed = make_feed(sim, TickStore(4), Recorder())
        await feed.start()
        await feed.stop()

    with caplog.at_level(logging.DEBUG, logger="alphastock.feeds.kite_ws"):
        run(scenario())
    assert "GET /?api_key=sim_api_key&access_token=*** HTTP/1.1" in caplog.text
    assert sim.access_token not in caplog.text


def test_backoff_schedule_by_value() -> None:
    full = [backoff_delay(a, 0.5, 30.0, lambda: 1.0) for a in range(8)]
    assert full == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    half = [backoff_delay(a, 0.5, 30.0, lambda: 0.5) for a in range(4)]
    assert half == [0.25, 0.5, 1.0, 2.0]
    assert backoff_delay(10_000, 0.5, 30.0, lambda: 0.999) == pytest.approx(29.97)
    feed = KiteFeed("k", "tokentoken", TickStore(1), backoff=(1.0, 5.0), random=lambda: 0.25)
    assert [feed.backoff_delay(a) for a in range(5)] == [0.25, 0.5, 1.0, 1.25, 1.25]


def test_feed_never_shows_its_token() -> None:
    feed = KiteFeed("key", "very-secret-access-token", TickStore(1), api_secret="very-secret-api-secret")
    assert "very-secret" not in repr(feed)
    assert "very-secret" not in str(vars(feed))


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        KiteFeed("k", "tokentoken", TickStore(1), max_connections=4)
    with pytest.raises(ValueError, match="max_per_connection"):
        KiteFeed("k", "tokentoken", TickStore(1), max_per_connection=3001)
    feed = KiteFeed("k", "tokentoken", TickStore(1))
    with pytest.raises(ValueError, match="positive 32-bit"):
        run(feed.subscribe([-5]))


def test_text_frames_become_events() -> None:
    rec = Recorder()
    feed = KiteFeed("key", "tokentoken", TickStore(1), on_event=rec, time_ns=lambda: 123)
    conn = feed._conns[0]
    feed._on_text(conn, '{"type": "message", "data": "Market closed"}')
    feed._on_text(conn, '{"type": "error", "data": "Invalid token"}')
    feed._on_text(conn, "not json at all")
    feed._on_text(conn, '{"type": "order", "data": {"order_id": "1"}}')  # no fields to parse
    feed._on_text(conn, '{"type": "instruments_meta", "data": {"count": 3}}')
    assert [(e.kind, e.ts_ns, e.connection) for e in rec.events] == [
        ("message", 123, 0),
        ("error", 123, 0),
        ("message", 123, 0),
        ("error", 123, 0),
        ("message", 123, 0),
    ]
    assert rec.events[0].data == "Market closed"
    assert rec.events[1].data == "Invalid token"
    assert rec.events[2].data == "not json at all"
    assert rec.events[3].data.startswith("unparseable order update")
    assert rec.events[4].data == {"type": "instruments_meta", "data": {"count": 3}}


def test_heartbeats_count_and_keep_the_feed_fresh() -> None:
    rec, store = Recorder(), TickStore(1)
    now = [0.0]
    feed = KiteFeed("key", "tokentoken", store, on_event=rec, clock=lambda: now[0])
    conn = feed._conns[0]
    now[0] = 7.0
    feed._on_binary(conn, b"\x00")
    assert conn.heartbeats == 1
    assert conn.last_frame == 7.0
    assert conn.frames == 0
    assert rec.events == []
    assert store.tokens().size == 0
