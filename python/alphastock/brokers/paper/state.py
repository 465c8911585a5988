"""The PaperBroker's books: ids, order statuses, positions, the margin model and available funds.

:class:`PaperBrokerState` holds what the matching (:mod:`alphastock.brokers.paper.matching`)
and the protocol methods (:mod:`alphastock.brokers.paper.broker`) share. Margins follow
:mod:`alphastock.brokers.paper.settings`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence

from alphastock.brokers.charges import ChargeSegment, charge_segment
from alphastock.brokers.errors import OrderNotFound
from alphastock.brokers.paper.ledger import PositionState
from alphastock.brokers.paper.market import MarketView
from alphastock.brokers.paper.settings import PaperSettings, margin_required
from alphastock.brokers.paper.working import GROUPS, UpdateStream, WorkingOrder
from alphastock.models import (
    ChargeBreakdown,
    Exchange,
    Instrument,
    OrderRequest,
    OrderStatus,
    Product,
    Trade,
)
from alphastock.refdata.multipliers import contract_multiplier

S = OrderStatus


class PaperBrokerState:
    """The state and bookkeeping of a :class:`~alphastock.brokers.paper.PaperBroker` (see its doc)."""

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
        self._rates = self.settings.charge_rates
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

    def _multiplier(self, request: OrderRequest) -> float:
        """The contract multiplier of ``request``'s instrument: the constructor's ``multipliers``, else
        :func:`~alphastock.refdata.multipliers.contract_multiplier` (raises
        :class:`~alphastock.refdata.multipliers.UnknownMultiplierError` for an MCX contract it lacks)."""
        token = request.instrument_token
        found = self._multipliers.get(token)
        if found is None:
            found = self._multipliers[token] = contract_multiplier(
                request.exchange.value, request.tradingsymbol
            )
        return found

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

    def _margin(
        self, segment: ChargeSegment, token: int, is_buy: bool, qty: int, price: float, multiplier: float
    ) -> float:
        instrument = self._instruments.get(token)
        strike = instrument.strike if instrument else None
        return margin_required(self.settings, segment, is_buy, qty, price, multiplier, strike)

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
                used += self._margin(
                    segment, token, pos.quantity > 0, abs(pos.quantity), pos.average_price, pos.multiplier
                )
        for order in self._orders.values():
            if order.status in (S.OPEN, S.TRIGGER_PENDING) and order.remaining > 0:
                used += self._order_margin(order.request, order.remaining, order.segment, self._ref(order))
        return used

    def _order_margin(self, request: OrderRequest, qty: int, segment: ChargeSegment, ref: float) -> float:
        increasing = self._increasing(request, qty)
        if not increasing:
            return 0.0
        multiplier = self._multiplier(request)
        return self._margin(segment, request.instrument_token, request.is_buy, increasing, ref, multiplier)

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

    # ----- cancellation and lookup ----------------------------------------------------------------

    def _cancel(self, order: WorkingOrder, now: int, message: str | None) -> None:
        self._set(order, S.CANCEL_PENDING, now)
        order.cancelled = order.quantity - order.filled
        self._set(order, S.CANCELLED, now, message)

    def _get(self, order_id: str) -> WorkingOrder:
        try:
            return self._orders[order_id]
        except KeyError:
            raise OrderNotFound(f"Couldn't find that order: {order_id}") from None

    def _mark(self) -> None:
        for (token, _), pos in self._positions.items():
            snap = self.market.latest(token)
            if snap is not None and snap.last_price > 0:
                pos.last_price = snap.last_price


__all__ = ["PaperBrokerState"]
