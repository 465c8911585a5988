"""The three adapters that make a run live, paper, simulated or a backtest (DESIGN.md §1).

Everything else in the engine is the same in every run. :func:`alphastock.kernel.build_kernel`
takes one :class:`Adapters`:

- ``clock``: the engine's time (:class:`~alphastock.clock.LiveClock`, a
  :class:`~alphastock.clock.ScaledClock` for the simulator, a
  :class:`~alphastock.clock.SimulatedClock` for simulated runs and backtests);
- ``market_data``: a :class:`MarketDataSource`, the feed that writes ticks into the engine's
  TickStore plus the market-data client behind it (instruments dump, candles, quotes);
- ``execution``: an :class:`ExecutionVenue`, which opens the execution client (orders and
  account: the KiteBroker, or the PaperBroker filling against the TickStore).

Units: times UTC epoch ns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from alphastock.clock import Clock
from alphastock.feeds.kite_ws import FeedEvent
from alphastock.models import Instrument
from alphastock.ticks import TickStore

FeedSink = Callable[[FeedEvent], object]
"""Where a feed reports what it saw (ticks stored, connection changes, order updates)."""


class Feed(Protocol):
    """A running market-data stream: it stores ticks in the TickStore it was opened on and reports
    each batch to its :data:`FeedSink`."""

    stale: bool

    async def start(self) -> None:
        """Connect (returns once data can flow)."""
        ...

    async def stop(self) -> None:
        """Disconnect; idempotent."""
        ...

    async def subscribe(self, tokens: Iterable[int], mode: str = "full") -> None:
        """Stream ``tokens`` in ``mode`` (``ltp``, ``quote`` or ``full``)."""
        ...

    async def unsubscribe(self, tokens: Iterable[int]) -> None:
        """Stop streaming ``tokens``."""
        ...

    def status(self) -> dict[str, Any]:
        """Counters for the view."""
        ...


class MarketDataSource(Protocol):
    """Where prices come from (see the module docstring)."""

    def open_client(self, instruments: InstrumentLookups) -> Any:
        """The market-data client: ``instruments()``, ``historical()``, ``quote()``/``ltp()``/``ohlc()``
        (a KiteBroker, or a static source for simulated runs). ``instruments`` answers lot, tick and
        freeze sizes once the day's dump is stored (the KiteBroker slices orders above the freeze
        quantity with it)."""
        ...

    def open_feed(self, ticks: TickStore, on_event: FeedSink, clock: Clock) -> Feed:
        """The feed, storing into ``ticks`` stamped on ``clock`` and reporting to ``on_event``."""
        ...


class InstrumentLookups(Protocol):
    """The instrument answers an adapter may need (the kernel's instrument cache)."""

    def freeze_lookup(self, exchange: str, tradingsymbol: str) -> tuple[int, int] | None:
        """``(freeze quantity, lot size)`` in units, or None when the exchange sets none."""
        ...


@dataclass(frozen=True, slots=True)
class VenueContext:
    """What an execution venue may build its client on: the engine's clock, its TickStore (the
    PaperBroker fills against the latest ticks), the day's instruments and the market-data client
    (the same KiteBroker carries orders when the venue is Kite)."""

    clock: Clock
    ticks: TickStore
    instruments: tuple[Instrument, ...]
    market_client: Any


class ExecutionVenue(Protocol):
    """Where orders go (see the module docstring)."""

    def open_client(self, context: VenueContext) -> Any:
        """The execution client (orders and account)."""
        ...

    def order_update_sink(self, client: Any) -> Callable[[dict[str, Any]], object] | None:
        """Where order updates that arrive on the market-data feed go (Kite sends them on the
        WebSocket: to ``client``), or None when the client streams its own (the PaperBroker)."""
        ...


@dataclass(frozen=True, slots=True)
class Adapters:
    """The three things that differ between runs (see the module docstring)."""

    clock: Clock
    market_data: MarketDataSource
    execution: ExecutionVenue
    label: str = "engine"
    """A name for logs and the engine (``sim``, ``paper``, ``live``, ``simulated``)."""


__all__ = [
    "Adapters",
    "ExecutionVenue",
    "Feed",
    "FeedSink",
    "InstrumentLookups",
    "MarketDataSource",
    "VenueContext",
]
