"""Equity and index runners: subscriptions, previous closes, change %, top movers, VIX, health."""

from __future__ import annotations

import math

import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.events import TickBatch
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.base import FeedHub
from alphastock.runners.equity import EquityRunner
from alphastock.runners.index import IndexRunner
from alphastock.sim import SimServer
from alphastock.ticks import TickStore
from tests.runners.conftest import FakeClock, RecordingFeed, run, sim_now_ns

SYMBOLS = ["RELIANCE", "INFY", "SBIN", "HDFCBANK", "TCS"]
TOKENS = {"RELIANCE": 738561, "INFY": 408065, "SBIN": 779521, "HDFCBANK": 341249, "TCS": 2953217}


def _closes(sim: SimServer, symbols: list[str]) -> dict[str, float]:
    def read(ex: object) -> dict[str, float]:
        state = ex.state  # type: ignore[attr-defined]
        rows = {i.tradingsymbol: i for i in state.instruments}
        return {s: float(state.model.close[rows[s].index]) for s in symbols}

    return sim.call(read)


def test_equity_subscribes_in_full_and_computes_change(
    sim: SimServer, broker: KiteBroker, resolver: SymbolResolver
) -> None:
    feed, ticks = RecordingFeed(), TickStore(64)
    runner = EquityRunner(FeedHub(feed), ticks, resolver, SYMBOLS, mode="full", broker=broker)
    closes = _closes(sim, SYMBOLS)

    async def scenario() -> None:
        await runner.initialize()
        await runner.start()

    run(scenario())
    assert feed.calls == [("subscribe", [TOKENS[s] for s in SYMBOLS], "full")]
    assert runner.health().state == "ok"
    for symbol in SYMBOLS:
        assert runner.level(symbol).prev_close == pytest.approx(closes[symbol])
    # Known moves: RELIANCE +2 %, INFY -3 %, SBIN +5 %, HDFCBANK -1 %, TCS unchanged.
    moves = {"RELIANCE": 1.02, "INFY": 0.97, "SBIN": 1.05, "HDFCBANK": 0.99, "TCS": 1.0}
    now = sim_now_ns(sim)
    for step, factor in enumerate((1.0, 1.01)):  # two ticks each: the high is the second
        for symbol, move in moves.items():
            ticks.push(TOKENS[symbol], now + step, closes[symbol] * move * factor, volume=1000 * (step + 1))
    runner.on_ticks(TickBatch(tokens=ticks.tokens(), recv_ns=now))
    sbin = runner.level("SBIN")
    assert sbin.last == pytest.approx(closes["SBIN"] * 1.05 * 1.01)
    assert sbin.change_pct == pytest.approx(100 * (1.05 * 1.01 - 1))
    assert sbin.high == pytest.approx(closes["SBIN"] * 1.05 * 1.01)
    assert sbin.volume == 2000
    movers = runner.top_movers(2)
    assert [r["symbol"] for r in movers["gainers"]] == ["SBIN", "RELIANCE"]
    assert [r["symbol"] for r in movers["losers"]] == ["INFY", "HDFCBANK"]
    all_movers = runner.top_movers(10)
    assert [r["symbol"] for r in all_movers["gainers"]] == [
        "SBIN",
        "RELIANCE",
        "TCS",
    ]  # TCS +1 % (1.0 x 1.01)
    snap = runner.snapshot()
    assert {row["symbol"] for row in snap["rows"]} == set(SYMBOLS)
    assert math.isfinite(snap["rows"][0]["change_pct"])


def test_unknown_symbol_degrades_but_the_others_run(broker: KiteBroker, resolver: SymbolResolver) -> None:
    feed = RecordingFeed()
    runner = EquityRunner(FeedHub(feed), TickStore(8), resolver, ["SBIN", "RELIANC", "NIFTY"], mode="full")

    async def scenario() -> None:
        await runner.initialize()
        await runner.start()

    run(scenario())
    assert list(runner.levels) == [TOKENS["SBIN"]]
    health = runner.health()
    assert health.state == "degraded"
    assert "RELIANCE" in health.detail  # the close match
    assert "not an equity" in health.detail  # NIFTY is an index
    assert feed.modes == {TOKENS["SBIN"]: "full"}


def test_index_levels_and_vix(sim: SimServer, broker: KiteBroker, resolver: SymbolResolver) -> None:
    feed, ticks = RecordingFeed(), TickStore(8)
    clock = FakeClock(sim_now_ns(sim))
    runner = IndexRunner(
        FeedHub(feed), ticks, resolver, ["NIFTY", "NIFTYBANK", "INDIA VIX"], mode="quote", broker=broker,
        clock=clock,
    )  # fmt: skip

    async def scenario() -> None:
        await runner.initialize()
        await runner.start()

    run(scenario())
    assert feed.modes == {256265: "quote", 260105: "quote", 264969: "quote"}
    closes = _closes(sim, ["NIFTY 50", "NIFTY BANK", "INDIA VIX"])
    ticks.push_batch([256265, 260105, 264969], clock.now, [closes["NIFTY 50"] * 1.004, 57100.0, 14.25])
    runner.on_ticks(TickBatch(tokens=ticks.tokens()))
    assert runner.vix == 14.25
    assert runner.level("NIFTY").change_pct == pytest.approx(0.4)
    bank = runner.level("NIFTY BANK")
    assert bank.change_pct == pytest.approx(100 * (57100.0 / closes["NIFTY BANK"] - 1))
    assert runner.snapshot()["vix"] == 14.25


def test_shared_feed_keeps_the_richest_mode() -> None:
    feed = RecordingFeed()
    hub = FeedHub(feed)

    async def scenario() -> None:
        await hub.subscribe("index", [1, 2], "quote")
        await hub.subscribe("futures", [2, 3], "full")
        await hub.subscribe("options", [2], "ltp")  # never downgrades
        await hub.unsubscribe("futures", [2, 3])
        await hub.unsubscribe("index", [1])

    run(scenario())
    assert feed.calls == [
        ("subscribe", [1, 2], "quote"),
        ("subscribe", [2, 3], "full"),
        ("unsubscribe", [3], ""),
        ("subscribe", [2], "quote"),
        ("unsubscribe", [1], ""),
    ]
    assert hub.modes() == {2: "quote"}
    assert hub.holders(2) == {"index": "quote", "options": "ltp"}
