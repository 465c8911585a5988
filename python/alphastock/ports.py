"""The protocols the parts of AlphaStock meet at: every interface shared across packages, in one place.

- **Brokers, by role** (below), and the capabilities each declares.
- **Market data**: :class:`Feed` (a running tick stream) and :data:`FeedSink` (where it reports),
  :class:`LatestPrices` (the TickStore's newest tick of a token).
- **The bus**: :class:`Publisher`.
- **Reference data**: :class:`InstrumentSource` (the instruments dump), :data:`FreezeLookup`.
- **The kernel's adapters**: :class:`MarketDataSource`, :class:`ExecutionVenue` (with
  :class:`VenueContext`) and :class:`Adapters`, the three things live, paper, the simulator and
  simulated runs differ in (the clock is :class:`alphastock.clock.Clock`).

A broker plays up to three roles, each a typed, async protocol:

- :class:`ExecutionClient`: orders — place, modify, cancel, the order book and its history, trades,
  the order-update stream (the OMS, the square-off's order-book read);
- :class:`AccountClient`: the account orders draw on — funds and margins, positions, holdings,
  charges (CashSync, the square-off, the end-of-session reconciliation);
- :class:`MarketDataClient`: quotes, historical candles and the instruments dump (the runners, the
  strategies' warm-up, the instrument store), itself the sum of :class:`QuoteSource`,
  :class:`HistoricalSource` and :class:`InstrumentSource` for consumers that need one call only.

:class:`TradingClient` is execution plus account (what the PaperBroker is), :class:`Broker` all three
(what the KiteBroker is; the simulator is reached through it). Each consumer names the narrowest role
it uses. What an execution client can do beyond the protocol is declared in its
:class:`BrokerCapabilities`, read by the OMS, never discovered with ``getattr``.

Every call is a coroutine: the engine runs one asyncio loop, and a broker doing blocking I/O (the
kiteconnect SDK) runs it in an executor. Arguments and answers are :mod:`alphastock.models` objects,
never raw dicts. Errors are :class:`~alphastock.brokers.errors.BrokerError` subclasses. Quantities are
units, prices rupees, timestamps UTC epoch ns; instruments in quote calls are
``"EXCHANGE:TRADINGSYMBOL"`` strings. Each docstring names what the KiteBroker maps the call to in the
official ``kiteconnect`` SDK (``KiteConnect`` methods) and Kite's REST route.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, runtime_checkable

from alphastock.clock import Clock

if TYPE_CHECKING:  # the concrete types only name what crosses the port
    from alphastock.events import Event
    from alphastock.feeds.kite_ws import FeedEvent
    from alphastock.ticks import TickStore

from alphastock.models import (
    Candle,
    ChargeBreakdown,
    ChargeOrder,
    Gtt,
    GttRequest,
    Holding,
    Instrument,
    Ltp,
    Margins,
    Ohlc,
    Order,
    OrderMargin,
    OrderRequest,
    OrderType,
    OrderUpdate,
    PositionsBook,
    Quote,
    SegmentMargin,
    Trade,
    Validity,
    Variety,
)

CandleInterval = Literal[
    "minute", "3minute", "5minute", "10minute", "15minute", "30minute", "60minute", "day"
]
"""Kite's historical candle intervals."""

MarginSegment = Literal["equity", "commodity"]
"""Kite's fund segments."""


class Placement(NamedTuple):
    """A placement a broker started synchronously (``place_order_now``): the awaitable of the order id,
    and the wall time (UTC epoch ns) at which the finished request was released to the broker's
    sender, taken just before the hand-over."""

    pending: Awaitable[str]
    released_ns: int


@dataclass(frozen=True, slots=True)
class BrokerCapabilities:
    """What an execution client does beyond the protocol's calls, declared by its class.

    The defaults are the conservative answer (a client that declares nothing is asked for nothing
    extra). Segments are Kite's instrument segments (``NSE``, ``NFO-OPT``, ``BFO-FUT``, ...).
    """

    streams_order_updates: bool = False
    """:meth:`ExecutionClient.order_updates` yields updates as they happen (Kite: the WebSocket's
    order messages; the PaperBroker: every state). Without it the OMS learns of changes from its
    periodic order-book reconciliation only, and does not consume the stream."""
    immediate_placement: bool = False
    """:meth:`ExecutionClient.place_order_now` can hand a placement to the broker on the caller's
    call (the OMS's hot path); without it that call always answers None and is not made."""
    market_protection: bool = False
    """MARKET and SL-M orders need ``market_protection`` (-1 or a percent in (0, 100]), as Kite's API
    since April 2026 (https://kite.trade/forum/discussion/15912)."""
    slm_refused_segments: frozenset[str] = frozenset()
    """Segments where SL-M orders are refused (use SL there); empty: SL-M accepted everywhere."""
    gtt: bool = False
    """The client is also a :class:`GttClient`: it places, modifies, deletes and lists GTT triggers at
    the broker (Kite's GTT calls; the KiteBroker, so also the simulator). Without it, protection that
    must outlive the engine uses resting orders (SL and LIMIT) instead; the PaperBroker declares none."""

    def supports_slm(self, segment: str) -> bool:
        """True when an SL-M order on an instrument of ``segment`` is accepted."""
        return segment not in self.slm_refused_segments


