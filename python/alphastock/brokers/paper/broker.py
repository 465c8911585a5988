"""PaperBroker: the :class:`~alphastock.brokers.base.Broker` protocol with simulated fills.

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
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

from alphastock.brokers.base import CandleInterval, MarginSegment
from alphastock.brokers.charges import ChargeSegment, charge_segment, compute_charges, compute_many
from alphastock.brokers.errors import BrokerDataError, InvalidInput, OrderNotFound, OrderRejected
from alphastock.brokers.paper.ledger import PositionState
from alphastock.brokers.paper.market import MarketSnapshot, MarketView
from alphastock.brokers.paper.settings import PaperSettings, margin_required
from alphastock.brokers.paper.working import GROUPS, SQUARE_OFF_TAG, UpdateStream, WorkingOrder, round_to_tick
from alphastock.models import (
    Candle,
    ChargeBreakdown,
    ChargeOrder,
    Depth,
    DepthLevel,
    Exchange,
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
    Product,
    Quote,
    SegmentMargin,
    Trade,
    TransactionType,
    Validity,
    Variety,
)
from alphastock.models._time import ns_to_datetime

S = OrderStatus


class PaperBroker:
    """A simulated broker (see the module doc). ``clock`` returns UTC epoch ns (``time.time_ns`` by
    default; a backtest passes its simulated clock). ``instruments`` give tick sizes, strikes and the
    ``EXCHANGE:SYMBOL`` names for quotes; ``multipliers`` map tokens to contract multipliers (MCX)."""

    def __init__(
        self,
        market: MarketView,
        settings: PaperSettings | None = None,
        *,
        clock: Callable[[], int] = time.time_ns,
        instruments: Sequence[Instrument] = (),
        multipliers: Mapping[int, float] | None = None,
    ) -> None:
        self.market = market
        self.settings = settings or PaperSettings()
        self._clock = clock
        self._instruments = {i.instrument_token: i for i in instruments}
        self._by_key = {i.key: i for i in instruments}
        self._multipliers = dict(multipliers or {})
        self._orders: dict[str, WorkingOrder] = {}
        self._trades: list[Trade] = []
        self._positions: dict[tuple[int, Product], PositionState] = {}
        self._order_charges: dict[str, ChargeBreakdown] = {}
        self._subscribers: list[UpdateStream] = []
        self._squared_off: set[tuple[dt.date, str]] = set()
        self._next_id = 0
        self._next_trade = 0
        self.total_charges = 0.0
        """Charges booked so far, rupees."""

    # ----- identity and bookkeeping -------------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += 1
        return str(260_000_000_000_000 + self._next_id)

    def _set(self, order: WorkingOrder, status: OrderStatus, now: int, message: str | None = None) -> None:
        order.status = status
        order.updated_ns = now
        if message is not None:
            order.status_message = message
        update = order.snapshot()
        order.history.append(update)
        for subscriber in self._subscribers:
            subscriber.put(update)

    def _tick(self, token: int) -> float:
        instrument = self._instruments.get(token)
        return instrument.tick_size if instrument else self.settings.default_tick_size

    def _position(self, request: OrderRequest, multiplier: float) -> PositionState:
        key = (request.instrument_token, request.product)
        if key not in self._positions:
            self._positions[key] = PositionState(
                request.instrument_token, request.exchange, request.tradingsymbol, request.product, multiplier
            )
        return self._positions[key]

    def _cutoff(self, exchange: Exchange) -> dt.time:
        group = GROUPS[exchange]
        if group == "equity":
            return self.settings.square_off_equity
        return (
            self.settings.square_off_derivatives
            if group == "derivatives"
            else self.settings.square_off_commodity
        )

    # ----- margin ---------------------------------------------------------------------------------

    def _margin(self, segment: ChargeSegment, token: int, is_buy: bool, qty: int, price: float) -> float:
        instrument = self._instruments.get(token)
        strike = instrument.strike if instrument else None
        return margin_required(
            self.settings, segment, is_buy, qty, price, self._multipliers.get(token, 1.0), strike
        )

    def _increasing(self, request: OrderRequest, quantity: int, pending_same_side: int = 0) -> int:
        position = self._positions.get((request.instrument_token, request.product))
        held = position.quantity if position else 0
        if held == 0 or (held > 0) == request.is_buy:
            return quantity
        return max(0, quantity - max(0, abs(held) - pending_same_side))

    def _used_margin(self) -> float:
        used = 0.0
        for (token, _), pos in self._positions.items():
            if pos.quantity:
                segment = charge_segment(pos.exchange, pos.tradingsymbol, pos.product, self._kind(token))
                used += self._margin(segment, token, pos.quantity > 0, abs(pos.quantity), pos.average_price)
        for order in self._orders.values():
            if order.status in (S.OPEN, S.TRIGGER_PENDING) and order.remaining > 0:
                used += self._order_margin(order.request, order.remaining, order.segment, self._ref(order))
        return used

    def _order_margin(self, request: OrderRequest, qty: int, segment: ChargeSegment, ref: float) -> float:
        increasing = self._increasing(request, qty)
        token = request.instrument_token
        return self._margin(segment, token, request.is_buy, increasing, ref) if increasing else 0.0

    def _ref(self, order: WorkingOrder) -> float:
        if order.price:
            return order.price
        snap = self.market.latest(order.request.instrument_token)
        if snap is None:
            return order.trigger_price or 0.0
        side = snap.ask if order.is_buy else snap.bid
        return side or snap.last_price or order.trigger_price or 0.0

    def _kind(self, token: int) -> str | None:
        instrument = self._instruments.get(token)
        return instrument.instrument_type if instrument else None

    def available_funds(self) -> float:
        """Rupees free for new exposure (see :mod:`alphastock.brokers.paper.settings`)."""
        realised = sum(p.realised for p in self._positions.values())
        losses = sum(min(0.0, p.unrealised) for p in self._positions.values() if p.quantity)
        return self.settings.starting_cash + realised + losses - self.total_charges - self._used_margin()

    # ----- the protocol: orders -------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> str:
        """Accept or reject ``request``; return its order id (a rejected order keeps its id)."""
        return self._place(request, self._clock(), internal=False)

    def _place(self, request: OrderRequest, now: int, *, internal: bool) -> str:
        token = request.instrument_token
        segment = charge_segment(request.exchange, request.tradingsymbol, request.product, self._kind(token))
        order = WorkingOrder(
            request=request,
            order_id=self._new_id(),
            placed_ns=now,
            active_ns=now + self.settings.latency_ns,
            segment=segment,
            multiplier=self._multipliers.get(token, 1.0),
            tick=self._tick(token),
            order_type=request.order_type,
            quantity=request.quantity,
            price=request.price,
            trigger_price=request.trigger_price,
        )
        self._orders[order.order_id] = order
        self._set(order, S.PUT_ORDER_REQ_RECEIVED, now)
        self._set(order, S.VALIDATION_PENDING, now)
        reason = None if internal else self._rejection(order, now)
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
    ) -> str:
        """Change quantity, price, trigger or type of an open order (validity and disclosed quantity
        are accepted and ignored by the simulation)."""
        order = self._get(order_id)
        if order.status not in (S.OPEN, S.TRIGGER_PENDING):
            raise OrderRejected(f"Order cannot be modified as it is {order.status}.")
        if quantity is not None and quantity <= order.filled:
            raise InvalidInput(f"quantity {quantity} must exceed the filled quantity {order.filled}")
        new_type = order_type or order.order_type
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

    def _cancel(self, order: WorkingOrder, now: int, message: str | None) -> None:
        self._set(order, S.CANCEL_PENDING, now)
        order.cancelled = order.quantity - order.filled
        self._set(order, S.CANCELLED, now, message)

    def _get(self, order_id: str) -> WorkingOrder:
        try:
            return self._orders[order_id]
        except KeyError:
            raise OrderNotFound(f"Couldn't find that order: {order_id}") from None

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
            price = round_to_tick(base + slip if buy else base - slip, order.tick, up=buy)
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
        charges = compute_charges(
            ChargeOrder(
                order_id=order.order_id,
                exchange=request.exchange,
                tradingsymbol=request.tradingsymbol,
                transaction_type=request.transaction_type,
                variety=request.variety,
                product=request.product,
                order_type=request.order_type,
                quantity=order.filled,
                average_price=order.average_price,
                multiplier=order.multiplier,
                instrument_type=self._kind(request.instrument_token),
            ),
            self.settings.charges,
        )
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

    # ----- the protocol: portfolio, funds, charges ------------------------------------------------

    def _mark(self) -> None:
        for (token, _), pos in self._positions.items():
            snap = self.market.latest(token)
            if snap is not None and snap.last_price > 0:
                pos.last_price = snap.last_price

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
            charges = compute_charges(
                ChargeOrder(
                    exchange=request.exchange,
                    tradingsymbol=request.tradingsymbol,
                    transaction_type=request.transaction_type,
                    product=request.product,
                    quantity=request.quantity,
                    average_price=ref,
                    multiplier=self._multipliers.get(token, 1.0),
                    instrument_type=self._kind(token),
                ),
                self.settings.charges,
            )
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
        return compute_many(list(orders), self.settings.charges)

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
