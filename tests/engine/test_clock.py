"""Clocks: the wall clock, the simulated clock's ordering and monotonicity, IST helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from alphastock.clock import Clock, LiveClock, SimulatedClock, ist, ist_ns


def test_ist_helpers_round_trip() -> None:
    ts = ist_ns(dt.date(2026, 1, 12), dt.time(9, 15))
    assert ts == 1_768_189_500_000_000_000  # 2026-01-12 03:45 UTC
    assert ist(ts).isoformat() == "2026-01-12T09:15:00+05:30"
    assert ist(ts + 1_500).microsecond == 1


def test_live_clock_reads_wall_time_and_sleeps_past_due() -> None:
    clock = LiveClock()
    assert isinstance(clock, Clock)
    before = time.time_ns()
    assert clock.now_ns() >= before

    async def main() -> int:
        due = clock.now_ns() + 20_000_000
        await clock.sleep_until(due)
        return clock.now_ns() - due

    assert asyncio.run(main()) >= 0
    asyncio.run(clock.sleep_until(0))  # the past returns at once


def test_simulated_clock_wakes_sleepers_in_due_order_and_never_goes_back() -> None:
    async def main() -> list[tuple[str, int]]:
        clock = SimulatedClock(1_000)
        assert isinstance(clock, Clock)
        woke: list[tuple[str, int]] = []

        async def sleeper(name: str, due: int) -> None:
            await clock.sleep_until(due)
            woke.append((name, due))

        tasks = [asyncio.create_task(sleeper(n, d)) for n, d in (("c", 5_000), ("a", 2_000), ("b", 3_000))]
        await asyncio.sleep(0)
        assert clock.sleepers == 3
        assert clock.next_due_ns() == 2_000
        assert clock.advance_to(2_500) == 2_500
        await asyncio.sleep(0)
        assert woke == [("a", 2_000)]
        assert clock.advance_to(1_000) == 2_500  # never back
        clock.advance_to(10_000)
        await asyncio.gather(*tasks)
        assert clock.now_ns() == 10_000
        await clock.sleep_until(9_999)  # already past: immediate
        with pytest.raises(ValueError, match="go back"):
            clock.advance_by(-1)
        assert clock.advance_by(5) == 10_005
        return woke

    assert asyncio.run(main()) == [("a", 2_000), ("b", 3_000), ("c", 5_000)]


def test_simulated_clock_drops_cancelled_sleepers() -> None:
    async def main() -> None:
        clock = SimulatedClock(0)
        task = asyncio.create_task(clock.sleep_until(100))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert clock.next_due_ns() is None
        clock.advance_to(200)
        assert clock.sleepers == 0

    asyncio.run(main())