# ----- execution ----------------------------------------------------------------------------------


@runtime_checkable
class ExecutionClient(Protocol):
    """Orders: what the OMS and the square-off's order-book read use."""

    @property
    def capabilities(self) -> BrokerCapabilities:
        """What this client does beyond the protocol (see :class:`BrokerCapabilities`)."""
        ...

    async def place_order(self, request: OrderRequest) -> str:
        """Send a new order; return the broker's order id. A refused order may still get an id and
        end REJECTED (seen in :meth:`orders` and :meth:`order_updates`).

        Kite: ``place_order(variety, **request.to_kite())`` (``POST /orders/{variety}``).
        Raises :class:`~alphastock.brokers.errors.AmbiguousOrderOutcome` when the outcome is unknown.
        """
        ...

    def place_order_now(self, request: OrderRequest) -> Placement | None:
        """Start placing ``request`` on this call (the request handed to the broker before returning),
        or None when it cannot start now and :meth:`place_order` must be used. Always None unless
        :attr:`BrokerCapabilities.immediate_placement` is declared."""
        ...

    async def modify_order(
        self,
        order_id: str,
        *,
        variety: Variety = Variety.REGULAR,
        quantity: int | None = None,
        price: float | None = None,
        trigger_price: float | None = None,
        order_type: OrderType | None = None,
        validity: Validity | None = None,
        disclosed_quantity: int | None = None,
        market_protection: float | None = None,
    ) -> str:
        """Change an open order (``None`` leaves a field as is); return the order id.

        Kite: ``modify_order(variety, order_id, ...)`` (``PUT /orders/{variety}/{order_id}``).
        ``market_protection`` (-1 or a percent in (0, 100]) is required when a LIMIT or SL order
        becomes MARKET or SL-M (https://kite.trade/forum/discussion/comment/52331).
        """
        ...

    async def cancel_order(self, order_id: str, variety: Variety = Variety.REGULAR) -> str:
        """Cancel an open order; return the order id.

        Kite: ``cancel_order(variety, order_id)`` (``DELETE /orders/{variety}/{order_id}``).
        """
        ...

    async def orders(self) -> list[Order]:
        """Today's orders, latest state each. Kite: ``orders()`` (``GET /orders``)."""
        ...

    async def order_history(self, order_id: str) -> list[Order]:
        """Every state of one order, oldest first.

        Kite: ``order_history(order_id)`` (``GET /orders/{id}``).
        """
        ...

    async def trades(self) -> list[Trade]:
        """Today's executions. Kite: ``trades()`` (``GET /trades``)."""
        ...

    async def order_trades(self, order_id: str) -> list[Trade]:
        """Executions of one order. Kite: ``order_trades(order_id)`` (``GET /orders/{id}/trades``)."""
        ...

    def order_updates(self) -> AsyncIterator[OrderUpdate]:
        """A stream of order updates, from the moment of this call (see
        :attr:`BrokerCapabilities.streams_order_updates`).

        Kite: the WebSocket's ``order`` text messages (``KiteTicker.on_order_update``) or postbacks.
        """
        ...


# ----- GTT ----------------------------------------------------------------------------------------


