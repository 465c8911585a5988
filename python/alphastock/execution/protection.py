"""Resting protection at the broker: a stop (SL, stop-limit) and a target (LIMIT) per position, OCO.

When an options entry fills, its executor hands the :class:`ProtectionManager` a
:class:`ProtectionPlan`; :meth:`ProtectionManager.protect` places, through :meth:`RiskEngine.check`
and :meth:`OMS.submit_nowait` (purposes ``stop`` and ``target``, ``parent_key`` = the entry's key):

- the **stop**: an SL order (never SL-M: NSE withdrew SL-M for index and stock options on
  27 September 2021 and BSE refuses it everywhere — DESIGN.md §4; Kite's and the simulator's text
  "SL-M orders are not allowed for options", ``sim/matching.py`` ``_rms``), trigger = the plan's stop,
  limit a configured distance beyond it (``stop_limit_offset_pct`` or ``stop_limit_offset_ticks``).
  Kite's rule for SL orders: a SELL's trigger is at or above its limit, a BUY's at or below
  (rejection texts in ``sim/matching.py`` ``_rms``; Zerodha support, "What is the trigger price",
  https://support.zerodha.com/category/trading-and-markets/product-and-order-types/order/articles/what-is-the-trigger-price).
  The limit is kept inside the exchange's limit-price protection band, measured from the reference
  price (the last price) and from the trigger: options ±₹20 when the reference is ≤ ₹50, else ±40 %
  (DESIGN.md §4; ``config/default.yaml`` ``risk.option_collar_pct`` 40, ``option_collar_rupees`` 20,
  ``option_collar_threshold`` 50, read here from the RiskEngine's :class:`~alphastock.risk.Limits`
  so the band is the one the risk check enforces); futures ±``future_collar_pct``.
- the **target**: a LIMIT at the plan's target (when it has one).

Each leg is one order per slice of at most the freeze quantity. **OCO by the OMS**: the position is
the entry's filled units less what the stop, target and exit orders filled (from the OMS's orders,
so the earliest broker update counts); on every order change (:meth:`on_order`) and fill
(:meth:`on_fill`) each leg is brought to the position: the open units beyond it are cancelled
(a whole slice) or modified away (quantity), and a leg short of it (entry partial fills,
:meth:`extend`) grows. So a target fill (full or part) cancels or reduces the stop and vice versa,
and no stop is left larger than the position once the broker has answered. Races:

- a fill while a leg's modification is in flight: the leg's open units are counted on the larger of
  its old and asked terms; when the position reaches 0 the leg is cancelled at once (a cancel does not
  wait for the modification);
- both legs fill (the position crosses zero): every leg is cancelled, and once the fills are booked
  (Portfolio, risk) the excess is closed with an exit order; logged as an error, kept in
  :attr:`Bracket.errors`;
- a slice refused by the broker or the risk engine is retried ``max_attempts`` times, then the
  bracket records the error (the executor decides: :attr:`Bracket.protected`).

:meth:`trail` tightens the stop (the resting slices are modified), :meth:`exit_now` cancels both legs
and, once they are done, closes the remainder (MARKET with ``market_protection``, or a LIMIT at the
touch ± ``exit_limit_offset_ticks``). Every protective and exit order carries its reason as its first
``status_message`` (journal, ``orders.status_message``); an exit or a protection error also becomes a
risk event (``record_risk_event``, kind ``protection``) and a RISK_REJECTED bus event when the risk
engine refuses an order.

Registration (the builder's job; nothing here registers itself): ``oms.add_fill_listener
(manager.on_fill)`` AFTER ``portfolio.on_fill`` (an exit for a crossed position is sized on fills the
Portfolio — and through it the RiskEngine — has booked, so its risk check sees the position it
reduces), and ``oms.add_order_listener(manager.on_order)`` (any place among the order listeners: it
reads only the OMS's orders).

Units: prices rupees, quantities units (as Kite counts them), times UTC epoch ns.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from alphastock._core import OrderIntent
from alphastock.clock import Clock
from alphastock.events import FillInfo
from alphastock.execution.config import ProtectionConfig
from alphastock.execution.oms import OMS
from alphastock.execution.orders import Approval, ManagedOrder
from alphastock.execution.placing import OrderPlacer
from alphastock.execution.transitions import OrderState
from alphastock.models import OrderRequest
from alphastock.ports import LatestPrices
from alphastock.refdata.lookup import InstrumentLookup
from alphastock.refdata.ticks import TickRounding, round_to_tick
from alphastock.risk import Limits, RiskAction, RiskEngine

log = logging.getLogger(__name__)

S = OrderState
_AT_BROKER = (S.OPEN, S.TRIGGER_PENDING, S.PARTIALLY_FILLED)
_SENDABLE = (RiskAction.APPROVE, RiskAction.REDUCE_SIZE)
Leg = Literal["stop", "target", "exit"]


@dataclass(frozen=True, slots=True)
class ProtectionPlan:
    """What to protect: a filled (part of an) entry. Prices rupees, quantities units."""

    trade_id: str
    entry_key: str
    """The entry order's OMS key (the protective orders' ``parent_key``)."""
    exchange: str
    tradingsymbol: str
    token: int
    product: str
    side: Literal["BUY", "SELL"]
    """The position's side: BUY = long (protective orders SELL), SELL = short (they BUY)."""
    quantity: int
    """Units filled so far (grown by :meth:`ProtectionManager.extend`)."""
    stop_trigger: float
    target: float | None
    tick_size: float = 0.05
    lot_size: int = 1
    freeze_quantity: int | None = None
    """Most units per order; larger legs are sliced (None: no limit)."""
    reference_price: float | None = None
    """The price the bands and risk checks measure from when no last price is known (the entry fill)."""
    stop_limit: float | None = None
    """The stop's limit; None: derived from the trigger (:func:`stop_limit_price`)."""
    kind: Literal["CE", "PE", "FUT", "EQ"] = "CE"
    underlying: str | None = None
    multiplier: float = 1.0


