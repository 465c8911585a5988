"""SessionWatcher on a SimulatedClock: the phases of a whole day, in order, at their IST times."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import pytest

from alphastock.bus import EventBus
from alphastock.calendar import CalendarConfig, MarketCalendar, SpecialSession
from alphastock.clock import LiveClock, SimulatedClock, ist, ist_ns
from alphastock.events import Event, EventType, SessionPhase, SessionPhaseChange
from alphastock.session import SessionWatcher

DAY = dt.date(2026, 1, 12)  # a Monday


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_whole_day_of_phases_in_order() -> None:
    async def main() -> list[SessionPhaseChange]:
        clock = SimulatedClock(ist_ns(DAY, dt.time(6, 0)))
        bus = EventBus()
        got: list[SessionPhaseChange] = []

        def on_session(event: Event[Any]) -> None:
            assert event.ts_event == event.payload.ts_ns
            got.append(event.payload)

        bus.subscribe(EventType.SESSION, on_session)
        await bus.start()
        watcher = SessionWatcher(clock, MarketCalendar(), bus, exchanges=("NSE", "MCX"))
        await watcher.start()
        await settle()
        clock.advance_to(ist_ns(DAY, dt.time(9, 16)))  # one step across two NSE boundaries and MCX's open
        await settle()
        assert watcher.phase("NSE") is SessionPhase.OPEN
        # then minute by minute to the next morning, as a feed would drive it
        t = clock.now_ns()
        end = ist_ns(DAY + dt.timedelta(days=1), dt.time(1, 0))
        while t < end:
            t += 60_000_000_000
            clock.advance_to(t)
            await settle()
        await watcher.stop()
        await bus.stop()
        return got

    got = asyncio.run(asyncio.wait_for(main(), 20))
    nse = [(c.phase, ist(c.ts_ns).strftime("%d %H:%M"), c.previous) for c in got if c.exchange == "NSE"]
    assert nse == [
        (SessionPhase.CLOSED, "12 06:00", None),
        (SessionPhase.PRE_OPEN, "12 09:00", SessionPhase.CLOSED),
        (SessionPhase.OPEN, "12 09:15", SessionPhase.PRE_OPEN),
        (SessionPhase.SQUARE_OFF, "12 15:20", SessionPhase.OPEN),
        (SessionPhase.POST_CLOSE, "12 15:30", SessionPhase.SQUARE_OFF),
        (SessionPhase.CLOSED, "13 00:00", SessionPhase.POST_CLOSE),
    ]
    mcx = [(c.phase, ist(c.ts_ns).strftime("%d %H:%M")) for c in got if c.exchange == "MCX"]
    assert mcx == [
        (SessionPhase.CLOSED, "12 06:00"),
        (SessionPhase.OPEN, "12 09:00"),
        (SessionPhase.SQUARE_OFF, "12 23:25"),
        (SessionPhase.POST_CLOSE, "12 23:30"),
        (SessionPhase.CLOSED, "13 00:00"),
    ]


def test_start_mid_session_on_a_holiday_and_jump() -> None:
    async def main() -> list[tuple[str, str]]:
        holiday = dt.date(2026, 1, 26)
        clock = SimulatedClock(ist_ns(holiday, dt.time(11, 0)))
        bus = EventBus()
        got: list[SessionPhaseChange] = []
        bus.subscribe(EventType.SESSION, lambda e: got.append(e.payload))
        await bus.start()
        watcher = SessionWatcher(clock, MarketCalendar(), bus, exchanges=["NSE"])
        await watcher.start()
        await settle()
        clock.advance_to(ist_ns(holiday + dt.timedelta(days=1), dt.time(10, 0)))  # one jump
        await settle()
        await watcher.stop()
        await bus.stop()
        assert watcher.published == 3
        return [(c.phase.value, ist(c.ts_ns).strftime("%d %H:%M")) for c in got]

    assert asyncio.run(asyncio.wait_for(main(), 10)) == [
        ("CLOSED", "26 11:00"),
        ("PRE_OPEN", "27 09:00"),
        ("OPEN", "27 09:15"),
    ]


def test_live_clock_boundaries_from_a_special_session_starting_now() -> None:
    now = ist(time.time_ns())
    if now.time() > dt.time(23, 59):  # the session below must not cross midnight IST
        pytest.skip("too close to midnight IST")
    opens, closes = now + dt.timedelta(milliseconds=60), now + dt.timedelta(milliseconds=120)
    # a holiday for every exchange today, except the short special session
    cfg = CalendarConfig(
        holidays_add={"ALL": [now.date()]},
        special_sessions=[
            SpecialSession(date=now.date(), open=opens.time(), close=closes.time(), name="trial")
        ],
    )

    async def main() -> list[tuple[SessionPhase, int]]:
        bus = EventBus()
        got: list[SessionPhaseChange] = []
        bus.subscribe(EventType.SESSION, lambda e: got.append(e.payload))
        await bus.start()
        watcher = SessionWatcher(LiveClock(), MarketCalendar(cfg), bus, exchanges=["NSE"])
        await watcher.start()
        while len(got) < 3:
            await asyncio.sleep(0.01)
        await watcher.stop()
        await bus.stop()
        return [(c.phase, c.ts_ns) for c in got]

    got = asyncio.run(asyncio.wait_for(main(), 5))
    assert [p for p, _ in got] == [SessionPhase.CLOSED, SessionPhase.OPEN, SessionPhase.POST_CLOSE]
    assert got[1][1] == ist_ns(now.date(), opens.time())
    assert got[2][1] == ist_ns(now.date(), closes.time())