@runtime_checkable
class GttClient(Protocol):
    """GTT (Good Till Triggered) triggers kept at the broker, for clients that declare
    :attr:`BrokerCapabilities.gtt`: a ``single`` trigger or a ``two-leg`` OCO (stop below and target
    above the last price) that places its LIMIT order when the last price crosses it, even when
    AlphaStock is not running. Kite allows them on F&O with NRML and on equity with CNC; an F&O GTT
    lives until its contract expires. Trigger ids are Kite's (ints); prices rupees, quantities units.
    """

    async def place_gtt(self, request: GttRequest) -> int:
        """Place a GTT; return its trigger id.

        Kite: ``place_gtt(trigger_type, tradingsymbol, exchange, trigger_values, last_price, orders)``
        (``POST /gtt/triggers``). Never retried: a failure whose outcome is unknown raises
        :class:`~alphastock.brokers.errors.BrokerError` and :meth:`gtts` tells whether it was placed.
        """
        ...

    async def modify_gtt(self, trigger_id: int, request: GttRequest) -> int:
        """Replace an active GTT's triggers and legs; return its trigger id.

        Kite: ``modify_gtt(trigger_id, trigger_type, ...)`` (``PUT /gtt/triggers/{id}``).
        """
        ...

    async def delete_gtt(self, trigger_id: int) -> int:
        """Delete an active GTT; return its trigger id. Kite: ``delete_gtt(trigger_id)``
        (``DELETE /gtt/triggers/{id}``)."""
        ...

    async def gtts(self) -> list[Gtt]:
        """Every GTT of the account's GTT book. Kite: ``get_gtts()`` (``GET /gtt/triggers``)."""
        ...

    async def gtt(self, trigger_id: int) -> Gtt:
        """One GTT, whatever its status. Kite: ``get_gtt(trigger_id)`` (``GET /gtt/triggers/{id}``)."""
        ...


# ----- account ------------------------------------------------------------------------------------


@runtime_checkable
class AccountClient(Protocol):
    """The account orders draw on: what CashSync, the square-off and the reconciliation read."""

    async def positions(self) -> PositionsBook:
        """Net and day positions. Kite: ``positions()`` (``GET /portfolio/positions``)."""
        ...

    async def holdings(self) -> list[Holding]:
        """Delivery holdings. Kite: ``holdings()`` (``GET /portfolio/holdings``)."""
        ...

    async def margins(self, segment: MarginSegment | None = None) -> Margins | SegmentMargin:
        """Funds: every segment (:class:`Margins`), or one (:class:`SegmentMargin`) when named.

        Kite: ``margins(segment)`` (``GET /user/margins[/{segment}]``).
        """
        ...

    async def order_margins(self, requests: Sequence[OrderRequest]) -> list[OrderMargin]:
        """Margin (and charges) each order would need.

        Kite: ``order_margins(params)`` (``POST /margins/orders``).
        """
        ...

    async def charges(self, orders: Sequence[ChargeOrder]) -> list[ChargeBreakdown]:
        """Charges of executed orders.

        Kite: ``get_virtual_contract_note(params)`` (``POST /charges/orders``).
        """
        ...


# ----- market data --------------------------------------------------------------------------------


@runtime_checkable
class QuoteSource(Protocol):
    """Snapshots of the market: what the runners read at start (``ohlc``) and while polling (``quote``)."""

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        """Full quotes with depth, keyed like the request. Kite: ``quote(instruments)`` (``GET /quote``)."""
        ...

    async def ohlc(self, instruments: Sequence[str]) -> dict[str, Ohlc]:
        """Last price and day OHLC. Kite: ``ohlc(instruments)`` (``GET /quote/ohlc``)."""
        ...

    async def ltp(self, instruments: Sequence[str]) -> dict[str, Ltp]:
        """Last traded prices. Kite: ``ltp(instruments)`` (``GET /quote/ltp``)."""
        ...


@runtime_checkable
class HistoricalSource(Protocol):
    """Historical candles: what the strategies' warm-up and ``alphastock data`` read."""

    async def historical(
        self,
        instrument_token: int,
        from_date: dt.datetime,
        to_date: dt.datetime,
        interval: CandleInterval,
        *,
        continuous: bool = False,
        oi: bool = False,
    ) -> list[Candle]:
        """Historical candles, oldest first. Kite: ``historical_data(instrument_token, from_date, to_date,
        interval, continuous, oi)`` (``GET /instruments/historical/{token}/{interval}``)."""
        ...


@runtime_checkable
class InstrumentSource(Protocol):
    """The instruments dump: what the instrument store downloads."""

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """The instruments dump, all or one exchange.

        Kite: ``instruments(exchange)`` (``GET /instruments``).
        """
        ...


@runtime_checkable
class MarketDataClient(QuoteSource, HistoricalSource, InstrumentSource, Protocol):
    """Market data: quotes, historical candles and the instruments dump."""


# ----- combinations -------------------------------------------------------------------------------


@runtime_checkable
class TradingClient(ExecutionClient, AccountClient, Protocol):
    """Orders and the account they draw on: what an execution adapter opens (PaperBroker, KiteBroker)."""


