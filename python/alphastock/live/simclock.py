"""The engine clock against the embedded simulator: simulated time running ``speed`` times the wall clock.

The simulator announces when its market clock started (wall and simulated UTC
ns); from then on its time is ``origin_sim + (wall - origin_wall) * speed``, to
within one frame's step. The feed stamps ticks with this clock, so bars, the
risk engine's rate windows and session phases all run on simulated time, while
latency is still measured on the wall clock.
"""

from __future__ import annotations

import asyncio
import time


class ScaledClock:
    """Implements the engine's ``Clock`` protocol: :meth:`now_ns` (UTC epoch ns) and :meth:`sleep_until`."""

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


__all__ = ["ScaledClock"]
