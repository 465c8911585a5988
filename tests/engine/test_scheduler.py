"""Scheduler on a SimulatedClock: due times, trading days, isolation of a failing job, token warning."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from alphastock.bus import EventBus
from alphastock.calendar import MarketCalendar
from alphastock.clock import SimulatedClock, ist, ist_ns
from alphastock.events import Event, EventType, ScheduledJob
from alphastock.scheduler import (
    JobSpec,
    Scheduler,
    end_of_day_report_job,
    instruments_refresh_job,
    token_expiry_warning_job,
)

FRIDAY = dt.date(2026, 1, 23)  # then a weekend and Republic Day (Monday 26th)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def walk(clock: SimulatedClock, until_ns: int, step_s: int = 600) -> None:
    t = clock.now_ns()
    while t < until_ns:
        t = min(t + step_s * 1_000_000_000, until_ns)
        clock.advance_to(t)
        await settle()


def test_daily_jobs_run_at_due_times_on_trading_days_and_failures_are_isolated() -> None:
    async def main() -> tuple[list[ScheduledJob], list[str], Scheduler]:
        clock = SimulatedClock(ist_ns(FRIDAY, dt.time(7, 0)))
        bus = EventBus()
        events: list[ScheduledJob] = []

        def on_schedule(event: Event[Any]) -> None:
            events.append(event.payload)

        bus.subscribe(EventType.SCHEDULE, on_schedule)
        await bus.start()
        scheduler = Scheduler(clock, MarketCalendar(), bus)
        calls: list[str] = []

        async def refresh() -> str:
            calls.append(f"refresh {ist(clock.now_ns()):%a %d %H:%M}")
            return "42 instruments"

        def report() -> None:
            calls.append(f"report {ist(clock.now_ns()):%a %d %H:%M}")
            raise RuntimeError("report store unavailable")

        scheduler.add(instruments_refresh_job(refresh))
        scheduler.add(end_of_day_report_job(report))
        scheduler.daily(
            "heartbeat", dt.time(12, 0), lambda: calls.append("heartbeat"), trading_days_only=False
        )
        await scheduler.start()
        await settle()
        nexts = {j.name: ist(j.next_due_ns or 0).strftime("%d %H:%M") for j in scheduler.jobs()}
        assert nexts == {
            "instruments_refresh": "23 08:30",
            "end_of_day_report": "23 15:45",
            "heartbeat": "23 12:00",
        }
        await walk(clock, ist_ns(dt.date(2026, 1, 27), dt.time(16, 0)), step_s=300)
        await scheduler.stop()
        await bus.stop()
        return events, calls, scheduler

    events, calls, scheduler = asyncio.run(asyncio.wait_for(main(), 20))
    job_calls = [c for c in calls if c != "heartbeat"]
    # Friday, then Tuesday (weekend and the Republic Day holiday skipped); each ran at its due time
    assert job_calls == [
        "refresh Fri 23 08:30",
        "report Fri 23 15:45",
        "refresh Tue 27 08:30",
        "report Tue 27 15:45",
    ]
    assert calls.count("heartbeat") == 5  # every day, Fri..Tue
    failed = [e for e in events if not e.ok]
    assert [e.name for e in failed] == ["end_of_day_report", "end_of_day_report"]
    assert failed[0].detail == "RuntimeError: report store unavailable"
    assert ist(failed[0].due_ns).strftime("%d %H:%M") == "23 15:45"
    ok = [e for e in events if e.name == "instruments_refresh"]
    assert [e.detail for e in ok] == ["42 instruments", "42 instruments"]
    assert all(e.ok for e in ok)
    info = {j.name: j for j in scheduler.jobs()}
    assert (info["end_of_day_report"].runs, info["end_of_day_report"].failures) == (2, 2)
    assert scheduler.health().errors == 2


def test_token_warning_at_start_when_near_expiry_and_daily_at_0530() -> None:
    async def main() -> list[tuple[int, float]]:
        start = ist_ns(FRIDAY, dt.time(5, 10))
        clock = SimulatedClock(start)
        expiry = ist_ns(FRIDAY, dt.time(6, 0))
        warnings: list[tuple[int, float]] = []
        scheduler = Scheduler(clock, MarketCalendar())
        scheduler.add(token_expiry_warning_job(lambda: expiry, lambda e, left: warnings.append((e, left))))
        await scheduler.start()
        await settle()
        assert warnings == [(expiry, 50 * 60.0)]  # at once: 50 minutes left
        await walk(clock, ist_ns(FRIDAY, dt.time(5, 40)), step_s=60)
        assert warnings[1] == (expiry, 30 * 60.0)  # the 05:30 run
        await scheduler.stop()
        return warnings

    assert len(asyncio.run(asyncio.wait_for(main(), 10))) == 2


def test_token_warning_not_at_start_when_token_is_fresh_and_no_token() -> None:
    async def main() -> tuple[list[float], str]:
        clock = SimulatedClock(ist_ns(FRIDAY, dt.time(9, 0)))
        expiry = ist_ns(FRIDAY + dt.timedelta(days=1), dt.time(6, 0))
        warned: list[float] = []
        scheduler = Scheduler(clock, MarketCalendar())
        scheduler.add(token_expiry_warning_job(lambda: expiry, lambda e, left: warned.append(left)))
        token: list[int | None] = [None]
        scheduler.add(
            JobSpec(
                "no_token",
                dt.time(9, 30),
                token_expiry_warning_job(lambda: token[0], lambda e, left: warned.append(-1)).job,
            )
        )
        await scheduler.start()
        await settle()
        assert warned == []
        await walk(clock, ist_ns(FRIDAY, dt.time(9, 31)), step_s=60)
        info = {j.name: j for j in scheduler.jobs()}
        await scheduler.stop()
        return warned, info["no_token"].last_detail

    warned, detail = asyncio.run(asyncio.wait_for(main(), 10))
    assert warned == []
    assert detail == "no access token"


def test_catch_up_runs_todays_missed_job_once() -> None:
    async def main() -> list[str]:
        clock = SimulatedClock(ist_ns(FRIDAY, dt.time(10, 0)))
        ran: list[str] = []
        scheduler = Scheduler(clock, MarketCalendar(), catch_up=True)
        scheduler.daily("refresh", dt.time(8, 30), lambda: ran.append(f"{ist(clock.now_ns()):%d %H:%M}"))
        scheduler.daily("later", dt.time(11, 0), lambda: ran.append("later"), catch_up=False)
        await scheduler.start()
        await settle()
        await walk(clock, ist_ns(FRIDAY, dt.time(12, 0)))
        with pytest.raises(ValueError, match="already scheduled"):
            scheduler.daily("refresh", dt.time(8, 30), lambda: None)
        await scheduler.stop()
        return ran

    assert asyncio.run(asyncio.wait_for(main(), 10)) == ["23 10:00", "later"]
