"""A fake limiter clock for KiteBroker tests: time moves only when someone sleeps."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Monotonic seconds that advance by each ``sleep`` (which yields to the loop once)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
