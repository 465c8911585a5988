"""SessionWatcher: publishes SESSION events as the clock crosses each exchange's phase boundaries.

At start it publishes the current phase of every exchange (``previous=None``),
then one :class:`~alphastock.events.SessionPhaseChange` per boundary, stamped
with the boundary instant (not the instant the clock noticed it): with a
:class:`~alphastock.clock.SimulatedClock` jumping a whole day, every boundary of
the day is still published, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from alphastock.bus import EventBus
from alphastock.calendar import MarketCalendar
from alphastock.clock import Clock
from alphastock.engine import BaseComponent
from alphastock.events import Event, EventType, SessionPhase, SessionPhaseChange

log = logging.getLogger(__name__)


class SessionWatcher(BaseComponent):
    """Publishes SESSION events for ``exchanges`` (one task each) on ``bus``."""

    name = "session"

    def __init__(
        self,
        clock: Clock,
        calendar: MarketCalendar,
        bus: EventBus,
        exchanges: Iterable[str] = ("NSE", "MCX"),
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.clock = clock
        self.calendar = calendar
        self.bus = bus
        self.exchanges = tuple(e.upper() for e in exchanges)
        for exchange in self.exchanges:
            calendar.hours(exchange)  # fail now on an unknown exchange
        self._phases: dict[str, SessionPhase] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.published = 0
        """SESSION events published (including the initial ones)."""

    def phase(self, exchange: str = "NSE") -> SessionPhase:
        """The last published phase of ``exchange`` (CLOSED before start)."""
        return self._phases.get(exchange.upper(), SessionPhase.CLOSED)

    async def on_start(self) -> None:
        """Publish each exchange's current phase, then watch its boundaries."""
        now = self.clock.now_ns()
        for exchange in self.exchanges:
            phase = self.calendar.phase_at(now, exchange)
            await self._publish(exchange, phase, None, now)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._watch(exchange, now), name=f"session:{exchange}")
            for exchange in self.exchanges
        ]

    async def on_stop(self) -> None:
        """Cancel the watchers."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _publish(
        self, exchange: str, phase: SessionPhase, previous: SessionPhase | None, ts_ns: int
    ) -> None:
        self._phases[exchange] = phase
        change = SessionPhaseChange(exchange=exchange, phase=phase, previous=previous, ts_ns=ts_ns)
        await self.bus.publish(Event(EventType.SESSION, change, ts_event=ts_ns))
        self.published += 1
        self.set_health("ok", f"{exchange} {phase.value}")

    async def _watch(self, exchange: str, since_ns: int) -> None:
        cursor = since_ns
        while True:
            try:
                change = self.calendar.next_phase_change(cursor, exchange)
            except Exception as exc:  # a calendar bug must be visible, not kill the engine
                self.record_error(f"{exchange}: {exc!r}")
                self.set_health("degraded", f"{exchange} calendar failed: {exc!r}")
                log.exception("session watcher for %s stopped", exchange)
                return
            if change is None:
                self.set_health("degraded", f"{exchange}: no phase change ahead")
                return
            at, phase = change
            await self.clock.sleep_until(at)
            await self._publish(exchange, phase, self.phase(exchange), at)
            cursor = at


__all__ = ["SessionWatcher"]
