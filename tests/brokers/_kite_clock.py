"""A fake limiter clock for KiteBroker tests: time moves only when someone sleeps."""

from __future__ import annotations

import asyncio

from alphastock.clock import NS_PER_SECOND


class FakeClock:
    """An engine :class:`~alphastock.clock.Clock` whose sleeps advance its time at once (and yield to
    the loop once); :attr:`now` is its time in seconds, settable by the test."""

    def __init__(self) -> None:
        self._ns = 0
        self.sleeps: list[float] = []
        """Each sleep's length, seconds."""

    @property
    def now(self) -> float:
        """The fake time, seconds."""
        return self._ns / NS_PER_SECOND

    @now.setter
    def now(self, seconds: float) -> None:
        self._ns = round(seconds * NS_PER_SECOND)

    def now_ns(self) -> int:
        return self._ns

    async def sleep_until(self, ts_ns: int) -> None:
        self.sleeps.append(max(0, ts_ns - self._ns) / NS_PER_SECOND)
        self._ns = max(self._ns, ts_ns)
        await asyncio.sleep(0)

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._ns + round(seconds * NS_PER_SECOND))
