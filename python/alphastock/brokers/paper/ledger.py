"""Position bookkeeping for the PaperBroker: signed quantity, average price, realised P&L."""

from __future__ import annotations

from dataclasses import dataclass

from alphastock.models import Exchange, Position, Product


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
        realised = 0.0
        if self.quantity == 0 or (self.quantity > 0) == is_buy:
            total = abs(self.quantity) + quantity
            self.average_price = (self.average_price * abs(self.quantity) + price * quantity) / total
        else:
            closing = min(quantity, abs(self.quantity))
            direction = 1.0 if self.quantity > 0 else -1.0
            realised = (price - self.average_price) * closing * direction * self.multiplier
            if quantity > abs(self.quantity):
                self.average_price = price  # flipped: the rest opens at the fill price
            elif quantity == abs(self.quantity):
                self.average_price = 0.0
        self.quantity += signed
        self.realised += realised
        if self.last_price <= 0:
            self.last_price = price
        return realised

    @property
    def unrealised(self) -> float:
        """Open P&L marked to ``last_price``, rupees."""
        return (self.last_price - self.average_price) * self.quantity * self.multiplier

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
