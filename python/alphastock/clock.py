"""Clocks: the only source of "now" for the engine (UTC epoch ns).

Live, paper and backtest differ only in the clock, the feed and the broker
(DESIGN.md §1). :class:`LiveClock` is the wall clock; :class:`SimulatedClock`
moves only when told to (``advance_to``), driven by the feed's exchange
timestamps or a backtest, and wakes its sleepers in due order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
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


__all__ = ["Clock", "LiveClock", "SimulatedClock", "ist", "ist_ns"]
