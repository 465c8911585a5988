"""PaperBroker matching: placement checks, fills against the market, the MIS square-off.

Orders fill against a :class:`~alphastock.brokers.paper.market.MarketView` (the
TickStore in the engine) when the engine calls :meth:`PaperBroker.on_market_update`
(after ticks) or :meth:`PaperBroker.poll`, or from the :meth:`PaperBroker.run` task:

- MARKET (and triggered SL-M): buys at the ask, sells at the bid, the last price when
  that side has no book; worse by ``slippage_bps`` and ``slippage_ticks``, rounded
  to the tick away from the trader;
- LIMIT (and triggered SL): a buy fills when the ask (else the last price) is at or
  below the limit, at that price (never worse than the limit); sells mirror it;
- SL/SL-M wait in TRIGGER PENDING until the last price reaches the trigger
  (buys: last >= trigger; sells: last <= trigger);
- with ``partial_fills`` each pass fills at most the top-of-book quantity (shared by
  all orders of that pass); the rest stays OPEN;
- an order can fill only ``latency_ns`` after placement on the injected clock (UTC ns),
  so a backtest with the same inputs gives the same fills; IOC orders cancel what
  their first chance did not fill.

Statuses follow Kite (PUT ORDER REQ RECEIVED, VALIDATION PENDING, OPEN PENDING, OPEN
or TRIGGER PENDING, then COMPLETE, CANCELLED or REJECTED; modifications pass
MODIFY VALIDATION PENDING, MODIFY PENDING, MODIFIED). Every history entry is also
published on :meth:`PaperBroker.order_updates`. Charges per order come from
:mod:`alphastock.brokers.charges` (booked per fill as the change of the order's
charges, so brokerage stays per executed order). MIS positions are squared off at
market at the configured IST times, and new MIS orders are then rejected.
Margins follow :mod:`alphastock.brokers.paper.settings`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from alphastock.brokers.charges import ChargeSegment, charge_segment, compute_charges
from alphastock.brokers.paper.market import MarketSnapshot
from alphastock.brokers.paper.state import PaperBrokerState
from alphastock.brokers.paper.working import GROUPS, SQUARE_OFF_TAG, WorkingOrder
from alphastock.models import (
    ChargeOrder,
    OrderRequest,
    OrderStatus,
    OrderType,
    Product,
    Trade,
    TransactionType,
    Validity,
)
from alphastock.models._time import ns_to_datetime
from alphastock.refdata.multipliers import UnknownMultiplierError
from alphastock.refdata.ticks import TickRounding, round_to_tick

S = OrderStatus


class PaperMatching(PaperBrokerState):
    """Placement, matching, fills and square-off of a :class:`~alphastock.brokers.paper.PaperBroker`."""

    # ----- placement ------------------------------------------------------------------------------

    def _place(self, request: OrderRequest, now: int, *, internal: bool) -> str:
        token = request.instrument_token
        segment = charge_segment(request.exchange, request.tradingsymbol, request.product, self._kind(token))
        try:
            multiplier, unpriced = self._multiplier(request), None
        except UnknownMultiplierError as exc:  # an MCX contract nobody can value: refused, never at 1
            multiplier, unpriced = 1.0, str(exc)
        order = WorkingOrder(
            request=request,
            order_id=self._new_id(),
            placed_ns=now,
            active_ns=now + self.settings.latency_ns,
            segment=segment,
            multiplier=multiplier,
            tick=self._tick(token),
            order_type=request.order_type,
            quantity=request.quantity,
            price=request.price,
            trigger_price=request.trigger_price,
        )
        self._orders[order.order_id] = order
        self._set(order, S.PUT_ORDER_REQ_RECEIVED, now)
        self._set(order, S.VALIDATION_PENDING, now)
        reason = unpriced or (None if internal else self._rejection(order, now))
        if reason is not None:
            self._set(order, S.REJECTED, now, reason)
            return order.order_id
        self._set(order, S.OPEN_PENDING, now)
        order.exchange_order_id = str(1_300_000_000_000_000 + self._next_id)
        order.exchange_ns = now
        pending = request.order_type in (OrderType.SL, OrderType.SLM)
        self._set(order, S.TRIGGER_PENDING if pending else S.OPEN, now)
        self._match({}, now, [order])
        return order.order_id

    def _rejection(self, order: WorkingOrder, now: int) -> str | None:
        request = order.request
        cutoff = self._cutoff(request.exchange)
        if request.product == Product.MIS and ns_to_datetime(now).time() >= cutoff:
            return f"MIS orders are blocked after the square-off time ({cutoff:%H:%M} IST)."
        snap = self.market.latest(request.instrument_token)
        if snap is None and request.price is None and request.trigger_price is None:
            return f"No market data for {request.exchange}:{request.tradingsymbol}."
        if order.segment == ChargeSegment.EQUITY_DELIVERY and not request.is_buy:
            held = self._positions.get((request.instrument_token, request.product))
            selling = sum(
                o.remaining
                for o in self._orders.values()
                if o is not order
                and o.request.instrument_token == request.instrument_token
                and o.request.product == request.product
                and not o.is_buy
                and o.status in (S.OPEN, S.TRIGGER_PENDING)
            )
            if held is None or held.quantity - selling < request.quantity:
                return f"Insufficient holdings of {request.tradingsymbol} to sell {request.quantity}."
        required = self._order_margin(request, request.quantity, order.segment, self._ref(order))
        available = self.available_funds()
        if required > available + 1e-9:
            return (
                f"Insufficient funds. Required margin is {required:.2f} but available margin is "
                f"{available:.2f}."
            )
        return None

    # ----- matching -------------------------------------------------------------------------------

    def on_market_update(self, tokens: Sequence[int] | None = None) -> None:
        """Match working orders (of ``tokens``, or all) against the market, then run the square-off."""
        now = self._clock()
        wanted = None if tokens is None else set(tokens)
        working = [
            o
            for o in self._orders.values()
            if o.status in (S.OPEN, S.TRIGGER_PENDING)
            and (wanted is None or o.request.instrument_token in wanted)
        ]
        self._match({}, now, working)
        self._square_off(now)

    def poll(self) -> None:
        """:meth:`on_market_update` for every instrument."""
        self.on_market_update(None)

    async def run(self, interval_s: float = 0.1) -> None:
        """Poll forever every ``interval_s`` seconds (run as an asyncio task; cancel it to stop)."""
        while True:
            self.poll()
            await asyncio.sleep(interval_s)

    def _match(self, used: dict[tuple[int, bool], int], now: int, orders: Sequence[WorkingOrder]) -> None:
        for order in orders:
            if order.status not in (S.OPEN, S.TRIGGER_PENDING) or now < order.active_ns:
                continue
            snap = self.market.latest(order.request.instrument_token)
            if snap is not None:
                self._match_one(order, snap, used, now)
            if order.request.validity == Validity.IOC and order.status == S.OPEN and order.remaining > 0:
                self._cancel(order, now, "IOC order cancelled: not filled immediately.")

    def _match_one(
        self, order: WorkingOrder, snap: MarketSnapshot, used: dict[tuple[int, bool], int], now: int
    ) -> None:
        buy = order.is_buy
        if order.status == S.TRIGGER_PENDING:
            trigger = order.trigger_price or 0.0
            hit = snap.last_price >= trigger if buy else snap.last_price <= trigger
            if not hit:
                return
            order.triggered = True
            self._set(order, S.OPEN, now)
        side_price = snap.ask if buy else snap.bid
        side_qty = snap.ask_qty if buy else snap.bid_qty
        base = side_price or snap.last_price
        if base <= 0:
            return
        if order.order_type in (OrderType.MARKET, OrderType.SLM):
            slip = base * self.settings.slippage_bps / 10_000.0 + self.settings.slippage_ticks * order.tick
            away = TickRounding.UP if buy else TickRounding.DOWN  # worse for the trader
            price = round_to_tick(base + slip if buy else base - slip, order.tick, away)
        else:
            limit = order.price or 0.0
            if (buy and base > limit + 1e-9) or (not buy and base < limit - 1e-9):
                return
            price = base
        quantity = order.remaining
        key = (order.request.instrument_token, buy)
        if self.settings.partial_fills and side_price > 0 and side_qty > 0:
            quantity = min(quantity, side_qty - used.get(key, 0))
            if quantity <= 0:
                return
            used[key] = used.get(key, 0) + quantity
        self._fill(order, quantity, price, now)

    def _fill(self, order: WorkingOrder, quantity: int, price: float, now: int) -> None:
        request = order.request
        order.average_price = (order.average_price * order.filled + price * quantity) / (
            order.filled + quantity
        )
        order.filled += quantity
        self._next_trade += 1
        self._trades.append(
            Trade(
                trade_id=str(50_000_000 + self._next_trade),
                order_id=order.order_id,
                exchange_order_id=order.exchange_order_id,
                exchange=request.exchange,
                tradingsymbol=request.tradingsymbol,
                instrument_token=request.instrument_token,
                product=request.product,
                transaction_type=request.transaction_type,
                average_price=price,
                quantity=quantity,
                fill_timestamp=now,
                order_timestamp=order.placed_ns,
                exchange_timestamp=now,
            )
        )
        self._position(request, order.multiplier).apply(order.is_buy, quantity, price)
        executed = ChargeOrder.for_request(
            request, order.filled, order.average_price, order_id=order.order_id,
            multiplier=order.multiplier, instrument_type=self._kind(request.instrument_token),
        )  # fmt: skip
        charges = compute_charges(executed, self._rates)
        previous = self._order_charges.get(order.order_id)
        self.total_charges += charges.total - (previous.total if previous else 0.0)
        self._order_charges[order.order_id] = charges
        self._set(order, S.COMPLETE if order.remaining == 0 else S.OPEN, now)

    # ----- square-off -----------------------------------------------------------------------------

    def _square_off(self, now: int) -> None:
        moment = ns_to_datetime(now)
        for group in ("equity", "derivatives", "commodity"):
            exchanges = [e for e, g in GROUPS.items() if g == group]
            if moment.time() < self._cutoff(exchanges[0]) or (moment.date(), group) in self._squared_off:
                continue
            self._squared_off.add((moment.date(), group))
            for order in list(self._orders.values()):
                r = order.request
                if (
                    r.product == Product.MIS
                    and r.exchange in exchanges
                    and order.status in (S.OPEN, S.TRIGGER_PENDING)
                ):
                    self._cancel(order, now, "Cancelled by the MIS square-off.")
            for (token, product), pos in list(self._positions.items()):
                if product != Product.MIS or pos.exchange not in exchanges or pos.quantity == 0:
                    continue
                request = OrderRequest(
                    tag=SQUARE_OFF_TAG,
                    exchange=pos.exchange,
                    tradingsymbol=pos.tradingsymbol,
                    instrument_token=token,
                    transaction_type=TransactionType.SELL if pos.quantity > 0 else TransactionType.BUY,
                    quantity=abs(pos.quantity),
                    product=Product.MIS,
                    order_type=OrderType.MARKET,
                    market_protection=-1,
                )
                self._place(request, now, internal=True)


__all__ = ["PaperMatching"]