@dataclass(slots=True)
class Bracket:
    """One position's resting protection and its state (read-only for callers)."""

    plan: ProtectionPlan
    quantity: int
    """Units the entry filled (the plan's, plus :meth:`ProtectionManager.extend`)."""
    stop_trigger: float
    stop_limit: float
    target: float | None
    stop_keys: list[str] = field(default_factory=list)
    target_keys: list[str] = field(default_factory=list)
    exit_keys: list[str] = field(default_factory=list)
    exiting: str | None = None
    """The reason of :meth:`ProtectionManager.exit_now` (None: not exiting)."""
    closed: bool = False
    """Flat, every order done."""
    errors: list[str] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    """Refused placements by leg."""
    _busy: bool = False
    _dirty: bool = False

    @property
    def trade_id(self) -> str:
        """The executor's trade id."""
        return self.plan.trade_id

    @property
    def exit_side(self) -> str:
        """The protective orders' side."""
        return "SELL" if self.plan.side == "BUY" else "BUY"

    @property
    def protected(self) -> bool:
        """False when the stop was given up on (see :attr:`errors`) or the position crossed zero."""
        return not any(e.startswith(("stop", "position crossed")) for e in self.errors)


def collar_band(kind: str, reference: float, limits: Limits) -> float:
    """Half-width of the exchange's limit-price protection band around ``reference`` (rupees), as the
    risk engine's collar: options ±``option_collar_rupees`` up to ``option_collar_threshold``, else
    ±``option_collar_pct`` %; futures ±``future_collar_pct`` %; equities ±``equity_collar_pct`` % (inf
    when a collar is off)."""
    if kind in ("CE", "PE"):
        if limits.option_collar_pct is None:
            return math.inf
        if reference <= limits.option_collar_threshold:
            return limits.option_collar_rupees
        return reference * limits.option_collar_pct / 100.0
    pct = limits.future_collar_pct if kind == "FUT" else limits.equity_collar_pct
    return math.inf if pct is None else reference * pct / 100.0


