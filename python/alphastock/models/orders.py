"""Orders: what the OMS asks for (:class:`OrderRequest`), what the broker reports (:class:`Order`,
:class:`OrderUpdate`) and what executed (:class:`Trade`, alias :data:`Fill`).

Prices are rupees per unit, quantities are units (lots x lot size; for MCX Kite
counts lots), timestamps are UTC epoch nanoseconds (``int``), parsed from Kite's
IST strings by ``from_kite``; :func:`alphastock.models.ns_to_datetime` turns them back.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alphastock.models._base import KiteModel
from alphastock.models._time import ts_fields_to_ns
from alphastock.models.enums import (
    Exchange,
    OrderStatus,
    OrderType,
    Product,
    TransactionType,
    Validity,
    Variety,
)

TAG_MAX_LENGTH = 20
"""Kite accepts tags of at most 20 characters."""

_ORDER_TIMESTAMPS = ("order_timestamp", "exchange_update_timestamp", "exchange_timestamp")


class OrderRequest(BaseModel):
    """A new order as the OMS sends it to a broker (Kite ``place_order`` parameters).

    ``tag`` is the OMS idempotency key (Kite has no client order id): required,
    1-20 characters, persisted before the order is sent. MARKET and SL-M orders
    need ``market_protection`` (SEBI 2026 retail algo rules): a percentage in
    (0, 100], or -1 for the broker's automatic protection.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tag: str = Field(min_length=1, max_length=TAG_MAX_LENGTH, description="OMS idempotency key")
    exchange: Exchange
    tradingsymbol: str = Field(min_length=1)
    instrument_token: int = Field(ge=0, description="Kite instrument token (market data lookups)")
    transaction_type: TransactionType
    quantity: int = Field(gt=0, description="units (MCX: lots, as Kite counts them)")
    product: Product
    order_type: OrderType
    variety: Variety = Variety.REGULAR
    price: float | None = Field(None, gt=0.0, allow_inf_nan=False, description="limit price, rupees")
    trigger_price: float | None = Field(None, gt=0.0, allow_inf_nan=False, description="rupees")
    validity: Validity = Validity.DAY
    validity_ttl: int | None = Field(None, ge=1, description="minutes, for validity TTL")
    market_protection: float | None = Field(
        None, description="percent in (0, 100], or -1 for automatic; required for MARKET and SL-M"
    )
    disclosed_quantity: int | None = Field(None, ge=0, description="units")
    iceberg_legs: int | None = Field(None, ge=2, le=50)
    iceberg_quantity: int | None = Field(None, ge=1, description="units per leg")
    auction_number: str | None = None
    autoslice: bool = Field(False, description="let Kite slice an order above the freeze quantity")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        kind = self.order_type
        if kind in (OrderType.LIMIT, OrderType.SL) and self.price is None:
            raise ValueError(f"{kind} order needs a price")
        if kind in (OrderType.MARKET, OrderType.SLM) and self.price is not None:
            raise ValueError(f"{kind} order takes no price")
        if kind in (OrderType.SL, OrderType.SLM) and self.trigger_price is None:
            raise ValueError(f"{kind} order needs a trigger_price")
        if kind in (OrderType.MARKET, OrderType.LIMIT) and self.trigger_price is not None:
            raise ValueError(f"{kind} order takes no trigger_price")
        if kind in (OrderType.MARKET, OrderType.SLM):
            protection = self.market_protection
            if protection is None:
                raise ValueError(f"{kind} order needs market_protection (SEBI retail algo rules)")
            if not (protection == -1 or 0 < protection <= 100):
                raise ValueError("market_protection must be in (0, 100] percent, or -1 for automatic")
        if self.validity == Validity.TTL and self.validity_ttl is None:
            raise ValueError("validity TTL needs validity_ttl (minutes)")
        if self.variety == Variety.ICEBERG and (self.iceberg_legs is None or self.iceberg_quantity is None):
            raise ValueError("iceberg order needs iceberg_legs and iceberg_quantity")
        if self.variety == Variety.AUCTION and self.auction_number is None:
            raise ValueError("auction order needs auction_number")
        return self

    @property
    def is_buy(self) -> bool:
        """True for a BUY."""
        return self.transaction_type == TransactionType.BUY

    def to_kite(self) -> dict[str, Any]:
        """Keyword arguments for kiteconnect's ``KiteConnect.place_order`` (unset options left out)."""
        out: dict[str, Any] = {
            "variety": self.variety.value,
            "exchange": self.exchange.value,
            "tradingsymbol": self.tradingsymbol,
            "transaction_type": self.transaction_type.value,
            "quantity": self.quantity,
            "product": self.product.value,
            "order_type": self.order_type.value,
            "validity": self.validity.value,
            "tag": self.tag,
        }
        optional = {
            "price": self.price,
            "trigger_price": self.trigger_price,
            "validity_ttl": self.validity_ttl,
            "market_protection": self.market_protection,
            "disclosed_quantity": self.disclosed_quantity,
            "iceberg_legs": self.iceberg_legs,
            "iceberg_quantity": self.iceberg_quantity,
            "auction_number": self.auction_number,
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        if self.autoslice:
            out["autoslice"] = True
        return out

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> OrderRequest:
        """Parse ``place_order`` parameters (``instrument_token`` must be present; Kite does not need it)."""
        known = {key: value for key, value in data.items() if key in cls.model_fields}
        return cls.model_validate(known)


class Order(KiteModel):
    """One order as Kite's order book, order history and postbacks report it (``orders.json``).

    Timestamps are UTC epoch ns; ``price``/``trigger_price``/``average_price`` are
    rupees (0 when not applicable, as Kite writes them); quantities are units.
    """

    order_id: str
    exchange_order_id: str | None = None
    parent_order_id: str | None = None
    placed_by: str | None = None
    account_id: str | None = None
    status: OrderStatus
    status_message: str | None = None
    status_message_raw: str | None = None
    order_timestamp: int | None = Field(None, description="UTC epoch ns")
    exchange_update_timestamp: int | None = Field(None, description="UTC epoch ns")
    exchange_timestamp: int | None = Field(None, description="UTC epoch ns")
    variety: Variety
    modified: bool = False
    exchange: Exchange
    tradingsymbol: str
    instrument_token: int
    order_type: OrderType
    transaction_type: TransactionType
    validity: Validity
    validity_ttl: int | None = None
    product: Product
    quantity: int
    disclosed_quantity: int = 0
    price: float = 0.0
    trigger_price: float = 0.0
    average_price: float = 0.0
    filled_quantity: int = 0
    pending_quantity: int = 0
    cancelled_quantity: int = 0
    market_protection: float = 0.0
    auction_number: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tag: str | None = None
    tags: list[str] = Field(default_factory=list)
    guid: str | None = None

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one order dict from Kite (REST JSON, or the kiteconnect SDK with datetime timestamps)."""
        fields = ts_fields_to_ns(data, *_ORDER_TIMESTAMPS)
        if fields.get("tags") is None:
            fields.pop("tags", None)
        if fields.get("meta") is None:
            fields.pop("meta", None)
        return cls.model_validate(fields)


class OrderUpdate(Order):
    """An order update as Kite pushes it (postback / WebSocket text frame; ``postback.json``)."""

    user_id: str | None = None
    unfilled_quantity: int = 0
    app_id: int | None = None
    checksum: str | None = None


class Trade(KiteModel):
    """One execution (``trades.json``): ``quantity`` units filled at ``average_price`` rupees.

    Kite's ``order_timestamp`` here is a bare time (``"09:16:39"``); it is dated with
    the fill's date before conversion to UTC ns.
    """

    trade_id: str
    order_id: str
    exchange_order_id: str | None = None
    exchange: Exchange
    tradingsymbol: str
    instrument_token: int
    product: Product
    transaction_type: TransactionType
    average_price: float
    quantity: int
    fill_timestamp: int | None = Field(None, description="UTC epoch ns")
    order_timestamp: int | None = Field(None, description="UTC epoch ns")
    exchange_timestamp: int | None = Field(None, description="UTC epoch ns")

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one trade dict from Kite's ``/trades`` or ``/orders/{id}/trades``."""
        fields = dict(data)
        order_ts = fields.get("order_timestamp")
        if isinstance(order_ts, str) and len(order_ts.strip()) <= 8:
            day_source = fields.get("fill_timestamp") or fields.get("exchange_timestamp")
            day = str(day_source)[:10] if day_source else None
            fields["order_timestamp"] = f"{day} {order_ts.strip()}" if day else None
        fields = ts_fields_to_ns(fields, "fill_timestamp", "order_timestamp", "exchange_timestamp")
        return cls.model_validate(fields)

    @property
    def value(self) -> float:
        """Traded value, rupees (``average_price * quantity``)."""
        return self.average_price * self.quantity


Fill = Trade
"""A fill is a :class:`Trade` (Kite calls executions trades)."""

__all__ = ["TAG_MAX_LENGTH", "Fill", "Order", "OrderRequest", "OrderUpdate", "Trade"]
