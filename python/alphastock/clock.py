"""Clocks: the only source of "now" for the engine (UTC epoch ns), and of every wait in trading logic.

Live, paper and backtest differ only in the clock, the feed and the broker
(DESIGN.md §1). :class:`Clock` is the one protocol: every trading wait and timer
(OMS reconciliation and its unknown-order timeout, signal expiry, cash sync,
runners, broker-health backoff) sleeps through :func:`sleep` / :func:`wait_event`
on it, so a simulated clock replays a day deterministically.

:class:`LiveClock` is the wall clock; :class:`ScaledClock` runs simulated time
``speed`` times the wall clock (the embedded simulator); :class:`SimulatedClock`
moves only when told to (``advance_to``), driven by the feed's exchange
timestamps, a backtest or a test, and wakes its sleepers in due order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import math
import time
from typing import Protocol, runtime_checkable

from alphastock.models import IST, datetime_to_ns, ns_to_datetime


@runtime_checkable
class Clock(Protocol):
    """What the engine needs of a clock."""

    def now_ns(self) -> int:
        """Current time, UTC epoch ns."""
        ...

    async def sleep_until(self, ts_ns: int) -> None:
        """Return once the clock reads ``ts_ns`` (UTC epoch ns) or later."""
        ...


NS_PER_SECOND = 1_000_000_000


async def sleep(clock: Clock, seconds: float) -> None:
    """Sleep ``seconds`` of engine time on ``clock`` (returns at once when ``seconds <= 0``).

    Rounded up to whole ns: a positive wait always moves a simulated clock (a caller that waits until
    a computed time has passed would otherwise spin on a sub-nanosecond remainder)."""
    await clock.sleep_until(clock.now_ns() + max(0, math.ceil(seconds * NS_PER_SECOND)))


def _paced(clock: Clock) -> bool:
    return isinstance(clock, ScaledClock) and clock.speed > 1


async def pace(clock: Clock, seconds: float) -> None:
    """The pause between periodic broker reads (reconciliation, margins): ``seconds`` on ``clock``,
    but on a clock running faster than the wall (:class:`ScaledClock`) ``seconds`` of wall time, the
    longer of the two: the broker's rate limits count wall time (10 requests/s), and a simulator at
    60x would otherwise be read 60 times as often. A :class:`SimulatedClock` is never paced by the wall.
    """
    if _paced(clock):
        await asyncio.sleep(seconds)
    else:
        await sleep(clock, seconds)


async def wait_event(clock: Clock, event: asyncio.Event, seconds: float, *, paced: bool = False) -> bool:
    """Wait until ``event`` is set or ``seconds`` of engine time passed on ``clock``, whichever is first
    (with ``paced``, the timeout is as in :func:`pace`).

    Returns True when the event is set. The engine-clock form of ``wait_for(event.wait(), seconds)``.
    """
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    timer = asyncio.ensure_future(pace(clock, seconds) if paced else sleep(clock, seconds))
    try:
        await asyncio.wait((waiter, timer), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, timer):
            if not task.done():
                task.cancel()
        await asyncio.gather(waiter, timer, return_exceptions=True)
    return event.is_set()


def seconds_between(start_ns: int, end_ns: int) -> float:
    """``end_ns - start_ns`` (UTC epoch ns) in seconds."""
    return (end_ns - start_ns) / NS_PER_SECOND


def ist(ts_ns: int) -> dt.datetime:
    """``ts_ns`` (UTC epoch ns) as an aware datetime in IST (microsecond precision)."""
    return ns_to_datetime(ts_ns)


def ist_ns(day: dt.date, at: dt.time) -> int:
    """The instant ``at`` (IST wall time) on ``day`` as UTC epoch ns."""
    return datetime_to_ns(dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=IST))


class LiveClock:
    """The wall clock (``time.time_ns``); ``sleep_until`` sleeps on the running loop."""

    def now_ns(self) -> int:
        """Wall-clock time, UTC epoch ns."""
        return time.time_ns()

    async def sleep_until(self, ts_ns: int) -> None:
        """Sleep until the wall clock reaches ``ts_ns`` (UTC epoch ns); returns at once if past."""
        while True:
            delay = (ts_ns - time.time_ns()) / 1e9
            if delay <= 0:
                return
            # the loop's timer may fire a little early (monotonic vs wall clock): check again
            await asyncio.sleep(delay)


class ScaledClock:
    """Simulated time running ``speed`` times the wall clock (the embedded simulator's market clock).

    The simulator announces when its market clock started (wall and simulated UTC ns); from then on
    its time is ``origin_sim + (wall - origin_wall) * speed``, to within one frame's step. The feed
    stamps ticks with this clock, so bars, the risk engine's rate windows, session phases and every
    trading wait run on simulated time, while latency is still measured on the wall clock.
    """

    def __init__(self, origin_wall_ns: int, origin_sim_ns: int, speed: float) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.origin_wall_ns = origin_wall_ns
        self.origin_sim_ns = origin_sim_ns
        self.speed = speed

    def now_ns(self) -> int:
        """Simulated UTC epoch ns now."""
        return self.origin_sim_ns + int((time.time_ns() - self.origin_wall_ns) * self.speed)

    def wall_seconds(self, simulated_s: float) -> float:
        """Wall seconds that ``simulated_s`` simulated seconds take."""
        return simulated_s / self.speed

    async def sleep_until(self, ts_ns: int) -> None:
        """Return once the simulated time reached ``ts_ns``."""
        while (left := ts_ns - self.now_ns()) > 0:
            await asyncio.sleep(left / 1e9 / self.speed)

    def __repr__(self) -> str:
        return f"ScaledClock(speed={self.speed:g}, now_ns={self.now_ns()})"


class SimulatedClock:
    """A clock that moves only forward, when :meth:`advance_to` is called.

    Sleepers are futures ordered by due time: advancing past several due times
    wakes them in due order (ties in the order they started sleeping). Must be
    used from one event loop.
    """

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now_ns(self) -> int:
        """The simulated time, UTC epoch ns."""
        return self._now

    def advance_to(self, ts_ns: int) -> int:
        """Move to ``ts_ns`` if it is later than now (time never goes back) and wake every sleeper
        due by then, earliest first. Returns the (possibly unchanged) time."""
        if ts_ns > self._now:
            self._now = ts_ns
        sleepers = self._sleepers
        while sleepers and sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(sleepers)
            if not future.done():  # a cancelled sleeper is simply dropped
                future.set_result(None)
        return self._now

    def advance_by(self, delta_ns: int) -> int:
        """Advance by ``delta_ns`` (>= 0) nanoseconds; see :meth:`advance_to`."""
        if delta_ns < 0:
            raise ValueError(f"a simulated clock cannot go back ({delta_ns} ns)")
        return self.advance_to(self._now + delta_ns)

    def next_due_ns(self) -> int | None:
        """The earliest pending sleeper's due time (UTC epoch ns), if any: a backtest can jump there."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    @property
    def sleepers(self) -> int:
        """Sleepers waiting now."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def sleep_until(self, ts_ns: int) -> None:
        """Return once :meth:`advance_to` has reached ``ts_ns`` (at once if already there)."""
        if ts_ns <= self._now:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (ts_ns, next(self._seq), future))
        await future


__all__ = [
    "NS_PER_SECOND",
    "Clock",
    "LiveClock",
    "ScaledClock",
    "SimulatedClock",
    "ist",
    "ist_ns",
    "pace",
    "seconds_between",
    "sleep",
    "wait_event",
]