def stop_limit_price(
    trigger: float,
    exit_side: str,
    tick: float,
    config: ProtectionConfig,
    *,
    kind: str,
    limits: Limits,
    references: Iterable[float] = (),
) -> float:
    """The SL order's limit (rupees): the configured distance beyond ``trigger`` (below for a SELL),
    on the tick grid, inside the protection band around each of ``references`` and the trigger, and
    never past the trigger (a SELL's limit at most its trigger, a BUY's at least: Kite's SL rule)."""
    offset = (
        config.stop_limit_offset_ticks * tick
        if config.stop_limit_offset_ticks is not None
        else trigger * config.stop_limit_offset_pct / 100.0
    )
    refs = [r for r in (*references, trigger) if r > 0]
    if exit_side == "SELL":
        limit = round_to_tick(trigger - offset, tick, TickRounding.DOWN)
        floor = max(r - collar_band(kind, r, limits) for r in refs)
        if math.isfinite(floor) and limit < floor:
            limit = round_to_tick(floor, tick, TickRounding.UP)
        return max(min(limit, trigger), tick)
    limit = round_to_tick(trigger + offset, tick, TickRounding.UP)
    ceiling = min(r + collar_band(kind, r, limits) for r in refs)
    if math.isfinite(ceiling) and limit > ceiling:
        limit = round_to_tick(ceiling, tick, TickRounding.DOWN)
    return max(limit, trigger)


