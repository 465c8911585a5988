"""Positions, holdings and margins as Kite reports them. Money in rupees, quantities in units."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field

from alphastock.models._base import KiteModel
from alphastock.models._time import ts_fields_to_ns
from alphastock.models.charges import ChargeBreakdown
from alphastock.models.enums import Exchange, Product


class Position(KiteModel):
    """One position (``positions.json``): signed ``quantity`` (negative = short), P&L in rupees.

    ``pnl = realised + unrealised`` (marked to ``last_price``); ``m2m`` is marked to
    the previous close. ``multiplier`` scales price x quantity into rupees (MCX lots).
    """

    tradingsymbol: str
    exchange: Exchange
    instrument_token: int
    product: Product
    quantity: int
    overnight_quantity: int = 0
    multiplier: float = 1.0
    average_price: float = 0.0
    close_price: float = 0.0
    last_price: float = 0.0
    value: float = 0.0
    pnl: float = 0.0
    m2m: float = 0.0
    unrealised: float = 0.0
    realised: float = 0.0
    buy_quantity: int = 0
    buy_price: float = 0.0
    buy_value: float = 0.0
    buy_m2m: float = 0.0
    sell_quantity: int = 0
    sell_price: float = 0.0
    sell_value: float = 0.0
    sell_m2m: float = 0.0
    day_buy_quantity: int = 0
    day_buy_price: float = 0.0
    day_buy_value: float = 0.0
    day_sell_quantity: int = 0
    day_sell_price: float = 0.0
    day_sell_value: float = 0.0

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one entry of ``positions()['net']`` or ``['day']``."""
        return cls.model_validate(data)


class PositionsBook(KiteModel):
    """Kite's two position views: ``net`` (carried + today) and ``day`` (today's trades only)."""

    net: list[Position] = Field(default_factory=list)
    day: list[Position] = Field(default_factory=list)

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse the ``data`` object of ``/portfolio/positions``."""
        return cls(
            net=[Position.from_kite(item) for item in data.get("net", [])],
            day=[Position.from_kite(item) for item in data.get("day", [])],
        )


class HoldingMtf(KiteModel):
    """Margin-trading-facility part of a holding."""

    quantity: int = 0
    used_quantity: int = 0
    average_price: float = 0.0
    value: float = 0.0
    initial_margin: float = 0.0


class Holding(KiteModel):
    """One delivery holding (``holdings.json``)."""

    tradingsymbol: str
    exchange: Exchange
    instrument_token: int
    isin: str = ""
    product: Product = Product.CNC
    price: float = 0.0
    quantity: int
    used_quantity: int = 0
    t1_quantity: int = 0
    realised_quantity: int = 0
    authorised_quantity: int = 0
    authorised_date: int | None = Field(None, description="UTC epoch ns")
    authorisation: dict[str, Any] = Field(default_factory=dict)
    opening_quantity: int = 0
    short_quantity: int = 0
    collateral_quantity: int = 0
    collateral_type: str = ""
    discrepancy: bool = False
    average_price: float = 0.0
    last_price: float = 0.0
    close_price: float = 0.0
    pnl: float = 0.0
    day_change: float = 0.0
    day_change_percentage: float = 0.0
    mtf: HoldingMtf | None = None

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one entry of ``/portfolio/holdings``."""
        return cls.model_validate(ts_fields_to_ns(data, "authorised_date"))


class AvailableMargin(KiteModel):
    """Funds available in a segment, rupees."""

    adhoc_margin: float = 0.0
    cash: float = 0.0
    opening_balance: float = 0.0
    live_balance: float = 0.0
    collateral: float = 0.0
    intraday_payin: float = 0.0


class UtilisedMargin(KiteModel):
    """Funds used in a segment, rupees."""

    debits: float = 0.0
    exposure: float = 0.0
    m2m_realised: float = 0.0
    m2m_unrealised: float = 0.0
    option_premium: float = 0.0
    payout: float = 0.0
    span: float = 0.0
    holding_sales: float = 0.0
    turnover: float = 0.0
    liquid_collateral: float = 0.0
    stock_collateral: float = 0.0
    delivery: float = 0.0


class SegmentMargin(KiteModel):
    """One segment's funds (``margins_equity.json``): ``net`` rupees available to trade."""

    enabled: bool = True
    net: float
    available: AvailableMargin = Field(default_factory=AvailableMargin)
    utilised: UtilisedMargin = Field(default_factory=UtilisedMargin)

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse ``/user/margins/{segment}``."""
        return cls.model_validate(data)


class Margins(KiteModel):
    """Funds per segment (``margins.json``); a segment Kite left out is ``None``."""

    equity: SegmentMargin | None = None
    commodity: SegmentMargin | None = None

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse ``/user/margins``."""
        return cls.model_validate(data)


class MarginPnl(KiteModel):
    """Realised and unrealised P&L inside an order-margin answer, rupees."""

    realised: float = 0.0
    unrealised: float = 0.0


class OrderMargin(KiteModel):
    """Margin an order needs (``order_margins.json``), rupees; ``total`` is what blocks funds."""

    type: str = ""
    tradingsymbol: str = ""
    exchange: str = ""
    span: float = 0.0
    exposure: float = 0.0
    option_premium: float = 0.0
    additional: float = 0.0
    bo: float = 0.0
    cash: float = 0.0
    var: float = 0.0
    pnl: MarginPnl = Field(default_factory=MarginPnl)
    leverage: float = 1.0
    charges: ChargeBreakdown = Field(default_factory=lambda: ChargeBreakdown())
    total: float

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one entry of ``/margins/orders``."""
        return cls.model_validate(data)


__all__ = [
    "AvailableMargin",
    "Holding",
    "HoldingMtf",
    "MarginPnl",
    "Margins",
    "OrderMargin",
    "Position",
    "PositionsBook",
    "SegmentMargin",
    "UtilisedMargin",
]
