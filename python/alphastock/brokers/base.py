"""The broker protocol: one typed, async interface the engine uses for live and paper trading.

Every method is a coroutine: the engine runs one asyncio loop, and a broker doing
blocking I/O (the kiteconnect SDK) runs it in an executor. Arguments and answers
are :mod:`alphastock.models` objects, never raw dicts. Errors are
:class:`~alphastock.brokers.errors.BrokerError` subclasses.

For each method, the docstring names what the KiteBroker maps it to in the
official ``kiteconnect`` SDK (``KiteConnect`` methods) and Kite's REST route.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Literal, NamedTuple, Protocol, runtime_checkable

from alphastock.models import (
    Candle,
    ChargeBreakdown,
    ChargeOrder,
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


@runtime_checkable
class Broker(Protocol):
    """What every broker implements (KiteBroker, PaperBroker). Quantities are units, prices rupees,
    timestamps UTC epoch ns; instruments in quote calls are ``"EXCHANGE:TRADINGSYMBOL"`` strings."""

    async def place_order(self, request: OrderRequest) -> str:
        """Send a new order; return the broker's order id. A refused order may still get an id and
        end REJECTED (seen in :meth:`orders` and :meth:`order_updates`).

        Kite: ``place_order(variety, **request.to_kite())`` (``POST /orders/{variety}``).
        Raises :class:`~alphastock.brokers.errors.AmbiguousOrderOutcome` when the outcome is unknown.
        """
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

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        """Full quotes with depth, keyed like the request. Kite: ``quote(instruments)`` (``GET /quote``)."""
        ...

    async def ohlc(self, instruments: Sequence[str]) -> dict[str, Ohlc]:
        """Last price and day OHLC. Kite: ``ohlc(instruments)`` (``GET /quote/ohlc``)."""
        ...

    async def ltp(self, instruments: Sequence[str]) -> dict[str, Ltp]:
        """Last traded prices. Kite: ``ltp(instruments)`` (``GET /quote/ltp``)."""
        ...

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """The instruments dump, all or one exchange.

        Kite: ``instruments(exchange)`` (``GET /instruments``).
        """
        ...

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

    def order_updates(self) -> AsyncIterator[OrderUpdate]:
        """A stream of order updates, from the moment of this call.

        Kite: the WebSocket's ``order`` text messages (``KiteTicker.on_order_update``) or postbacks.
        """
        ...


__all__ = ["Broker", "CandleInterval", "MarginSegment", "Placement"]
