"""Instruments: one row of Kite's daily instruments dump (``/instruments`` CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from pydantic import Field

from alphastock.models._base import KiteModel
from alphastock.models._time import kite_date


class Instrument(KiteModel):
    """Every column of Kite's instruments dump, plus the exchange ``freeze_quantity`` (from config).

    Prices and ``strike`` are rupees; ``lot_size`` and ``freeze_quantity`` are units;
    ``expiry`` is the expiry date (``None`` for equities). ``instrument_type`` is kept
    as Kite's string (EQ, FUT, CE, PE, and a few others such as index types).
    """

    instrument_token: int
    exchange_token: int
    tradingsymbol: str
    name: str = ""
    last_price: float = 0.0
    expiry: dt.date | None = None
    strike: float = 0.0
    tick_size: float = Field(
        ge=0.0, description="rupees; 0 on index rows (segment INDICES), as Kite lists them"
    )
    lot_size: int = Field(ge=0, description="units; 0 on index rows (segment INDICES), as Kite lists them")
    instrument_type: str
    segment: str
    exchange: str
    freeze_quantity: int | None = Field(None, ge=1, description="exchange max units per order")

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse a CSV row (all strings) or a kiteconnect ``instruments()`` dict (typed values)."""
        fields = dict(data)
        fields["expiry"] = kite_date(fields.get("expiry"))
        if fields.get("freeze_quantity") in ("", None):
            fields.pop("freeze_quantity", None)
        if fields.get("name") is None:
            fields["name"] = ""
        return cls.model_validate(fields)

    @property
    def key(self) -> str:
        """``EXCHANGE:TRADINGSYMBOL``, the instrument's name in Kite's quote APIs."""
        return f"{self.exchange}:{self.tradingsymbol}"


__all__ = ["Instrument"]
