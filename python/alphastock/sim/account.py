"""One trading account in the simulator: trades, positions, holdings and a simple margin model.

Margin model (documented approximation of Zerodha's SPAN + exposure figures):
equity intraday (MIS) 20% of notional, delivery (CNC) buys 100%; futures 12% of
notional (reported as 9% span + 3% exposure); option buys the premium; option
sells 12% of the underlying future's notional. An order that only reduces an
open position needs no margin. Rupees throughout: notional and values are
``price x quantity x multiplier``, the instrument's contract multiplier (an MCX
future's quantity counts lots, as on Kite; 1 elsewhere), and a position reports
its ``multiplier`` as Kite's positions API does (``tests/data/kite-mocks/positions.json``:
LEADMINI ``quantity`` 1, ``multiplier`` 1000, ``buy_value`` = 161.05 x 1 x 1000).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alphastock.sim.instruments import Instrument

INTRADAY_EQUITY = 0.20
FUTURES = 0.12
SPAN_SHARE = 0.75  # of the futures margin reported as span; the rest is exposure


@dataclass(slots=True)
class Trade:
    """One fill of an order at one price."""

    trade_id: str
    order_id: str
    exchange_order_id: str
    instrument: Instrument
    product: str
    transaction_type: str
    quantity: int
    price: float
    timestamp: str  # IST "YYYY-MM-DD HH:MM:SS"

    def to_kite(self) -> dict[str, Any]:
        """The trade as ``GET /trades`` returns it."""
        return {
            "trade_id": self.trade_id,
            "order_id": self.order_id,
            "exchange": self.instrument.exchange,
            "tradingsymbol": self.instrument.tradingsymbol,
            "instrument_token": self.instrument.instrument_token,
            "product": self.product,
            "average_price": self.price,
            "quantity": self.quantity,
            "exchange_order_id": self.exchange_order_id,
            "transaction_type": self.transaction_type,
            "fill_timestamp": self.timestamp,
            "order_timestamp": self.timestamp[11:],
            "exchange_timestamp": self.timestamp,
        }


@dataclass(slots=True)
class Position:
    """Day position in one instrument and product (the simulator starts each day flat). Values are
    rupees (price x quantity x multiplier); prices are per unit of the quotation."""

    instrument: Instrument
    product: str
    buy_quantity: int = 0
    buy_value: float = 0.0
    sell_quantity: int = 0
    sell_value: float = 0.0

    @property
    def quantity(self) -> int:
        """Net quantity as Kite counts it (units; lots on MCX), negative = short."""
        return self.buy_quantity - self.sell_quantity

    @property
    def multiplier(self) -> float:
        """Rupees per (price x quantity): the instrument's contract multiplier."""
        return self.instrument.multiplier

    def average_price(self) -> float:
        """Average price of the open side, rupees per quotation unit (0 when flat)."""
        q = self.quantity
        if q > 0:
            return self.buy_value / (self.buy_quantity * self.multiplier)
        if q < 0:
            return self.sell_value / (self.sell_quantity * self.multiplier)
        return 0.0

    def realised(self) -> float:
        """Profit booked on the closed quantity, rupees."""
        closed = min(self.buy_quantity, self.sell_quantity)
        if closed == 0:
            return 0.0
        return closed * (self.sell_value / self.sell_quantity - self.buy_value / self.buy_quantity)

    def pnl(self, last_price: float) -> float:
        """Realised plus open P&L at ``last_price``, rupees (Kite's ``pnl``)."""
        return self.sell_value - self.buy_value + self.quantity * last_price * self.multiplier

    def to_kite(self, last_price: float, close_price: float) -> dict[str, Any]:
        """The position as ``GET /portfolio/positions`` returns it."""
        q, m = self.quantity, self.multiplier
        pnl = self.pnl(last_price)
        realised = self.realised()
        buy_price = self.buy_value / (self.buy_quantity * m) if self.buy_quantity else 0.0
        sell_price = self.sell_value / (self.sell_quantity * m) if self.sell_quantity else 0.0
        return {
            "tradingsymbol": self.instrument.tradingsymbol,
            "exchange": self.instrument.exchange,
            "instrument_token": self.instrument.instrument_token,
            "product": self.product,
            "quantity": q,
            "overnight_quantity": 0,
            "multiplier": m,
            "average_price": round(self.average_price(), 4),
            "close_price": close_price,
            "last_price": last_price,
            "value": round(self.sell_value - self.buy_value, 4),
            "pnl": round(pnl, 4),
            "m2m": round(pnl, 4),
            "unrealised": round(pnl - realised, 4),
            "realised": round(realised, 4),
            "buy_quantity": self.buy_quantity,
            "buy_price": round(buy_price, 4),
            "buy_value": round(self.buy_value, 4),
            "buy_m2m": round(self.buy_value, 4),
            "sell_quantity": self.sell_quantity,
            "sell_price": round(sell_price, 4),
            "sell_value": round(self.sell_value, 4),
            "sell_m2m": round(self.sell_value, 4),
            "day_buy_quantity": self.buy_quantity,
            "day_buy_price": round(buy_price, 4),
            "day_buy_value": round(self.buy_value, 4),
            "day_sell_quantity": self.sell_quantity,
            "day_sell_price": round(sell_price, 4),
            "day_sell_value": round(self.sell_value, 4),
        }