@runtime_checkable
class Broker(TradingClient, MarketDataClient, Protocol):
    """Every role (KiteBroker)."""


# ----------------------------------------------------------------------------------- market data


FeedSink = Callable[["FeedEvent"], object]
"""Where a feed reports what it saw: ticks stored (their tokens), connection changes, order updates."""


class Feed(Protocol):
    """A running market-data stream (the KiteFeed, a replay): it stores ticks in the TickStore it was
    opened on before it reports each batch to its :data:`FeedSink`."""

    stale: bool
    """No frame or heartbeat for a while (the runners' quote poller takes over)."""

    async def start(self) -> None:
        """Connect; returns once data can flow."""
        ...

    async def stop(self) -> None:
        """Disconnect; idempotent."""
        ...

    async def subscribe(self, tokens: Iterable[int], mode: str = "full") -> None:
        """Stream ``tokens`` in ``mode`` (``ltp``, ``quote`` or ``full``), or change their mode."""
        ...

    async def unsubscribe(self, tokens: Iterable[int]) -> None:
        """Stop streaming ``tokens``."""
        ...

    def status(self) -> dict[str, Any]:
        """Counters for the view."""
        ...


class LatestPrices(Protocol):
    """Anything with ``latest(token)`` returning a row whose ``last_price`` is rupees, or None before
    the first tick (the TickStore)."""

    def latest(self, token: int) -> Any: ...


# ----------------------------------------------------------------------------------- the bus


class Publisher(Protocol):
    """What publishers need of :class:`alphastock.bus.EventBus` (tests give a synchronous one)."""

    def publish_nowait(self, event: Event[Any]) -> bool:
        """Queue ``event`` for its subscribers; False when a queue had no room."""
        ...


# ----------------------------------------------------------------------------------- reference data


FreezeLookup = Callable[[str, str], "tuple[int, int] | None"]
"""``(exchange, tradingsymbol) -> (freeze quantity, lot size)`` in units, or None when none applies."""


# ----------------------------------------------------------------------------------- kernel adapters


class MarketDataSource(Protocol):
    """Where prices come from: a feed writing ticks into the engine's TickStore, and the market-data
    client behind it (instruments dump, candles, quotes)."""

    def open_client(self, freeze_lookup: FreezeLookup) -> MarketDataClient:
        """The market-data client (a KiteBroker; a static client for replays). ``freeze_lookup``
        answers freeze quantities once the day's dump is stored (the KiteBroker slices orders above
        them)."""
        ...

    def open_feed(self, ticks: TickStore, on_event: FeedSink, clock: Clock) -> Feed:
        """The feed, storing into ``ticks`` stamped on ``clock`` and reporting to ``on_event``."""
        ...


@dataclass(frozen=True, slots=True)
class VenueContext:
    """What an execution venue may build its client on: the engine's clock, its TickStore (the
    PaperBroker fills against the latest ticks), the day's instruments and the market-data client
    (the same KiteBroker carries orders when the venue is Kite)."""

    clock: Clock
    ticks: TickStore
    instruments: tuple[Instrument, ...]
    market_client: MarketDataClient


class ExecutionVenue(Protocol):
    """Where orders go."""

    def open_client(self, context: VenueContext) -> TradingClient:
        """The execution client (orders and account)."""
        ...

    def order_update_sink(self, client: TradingClient) -> Callable[[dict[str, Any]], object] | None:
        """Where order updates that arrive on the market-data feed go (Kite sends them on the
        WebSocket: to ``client``), or None when the client streams its own (the PaperBroker)."""
        ...


@dataclass(frozen=True, slots=True)
class Adapters:
    """The three things live, paper, the simulator and simulated runs differ in (DESIGN.md §1): the
    engine's clock, its market-data source and its execution venue; ``label`` names the run."""

    clock: Clock
    market_data: MarketDataSource
    execution: ExecutionVenue
    label: str = "engine"


__all__ = [
    "AccountClient",
    "Adapters",
    "Broker",
    "BrokerCapabilities",
    "CandleInterval",
    "ExecutionClient",
    "ExecutionVenue",
    "Feed",
    "FeedSink",
    "FreezeLookup",
    "GttClient",
    "HistoricalSource",
    "InstrumentSource",
    "LatestPrices",
    "MarginSegment",
    "MarketDataClient",
    "MarketDataSource",
    "Placement",
    "Publisher",
    "QuoteSource",
    "TradingClient",
    "VenueContext",
]
