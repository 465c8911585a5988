"""Working-order state of the PaperBroker and its update stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from alphastock.brokers.charges import ChargeSegment
from alphastock.models import (
    Exchange,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    OrderUpdate,
    TransactionType,
)

S = OrderStatus
GROUPS: dict[Exchange, str] = {
    Exchange.NSE: "equity",
    Exchange.BSE: "equity",
    Exchange.NFO: "derivatives",
    Exchange.BFO: "derivatives",
    Exchange.CDS: "derivatives",
    Exchange.BCD: "derivatives",
    Exchange.MCX: "commodity",
    Exchange.NCO: "commodity",
}
SQUARE_OFF_TAG = "PAPER-SQUAREOFF"
"""Tag of the orders the square-off places."""


@dataclass
class WorkingOrder:
    """One order inside the PaperBroker: the request, its mutable state and its history."""

    request: OrderRequest
    order_id: str
    placed_ns: int
    active_ns: int
    segment: ChargeSegment
    multiplier: float
    tick: float
    order_type: OrderType
    quantity: int
    price: float | None
    trigger_price: float | None
    status: OrderStatus = S.PUT_ORDER_REQ_RECEIVED
    status_message: str | None = None
    exchange_order_id: str | None = None
    exchange_ns: int | None = None
    updated_ns: int | None = None
    filled: int = 0
    average_price: float = 0.0
    cancelled: int = 0
    modified: bool = False
    triggered: bool = False
    history: list[Order] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        """Units neither filled nor cancelled."""
        return self.quantity - self.filled - self.cancelled

    @property
    def is_buy(self) -> bool:
        """True for a BUY."""
        return self.request.transaction_type == TransactionType.BUY

    def snapshot(self) -> OrderUpdate:
        """The order as Kite would report it now."""
        r = self.request
        terminal_zero = self.status in (S.COMPLETE, S.REJECTED)
        return OrderUpdate(
            order_id=self.order_id,
            exchange_order_id=self.exchange_order_id,
            placed_by="PAPER",
            status=self.status,
            status_message=self.status_message,
            status_message_raw=self.status_message,
            order_timestamp=self.placed_ns,
            exchange_update_timestamp=self.updated_ns,
            exchange_timestamp=self.exchange_ns,
            variety=r.variety,
            modified=self.modified,
            exchange=r.exchange,
            tradingsymbol=r.tradingsymbol,
            instrument_token=r.instrument_token,
            order_type=self.order_type,
            transaction_type=r.transaction_type,
            validity=r.validity,
            validity_ttl=r.validity_ttl,
            product=r.product,
            quantity=self.quantity,
            disclosed_quantity=r.disclosed_quantity or 0,
            price=self.price or 0.0,
            trigger_price=self.trigger_price or 0.0,
            average_price=self.average_price,
            filled_quantity=self.filled,
            pending_quantity=0 if terminal_zero else self.quantity - self.filled,
            cancelled_quantity=self.cancelled,
            market_protection=r.market_protection or 0.0,
            tag=r.tag,
            tags=[r.tag],
            unfilled_quantity=self.quantity - self.filled,
        )


class UpdateStream:
    """One subscriber's queue of order updates; an async iterator."""

    def __init__(self, subscribers: list[UpdateStream]) -> None:
        self._queue: asyncio.Queue[OrderUpdate] = asyncio.Queue()
        self._subscribers = subscribers
        subscribers.append(self)

    def put(self, update: OrderUpdate) -> None:
        """Queue ``update`` for this subscriber."""
        self._queue.put_nowait(update)

    def __aiter__(self) -> UpdateStream:
        return self

    async def __anext__(self) -> OrderUpdate:
        return await self._queue.get()

    async def aclose(self) -> None:
        """Stop receiving updates."""
        if self in self._subscribers:
            self._subscribers.remove(self)


__all__ = ["GROUPS", "SQUARE_OFF_TAG", "UpdateStream", "WorkingOrder"]