def segment_of(instrument: Instrument) -> str:
    """Kite's margin segment: ``commodity`` for MCX, ``equity`` otherwise."""
    return "commodity" if instrument.exchange == "MCX" else "equity"


def margin_parts(instrument: Instrument, product: str, side: str, quantity: int, price: float,
                 underlying_price: float) -> dict[str, float]:  # fmt: skip
    """Margin of a new exposure of ``quantity`` at ``price``: span, exposure, option premium, var (rupees:
    price x quantity x the instrument's multiplier)."""
    notional = quantity * price * instrument.multiplier
    parts = {"span": 0.0, "exposure": 0.0, "option_premium": 0.0, "var": 0.0}
    if instrument.instrument_type == "EQ":
        parts["var"] = notional * (INTRADAY_EQUITY if product == "MIS" else 1.0)
    elif instrument.instrument_type == "FUT":
        parts["span"] = notional * FUTURES * SPAN_SHARE
        parts["exposure"] = notional * FUTURES * (1 - SPAN_SHARE)
    elif side == "BUY":
        parts["option_premium"] = notional
    else:
        base = quantity * underlying_price * instrument.multiplier * FUTURES
        parts["span"] = base * SPAN_SHARE
        parts["exposure"] = base * (1 - SPAN_SHARE)
    return parts


@dataclass
class Account:
    """Cash, trades, positions and holdings of the simulated user."""

    opening_cash: float
    holdings: list[tuple[Instrument, int, float]] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    positions: dict[tuple[int, str], Position] = field(default_factory=dict)

    def position(self, instrument: Instrument, product: str) -> Position:
        """The (possibly new, flat) position of ``instrument`` in ``product``."""
        key = (instrument.instrument_token, product)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = Position(instrument, product)
        return pos

    def book(self, trade: Trade) -> None:
        """Record a fill and update the position."""
        self.trades.append(trade)
        pos = self.position(trade.instrument, trade.product)
        value = trade.quantity * trade.price * trade.instrument.multiplier
        if trade.transaction_type == "BUY":
            pos.buy_quantity += trade.quantity
            pos.buy_value += value
        else:
            pos.sell_quantity += trade.quantity
            pos.sell_value += value

    def exposure_quantity(self, instrument: Instrument, product: str, side: str, quantity: int) -> int:
        """Units of an order that add exposure (the rest closes an open position)."""
        pos = self.positions.get((instrument.instrument_token, product))
        net = pos.quantity if pos else 0
        if side == "BUY" and net < 0:
            return max(0, quantity + net)
        if side == "SELL" and net > 0:
            return max(0, quantity - net)
        return quantity


__all__ = ["Account", "Position", "Trade", "margin_parts", "segment_of"]
