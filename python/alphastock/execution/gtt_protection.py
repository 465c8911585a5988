"""NRML protection kept at the broker: one GTT OCO (stop + target) per position, Kite's GTT triggers.

A position carried overnight (NRML) cannot rely on resting DAY orders: they end with the session.
Kite's GTT lives at the broker until the contract's expiry (DESIGN.md §4), so
:class:`GttProtection` protects a filled entry with one GTT (:class:`~alphastock.ports.GttClient`):

- ``two-leg`` (OCO) when the plan has a target, else ``single``. For a long (exit SELL) the lower
  trigger is the stop, its leg a SELL LIMIT at the stop's limit (:func:`stop_limit_price`, as the
  resting SL's), the upper trigger the target, its leg a SELL LIMIT at the target; for a short the
  sides swap (lower = target, upper = stop, BUY legs). Quantity = the filled units, ``last_price`` =
  the last price from the TickStore.
- Kite's rules are checked before any call (:meth:`GttProtection.gtt_refusal`; the simulator enforces
  the same, ``sim/gtt.py``, whose docstring carries the sources): GTT only on NFO/BFO with NRML and on
  NSE/BSE equity with CNC, never on currency or commodity segments
  (https://support.zerodha.com/category/trading-and-markets/kite-features/gtt/articles/gtt-fno;
  https://kite.trade/docs/connect/v3/gtt/); the legs are LIMIT orders (:class:`GttLeg`); every trigger
  at least 0.25 % from the last price (9 paise at Rs 50 or less,
  https://support.zerodha.com/category/trading-and-markets/gtt/articles/my-buy-gtt-order-rejected-in-kite);
  a two-leg GTT's lower trigger below and upper above the last price; whole lots; at most the freeze
  quantity (a fired leg is one regular order: the exchange refuses more).
- **Fallback**: when a rule refuses the GTT, or Kite refuses it, or it ends while units are held
  (expired, deleted elsewhere, its fired order rejected/cancelled), the bracket switches to
  ``mode="orders"`` and this same object protects it as :class:`ProtectionManager` does (resting SL +
  LIMIT, OCO by the OMS, with the plan's product) — unless built with ``fallback=False``: then the
  bracket is left unprotected (:attr:`GttBracket.protected` False, an error recorded) for the caller
  to decide.

The GTT lives at Kite, so the OMS hears of nothing until a leg fires: then Kite places a LIMIT order
without our tag. :meth:`GttProtection.poll` (call it on a timer, every few engine seconds) reads each
active GTT (``gtt(trigger_id)``); once triggered, the fired leg's order is followed by the OMS
(:meth:`OMS.restore` from a row built from the leg and the broker's ``order_history``, a new key,
``parent_id`` = the entry's key, purpose ``stop`` / ``target``; journaled and stored as any order,
then the broker's last state applied so its fills are booked). From there the position is the
:class:`ProtectionManager`'s: the entry's units less the fired and exit orders' fills.

:meth:`extend` and :meth:`trail` modify the GTT (quantity; lower trigger and limit, tightening only,
refused when the new trigger would be within 0.25 % of the last price); :meth:`exit_now` deletes it and
then closes the remainder through :class:`ProtectionManager`'s exit path (its ``_step``: the fired
order cancelled if still open, then an exit order, risk-checked). A delete that loses the race with a
firing reads the GTT at once and follows the fired order before closing.

Every GTT call is a task on the engine loop (:meth:`idle` waits for them); one call per bracket at a
time; after a failed call the bracket waits for the next :meth:`poll` before trying again. Failures
are counted (:attr:`GttProtection.counters`) and logged. Registration is the
:class:`ProtectionManager`'s (``on_fill`` after the Portfolio's, ``on_order`` anywhere).

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from alphastock.brokers.errors import BrokerError, InvalidInput
from alphastock.clock import Clock
from alphastock.execution.config import ProtectionConfig
from alphastock.execution.oms import OMS
from alphastock.execution.protection import Bracket, ProtectionManager, ProtectionPlan, stop_limit_price
from alphastock.models import Gtt, GttLeg, GttLegResult, GttRequest, GttStatus, GttType, Order
from alphastock.models.enums import Exchange, Product, TransactionType
from alphastock.ports import GttClient, LatestPrices
from alphastock.refdata.lookup import InstrumentLookup
from alphastock.refdata.ticks import TickRounding, round_to_tick
from alphastock.risk import RiskEngine

log = logging.getLogger(__name__)

GTT_PRODUCTS = {"NFO": "NRML", "BFO": "NRML", "NSE": "CNC", "BSE": "CNC"}
"""The one product a GTT's orders may use, by exchange; no GTT elsewhere (MCX, CDS, BCD, NCO)."""
MIN_DISTANCE_PCT = 0.25
"""A trigger's least distance from the last price, percent (last price above Rs 50)."""
MIN_DISTANCE_LOW = 0.09
"""A trigger's least distance from a last price of Rs 50 or less, rupees."""
GttPhase = Literal["none", "placing", "active", "ended", "failed"]


