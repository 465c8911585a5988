"""The client-side rate limiter, timed on a fake clock (no wall-clock asserts)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.brokers.kite.ratelimit import GUARD_S, KITE_LIMITS, RateLimiter, Window
from tests.brokers._kite_clock import FakeClock


async def _times(limiter: RateLimiter, clock: FakeClock, category: str, count: int) -> list[float]:
    """When each of ``count`` requests was let go; each is answered at once (on the fake clock)."""
    out = []
    for _ in range(count):
        async with limiter.request(category):  # type: ignore[arg-type]
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
        (await limiter.acquire("other")).release()
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
    limiter = RateLimiter({"order": (Window(2, 1.0),)}, clock=clock, guard_s=0.0)
    first, second = limiter.try_acquire("order"), limiter.try_acquire("order")
    assert first is not None
    assert second is not None
    assert limiter.try_acquire("order") is None  # the window is full: nothing counted
    assert limiter.acquired["order"] == 2
    first.release()
    second.release()
    clock.now = 1.0
    third = limiter.try_acquire("order")
    assert third is not None
    assert limiter.acquired["order"] == 3
    assert limiter.in_flight("order") == 1
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


def test_a_place_is_dated_by_the_answer_not_by_the_send() -> None:
    """Kite counts a request somewhere between our send and its answer: a request answered 0.4 s after
    it was let go keeps its place until 1 s after the answer, so the next one cannot share its window
    at the server (before this, the historical warm-up's fourth request went 0.8 s after the server
    had counted the first and was answered 429)."""
    clock = FakeClock()
    limiter = RateLimiter({"historical": (Window(3, 1.0),)}, clock=clock, guard_s=0.0)

    async def run() -> list[float]:
        sent = []
        for _ in range(3):
            async with limiter.request("historical"):
                sent.append(clock.now)
                await clock.sleep(0.4)  # the trip: the answer comes 0.4 s after the send
        async with limiter.request("historical"):
            sent.append(clock.now)
        return sent

    # Answers at 0.4, 0.8, 1.2: the fourth goes when the first answer's window has passed.
    assert asyncio.run(run()) == pytest.approx([0.0, 0.4, 0.8, 1.4])


def test_requests_in_flight_hold_their_places_until_answered() -> None:
    """With every place held by a request not yet answered, the next waits for an answer (however long
    the clock says it has been), then for that answer's window."""
    clock = FakeClock()
    limiter = RateLimiter({"quote": (Window(1, 1.0),)}, clock=clock, guard_s=0.0)

    async def run() -> tuple[float, float, int]:
        first = await limiter.acquire("quote")
        waiter = asyncio.ensure_future(limiter.acquire("quote"))
        await asyncio.sleep(0)
        clock.now = 5.0  # long after the send, but no answer yet
        await asyncio.sleep(0)
        assert not waiter.done()
        assert limiter.try_acquire("quote") is None  # someone is waiting: no overtaking
        first.release()  # answered at 5.0
        second = await waiter
        second.release()
        first.release()  # idempotent
        return clock.now, limiter.waited_s["quote"], limiter.in_flight("quote")

    now, waited, in_flight = asyncio.run(run())
    assert now == pytest.approx(6.0)  # one period after the first answer
    assert waited == pytest.approx(1.0)  # the wait for the answer itself is not a window wait
    assert in_flight == 0


def test_a_cancelled_waiter_leaves_the_category_usable() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"quote": (Window(1, 1.0),)}, clock=clock, guard_s=0.0)

    async def run() -> float:
        first = await limiter.acquire("quote")
        waiter = asyncio.ensure_future(limiter.acquire("quote"))
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        first.release()
        async with limiter.request("quote"):
            return clock.now

    assert asyncio.run(run()) == pytest.approx(1.0)
    assert limiter.acquired["quote"] == 2


class _SlowClient:
    """A kiteconnect stand-in whose ``ltp`` blocks its thread until ``answer`` is set."""

    def __init__(self) -> None:
        self.answer = threading.Event()
        self.calls = 0

    def ltp(self, instruments: list[str]) -> dict[str, Any]:
        self.calls += 1
        self.answer.wait(10)
        return {key: {"instrument_token": 1, "last_price": 10.0} for key in instruments}


def test_the_broker_releases_a_permit_when_its_call_ends_on_the_thread() -> None:
    """Even when the awaiting task is cancelled, the request is still on its way: its place stays held
    until the SDK call returns on its thread."""
    client = _SlowClient()
    broker = KiteBroker("key", client=client, limiter=RateLimiter(clock=FakeClock(), guard_s=0.0))

    async def run() -> tuple[int, int, int]:
        task = asyncio.ensure_future(broker.ltp(["NSE:SBIN"]))
        while client.calls == 0:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        held = broker.limiter.in_flight("quote")
        client.answer.set()
        while broker.limiter.in_flight("quote"):
            await asyncio.sleep(0.001)
        ltp = await broker.ltp(["NSE:SBIN"])  # answered at once now
        return held, broker.limiter.in_flight("quote"), int(ltp["NSE:SBIN"].last_price)

    try:
        assert asyncio.run(run()) == (1, 0, 10)
    finally:
        broker.close()
    assert broker.limiter.acquired["quote"] == 2
