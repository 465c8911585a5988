"""Simulated-clock runs: recorded ticks replayed through the whole engine on a :class:`SimulatedClock`.

:class:`ReplayMarketData` is the market-data adapter: its :class:`ReplayFeed` stores each tick in
the engine's TickStore when the engine clock reaches the tick's time, and its
:class:`StaticMarketClient` serves a fixed instruments list (no candles, no quotes: a replay has
only the ticks it was given). :func:`run_simulated` drives the clock from one due time to the next
(the feed's next tick, a timer, a reconciliation), letting the engine finish everything each step
set off before moving on, so a run never sleeps on wall time and two runs of the same inputs
produce the same events in the same order. Paired with the PaperBroker
(:class:`~alphastock.kernel.adapters.PaperExecution`) this is the backtest's engine.

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alphastock.clock import SimulatedClock
from alphastock.errors import AlphaStockError
from alphastock.feeds.kite_ws import FeedEvent
from alphastock.models import Candle, Instrument
from alphastock.ports import FeedSink, FreezeLookup
from alphastock.ticks import TickStore


@dataclass(frozen=True, slots=True)
class ReplayTick:
    """One recorded tick (``ts_ns`` UTC epoch ns; prices rupees, NaN = no book; quantities units)."""

    token: int
    ts_ns: int
    last_price: float
    volume: int = 0
    bid: float = math.nan
    ask: float = math.nan
    bid_qty: int = 0
    ask_qty: int = 0
    last_qty: int = 0


class StaticMarketClient:
    """The market-data client of a replay: the instruments it was given, nothing else."""

    def __init__(self, instruments: Sequence[Instrument]) -> None:
        self._instruments = list(instruments)

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """The instruments, all or one exchange's."""
        return [i for i in self._instruments if exchange is None or str(i.exchange) == exchange]

    async def historical(
        self, instrument_token: int, from_date: dt.datetime, to_date: dt.datetime, interval: str, **_: Any
    ) -> list[Candle]:
        """No candles: a replay's history is its ticks (strategies warm up on them)."""
        return []

    async def ohlc(self, instruments: Sequence[str]) -> dict[str, Any]:
        """No day OHLC before the first tick (runners start without a previous close)."""
        return {}

    async def quote(self, instruments: Sequence[str]) -> dict[str, Any]:
        """No quotes: the replay feed is never stale, so nothing polls."""
        return {}


