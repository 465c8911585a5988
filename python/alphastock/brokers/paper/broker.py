"""PaperBroker: the :class:`~alphastock.brokers.base.Broker` protocol with simulated fills.

The fill rules, statuses, charges and MIS square-off are described in
:mod:`alphastock.brokers.paper.matching`; positions, margins and funds live in
:mod:`alphastock.brokers.paper.state` (the margin model in
:mod:`alphastock.brokers.paper.settings`). This module adds the protocol's order,
portfolio and market-data calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

from alphastock.brokers.base import CandleInterval, MarginSegment
from alphastock.brokers.charges import charge_segment, compute_charges, compute_many
from alphastock.brokers.errors import BrokerDataError, InvalidInput, OrderRejected
from alphastock.brokers.paper.market import MarketSnapshot
from alphastock.brokers.paper.matching import PaperMatching
from alphastock.brokers.paper.working import GROUPS, SQUARE_OFF_TAG, UpdateStream
from alphastock.models import (
    Candle,
    ChargeBreakdown,
    ChargeOrder,
    Depth,
    DepthLevel,
    Holding,
    Instrument,
    Ltp,
    Margins,
    Ohlc,
    OhlcValues,
    Order,
    OrderMargin,
    OrderRequest,
    OrderStatus,
    OrderType,
    OrderUpdate,
    PositionsBook,
    Quote,
    SegmentMargin,
    Trade,
    Validity,
    Variety,
)

S = OrderStatus


class PaperBroker(PaperMatching):
    """A simulated broker (see the module doc). ``clock`` returns UTC epoch ns (``time.time_ns`` by
    default; a backtest passes its simulated clock). ``instruments`` give tick sizes, strikes and the
    ``EXCHANGE:SYMBOL`` names for quotes; ``multipliers`` map tokens to contract multipliers (MCX)."""

    # ----- the protocol: orders -------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> str:
        """Accept or reject ``request``; return its order id (a rejected order keeps its id)."""
        return self._place(request, self._clock(), internal=False)

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
        """Change quantity, price, trigger or type of an open order (validity and disclosed quantity
        are accepted and ignored by the simulation). As Kite, a LIMIT/SL order turned MARKET/SL-M needs
        ``market_protection``."""
        order = self._get(order_id)
        if order.status not in (S.OPEN, S.TRIGGER_PENDING):
            raise OrderRejected(f"Order cannot be modified as it is {order.status}.")
        if quantity is not None and quantity <= order.filled:
            raise InvalidInput(f"quantity {quantity} must exceed the filled quantity {order.filled}")
        new_type = order_type or order.order_type
        market_types = (OrderType.MARKET, OrderType.SLM)
        if new_type in market_types and order.order_type not in market_types and market_protection is None:
            raise InvalidInput(
                "Market orders without market protection are not allowed via API. "
                "Please set market protection or use a Limit order."
            )
        new_price = price if price is not None else order.price
        if new_type in (OrderType.LIMIT, OrderType.SL) and not new_price:
            raise InvalidInput(f"{new_type} order needs a price")
        now = self._clock()
        self._set(order, S.MODIFY_VALIDATION_PENDING, now)
        self._set(order, S.MODIFY_PENDING, now)
        order.quantity = quantity or order.quantity
        order.order_type = new_type
        order.price = new_price if new_type in (OrderType.LIMIT, OrderType.SL) else None
        order.trigger_price = trigger_price if trigger_price is not None else order.trigger_price
        order.modified = True
        self._set(order, S.MODIFIED, now)
        stop = new_type in (OrderType.SL, OrderType.SLM) and not order.triggered
        self._set(order, S.TRIGGER_PENDING if stop else S.OPEN, now)
        self._match({}, now, [order])
        return order_id

    async def cancel_order(self, order_id: str, variety: Variety = Variety.REGULAR) -> str:
        """Cancel what is left of an open order."""
        order = self._get(order_id)
        if order.status not in (S.OPEN, S.TRIGGER_PENDING):
            raise OrderRejected(f"Order cannot be cancelled as it is {order.status}.")
        self._cancel(order, self._clock(), None)
        return order_id

    async def orders(self) -> list[Order]:
        """Every order, latest state, in placement order."""
        return [order.history[-1] for order in self._orders.values()]

    async def order_history(self, order_id: str) -> list[Order]:
        """Every state of one order."""
        return list(self._get(order_id).history)

    async def trades(self) -> list[Trade]:
        """Every fill."""
        return list(self._trades)

    async def order_trades(self, order_id: str) -> list[Trade]:
        """Fills of one order."""
        self._get(order_id)
        return [trade for trade in self._trades if trade.order_id == order_id]

    def order_charges(self, order_id: str) -> ChargeBreakdown:
        """Charges booked for one order so far (zero before its first fill), rupees."""
        self._get(order_id)
        return self._order_charges.get(order_id, ChargeBreakdown())

    # ----- the protocol: portfolio, funds, charges ------------------------------------------------

    async def positions(self) -> PositionsBook:
        """Positions marked to the last price; paper has no overnight carry, so ``day`` equals ``net``."""
        self._mark()
        book = [pos.to_model() for pos in self._positions.values()]
        return PositionsBook(net=book, day=list(book))

    async def holdings(self) -> list[Holding]:
        """Always empty: paper trading keeps no demat holdings (CNC buys stay positions)."""
        return []

    async def margins(self, segment: MarginSegment | None = None) -> Margins | SegmentMargin:
        """One funds pool, reported as the equity segment (the commodity segment mirrors it)."""
        self._mark()
        used = self._used_margin()
        available = self.available_funds()
        realised = sum(p.realised for p in self._positions.values())
        unrealised = sum(p.unrealised for p in self._positions.values() if p.quantity)
        pool = SegmentMargin.model_validate(
            {
                "enabled": True,
                "net": available,
                "available": {
                    "cash": self.settings.starting_cash,
                    "opening_balance": self.settings.starting_cash,
                    "live_balance": available,
                },
                "utilised": {
                    "debits": used + self.total_charges,
                    "span": used,
                    "m2m_realised": realised,
                    "m2m_unrealised": unrealised,
                },
            }
        )
        if segment is not None:
            return pool
        return Margins(equity=pool, commodity=pool)

    async def order_margins(self, requests: Sequence[OrderRequest]) -> list[OrderMargin]:
        """Margin and charges each request would need under the paper margin model."""
        out: list[OrderMargin] = []
        for request in requests:
            token = request.instrument_token
            segment = charge_segment(
                request.exchange, request.tradingsymbol, request.product, self._kind(token)
            )
            snap = self.market.latest(token)
            side = (snap.ask if request.is_buy else snap.bid) if snap else 0.0
            ref = request.price or side or (snap.last_price if snap else 0.0) or request.trigger_price or 0.0
            total = self._order_margin(request, request.quantity, segment, ref)
            priced = ChargeOrder.for_request(
                request, request.quantity, ref, multiplier=self._multipliers.get(token, 1.0),
                instrument_type=self._kind(token),
            )  # fmt: skip
            charges = compute_charges(priced, self._rates)
            out.append(
                OrderMargin(
                    type="commodity" if GROUPS[request.exchange] == "commodity" else "equity",
                    tradingsymbol=request.tradingsymbol,
                    exchange=request.exchange.value,
                    span=total,
                    charges=charges,
                    total=total,
                )
            )
        return out

    async def charges(self, orders: Sequence[ChargeOrder]) -> list[ChargeBreakdown]:
        """Charges of executed orders at the configured rates."""
        return compute_many(list(orders), self._rates)

    # ----- the protocol: market data --------------------------------------------------------------

    def _snapshots(self, keys: Sequence[str]) -> dict[str, tuple[Instrument, MarketSnapshot]]:
        found: dict[str, tuple[Instrument, MarketSnapshot]] = {}
        for key in keys:
            instrument = self._by_key.get(key)
            snap = self.market.latest(instrument.instrument_token) if instrument else None
            if instrument is not None and snap is not None:
                found[key] = (instrument, snap)
        return found

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        """Quotes from the market view (top of book as depth level 1; unknown names left out)."""
        out: dict[str, Quote] = {}
        for key, (instrument, snap) in self._snapshots(instruments).items():
            price = snap.last_price
            out[key] = Quote(
                instrument_token=instrument.instrument_token,
                timestamp=snap.ts_ns or None,
                last_trade_time=snap.ts_ns or None,
                last_price=price,
                buy_quantity=snap.bid_qty,
                sell_quantity=snap.ask_qty,
                volume=snap.volume,
                oi=snap.oi,
                ohlc=OhlcValues(open=price, high=price, low=price, close=price),
                depth=Depth(
                    buy=[DepthLevel(price=snap.bid, quantity=snap.bid_qty, orders=1 if snap.bid else 0)],
                    sell=[DepthLevel(price=snap.ask, quantity=snap.ask_qty, orders=1 if snap.ask else 0)],
                ),
            )
        return out

    async def ohlc(self, instruments: Sequence[str]) -> dict[str, Ohlc]:
        """Last prices; the market view has no day OHLC, so all four equal the last price."""
        return {
            key: Ohlc(
                instrument_token=instrument.instrument_token,
                last_price=snap.last_price,
                ohlc=OhlcValues(
                    open=snap.last_price, high=snap.last_price, low=snap.last_price, close=snap.last_price
                ),
            )
            for key, (instrument, snap) in self._snapshots(instruments).items()
        }

    async def ltp(self, instruments: Sequence[str]) -> dict[str, Ltp]:
        """Last prices from the market view."""
        return {
            key: Ltp(instrument_token=instrument.instrument_token, last_price=snap.last_price)
            for key, (instrument, snap) in self._snapshots(instruments).items()
        }

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """The instruments the broker was given, all or one exchange."""
        return [i for i in self._instruments.values() if exchange is None or i.exchange == exchange]

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
        """Not served by the PaperBroker: read candles from the store (raises :class:`BrokerDataError`)."""
        raise BrokerDataError("the PaperBroker has no historical data; read candles from the store")

    def order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Every order-history entry from now on, as :class:`OrderUpdate` (call ``aclose()`` to stop)."""
        return UpdateStream(self._subscribers)


__all__ = ["SQUARE_OFF_TAG", "PaperBroker"]
