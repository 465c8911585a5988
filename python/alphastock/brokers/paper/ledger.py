"""Position bookkeeping for the PaperBroker: Kite's position fields on top of the one position rule.

Average price, realised and unrealised P&L come from :mod:`alphastock.risk.position` (the rule the
Portfolio and the risk engine use); this module adds what Kite's positions payload carries besides:
buy/sell quantities and values (rupees, ``price x quantity x multiplier``) and the ``multiplier``.
"""

from __future__ import annotations

from dataclasses import dataclass

from alphastock.models import Exchange, Position, Product
from alphastock.risk.position import apply_fill, unrealised


@dataclass
class PositionState:
    """One (instrument, product) position. Money in rupees (price x quantity x multiplier)."""

    instrument_token: int
    exchange: Exchange
    tradingsymbol: str
    product: Product
    multiplier: float = 1.0
    quantity: int = 0
    average_price: float = 0.0
    realised: float = 0.0
    buy_quantity: int = 0
    buy_value: float = 0.0
    sell_quantity: int = 0
    sell_value: float = 0.0
    last_price: float = 0.0

    def apply(self, is_buy: bool, quantity: int, price: float) -> float:
        """Book a fill; return the P&L it realised (closing part only), rupees."""
        value = quantity * price * self.multiplier
        if is_buy:
            self.buy_quantity += quantity
            self.buy_value += value
        else:
            self.sell_quantity += quantity
            self.sell_value += value
        signed = quantity if is_buy else -quantity
        self.quantity, self.average_price, realised = apply_fill(
            self.quantity, self.average_price, signed, price, self.multiplier
        )
        self.realised += realised
        if self.last_price <= 0:
            self.last_price = price
        return realised

    @property
    def unrealised(self) -> float:
        """Open P&L marked to ``last_price``, rupees (0 when flat or unmarked)."""
        return unrealised(self.quantity, self.average_price, self.last_price, self.multiplier)

    def to_model(self) -> Position:
        """Kite's shape: ``value = sell_value - buy_value``, ``pnl = realised + unrealised``."""
        unrealised = self.unrealised if self.quantity else 0.0
        buy_price = self.buy_value / (self.buy_quantity * self.multiplier) if self.buy_quantity else 0.0
        sell_price = self.sell_value / (self.sell_quantity * self.multiplier) if self.sell_quantity else 0.0
        return Position(
            tradingsymbol=self.tradingsymbol,
            exchange=self.exchange,
            instrument_token=self.instrument_token,
            product=self.product,
            quantity=self.quantity,
            multiplier=self.multiplier,
            average_price=self.average_price,
            last_price=self.last_price,
            value=self.sell_value - self.buy_value,
            pnl=self.realised + unrealised,
            m2m=self.realised + unrealised,
            unrealised=unrealised,
            realised=self.realised,
            buy_quantity=self.buy_quantity,
            buy_price=buy_price,
            buy_value=self.buy_value,
            buy_m2m=self.buy_value,
            sell_quantity=self.sell_quantity,
            sell_price=sell_price,
            sell_value=self.sell_value,
            sell_m2m=self.sell_value,
            day_buy_quantity=self.buy_quantity,
            day_buy_price=buy_price,
            day_buy_value=self.buy_value,
            day_sell_quantity=self.sell_quantity,
            day_sell_price=sell_price,
            day_sell_value=self.sell_value,
        )


__all__ = ["PositionState"]
