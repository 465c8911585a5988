"""GTT (Good Till Triggered) triggers: what is asked for (:class:`GttRequest` with its :class:`GttLeg`\\ s)
and what Kite reports (:class:`Gtt`, its :class:`GttOrder` legs and their :class:`GttLegResult`).

Shapes are Kite Connect v3's (https://kite.trade/docs/connect/v3/gtt/; the kite-mocks
``gtt_get_order.json``): a ``single`` GTT has one trigger value and one order, a ``two-leg`` (OCO)
two of each — the lower trigger (a stop) fires order 0, the upper (a target) order 1. A GTT's orders
are LIMIT orders. Prices and trigger values are rupees per unit, quantities units (lots x lot size),
timestamps UTC epoch nanoseconds (Kite's IST strings converted by ``from_kite``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alphastock.models._base import KiteModel
from alphastock.models._time import ts_fields_to_ns
from alphastock.models.enums import Exchange, OrderType, Product, TransactionType


class GttType(StrEnum):
    """Kite's GTT types (``KiteConnect.GTT_TYPE_SINGLE`` / ``GTT_TYPE_OCO``)."""

    SINGLE = "single"
    TWO_LEG = "two-leg"


class GttStatus(StrEnum):
    """Kite's GTT statuses (``KiteConnect.GTT_STATUS_*``)."""

    ACTIVE = "active"
    TRIGGERED = "triggered"
    DISABLED = "disabled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    DELETED = "deleted"


class GttLeg(BaseModel):
    """One order of a GTT request, placed when its trigger fires (Kite: always LIMIT)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    transaction_type: TransactionType
    quantity: int = Field(gt=0, description="units (lots x lot size)")
    price: float = Field(gt=0.0, allow_inf_nan=False, description="limit price, rupees")
    product: Product = Field(description="NRML for F&O, CNC for equity (Kite refuses MIS)")
    order_type: OrderType = OrderType.LIMIT

    @field_validator("order_type")
    @classmethod
    def _limit_only(cls, value: OrderType) -> OrderType:
        if value != OrderType.LIMIT:
            raise ValueError("GTT orders are LIMIT orders")
        return value

    def to_kite(self) -> dict[str, Any]:
        """One entry of the SDK's ``orders`` argument."""
        return {
            "transaction_type": self.transaction_type.value,
            "quantity": self.quantity,
            "price": self.price,
            "product": self.product.value,
            "order_type": self.order_type.value,
        }


class GttRequest(BaseModel):
    """A GTT to place or to put in place of an active one (Kite ``place_gtt`` / ``modify_gtt``).

    ``trigger_values`` are rupees: one for ``single``; for ``two-leg`` the lower (stop, fires
    ``legs[0]``) then the upper (target, fires ``legs[1]``). ``last_price`` is the instrument's last
    price when the request is made, rupees (Kite reads a single trigger's direction from it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: GttType
    exchange: Exchange
    tradingsymbol: str = Field(min_length=1)
    trigger_values: tuple[float, ...] = Field(description="rupees; two-leg: (lower, upper)")
    last_price: float = Field(gt=0.0, allow_inf_nan=False, description="rupees")
    legs: tuple[GttLeg, ...]

    @model_validator(mode="after")
    def _shape(self) -> Self:
        count = 1 if self.type == GttType.SINGLE else 2
        if len(self.trigger_values) != count or len(self.legs) != count:
            raise ValueError(f"a {self.type.value} GTT has {count} trigger value(s) and {count} leg(s)")
        if any(not v > 0 for v in self.trigger_values):
            raise ValueError("trigger values must be positive")
        if self.type == GttType.TWO_LEG and not self.trigger_values[0] < self.trigger_values[1]:
            raise ValueError("a two-leg GTT's trigger values are (lower, upper)")
        return self

    def to_kite(self) -> dict[str, Any]:
        """Keyword arguments of the SDK's ``place_gtt`` (and, with ``trigger_id``, ``modify_gtt``)."""
        return {
            "trigger_type": self.type.value,
            "tradingsymbol": self.tradingsymbol,
            "exchange": self.exchange.value,
            "trigger_values": list(self.trigger_values),
            "last_price": self.last_price,
            "orders": [leg.to_kite() for leg in self.legs],
        }


class GttOrderResult(KiteModel):
    """What placing a fired leg's order gave: ``status`` ``success`` with the order id, or ``failed``
    with the reason (``order_id`` may then be empty)."""

    status: str
    order_id: str = ""
    rejection_reason: str = ""

    @field_validator("order_id", "rejection_reason", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return "" if value is None else str(value)


class GttLegResult(KiteModel):
    """A fired leg (``orders[].result``): the order sent and its outcome. Prices rupees, quantity
    units, ``timestamp`` UTC epoch ns."""

    exchange: Exchange
    tradingsymbol: str
    transaction_type: TransactionType
    product: Product
    order_type: OrderType
    quantity: int
    price: float
    validity: str = "DAY"
    triggered_at: float = Field(description="the last price that fired the leg, rupees")
    timestamp: int | None = None
    order_result: GttOrderResult | None = None

    @property
    def order_id(self) -> str | None:
        """The order the leg placed, or None when none was placed."""
        if self.order_result is None or not self.order_result.order_id:
            return None
        return self.order_result.order_id


class GttOrder(KiteModel):
    """One order of a reported GTT (``orders[]``): the leg, and ``result`` once it fired."""

    exchange: Exchange
    tradingsymbol: str
    transaction_type: TransactionType
    product: Product
    order_type: OrderType
    quantity: int = Field(description="units")
    price: float = Field(description="limit price, rupees")
    result: GttLegResult | None = None


class Gtt(KiteModel):
    """A GTT as Kite reports it (``get_gtt`` / ``get_gtts``): condition flattened, timestamps UTC ns."""

    trigger_id: int
    type: GttType
    status: GttStatus
    user_id: str = ""
    exchange: Exchange
    tradingsymbol: str
    instrument_token: int | None = None
    trigger_values: tuple[float, ...] = Field(description="rupees; two-leg: (lower, upper)")
    last_price: float = Field(description="the last price given at placement, rupees")
    orders: tuple[GttOrder, ...]
    created_at: int | None = None
    updated_at: int | None = None
    expires_at: int | None = None

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one GTT dict from Kite (``GET /gtt/triggers[/{id}]``; the SDK leaves it as JSON)."""
        condition = data.get("condition") or {}
        fields = ts_fields_to_ns(data, "created_at", "updated_at", "expires_at")
        orders = []
        for order in data.get("orders") or []:
            result = order.get("result")
            if result is not None:
                result = ts_fields_to_ns(result, "timestamp")
            orders.append({**order, "result": result})
        fields.update(
            trigger_id=data["id"],
            exchange=condition.get("exchange"),
            tradingsymbol=condition.get("tradingsymbol"),
            instrument_token=condition.get("instrument_token"),
            trigger_values=tuple(condition.get("trigger_values") or ()),
            last_price=condition.get("last_price"),
            orders=orders,
        )
        return cls.model_validate(fields)

    @property
    def fired(self) -> tuple[int, GttLegResult] | None:
        """``(leg index, result)`` of the leg that fired, or None while none has."""
        for index, order in enumerate(self.orders):
            if order.result is not None:
                return index, order.result
        return None


__all__ = [
    "Gtt",
    "GttLeg",
    "GttLegResult",
    "GttOrder",
    "GttOrderResult",
    "GttRequest",
    "GttStatus",
    "GttType",
]
