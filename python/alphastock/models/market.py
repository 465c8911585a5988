"""Market data snapshots from Kite's REST quote APIs and historical candles.

Prices are rupees, quantities and volumes units, timestamps UTC epoch ns.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field

from alphastock.models._base import KiteModel
from alphastock.models._time import kite_ts_to_ns, ts_fields_to_ns


class OhlcValues(KiteModel):
    """Open, high, low and close prices, rupees (the day's, in quotes)."""

    open: float
    high: float
    low: float
    close: float


class DepthLevel(KiteModel):
    """One market-depth level: price (rupees), quantity (units) and number of orders."""

    price: float
    quantity: int
    orders: int


class Depth(KiteModel):
    """Five best bids (``buy``) and offers (``sell``); empty levels have price 0."""

    buy: list[DepthLevel] = Field(default_factory=list)
    sell: list[DepthLevel] = Field(default_factory=list)


class Ltp(KiteModel):
    """``/quote/ltp`` entry: last traded price, rupees."""

    instrument_token: int
    last_price: float

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one value of the ``/quote/ltp`` mapping."""
        return cls.model_validate(data)


class Ohlc(KiteModel):
    """``/quote/ohlc`` entry: last price and the day's OHLC, rupees."""

    instrument_token: int
    last_price: float
    ohlc: OhlcValues

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one value of the ``/quote/ohlc`` mapping."""
        return cls.model_validate(data)


class Quote(KiteModel):
    """``/quote`` entry: full snapshot with five-level depth."""

    instrument_token: int
    timestamp: int | None = Field(None, description="UTC epoch ns")
    last_trade_time: int | None = Field(None, description="UTC epoch ns")
    last_price: float
    last_quantity: int = 0
    buy_quantity: int = Field(0, description="total pending buy quantity, units")
    sell_quantity: int = Field(0, description="total pending sell quantity, units")
    volume: int = 0
    average_price: float = 0.0
    oi: float = 0.0
    oi_day_high: float = 0.0
    oi_day_low: float = 0.0
    net_change: float = 0.0
    lower_circuit_limit: float = 0.0
    upper_circuit_limit: float = 0.0
    ohlc: OhlcValues
    depth: Depth = Field(default_factory=Depth)

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one value of the ``/quote`` mapping."""
        return cls.model_validate(ts_fields_to_ns(data, "timestamp", "last_trade_time"))

    @property
    def best_bid(self) -> DepthLevel | None:
        """The best bid with a positive price, or ``None`` when the bid side is empty."""
        return next((level for level in self.depth.buy if level.price > 0), None)

    @property
    def best_ask(self) -> DepthLevel | None:
        """The best offer with a positive price, or ``None`` when the offer side is empty."""
        return next((level for level in self.depth.sell if level.price > 0), None)


class Candle(KiteModel):
    """One historical candle: start time (UTC ns), OHLC (rupees), volume (units), open interest."""

    ts: int = Field(description="candle start, UTC epoch ns")
    open: float
    high: float
    low: float
    close: float
    volume: int
    oi: int | None = None

    @classmethod
    def from_kite(cls, data: list[Any] | tuple[Any, ...] | dict[str, Any]) -> Self:
        """Parse a raw candle row ``[ts, o, h, l, c, v(, oi)]`` or a kiteconnect dict (``date`` key)."""
        if isinstance(data, dict):
            fields = dict(data)
            fields["ts"] = kite_ts_to_ns(fields.pop("date", fields.get("ts")))
            return cls.model_validate(fields)
        row = list(data)
        if len(row) not in (6, 7):
            raise ValueError(f"a Kite candle has 6 or 7 values, got {len(row)}")
        names = ("ts", "open", "high", "low", "close", "volume", "oi")
        fields = dict(zip(names, row, strict=False))
        fields["ts"] = kite_ts_to_ns(fields["ts"])
        return cls.model_validate(fields)


__all__ = ["Candle", "Depth", "DepthLevel", "Ltp", "Ohlc", "OhlcValues", "Quote"]
