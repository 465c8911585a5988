"""Futures and commodity runners: basis, carry, days to expiry, rollover near expiry."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from alphastock.events import TickBatch
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.base import FeedHub
from alphastock.runners.commodity import CommodityRunner
from alphastock.runners.futures import FuturesRunner, trading_days_left
from alphastock.ticks import TickStore
from tests.runners.conftest import FakeClock, RecordingFeed, run

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def ist(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=IST).timestamp()) * 1_000_000_000


def make_runner(
    resolver: SymbolResolver, clock: FakeClock, feed: RecordingFeed, ticks: TickStore
) -> FuturesRunner:
    runner = FuturesRunner(
        FeedHub(feed), ticks, resolver, ["NIFTY", "NIFTYBANK"], rollover_days=2, clock=clock
    )

    async def scenario() -> None:
        await runner.initialize()
        await runner.start()

    run(scenario())
    return runner


def test_basis_carry_and_days_to_expiry(resolver: SymbolResolver) -> None:
    clock, feed, ticks = FakeClock(ist(2026, 1, 12, 10, 0)), RecordingFeed(), TickStore(8)
    runner = make_runner(resolver, clock, feed, ticks)
    nifty_fut = resolver.resolve("NIFTY26JANFUT")
    bank_fut = resolver.resolve("BANKNIFTY26JANFUT")
    assert feed.modes == {
        nifty_fut.instrument_token: "full",
        bank_fut.instrument_token: "full",
        256265: "quote",
        260105: "quote",
    }
    ticks.push_batch([nifty_fut.instrument_token, 256265], clock.now, [25620.0, 25500.0])
    runner.on_ticks(TickBatch(tokens=ticks.tokens()))
    row = runner.metrics("NIFTY")
    years = (
        dt.datetime(2026, 1, 27, 15, 30, tzinfo=IST) - dt.datetime(2026, 1, 12, 10, 0, tzinfo=IST)
    ) / dt.timedelta(days=365)
    assert row["symbol"] == "NIFTY26JANFUT"
    assert row["basis"] == pytest.approx(120.0)
    assert row["carry_pct"] == pytest.approx(100 * 120 / 25500)
    assert row["carry_annual"] == pytest.approx(math.log(25620 / 25500) / years, rel=1e-12)
    assert row["days_to_expiry"] == 15
    assert row["trading_days_left"] == 15  # calendar days without a calendar
    bank = runner.metrics("NIFTYBANK")
    assert math.isnan(bank["basis"])  # no ticks yet


class WeekdayCalendar:
    def is_trading_day(self, date: dt.date, exchange: str = "NSE") -> bool:
        return date.weekday() < 5


def test_trading_days_left_with_and_without_a_calendar() -> None:
    friday, tuesday = dt.date(2026, 1, 23), dt.date(2026, 1, 27)
    assert trading_days_left(friday, tuesday) == 4
    assert trading_days_left(friday, tuesday, WeekdayCalendar()) == 2  # Monday and Tuesday
    assert trading_days_left(tuesday, tuesday) == 0


def test_rollover_switches_the_subscription_near_expiry(resolver: SymbolResolver) -> None:
    clock, feed, ticks = FakeClock(ist(2026, 1, 12)), RecordingFeed(), TickStore(8)
    runner = make_runner(resolver, clock, feed, ticks)
    jan, feb = resolver.resolve("NIFTY26JANFUT"), resolver.resolve("NIFTY26FEBFUT")
    bank_jan, bank_feb = resolver.resolve("BANKNIFTY26JANFUT"), resolver.resolve("BANKNIFTY26FEBFUT")
    clock.now = ist(2026, 1, 24)  # 3 calendar days left: keep
    assert run(runner.check_rollover()) == []
    feed.calls.clear()
    clock.now = ist(2026, 1, 25)  # 2 left: roll
    run(runner.on_timer(clock.now))
    assert [(r.underlying, r.from_symbol, r.to_symbol) for r in runner.rolled] == [
        ("NIFTY", "NIFTY26JANFUT", "NIFTY26FEBFUT"),
        ("NIFTYBANK", "BANKNIFTY26JANFUT", "BANKNIFTY26FEBFUT"),
    ]
    assert feed.calls == [
        ("subscribe", [feb.instrument_token, bank_feb.instrument_token], "full"),
        ("unsubscribe", [jan.instrument_token, bank_jan.instrument_token], ""),
    ]
    assert jan.instrument_token not in feed.modes
    assert runner.metrics("NIFTY")["symbol"] == "NIFTY26FEBFUT"
    assert runner.snapshot()["rolled"][0]["to"] == "NIFTY26FEBFUT"
    assert run(runner.check_rollover()) == []  # done once


def test_a_runner_started_near_expiry_takes_the_next_month(resolver: SymbolResolver) -> None:
    clock, feed, ticks = FakeClock(ist(2026, 1, 26)), RecordingFeed(), TickStore(8)
    runner = make_runner(resolver, clock, feed, ticks)
    assert runner.metrics("NIFTY")["symbol"] == "NIFTY26FEBFUT"
    assert runner.rolled == []


def test_commodity_runner_mcx_futures(resolver: SymbolResolver) -> None:
    clock, feed, ticks = FakeClock(ist(2026, 1, 12, 20, 0)), RecordingFeed(), TickStore(8)
    runner = CommodityRunner(
        FeedHub(feed), ticks, resolver, ["CRUDEOIL", "GOLDM", "COPPERX"], exchange="MCX", clock=clock
    )

    async def scenario() -> None:
        await runner.initialize()
        await runner.start()

    run(scenario())
    crude = resolver.resolve("CRUDEOIL26JANFUT")
    assert crude.exchange == "MCX"
    assert runner.health().state == "degraded"  # COPPERX is not listed
    assert "COPPERX" in runner.health().detail
    assert set(feed.modes.values()) == {"full"}
    assert len(feed.modes) == 2  # no spot on MCX
    ticks.push(crude.instrument_token, clock.now, 5612.0)
    runner.on_ticks(TickBatch(tokens=ticks.tokens()))
    row = runner.metrics("CRUDEOIL")
    assert (row["last"], row["days_to_expiry"], row["spot"]) == (5612.0, 7, row["spot"])
    assert math.isnan(row["basis"])
    # MCX contracts expire at 23:30 IST.
    expected = (
        dt.datetime(2026, 1, 19, 23, 30, tzinfo=IST) - dt.datetime(2026, 1, 12, 20, 0, tzinfo=IST)
    ) / (dt.timedelta(days=365))
    assert row["t_years"] == pytest.approx(expected)
    clock.now = ist(2026, 1, 17, 12, 0)
    rolled = run(runner.check_rollover())
    assert [(r.from_symbol, r.to_symbol) for r in rolled] == [
        ("CRUDEOIL26JANFUT", "CRUDEOIL26FEBFUT"),
        ("GOLDM26JANFUT", "GOLDM26FEBFUT"),
    ]


def test_a_dump_with_only_expired_futures_degrades(resolver: SymbolResolver) -> None:
    clock, feed, ticks = FakeClock(ist(2026, 6, 1)), RecordingFeed(), TickStore(8)
    runner = make_runner(resolver, clock, feed, ticks)
    assert runner.states == {}
    assert feed.modes == {}
    assert runner.health().state == "degraded"
    assert "expired before 2026-06-01" in runner.health().detail