def min_trigger_distance(last_price: float) -> float:
    """The least distance (rupees) Kite wants between a trigger and ``last_price`` (see the module doc)."""
    return MIN_DISTANCE_LOW if last_price <= 50 else last_price * MIN_DISTANCE_PCT / 100.0


@dataclass(slots=True)
class GttBracket(Bracket):
    """A :class:`Bracket` protected by a GTT (``mode="gtt"``) or, after a fallback, by resting orders
    (``mode="orders"``). The fired leg's order, once followed, is in ``stop_keys`` / ``target_keys``."""

    mode: Literal["gtt", "orders"] = "gtt"
    gtt_phase: GttPhase = "none"
    """none: no GTT asked for; placing; active at Kite; ended (fired, deleted, expired); failed."""
    trigger_id: int | None = None
    gtt_status: str | None = None
    """Kite's status of the GTT at the last read or call."""
    gtt_terms: GttRequest | None = None
    """The terms Kite holds (the last accepted place/modify; None: not known yet)."""
    fired_order_id: str | None = None
    """The broker order id the fired leg placed (followed by the OMS)."""
    gtt_failures: int = 0
    """Failed GTT calls for this bracket."""
    last_poll_ns: int = 0
    gtt_call: str | None = None
    """The GTT call in flight (place, modify, delete, read), one at a time."""
    wait_poll: bool = False
    """A call failed: no GTT call until the next :meth:`GttProtection.poll`."""

    @property
    def protected(self) -> bool:
        """False when the stop was given up on, the position crossed zero, or the GTT could not be used
        and no fallback protects the position."""
        if any(e.startswith(("stop", "position crossed")) for e in self.errors):
            return False
        return self.mode == "orders" or self.gtt_phase != "failed"


@dataclass(slots=True)
class GttCounters:
    """What the GTT protection did (counts)."""

    placed: int = 0
    modified: int = 0
    deleted: int = 0
    fired: int = 0
    followed: int = 0
    failures: int = 0
    fallbacks: int = 0