class ReplayFeed:
    """Stores ticks in the TickStore as the engine clock reaches them; reports each batch (see the
    module docstring). Every tick is stored whatever is subscribed: a recording holds what the
    market printed, and subscriptions only decide what a live feed would send."""

    stale = False

    def __init__(
        self, ticks: Sequence[ReplayTick], store: TickStore, on_event: FeedSink, clock: SimulatedClock
    ) -> None:
        self._ticks = sorted(ticks, key=lambda t: t.ts_ns)  # stable: same-time ticks keep their order
        self._store = store
        self._on_event = on_event
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._modes: dict[int, str] = {}
        self.delivered = 0
        """Ticks stored so far."""
        self.done = asyncio.Event()
        """Set once the last tick was stored."""

    @property
    def end_ns(self) -> int:
        """The last tick's time (UTC epoch ns); 0 without ticks."""
        return self._ticks[-1].ts_ns if self._ticks else 0

    async def start(self) -> None:
        """Report the connection and start replaying."""
        self._on_event(FeedEvent("connected", self._clock.now_ns(), 0, data=1))
        self._task = asyncio.get_running_loop().create_task(self._run(), name="replay-feed")

    async def stop(self) -> None:
        """Stop replaying; idempotent."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def subscribe(self, tokens: Any, mode: str = "full") -> None:
        """Note the mode of ``tokens`` (every tick is stored regardless)."""
        for token in tokens:
            self._modes[int(token)] = mode

    async def unsubscribe(self, tokens: Any) -> None:
        """Forget ``tokens``."""
        for token in tokens:
            self._modes.pop(int(token), None)

    def status(self) -> dict[str, Any]:
        """Counters for the view."""
        return {"delivered": self.delivered, "total": len(self._ticks), "subscribed": len(self._modes)}

    async def _run(self) -> None:
        for ts_ns, group in itertools.groupby(self._ticks, key=lambda t: t.ts_ns):
            rows = list(group)
            await self._clock.sleep_until(ts_ns)
            self._store.push_batch(
                [t.token for t in rows], [t.ts_ns for t in rows], [t.last_price for t in rows],
                last_qty=[t.last_qty for t in rows], volume=[t.volume for t in rows],
                bid=[t.bid for t in rows], ask=[t.ask for t in rows], bid_qty=[t.bid_qty for t in rows],
                ask_qty=[t.ask_qty for t in rows],
            )  # fmt: skip
            self.delivered += len(rows)
            tokens = np.fromiter((t.token for t in rows), dtype=np.int64, count=len(rows))
            self._on_event(FeedEvent("ticks", ts_ns, 0, tokens=tokens, wall_ns=ts_ns))
        self.done.set()


class ReplayMarketData:
    """The market-data adapter of a simulated-clock run (see the module docstring)."""

    def __init__(self, instruments: Sequence[Instrument], ticks: Sequence[ReplayTick]) -> None:
        self._client = StaticMarketClient(instruments)
        self._ticks = list(ticks)
        self.feed: ReplayFeed | None = None
        """The feed, once the kernel opened it."""

    def open_client(self, freeze_lookup: FreezeLookup) -> StaticMarketClient:
        """The static client."""
        return self._client

    def open_feed(self, ticks: TickStore, on_event: FeedSink, clock: Any) -> ReplayFeed:
        """The replay feed; ``clock`` must be a :class:`SimulatedClock` (a replay is not paced by
        the wall)."""
        if not isinstance(clock, SimulatedClock):
            raise TypeError(f"a replay runs on a SimulatedClock, not {type(clock).__name__}")
        self.feed = ReplayFeed(self._ticks, ticks, on_event, clock)
        return self.feed


class SimulationError(AlphaStockError):
    """A simulated run could not go on deterministically (the engine never settled after a step)."""


async def settle(kernel: Any, *, turns: int = 16, max_turns: int = 100_000) -> None:
    """Let the engine finish what the last clock step set off: loop turns until the bus queues are
    empty and no OMS call is in flight for ``turns`` turns in a row, with the store writer's callbacks
    delivered. Never waits on wall time (an inline writer applies on the loop). Raises
    :class:`SimulationError` after ``max_turns`` busy turns: moving the clock on then would make the
    run depend on how far the work had got."""
    quiet = 0
    for _ in range(max_turns):
        await asyncio.sleep(0)
        queued = any(sub.depth for sub in kernel.bus.subscriptions())
        busy = queued or kernel.oms.in_flight or kernel.writer.pending
        quiet = 0 if busy else quiet + 1
        if quiet >= turns:
            return
    raise SimulationError(
        f"the engine did not settle within {max_turns} loop turns at {kernel.clock.now_ns()} ns"
    )


async def run_simulated(kernel: Any, clock: SimulatedClock, *, until_ns: int) -> int:
    """Start ``kernel``, drive ``clock`` from due time to due time up to ``until_ns`` (UTC epoch ns),
    stop it; returns the number of clock steps. Nothing sleeps on wall time."""
    await kernel.start(warm_up=False)
    steps = 0
    try:
        while True:
            await settle(kernel)
            due = clock.next_due_ns()
            if due is None or due > until_ns:
                break
            clock.advance_to(due)
            steps += 1
        clock.advance_to(until_ns)
        await settle(kernel)
    finally:
        await kernel.stop()
    return steps


def ticks_from_bars(
    token: int, bars: Sequence[tuple[int, float, float, float, float, float]], *, half_spread: float = 0.05
) -> list[ReplayTick]:
    """Four ticks per 1-minute bar ``(start_ns, open, high, low, close, volume)``: open at +0 s, the
    nearer extreme at +15 s, the farther at +30 s, close at +59 s (the path a bar most plausibly
    took), each with a bid and an ask ``half_spread`` rupees either side of it and the bar's volume
    spread over them."""
    out: list[ReplayTick] = []
    second = 1_000_000_000
    cumulative = 0
    for start_ns, o, h, low, c, volume in bars:
        first, second_extreme = (low, h) if abs(o - low) <= abs(h - o) else (h, low)
        step = int(volume) // 4
        for offset_s, price in ((0, o), (15, first), (30, second_extreme), (59, c)):
            cumulative += step
            out.append(
                ReplayTick(
                    token, start_ns + offset_s * second, price, volume=cumulative,
                    bid=round(price - half_spread, 2), ask=round(price + half_spread, 2), bid_qty=500,
                    ask_qty=500, last_qty=step,
                )
            )  # fmt: skip
    return out


__all__ = [
    "ReplayFeed",
    "ReplayMarketData",
    "ReplayTick",
    "SimulationError",
    "StaticMarketClient",
    "run_simulated",
    "settle",
    "ticks_from_bars",
]
