"""PaperBroker: the execution and account roles (:class:`~alphastock.ports.TradingClient`) with
simulated fills.

The fill rules, statuses, charges and MIS square-off are described in
:mod:`alphastock.brokers.paper.matching`; positions, margins and funds live in
:mod:`alphastock.brokers.paper.state` (the margin model in
:mod:`alphastock.brokers.paper.settings`). This module adds the protocols' order,
portfolio and funds calls. It serves no market data: prices come from the market view it fills
against, candles and the instruments dump from the run's market-data client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from alphastock.brokers.charges import charge_segment, compute_charges, compute_many
from alphastock.brokers.errors import InvalidInput, OrderRejected
from alphastock.brokers.paper.matching import PaperMatching
from alphastock.brokers.paper.working import GROUPS, SQUARE_OFF_TAG, UpdateStream
from alphastock.models import (
    ChargeBreakdown,
    ChargeOrder,
    Holding,
    Margins,
    Order,
    OrderMargin,
    OrderRequest,
    OrderStatus,
    OrderType,
    OrderUpdate,
    PositionsBook,
    SegmentMargin,
    Trade,
    Validity,
    Variety,
)
from alphastock.ports import BrokerCapabilities, MarginSegment, Placement
from alphastock.refdata.multipliers import UnknownMultiplierError

S = OrderStatus

PAPER_CAPABILITIES = BrokerCapabilities(
    streams_order_updates=True,
    immediate_placement=False,
    market_protection=False,  # placed without it (a modification into MARKET/SL-M needs it, as Kite)
    slm_refused_segments=frozenset(),  # the simulation fills SL-M anywhere
    gtt=False,
)
"""What the PaperBroker declares (every order state is published on :meth:`PaperBroker.order_updates`)."""


class PaperBroker(PaperMatching):
    """A simulated broker (see the module doc). ``clock`` returns UTC epoch ns (``time.time_ns`` by
    default; a backtest passes its simulated clock). ``instruments`` give tick sizes, strikes and
    instrument kinds; ``multipliers`` map tokens to contract multipliers (MCX)."""

    capabilities = PAPER_CAPABILITIES

    # ----- the protocol: orders -------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> str:
        """Accept or reject ``request``; return its order id (a rejected order keeps its id)."""
        return self._place(request, self._clock(), internal=False)

    def place_order_now(self, request: OrderRequest) -> Placement | None:
        """None: placements go through :meth:`place_order` (no immediate placement declared)."""
        return None

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
            try:
                total = self._order_margin(request, request.quantity, segment, ref)
                multiplier = self._multiplier(request)
            except UnknownMultiplierError as exc:
                raise InvalidInput(str(exc)) from exc
            priced = ChargeOrder.for_request(
                request, request.quantity, ref, multiplier=multiplier, instrument_type=self._kind(token),
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

    def order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Every order-history entry from now on, as :class:`OrderUpdate` (call ``aclose()`` to stop)."""
        return UpdateStream(self._subscribers)


__all__ = ["PAPER_CAPABILITIES", "SQUARE_OFF_TAG", "PaperBroker"]