class GttProtection(ProtectionManager):
    """A GTT OCO per position, with :class:`ProtectionManager`'s surface (see the module docstring)."""

    name = "gtt-protection"

    def __init__(
        self,
        oms: OMS,
        risk: RiskEngine,
        instruments: InstrumentLookup,
        clock: Clock,
        gtt: GttClient | None,
        config: ProtectionConfig | None = None,
        *,
        ticks: LatestPrices | None = None,
        fallback: bool = True,
    ) -> None:
        """``gtt`` is the broker's GTT role (:func:`~alphastock.execution.broker_health.gtt_client`;
        None: every bracket falls back); ``fallback`` False leaves a bracket whose GTT cannot be used
        unprotected (``protected`` False) instead of placing resting orders."""
        super().__init__(oms, risk, instruments, clock, config, ticks=ticks)
        self.gtt = gtt
        self.fallback = fallback
        self.counters = GttCounters()

    # ----- the API --------------------------------------------------------------------------------

    def gtt_refusal(self, plan: ProtectionPlan, *, last_price: float | None = None) -> str | None:
        """Why Kite would refuse a GTT for ``plan`` now (None: it is allowed): the broker, segment,
        product, lots, freeze quantity, and the triggers' sides and distance from ``last_price`` (the
        TickStore's when None). The executor may ask before choosing NRML for an entry."""
        bracket = self._new_bracket(plan)
        return self._refusal(bracket, plan.quantity, last_price)

    def protect(self, plan: ProtectionPlan) -> GttBracket:
        """Place the GTT for ``plan`` (a task); returns its bracket. When Kite's rules refuse it, the
        bracket falls back at once (see the module docstring)."""
        if plan.trade_id in self._brackets:
            raise ValueError(f"trade {plan.trade_id} is already protected")
        b = self._new_bracket(plan)
        self._brackets[plan.trade_id] = b
        refusal = self._refusal(b, plan.quantity, None)
        log.info(
            "protecting trade %s by GTT: %s %d %s, stop %.2f (limit %.2f), target %s%s",
            plan.trade_id, b.exit_side, plan.quantity, plan.tradingsymbol, b.stop_trigger, b.stop_limit,
            b.target, f" (refused: {refusal})" if refusal else "",
        )  # fmt: skip
        if refusal is not None:
            self._fall_back(b, f"no GTT: {refusal}", expected=True)
        else:
            b.gtt_phase = "placing"
            self._gtt_task(b, "place", self._place_gtt(b, self._request(b, plan.quantity)))
        self._converge(b)
        return b

    def trail(self, trade_id: str, new_trigger: float) -> bool:
        """Tighten the stop (see :meth:`ProtectionManager.trail`); for an active GTT also False when the
        new trigger would be within Kite's least distance of the last price (the modify would fail)."""
        b = self._brackets[trade_id]
        if isinstance(b, GttBracket) and b.mode == "gtt" and b.gtt_phase in ("placing", "active"):
            tick = b.plan.tick_size
            sell = b.exit_side == "SELL"
            trigger = round_to_tick(new_trigger, tick, TickRounding.UP if sell else TickRounding.DOWN)
            last = self._last(b.plan)
            if last <= 0 or (last - trigger if sell else trigger - last) < min_trigger_distance(last):
                log.info(
                    "trail of %s to %.2f refused: too close to the last price %.2f", trade_id, trigger, last
                )
                return False
        return super().trail(trade_id, new_trigger)

    def adopt(
        self,
        plan: ProtectionPlan,
        *,
        stop_keys: Iterable[str] = (),
        target_keys: Iterable[str] = (),
        trigger_id: int | None = None,
    ) -> Bracket:
        """Rebuild a bracket after a restart: with ``trigger_id``, the GTT that protects it (its terms
        read at the next :meth:`poll`; ``stop_keys`` / ``target_keys`` a fired leg's order the OMS
        follows again); without, as :meth:`ProtectionManager.adopt` (resting orders)."""
        if trigger_id is None:
            return super().adopt(plan, stop_keys=stop_keys, target_keys=target_keys)
        known = self._brackets.get(plan.trade_id)
        if known is not None:
            return known
        b = self._new_bracket(plan)
        b.gtt_phase, b.trigger_id = "active", trigger_id
        b.wait_poll = True  # its terms are read before anything is modified
        for keys, given in ((b.stop_keys, stop_keys), (b.target_keys, target_keys)):
            for key in given:
                order = self._known(key)
                keys.append(order.key)
                self._by_order[order.key] = b
                b.fired_order_id = order.broker_order_id
        self._brackets[plan.trade_id] = b
        self._converge(b)
        return b

    async def poll(self, now_ns: int) -> None:
        """Read every active GTT (one ``gtt(trigger_id)`` each); a fired one's order is followed by the
        OMS. Also lets brackets whose last call failed try again. Returns when the reads are done."""
        reads = []
        for b in list(self._brackets.values()):
            if not isinstance(b, GttBracket) or b.closed or b.mode != "gtt":
                continue
            b.wait_poll = False
            if b.gtt_phase == "active" and b.trigger_id is not None and b.gtt_call is None:
                b.last_poll_ns = now_ns
                reads.append(self._gtt_task(b, "read", self._read_gtt(b)))
            else:
                self._converge(b)
        if reads:
            await asyncio.gather(*reads, return_exceptions=True)

    # ----- the GTT rule ---------------------------------------------------------------------------

    def _step(self, b: Bracket) -> None:
        if not isinstance(b, GttBracket) or b.mode == "orders":
            super()._step(b)
            return
        if b.closed:
            return
        held = self.position(b)
        if b.gtt_phase in ("placing", "active"):
            if b.gtt_call is not None or b.wait_poll or b.gtt_phase == "placing":
                return  # the answer (or the next poll) converges again
            if held <= 0 or b.exiting:
                self._gtt_task(b, "delete", self._delete_gtt(b))
                return
            self._modify_if_needed(b, held)
            return
        # No live GTT: a fired leg's order (followed) works, or the GTT ended.
        if held <= 0 or b.exiting:
            super()._step(b)  # ProtectionManager's exit: cancel what rests, then close the remainder
            return
        if self._live([*b.stop_keys, *b.target_keys]):
            return  # the fired LIMIT is working
        if b.gtt_phase != "failed":
            self._fall_back(b, f"GTT {b.gtt_status or b.gtt_phase} with {held} units held", expected=False)

    def _modify_if_needed(self, b: GttBracket, held: int) -> None:
        if b.gtt_terms is None:
            return  # adopted: the next poll reads the terms
        want = self._request(b, held)
        if (want.trigger_values, want.legs) == (b.gtt_terms.trigger_values, b.gtt_terms.legs):
            return
        refusal = self._refusal(b, held, None)
        if refusal is not None:
            log.warning(
                "trade %s: GTT not modified now (%s); tried again at the next poll", b.trade_id, refusal
            )
            b.wait_poll = True
            return
        self._gtt_task(b, "modify", self._modify_gtt(b, want))

    def _fall_back(self, b: GttBracket, reason: str, *, expected: bool) -> None:
        """The GTT cannot protect ``b``: resting orders instead (or, without fallback, unprotected)."""
        self.counters.fallbacks += 1
        if self.fallback:
            b.mode = "orders"
            message = f"gtt: {reason}; protected by resting SL + LIMIT orders instead"
            if expected:
                log.info("trade %s: %s", b.trade_id, message)
                self._event(b, "fallback", message)
            else:
                self._error(b, message)
        else:
            b.gtt_phase = "failed"
            self._error(b, f"gtt: {reason}; the position is not protected")

    # ----- GTT calls ------------------------------------------------------------------------------

    def _gtt_task(self, b: GttBracket, kind: str, call: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        b.gtt_call = kind
        task = asyncio.ensure_future(call)
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            b.gtt_call = None
            if not t.cancelled() and t.exception() is not None:
                self._gtt_failed(b, kind, t.exception())
            self._converge(b)

        task.add_done_callback(done)
        return task

    def _gtt_failed(self, b: GttBracket, kind: str, exc: BaseException | None) -> None:
        self.counters.failures += 1
        b.gtt_failures += 1
        b.wait_poll = True
        log.warning("trade %s: GTT %s failed (%s); tried again at the next poll", b.trade_id, kind, exc)

    def _client(self) -> GttClient:
        if self.gtt is None:
            raise BrokerError("the broker has no GTT")
        return self.gtt

    async def _place_gtt(self, b: GttBracket, request: GttRequest) -> None:
        try:
            b.trigger_id = await self._client().place_gtt(request)
        except InvalidInput as exc:
            self.counters.failures += 1
            b.gtt_failures += 1
            b.gtt_phase = "ended"
            self._fall_back(b, f"Kite refused the GTT ({exc})", expected=False)
            return
        except BrokerError as exc:
            # The outcome may be unknown (never retried): the GTT book says whether it exists.
            found = await self._find_placed(request)
            if found is None:
                self.counters.failures += 1
                b.gtt_failures += 1
                b.gtt_phase = "ended"
                self._fall_back(b, f"GTT not placed ({exc})", expected=False)
                return
            b.trigger_id = found
        b.gtt_phase, b.gtt_terms, b.gtt_status = "active", request, GttStatus.ACTIVE.value
        self.counters.placed += 1
        self._event(b, "gtt", f"GTT {b.trigger_id} placed for trade {b.trade_id}: {_describe(request)}")
        log.info("trade %s: GTT %s placed (%s)", b.trade_id, b.trigger_id, _describe(request))

    async def _find_placed(self, request: GttRequest) -> int | None:
        try:
            book = await self._client().gtts()
        except BrokerError as exc:
            log.warning("GTT book unreadable after a failed placement (%s)", exc)
            return None
        known = {b.trigger_id for b in self._brackets.values() if isinstance(b, GttBracket)}
        for gtt in book:
            if (
                gtt.status == GttStatus.ACTIVE
                and gtt.trigger_id not in known
                and gtt.tradingsymbol == request.tradingsymbol
                and gtt.trigger_values == request.trigger_values
                and [o.quantity for o in gtt.orders] == [leg.quantity for leg in request.legs]
            ):
                return gtt.trigger_id
        return None

    async def _modify_gtt(self, b: GttBracket, request: GttRequest) -> None:
        assert b.trigger_id is not None
        try:
            await self._client().modify_gtt(b.trigger_id, request)
        except InvalidInput as exc:
            # Not active any more (fired, expired) or the terms refused: the read tells which.
            self._gtt_failed(b, "modify", exc)
            await self._read_gtt(b)
            return
        b.gtt_terms = request
        self.counters.modified += 1
        log.info("trade %s: GTT %s modified (%s)", b.trade_id, b.trigger_id, _describe(request))

    async def _delete_gtt(self, b: GttBracket) -> None:
        if b.trigger_id is None:
            b.gtt_phase = "ended"
            return
        try:
            await self._client().delete_gtt(b.trigger_id)
        except InvalidInput as exc:
            # Kite deletes only an active GTT: it fired (or expired) meanwhile; follow what it placed.
            log.info("trade %s: GTT %s not deleted (%s); reading it", b.trade_id, b.trigger_id, exc)
            await self._read_gtt(b)
            if b.gtt_phase == "active":
                self._gtt_failed(b, "delete", exc)
            return
        b.gtt_phase, b.gtt_status = "ended", GttStatus.DELETED.value
        self.counters.deleted += 1
        self._event(b, "gtt", f"GTT {b.trigger_id} of trade {b.trade_id} deleted")
        log.info("trade %s: GTT %s deleted", b.trade_id, b.trigger_id)

    async def _read_gtt(self, b: GttBracket) -> None:
        assert b.trigger_id is not None
        gtt = await self._client().gtt(b.trigger_id)
        b.gtt_status = gtt.status.value
        if gtt.status == GttStatus.ACTIVE:
            if b.gtt_terms is None:
                b.gtt_terms = _terms_of(gtt)
            return
        fired = gtt.fired
        if fired is not None and b.fired_order_id is None:
            index, result = fired
            self.counters.fired += 1
            await self._follow(b, self._leg_of(b, index), result)
        b.gtt_phase = "ended"

    async def _follow(self, b: GttBracket, leg: Literal["stop", "target"], result: GttLegResult) -> None:
        """Make the OMS follow the order a fired leg placed (see the module docstring)."""
        order_id = result.order_id
        reason = result.order_result.rejection_reason if result.order_result is not None else ""
        if order_id is None:
            self._error(
                b, f"{leg} GTT {b.trigger_id} fired at {result.triggered_at} but placed no order ({reason})"
            )
            if leg == "stop":
                self.exit_now(b.trade_id, f"stop GTT fired, its order refused: {reason}")
            return
        try:
            history = await self.oms.broker.order_history(order_id)
        except BrokerError as exc:
            log.warning("order_history(%s) failed (%s): the reconciliation brings its state", order_id, exc)
            history = []
        last: Order | None = history[-1] if history else None
        now = self.clock.now_ns()
        plan = b.plan
        message = f"{leg} GTT {b.trigger_id} of trade {b.trade_id} fired at {result.triggered_at:.2f}"
        row: dict[str, Any] = {
            "idempotency_key": self.oms.new_key(now), "exchange": plan.exchange,
            "symbol": plan.tradingsymbol, "token": plan.token, "side": result.transaction_type.value,
            "quantity": result.quantity, "product": result.product.value, "order_type": "LIMIT",
            "variety": "regular", "price": result.price, "trigger_price": None,
            "validity": result.validity or "DAY", "state": "SUBMITTED", "created_ns": now, "updated_ns": now,
            "parent_id": plan.entry_key, "broker_order_id": order_id, "filled_quantity": 0,
            "status_message": message,
        }  # fmt: skip
        order = self.oms.restore(row, purpose=leg)
        # Unlike an earlier session's order, nobody journaled or stored this one: it starts here.
        self.oms.journal.append("order", order.journal_record())
        self.oms.writer.submit("insert_order", order.to_record())
        b.fired_order_id = order_id
        (b.stop_keys if leg == "stop" else b.target_keys).append(order.key)
        self._by_order[order.key] = b
        self.counters.followed += 1
        log.info(
            "trade %s: %s GTT %s fired; order %s followed as %s",
            b.trade_id,
            leg,
            b.trigger_id,
            order_id,
            order.key,
        )
        self._event(
            b, "gtt", f"{leg} GTT {b.trigger_id} fired at {result.triggered_at:.2f}: order {order_id}"
        )
        if last is not None:
            self.oms.apply(last)

    # ----- helpers --------------------------------------------------------------------------------

    def _new_bracket(self, plan: ProtectionPlan) -> GttBracket:
        """The bracket's levels, rounded as :meth:`ProtectionManager.protect` rounds them."""
        exit_side = "SELL" if plan.side == "BUY" else "BUY"
        tick = plan.tick_size
        away = TickRounding.UP if exit_side == "SELL" else TickRounding.DOWN
        trigger = round_to_tick(plan.stop_trigger, tick, away)
        limit = plan.stop_limit
        if limit is None:
            limit = stop_limit_price(
                trigger, exit_side, tick, self.config, kind=plan.kind, limits=self.risk.limits,
                references=[self._last(plan)],
            )  # fmt: skip
        target = None if plan.target is None else round_to_tick(plan.target, tick, away)
        return GttBracket(plan, plan.quantity, trigger, limit, target)

    @staticmethod
    def _leg_of(b: GttBracket, index: int) -> Literal["stop", "target"]:
        if b.target is None or b.exit_side == "SELL":
            return "stop" if index == 0 else "target"
        return "target" if index == 0 else "stop"

    def _request(self, b: GttBracket, quantity: int) -> GttRequest:
        plan = b.plan
        side = TransactionType(b.exit_side)
        product = Product(GTT_PRODUCTS.get(plan.exchange, plan.product))
        stop = GttLeg(transaction_type=side, quantity=quantity, price=b.stop_limit, product=product)
        last = self._last(plan) or b.stop_trigger
        common: dict[str, Any] = {
            "exchange": Exchange(plan.exchange), "tradingsymbol": plan.tradingsymbol, "last_price": last,
        }  # fmt: skip
        if b.target is None:
            return GttRequest(type=GttType.SINGLE, trigger_values=(b.stop_trigger,), legs=(stop,), **common)
        target = GttLeg(transaction_type=side, quantity=quantity, price=b.target, product=product)
        if b.exit_side == "SELL":
            values, legs = (b.stop_trigger, b.target), (stop, target)
        else:
            values, legs = (b.target, b.stop_trigger), (target, stop)
        return GttRequest(type=GttType.TWO_LEG, trigger_values=values, legs=legs, **common)

    def _refusal(self, b: GttBracket, quantity: int, last_price: float | None) -> str | None:
        plan = b.plan
        if self.gtt is None:
            return "the broker has no GTT"
        product = GTT_PRODUCTS.get(plan.exchange)
        if product is None:
            return f"Kite has no GTT on {plan.exchange} (currency and commodity segments)"
        if plan.product != product:
            return f"a GTT on {plan.exchange} takes {product} orders, the position is {plan.product}"
        if quantity <= 0 or quantity % max(plan.lot_size, 1):
            return f"{quantity} units are not whole lots of {plan.lot_size}"
        if plan.freeze_quantity is not None and quantity > plan.freeze_quantity:
            freeze = plan.freeze_quantity
            return f"{quantity} units exceed the freeze quantity {freeze} (a fired leg is one order)"
        last = last_price if last_price is not None else self._last(plan)
        if not 0.0 < last < math.inf:
            return "no last price"
        gap = min_trigger_distance(last)
        sell = b.exit_side == "SELL"
        if (last - b.stop_trigger if sell else b.stop_trigger - last) < gap:
            return f"the stop {b.stop_trigger:.2f} is within {gap:.2f} of the last price {last:.2f}"
        if b.target is not None and (b.target - last if sell else last - b.target) < gap:
            return f"the target {b.target:.2f} is within {gap:.2f} of the last price {last:.2f}"
        return None


def _terms_of(gtt: Gtt) -> GttRequest:
    """The request Kite holds for an active ``gtt`` (to compare with the wanted terms)."""
    legs = tuple(
        GttLeg(transaction_type=o.transaction_type, quantity=o.quantity, price=o.price, product=o.product)
        for o in gtt.orders
    )
    return GttRequest(
        type=gtt.type, exchange=gtt.exchange, tradingsymbol=gtt.tradingsymbol,
        trigger_values=gtt.trigger_values,
        last_price=gtt.last_price if gtt.last_price > 0 else gtt.trigger_values[0], legs=legs,
    )  # fmt: skip


def _describe(request: GttRequest) -> str:
    legs = ", ".join(f"{leg.transaction_type.value} {leg.quantity} @ {leg.price:.2f}" for leg in request.legs)
    values = "/".join(f"{v:.2f}" for v in request.trigger_values)
    return f"{request.type.value} {request.tradingsymbol} triggers {values}: {legs}"


__all__ = ["GttBracket", "GttCounters", "GttProtection", "min_trigger_distance"]