class ProtectionManager:
    """Resting stop and target per position, OCO (see the module docstring)."""

    name = "protection"

    def __init__(
        self,
        oms: OMS,
        risk: RiskEngine,
        instruments: InstrumentLookup,
        clock: Clock,
        config: ProtectionConfig | None = None,
        *,
        ticks: LatestPrices | None = None,
        placer: OrderPlacer | None = None,
    ) -> None:
        """``instruments`` is the order path's lookup (kept for the executor's plans and adoption);
        ``ticks`` gives the last price and touch (None: the plan's ``reference_price``); ``placer`` the
        risk check every order shares (None: one over ``oms`` and ``risk``)."""
        self.oms = oms
        self.risk = risk
        self.instruments = instruments
        self.clock = clock
        self.config = config or ProtectionConfig()
        self.ticks = ticks
        self.placer = placer or OrderPlacer(oms, risk, clock=clock, bus=oms.bus, writer=oms.writer)
        self._brackets: dict[str, Bracket] = {}
        self._by_order: dict[str, Bracket] = {}
        self._calls: dict[str, str] = {}
        """Order key -> "cancel" / "modify": our broker call on it not yet answered."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiting_targets: set[str] = set()
        """Trades whose target waits for the band (see :meth:`_target_inside_band`)."""

    # ----- the API --------------------------------------------------------------------------------

    def protect(self, plan: ProtectionPlan) -> Bracket:
        """Place the stop and the target for ``plan`` (on the engine loop); returns its bracket."""
        if plan.trade_id in self._brackets:
            raise ValueError(f"trade {plan.trade_id} is already protected")
        exit_side = "SELL" if plan.side == "BUY" else "BUY"
        tick = plan.tick_size
        trigger = round_to_tick(
            plan.stop_trigger, tick, TickRounding.UP if exit_side == "SELL" else TickRounding.DOWN
        )
        limit = plan.stop_limit
        if limit is None:
            limit = stop_limit_price(
                trigger, exit_side, tick, self.config, kind=plan.kind, limits=self.risk.limits,
                references=[self._last(plan)],
            )  # fmt: skip
        target = None
        if plan.target is not None:
            target = round_to_tick(
                plan.target, tick, TickRounding.UP if exit_side == "SELL" else TickRounding.DOWN
            )
        bracket = Bracket(plan, plan.quantity, trigger, limit, target)
        self._brackets[plan.trade_id] = bracket
        log.info(
            "protecting trade %s: %s %d %s, stop %.2f (limit %.2f), target %s",
            plan.trade_id, exit_side, plan.quantity, plan.tradingsymbol, trigger, limit, target,
        )  # fmt: skip
        self._converge(bracket)
        return bracket

    def extend(self, trade_id: str, added_quantity: int) -> None:
        """The entry filled ``added_quantity`` more units: grow the legs to the new position."""
        bracket = self._brackets[trade_id]
        if added_quantity <= 0:
            return
        bracket.quantity += added_quantity
        self._converge(bracket)

    def trail(self, trade_id: str, new_trigger: float) -> bool:
        """Move the stop's trigger to ``new_trigger`` (rupees) if that tightens it (higher for a long,
        lower for a short); the resting slices are modified (risk-checked) as soon as they are free.
        False when it would loosen the stop, or the bracket is exiting or closed."""
        b = self._brackets[trade_id]
        sell = b.exit_side == "SELL"
        tick = b.plan.tick_size
        trigger = round_to_tick(new_trigger, tick, TickRounding.UP if sell else TickRounding.DOWN)
        if b.closed or b.exiting or (trigger <= b.stop_trigger if sell else trigger >= b.stop_trigger):
            log.info("trail of %s to %.2f refused (stop %.2f)", trade_id, trigger, b.stop_trigger)
            return False
        b.stop_trigger = trigger
        b.stop_limit = stop_limit_price(
            trigger, b.exit_side, tick, self.config, kind=b.plan.kind, limits=self.risk.limits,
            references=[self._last(b.plan)],
        )  # fmt: skip
        log.info("trade %s: stop trailed to %.2f (limit %.2f)", trade_id, trigger, b.stop_limit)
        self._converge(b)
        return True

    def exit_now(self, trade_id: str, reason: str) -> bool:
        """Cancel both legs and, once they are done, close what is left (the exit carries ``reason``).
        False when the trade is unknown or already closed or exiting."""
        b = self._brackets.get(trade_id)
        if b is None or b.closed or b.exiting:
            return False
        b.exiting = reason
        log.info("trade %s: exit now (%s)", trade_id, reason)
        self._event(b, "exit", f"exit of trade {trade_id}: {reason}")
        self._converge(b)
        return True

    def brackets(self) -> list[Bracket]:
        """Every bracket, in creation order."""
        return list(self._brackets.values())

    def bracket(self, trade_id: str) -> Bracket | None:
        """The bracket of ``trade_id``."""
        return self._brackets.get(trade_id)

    def adopt(
        self, plan: ProtectionPlan, *, stop_keys: Iterable[str] = (), target_keys: Iterable[str] = ()
    ) -> Bracket:
        """Rebuild a bracket from protective orders the OMS already tracks (found open at the broker
        after a restart); no new order is placed unless a leg is short of the position. The stop's
        trigger/limit and the target are the plan's."""
        bracket = self._brackets.get(plan.trade_id)
        if bracket is not None:
            return bracket
        stops = [self._known(key) for key in stop_keys]
        targets = [self._known(key) for key in target_keys]
        # The resting orders' terms are the levels (the plan's only where no order rests).
        trigger = next((o.request.trigger_price for o in stops if o.request.trigger_price), plan.stop_trigger)
        limit = next((o.request.price for o in stops if o.request.price), plan.stop_limit)
        if limit is None:
            limit = stop_limit_price(
                trigger, "SELL" if plan.side == "BUY" else "BUY", plan.tick_size, self.config,
                kind=plan.kind, limits=self.risk.limits, references=[self._last(plan)],
            )  # fmt: skip
        target = next((o.request.price for o in targets if o.request.price), plan.target)
        bracket = Bracket(plan, plan.quantity, trigger, limit, target)
        for order in stops:
            bracket.stop_keys.append(order.key)
            self._by_order[order.key] = bracket
        for order in targets:
            bracket.target_keys.append(order.key)
            self._by_order[order.key] = bracket
        self._brackets[plan.trade_id] = bracket
        self._converge(bracket)
        return bracket

    # ----- listeners ------------------------------------------------------------------------------

    def on_order(self, order: ManagedOrder) -> None:
        """OMS order listener: a protective or exit order changed (state, fill, terms)."""
        bracket = self._by_order.get(order.key)
        if bracket is not None:
            self._converge(bracket)

    def on_fill(self, fill: FillInfo) -> None:
        """OMS fill listener (after the Portfolio's): a fill of a protective or exit order is booked."""
        bracket = self._by_order.get(fill.order_key or "")
        if bracket is not None:
            self._converge(bracket)

    async def idle(self) -> None:
        """Wait until every broker call this manager started has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ----- the OCO rule ---------------------------------------------------------------------------

    def position(self, b: Bracket, *, booked: bool = False) -> int:
        """Units still held in the position's direction (negative: crossed). ``booked``: from fills
        already delivered to the fill listeners, else from the broker's latest filled quantities."""
        held = b.quantity
        for key in (*b.stop_keys, *b.target_keys, *b.exit_keys):
            order = self.oms.get(key)
            if order is None:
                continue
            done = order.fill_quantity if booked else order.filled_quantity
            held += -done if order.request.transaction_type.value == b.exit_side else done
        return held

    def _converge(self, b: Bracket) -> None:
        if b._busy:  # called back from an OMS listener while stepping: step again after
            b._dirty = True
            return
        b._busy = True
        try:
            for _ in range(8):
                b._dirty = False
                self._step(b)
                if not b._dirty:
                    break
        finally:
            b._busy = False

    def _step(self, b: Bracket) -> None:
        if b.closed:
            return
        held = self.position(b)
        stops, targets = self._live(b.stop_keys), self._live(b.target_keys)
        exits = self._live(b.exit_keys)
        if held < 0 and not any("crossed" in e for e in b.errors):
            self._error(b, f"position crossed zero ({held} units): both legs filled; cancelling and closing")
        if held <= 0 or b.exiting:
            for order in (*stops, *targets):
                self._cancel(b, order)
            if stops or targets or exits:
                return
            if held == 0:
                b.closed = True
                log.info("trade %s: flat, protection done", b.trade_id)
                return
            if self.position(b, booked=True) != held:
                return  # the fills are not booked yet (Portfolio, risk): on_fill comes back
            reason = b.exiting or "position crossed zero"
            self._close(b, held, reason)
            return
        self._fit(b, "stop", stops, held)
        if b.target is not None:
            self._fit(b, "target", targets, held)

    def _fit(self, b: Bracket, leg: Leg, live: list[ManagedOrder], want: int) -> None:
        """Bring ``leg``'s open units to ``want``: cancel or reduce slices beyond it (newest first), grow
        or add slices when short; and keep the resting stop's terms on the bracket's levels."""
        cancelling = [o for o in live if self._calls.get(o.key) == "cancel" or o.state is S.CANCEL_PENDING]
        working = [o for o in live if o not in cancelling]
        excess = sum(_open_units(o) for o in working) - want
        keep: dict[str, int] = {}
        for order in reversed(working):
            units = _open_units(order)
            if excess > 0 and self._modifiable(order, allow_busy=True) and units <= excess:
                self._cancel(b, order)
                excess -= units
                continue
            cut = min(excess, units - 1) if excess > 0 else 0
            keep[order.key] = units - cut
            excess -= cut
        if excess < 0 and all(self._modifiable(o) for o in working):
            excess = self._grow(b, leg, working, keep, -excess)
        for order in working:
            if order.key in keep and self._modifiable(order):
                self._retarget(b, leg, order, keep[order.key])

    def _grow(
        self, b: Bracket, leg: Leg, working: list[ManagedOrder], keep: dict[str, int], need: int
    ) -> int:
        """Grow the last slice up to the freeze quantity, then add slices; returns what is still short."""
        freeze = b.plan.freeze_quantity or math.inf
        if working:
            last = working[-1]
            room = int(min(freeze - last.filled_quantity - keep[last.key], need))
            if room > 0:
                keep[last.key] += room
                need -= room
        while need > 0 and self._attempts(b, leg) < self.config.max_attempts:
            units = int(min(need, freeze))
            if self._place(b, leg, units) is None:
                break
            need -= units
        return need

    def _retarget(self, b: Bracket, leg: Leg, order: ManagedOrder, units: int) -> None:
        """Modify ``order`` when its open units or (a stop's) terms differ from the wanted ones."""
        request = order.request
        quantity = order.filled_quantity + units
        price, trigger = request.price, request.trigger_price
        if leg == "stop":
            price, trigger = b.stop_limit, b.stop_trigger
        elif leg == "target":
            price = b.target
        if (quantity, price, trigger) == (request.quantity, request.price, request.trigger_price):
            return
        approval = self._approve(b, request.transaction_type.value, units, price, order.key)
        if approval is None:
            return
        self._calls[order.key] = "modify"
        self._spawn(
            order.key,
            self.oms.modify(
                order.key,
                approval=approval,
                quantity=quantity if quantity != request.quantity else None,
                price=price if price != request.price else None,
                trigger_price=trigger if trigger != request.trigger_price else None,
                reason=f"{leg} of trade {b.trade_id}: {units} units open, trigger {trigger}, price {price}",
            ),
            b,
        )

    # ----- orders ---------------------------------------------------------------------------------

    def _place(self, b: Bracket, leg: Leg, units: int) -> ManagedOrder | None:
        plan = b.plan
        side = b.exit_side
        fields: dict[str, Any] = {
            "exchange": plan.exchange,
            "tradingsymbol": plan.tradingsymbol,
            "instrument_token": plan.token,
            "transaction_type": side,
            "quantity": units,
            "product": plan.product,
        }
        if leg == "stop":
            # The band moves with the last price: trigger and limit are placed inside the band of now,
            # not of when the bracket was made (a premium that rose since would leave them outside,
            # refused). A trigger below the band is raised into it: a tighter stop, never none.
            self._trigger_inside_band(b)
            b.stop_limit = stop_limit_price(
                b.stop_trigger, side, plan.tick_size, self.config, kind=plan.kind, limits=self.risk.limits,
                references=[self._last(plan)],
            )  # fmt: skip
            fields.update(order_type="SL", price=b.stop_limit, trigger_price=b.stop_trigger)
            message = f"stop of trade {b.trade_id}: trigger {b.stop_trigger:.2f}, limit {b.stop_limit:.2f}"
        else:
            assert b.target is not None
            if not self._target_inside_band(b):
                return None  # not now: placed by a later step (refresh) once the band reaches it
            fields.update(order_type="LIMIT", price=b.target)
            message = f"target of trade {b.trade_id}: limit {b.target:.2f}"
        return self._submit(b, leg, fields, message)

    def _target_inside_band(self, b: Bracket) -> bool:
        """Whether the target's limit is inside the protection band around the last price, where the
        exchange takes it. A target beyond the band is not placed (it would be refused, and a limit
        moved into the band would take less profit than planned): :meth:`refresh` tries again as the
        premium moves."""
        plan = b.plan
        last = self._last(plan)
        if b.target is None or not last > 0:
            return True
        band = collar_band(plan.kind, last, self.risk.limits)
        inside = last - band <= b.target <= last + band
        if not inside and b.trade_id not in self._waiting_targets:
            self._waiting_targets.add(b.trade_id)
            log.info(
                "trade %s: target %.2f outside the band of the last price %.2f: placed once the band "
                "reaches it", b.trade_id, b.target, last,
            )  # fmt: skip
        elif inside:
            self._waiting_targets.discard(b.trade_id)
        return inside

    def refresh(self) -> None:
        """Step every bracket with a leg waiting for the band (a target beyond it): the executor calls
        this as prices move."""
        for trade_id in list(self._waiting_targets):
            bracket = self._brackets.get(trade_id)
            if bracket is None or bracket.closed or bracket.exiting:
                self._waiting_targets.discard(trade_id)
                continue
            self._converge(bracket)

    def _trigger_inside_band(self, b: Bracket) -> None:
        """Move the stop's trigger one tick inside the protection band around the last price when it
        has fallen outside (below it for a SELL stop, above for a BUY), logged."""
        plan = b.plan
        last = self._last(plan)
        if not last > 0:
            return
        band = collar_band(plan.kind, last, self.risk.limits)
        if not math.isfinite(band):
            return
        tick = plan.tick_size
        if b.exit_side == "SELL":
            edge = round_to_tick(last - band, tick, TickRounding.UP) + tick
            moved = b.stop_trigger < edge < last
        else:
            edge = round_to_tick(last + band, tick, TickRounding.DOWN) - tick
            moved = last < edge < b.stop_trigger
        if moved:
            log.info(
                "trade %s: stop trigger %.2f outside the band of the last price %.2f: placed at %.2f",
                b.trade_id, b.stop_trigger, last, edge,
            )  # fmt: skip
            b.stop_trigger = round_to_tick(edge, tick, TickRounding.NEAREST)

    def _close(self, b: Bracket, held: int, reason: str) -> None:
        """An exit order for ``held`` units (negative: the crossed excess, bought/sold back)."""
        plan = b.plan
        side = b.exit_side if held > 0 else plan.side
        units = abs(held)
        fields: dict[str, Any] = {
            "exchange": plan.exchange,
            "tradingsymbol": plan.tradingsymbol,
            "instrument_token": plan.token,
            "transaction_type": side,
            "quantity": units,
            "product": plan.product,
        }
        touch = self._touch(plan, side)
        if self.config.exit_order_type == "LIMIT" and touch is not None:
            offset = self.config.exit_limit_offset_ticks * plan.tick_size
            price = (
                round_to_tick(touch - offset, plan.tick_size, TickRounding.DOWN)
                if side == "SELL"
                else round_to_tick(touch + offset, plan.tick_size, TickRounding.UP)
            )
            fields.update(order_type="LIMIT", price=max(price, plan.tick_size))
        else:
            fields.update(order_type="MARKET", market_protection=self.config.market_protection)
        message = f"exit of trade {b.trade_id}: {reason}"
        order = self._submit(b, "exit", fields, message)
        if order is not None:
            log.info("trade %s: closing %s %d (%s), order %s", b.trade_id, side, units, reason, order.key)

    def _submit(self, b: Bracket, leg: Leg, fields: dict[str, Any], message: str) -> ManagedOrder | None:
        if self._attempts(b, leg) >= self.config.max_attempts:
            if not any(e.startswith(leg) for e in b.errors):
                self._error(b, f"{leg} given up after {self._attempts(b, leg)} refused placements")
            return None
        units = int(fields["quantity"])
        approval = self._approve(b, str(fields["transaction_type"]), units, fields.get("price"), None)
        if approval is None or approval.quantity < units:
            self._refused(b, leg, "risk engine refused" if approval is None else "risk engine cut the size")
            return None
        fields["tag"] = self.oms.new_key(self.clock.now_ns())
        request = OrderRequest.model_validate(fields)
        keys = {"stop": b.stop_keys, "target": b.target_keys, "exit": b.exit_keys}[leg]
        keys.append(request.tag)
        self._by_order[request.tag] = b
        order = self.oms.submit_nowait(
            request, approval, purpose=leg, parent_key=b.plan.entry_key, message=message
        )
        return order

    def _approve(
        self, b: Bracket, side: str, units: int, price: float | None, key: str | None
    ) -> Approval | None:
        """:meth:`RiskEngine.check` of ``units`` at ``price``; None (with a risk notice) when refused."""
        plan = b.plan
        reference = self._last(plan) or price or plan.stop_trigger
        intent = OrderIntent(
            token=plan.token,
            symbol=plan.tradingsymbol,
            exchange=plan.exchange,
            product=plan.product,
            side=side,
            quantity=units,
            reference_price=reference,
            price=price,
            lot_size=max(plan.lot_size, 1),
            tick_size=plan.tick_size,
            freeze_quantity=plan.freeze_quantity,
            underlying=plan.underlying or plan.tradingsymbol,
            kind=plan.kind,
            multiplier=plan.multiplier,
        )
        approval, refusal = self.placer.check(intent)
        if approval is None:
            log.error("trade %s: risk refused a protective order: %s", b.trade_id, refusal)
        return approval

    def _cancel(self, b: Bracket, order: ManagedOrder) -> None:
        if self._calls.get(order.key) == "cancel" or not self._modifiable(order, allow_busy=True):
            return
        self._calls[order.key] = "cancel"
        self._spawn(order.key, self.oms.cancel(order.key), b)

    def _spawn(self, key: str, call: Coroutine[Any, Any, bool], b: Bracket) -> None:
        kind = self._calls.get(key)
        task = asyncio.ensure_future(call)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if self._calls.get(key) == kind:
                del self._calls[key]
            if not t.cancelled() and t.exception() is not None:
                log.error("protection call on %s failed", key, exc_info=t.exception())
            self._converge(b)  # the answer may leave something to do (a refused modify, a late fill)

        task.add_done_callback(done)

    # ----- helpers --------------------------------------------------------------------------------

    def _known(self, key: str) -> ManagedOrder:
        order = self.oms.get(key)
        if order is None:
            raise KeyError(f"order {key} is not known to the OMS")
        return order

    def _attempts(self, b: Bracket, leg: Leg) -> int:
        """Refused placements of ``leg``: by the risk engine, and orders the broker rejected."""
        keys = {"stop": b.stop_keys, "target": b.target_keys, "exit": b.exit_keys}[leg]
        rejected = 0
        for key in keys:
            order = self.oms.get(key)
            if order is not None and order.state is S.REJECTED:
                rejected += 1
        return b.refused.get(leg, 0) + rejected

    def _live(self, keys: list[str]) -> list[ManagedOrder]:
        out = []
        for key in keys:
            order = self.oms.get(key)
            if order is not None and not order.state.is_terminal:
                out.append(order)
        return out

    def _modifiable(self, order: ManagedOrder, *, allow_busy: bool = False) -> bool:
        """At the broker (an order id, OPEN / TRIGGER PENDING / PARTIALLY FILLED) and, unless
        ``allow_busy`` (a cancel), no call of ours nor an unconfirmed modification on it."""
        if order.broker_order_id is None or order.state not in _AT_BROKER:
            return False
        return allow_busy or (order.key not in self._calls and order.modifying is None)

    def _refused(self, b: Bracket, leg: Leg, why: str) -> None:
        b.refused[leg] = b.refused.get(leg, 0) + 1
        log.warning("trade %s: %s not placed (%s)", b.trade_id, leg, why)

    def _error(self, b: Bracket, message: str) -> None:
        b.errors.append(message)
        log.error("trade %s: %s", b.trade_id, message)
        self._event(b, "error", message)

    def _event(self, b: Bracket, kind: str, message: str) -> None:
        self.oms.writer.submit(
            "record_risk_event",
            self.clock.now_ns(),
            "protection",
            code=f"PROTECTION_{kind.upper()}",
            message=message,
            payload={"trade_id": b.trade_id, "symbol": b.plan.tradingsymbol, "position": self.position(b)},
        )

    def _last(self, plan: ProtectionPlan) -> float:
        tick = self.ticks.latest(plan.token) if self.ticks is not None else None
        if tick is not None and 0.0 < tick.last_price < math.inf:
            return float(tick.last_price)
        return plan.reference_price or 0.0

    def _touch(self, plan: ProtectionPlan, side: str) -> float | None:
        tick = self.ticks.latest(plan.token) if self.ticks is not None else None
        if tick is None:
            return plan.reference_price
        value = float(tick.bid if side == "SELL" else tick.ask)
        if 0.0 < value < math.inf:
            return value
        return self._last(plan) or None


def _open_units(order: ManagedOrder) -> int:
    """Units of ``order`` that may still trade: on the larger of its terms and those asked for by a
    modification in flight (either may be what rests at the exchange)."""
    quantity = order.request.quantity
    if order.modifying is not None:
        quantity = max(quantity, order.modifying.quantity)
    return max(quantity - order.filled_quantity, 0)


__all__ = [
    "Bracket",
    "ProtectionConfig",
    "ProtectionManager",
    "ProtectionPlan",
    "collar_band",
    "stop_limit_price",
]
