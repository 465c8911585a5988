"""Client-side rate limiting per Kite's published limits, shared by every caller of one broker.

Kite counts requests per API key in categories: quotes 1/s, historical candles 3/s,
order placement/modification/cancellation 10/s and 400/min and 5000/day, every other
endpoint 10/s. Each limit is a sliding window (at most ``limit`` requests in any
``period`` seconds), the same rule Kite (and :mod:`alphastock.sim`) enforce, so a
caller that waits here is never answered 429 for going too fast. The 5000/day limit is
a sliding 24-hour window: stricter than Kite's calendar day, never looser.

Kite counts a request when it handles it, at some moment between our send and its answer;
how long after the send varies (a new connection's set-up, a busy server, a request queued
behind others in our thread pool: 0.2 s seen against the simulator on loopback at start-up,
where the historical warm-up was then answered 429). So a permit (:meth:`RateLimiter.acquire`)
holds its place in every window of its category while the request is in flight, and
:meth:`Permit.release` (on the answer, or the failure) dates it at that moment: the request
was counted before then, so the next one let go a period later cannot share its window,
whatever the trip took. Every window is also judged over ``period + guard_s`` (default
:data:`GUARD_S`): a margin for a server whose own timestamps differ from ours (several
front ends, coarse clocks), a small loss of rate for never being answered 429.

The clock is the engine's :class:`~alphastock.clock.Clock` protocol (``now_ns`` and
``sleep_until``), injectable: tests pass a fake whose sleeps advance its time, so timing is
asserted without the wall clock. Unlike every other wait in trading logic, the limiter's default
is the wall clock (:class:`~alphastock.clock.LiveClock`), not the engine clock: Kite counts its
limits in wall time, so a faster simulated clock must not send requests faster.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from alphastock.clock import NS_PER_SECOND, Clock, LiveClock, sleep

Category = Literal["quote", "historical", "order", "other"]
"""Kite's rate-limit categories."""

SECONDS_PER_DAY = 86_400.0
GUARD_S = 0.1
"""Seconds added to every window's period (see the module docstring)."""


@dataclass(frozen=True)
class Window:
    """At most ``limit`` requests in any ``period`` seconds."""

    limit: int
    period: float


KITE_LIMITS: Mapping[Category, tuple[Window, ...]] = {
    "quote": (Window(1, 1.0),),
    "historical": (Window(3, 1.0),),
    "order": (Window(10, 1.0), Window(400, 60.0), Window(5000, SECONDS_PER_DAY)),
    "other": (Window(10, 1.0),),
}
"""Kite Connect's published limits per category."""


