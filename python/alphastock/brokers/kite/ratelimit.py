"""Client-side rate limiting per Kite's published limits, shared by every caller of one broker.

Kite counts requests per API key in categories: quotes 1/s, historical candles 3/s,
order placement/modification/cancellation 10/s and 400/min and 5000/day, every other
endpoint 10/s. Each limit is a sliding window (at most ``limit`` acquisitions in any
``period`` seconds), the same rule Kite (and :mod:`alphastock.sim`) enforce, so a
caller that waits here is never answered 429 for going too fast. The 5000/day limit is
a sliding 24-hour window: stricter than Kite's calendar day, never looser.

Kite counts a request when it arrives; the limiter counts it when it is let go. The two
differ by the trip to Kite, which varies: the first request on a new connection also
pays its set-up, so a second request let go exactly ``period`` later can arrive less
than ``period`` after the first and be refused (seen against the simulator on
loopback). Every window is therefore judged over ``period + guard_s`` (default
:data:`GUARD_S`), a small loss of rate for never being answered 429.

The clock is injectable (:class:`LimiterClock`): tests pass a fake whose ``sleep``
advances its time, so timing is asserted without the wall clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Category = Literal["quote", "historical", "order", "other"]
"""Kite's rate-limit categories."""

SECONDS_PER_DAY = 86_400.0
GUARD_S = 0.1
"""Seconds added to every window's period (see the module docstring)."""


class LimiterClock(Protocol):
    """Monotonic time in seconds and an async sleep (the real one, or a test's fake)."""

    def monotonic(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """:func:`time.monotonic` and :func:`asyncio.sleep`."""

    def monotonic(self) -> float:
        """Seconds on the process's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the running loop."""
        await asyncio.sleep(seconds)


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

    def wait_for(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now), after dropping expired entries."""
        period = self.window.period + self.guard_s
        while self.times and self.times[0] <= now - period:
            self.times.popleft()
        if len(self.times) < self.window.limit:
            return 0.0
        return self.times[0] + period - now


class RateLimiter:
    """Async sliding-window limiter per category; one instance is shared by all callers of a broker.

    ``await limiter.acquire("order")`` returns when one more order request may be sent,
    and counts it. Waiters of a category are served in arrival order (one lock per category).
    """

    def __init__(
        self,
        limits: Mapping[Category, tuple[Window, ...]] | None = None,
        *,
        clock: LimiterClock | None = None,
        guard_s: float = GUARD_S,
    ) -> None:
        if not 0.0 <= guard_s < 1.0:
            raise ValueError(f"guard_s must be in [0, 1) seconds, got {guard_s}")
        self.clock: LimiterClock = clock or SystemClock()
        self.guard_s = guard_s
        chosen = dict(KITE_LIMITS if limits is None else limits)
        self._logs: dict[str, list[_Log]] = {
            name: [_Log(w, guard_s) for w in windows] for name, windows in chosen.items()
        }
        self._locks: dict[str, asyncio.Lock] = {}
        self.acquired: dict[str, int] = dict.fromkeys(self._logs, 0)
        self.waited_s: dict[str, float] = dict.fromkeys(self._logs, 0.0)

    def _lock(self, category: str) -> asyncio.Lock:
        lock = self._locks.get(category)
        if lock is None:
            lock = self._locks[category] = asyncio.Lock()
        return lock

    def try_acquire(self, category: Category) -> bool:
        """Count one request of ``category`` and return True when it is allowed right now and nobody is
        waiting for the category; else False and nothing counted (then ``await acquire``)."""
        logs = self._logs.get(category)
        if logs is None:
            raise ValueError(f"unknown rate-limit category {category!r}")
        lock = self._locks.get(category)
        if lock is not None and lock.locked():
            return False  # waiters are served in arrival order
        now = self.clock.monotonic()
        if max(log.wait_for(now) for log in logs) > 0:
            return False
        for log in logs:
            log.times.append(now)
        self.acquired[category] += 1
        return True

    async def acquire(self, category: Category) -> None:
        """Wait (on the limiter's clock) until a request of ``category`` is allowed; count it."""
        logs = self._logs.get(category)
        if logs is None:
            raise ValueError(f"unknown rate-limit category {category!r}")
        async with self._lock(category):
            while True:
                now = self.clock.monotonic()
                delay = max(log.wait_for(now) for log in logs)
                if delay <= 0:
                    break
                self.waited_s[category] += delay
                await self.clock.sleep(delay)
            for log in logs:
                log.times.append(now)
            self.acquired[category] += 1


__all__ = ["KITE_LIMITS", "Category", "LimiterClock", "RateLimiter", "SystemClock", "Window"]
