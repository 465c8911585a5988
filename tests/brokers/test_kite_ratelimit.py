"""The client-side rate limiter, timed on a fake clock (no wall-clock asserts)."""

from __future__ import annotations

import asyncio

import pytest

from alphastock.brokers.kite.ratelimit import GUARD_S, KITE_LIMITS, RateLimiter, Window
from tests.brokers._kite_clock import FakeClock


async def _times(limiter: RateLimiter, clock: FakeClock, category: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        await limiter.acquire(category)  # type: ignore[arg-type]
        out.append(clock.now)
    return out


def test_kite_published_limits() -> None:
    assert KITE_LIMITS["quote"] == (Window(1, 1.0),)
    assert KITE_LIMITS["historical"] == (Window(3, 1.0),)
    assert KITE_LIMITS["order"] == (Window(10, 1.0), Window(400, 60.0), Window(5000, 86400.0))
    assert KITE_LIMITS["other"] == (Window(10, 1.0),)


def test_quotes_one_per_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, guard_s=0.0)
    times = asyncio.run(_times(limiter, clock, "quote", 4))
    assert times == [0.0, 1.0, 2.0, 3.0]
    assert limiter.acquired["quote"] == 4


def test_historical_three_per_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, guard_s=0.0)
    times = asyncio.run(_times(limiter, clock, "historical", 7))
    assert times == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0]


def test_orders_ten_per_second_and_400_per_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, guard_s=0.0)
    times = asyncio.run(_times(limiter, clock, "order", 401))
    assert times[:10] == [0.0] * 10
    assert times[10] == 1.0
    # 400 orders take 40 seconds at 10/s; the 401st waits for the minute window to open.
    assert times[399] == 39.0
    assert times[400] == 60.0


def test_daily_order_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"order": (Window(5, 86400.0),)}, clock=clock, guard_s=0.0)
    times = asyncio.run(_times(limiter, clock, "order", 6))
    assert times == [0.0] * 5 + [86400.0]


def test_categories_are_independent_and_shared_by_concurrent_callers() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, guard_s=0.0)

    async def run() -> tuple[list[float], float]:
        quotes = await asyncio.gather(*(_times(limiter, clock, "quote", 1) for _ in range(3)))
        before = clock.now
        await limiter.acquire("other")
        return sorted(t for group in quotes for t in group), clock.now - before

    quote_times, other_wait = asyncio.run(run())
    assert quote_times == [0.0, 1.0, 2.0]
    assert other_wait == 0.0
    assert limiter.waited_s["quote"] == pytest.approx(2.0)


def test_unknown_category() -> None:
    with pytest.raises(ValueError, match="unknown rate-limit category"):
        asyncio.run(RateLimiter(clock=FakeClock()).acquire("bogus"))  # type: ignore[arg-type]


def test_try_acquire_counts_only_what_fits_now() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"order": (Window(2, 1.0),)}, clock=clock, guard_s=0.0)  # type: ignore[dict-item]
    assert limiter.try_acquire("order")
    assert limiter.try_acquire("order")
    assert not limiter.try_acquire("order")  # the window is full: nothing counted
    assert limiter.acquired["order"] == 2
    clock.now = 1.0
    assert limiter.try_acquire("order")
    assert limiter.acquired["order"] == 3
    with pytest.raises(ValueError, match="unknown rate-limit category"):
        limiter.try_acquire("nope")  # type: ignore[arg-type]


def test_the_guard_widens_every_window_by_default() -> None:
    """Let go exactly one period apart, two requests may arrive at Kite less than a period apart; the
    default guard keeps them GUARD_S further apart."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    assert limiter.guard_s == GUARD_S > 0
    assert asyncio.run(_times(limiter, clock, "quote", 3)) == pytest.approx(
        [0.0, 1.0 + GUARD_S, 2 * (1.0 + GUARD_S)]
    )
    with pytest.raises(ValueError, match="guard_s"):
        RateLimiter(guard_s=-0.1)