@dataclass
class _Log:
    window: Window
    guard_s: float = 0.0
    times: deque[float] = field(default_factory=deque)
    """When answered requests were answered (ascending: appended at release on a monotonic clock)."""
    in_flight: int = 0
    """Requests let go and not answered yet: each holds a place until its release."""

    def wait_for(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now, ``inf`` until an in-flight request
        is answered), after dropping expired entries."""
        period = self.window.period + self.guard_s
        while self.times and self.times[0] <= now - period:
            self.times.popleft()
        if len(self.times) + self.in_flight < self.window.limit:
            return 0.0
        if not self.times:
            return math.inf
        return self.times[0] + period - now


class Permit:
    """One request let go by the limiter; :meth:`release` it when the request is answered (or failed).

    Until then it holds a place in every window of its category (see the module docstring).
    """

    __slots__ = ("_limiter", "category", "released")

    def __init__(self, limiter: RateLimiter, category: str) -> None:
        self._limiter = limiter
        self.category = category
        self.released = False

    def release(self) -> None:
        """The request was answered (or failed): date its place now. Idempotent; call on the loop."""
        if not self.released:
            self.released = True
            self._limiter._release(self.category)

    def __repr__(self) -> str:
        return f"Permit({self.category!r}, {'released' if self.released else 'in flight'})"


class RateLimiter:
    """Async sliding-window limiter per category; one instance is shared by all callers of a broker.

    ``permit = await limiter.acquire("order")`` returns when one more order request may be
    sent, and counts it; ``permit.release()`` when its answer arrives (``async with
    limiter.request("order"):`` does both around a call). Waiters of a category are served in
    arrival order (one lock per category). Use it from one event loop's thread.
    """

    def __init__(
        self,
        limits: Mapping[Category, tuple[Window, ...]] | None = None,
        *,
        clock: Clock | None = None,
        guard_s: float = GUARD_S,
    ) -> None:
        if not 0.0 <= guard_s < 1.0:
            raise ValueError(f"guard_s must be in [0, 1) seconds, got {guard_s}")
        self.clock: Clock = clock or LiveClock()
        self.guard_s = guard_s
        chosen = dict(KITE_LIMITS if limits is None else limits)
        self._logs: dict[str, list[_Log]] = {
            name: [_Log(w, guard_s) for w in windows] for name, windows in chosen.items()
        }
        self._locks: dict[str, asyncio.Lock] = {}
        self._answered: dict[str, list[asyncio.Future[None]]] = {name: [] for name in self._logs}
        self.acquired: dict[str, int] = dict.fromkeys(self._logs, 0)
        """Requests let go, per category."""
        self.waited_s: dict[str, float] = dict.fromkeys(self._logs, 0.0)
        """Seconds spent waiting for a window, per category (not counting waits for an answer)."""

    def _now_s(self) -> float:
        """The limiter's clock in seconds (UTC epoch; only differences matter)."""
        return self.clock.now_ns() / NS_PER_SECOND

    def _lock(self, category: str) -> asyncio.Lock:
        lock = self._locks.get(category)
        if lock is None:
            lock = self._locks[category] = asyncio.Lock()
        return lock

    def _category_logs(self, category: str) -> list[_Log]:
        logs = self._logs.get(category)
        if logs is None:
            raise ValueError(f"unknown rate-limit category {category!r}")
        return logs

    def in_flight(self, category: Category) -> int:
        """Requests of ``category`` let go and not released yet."""
        return self._category_logs(category)[0].in_flight

    def _take(self, category: str, logs: list[_Log]) -> Permit:
        for log in logs:
            log.in_flight += 1
        self.acquired[category] += 1
        return Permit(self, category)

    def _release(self, category: str) -> None:
        now = self._now_s()
        for log in self._logs[category]:
            log.in_flight -= 1
            log.times.append(now)
        waiters, self._answered[category] = self._answered[category], []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def try_acquire(self, category: Category) -> Permit | None:
        """A permit when a request of ``category`` is allowed right now and nobody is waiting for the
        category; else None and nothing counted (then ``await acquire``)."""
        logs = self._category_logs(category)
        lock = self._locks.get(category)
        if lock is not None and lock.locked():
            return None  # waiters are served in arrival order
        now = self._now_s()
        if max(log.wait_for(now) for log in logs) > 0:
            return None
        return self._take(category, logs)

    async def acquire(self, category: Category) -> Permit:
        """Wait (on the limiter's clock, or for an answer) until a request of ``category`` is allowed;
        count it and return its :class:`Permit` (release it on the answer)."""
        logs = self._category_logs(category)
        async with self._lock(category):
            while True:
                delay = max(log.wait_for(self._now_s()) for log in logs)
                if delay <= 0:
                    break
                if math.isinf(delay):  # every place is held by a request in flight
                    waiter = asyncio.get_running_loop().create_future()
                    self._answered[category].append(waiter)
                    await waiter
                    continue
                self.waited_s[category] += delay
                await sleep(self.clock, delay)
            return self._take(category, logs)

    @contextlib.asynccontextmanager
    async def request(self, category: Category) -> AsyncIterator[Permit]:
        """``async with limiter.request(category):`` around one request: acquired before, released after
        (however the body ends)."""
        permit = await self.acquire(category)
        try:
            yield permit
        finally:
            permit.release()


__all__ = [
    "GUARD_S",
    "KITE_LIMITS",
    "Category",
    "Permit",
    "RateLimiter",
    "Window",
]
