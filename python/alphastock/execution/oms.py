"""The order management system: state table, idempotency keys, broker updates, fills, reconciliation.

Every order (see :mod:`alphastock.execution.transitions` for its states):

1. :meth:`OMS.submit_nowait` (sync, on the engine loop) takes an :class:`OrderRequest`
   and the :class:`~alphastock.execution.orders.Approval` that
   :meth:`RiskEngine.check` produced — there is no way to send an order without
   one. The order (state NEW, ``tag`` = its idempotency key) is appended to the
   journal and queued for DuckDB's ``orders`` table (the journal is the
   durability point; DuckDB is written right after by the background writer,
   never waited for), then the broker call is scheduled.
2. ``SUBMITTED`` is journaled, ``submit_ns`` stamped for the latency trace, and
   ``broker.place_order`` awaited: an order id, a refusal (REJECTED) or an
   ambiguous outcome (UNKNOWN: the order may exist; never resent).
3. Broker order updates (:meth:`run_updates` over ``broker.order_updates()``, when the broker
   declares ``streams_order_updates``) and
   the periodic :meth:`reconcile` (``broker.orders()``, matching UNKNOWN orders by
   tag) are mapped to transitions; an illegal one is refused, logged, and nothing of it is
   taken. Each transition is journaled, written to DuckDB and published (ORDER_* events); a
   modification's terms the broker confirmed go with it (the ``orders`` row's quantity, price
   and trigger). A CANCEL_PENDING order the broker reports resting stays CANCEL_PENDING, taking
   the report's terms and fills, while its cancel request stands (see :meth:`OMS.cancel`).
   An UNKNOWN order whose tag is still missing from :data:`ABSENT_READS` successful
   order-book reads taken ``unknown_timeout_s`` or more after the call was never
   placed (Kite's book lists every order of the day, rejected ones included): it
   becomes REJECTED, so its signal, its risk reservation and the health check move on.
4. When ``filled_quantity`` grows, the new executions are fetched with
   ``broker.order_trades`` and emitted as one FILL per new ``trade_id``; if that
   call fails the fill is derived from the deltas (quantity, average price) with
   ``trade_id`` ``<key>-d<filled>`` and ``derived=True`` in the journal. Fills are
   deduplicated by trade id, and real trades covering already-derived quantity
   are skipped, so no unit is lost or counted twice (see :mod:`alphastock.execution.fills`).

5. While :class:`~alphastock.execution.broker_health.BrokerHealth` says the broker is unreachable,
   a new order is not sent (REJECTED, "not sent: broker unreachable") and the reconciliation loop
   backs off exponentially on the engine clock (up to ``retry_max_s``) until the broker answers.

Prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from alphastock.brokers.errors import AmbiguousOrderOutcome, BrokerError
from alphastock.clock import Clock, LiveClock, pace, seconds_between
from alphastock.engine import Health
from alphastock.events import Event, EventType
from alphastock.execution.broker_health import BrokerHealth
from alphastock.execution.charging import FillCharges
from alphastock.execution.fills import FillCollector, FillListener
from alphastock.execution.orders import Approval, ManagedOrder, NotApprovedError, new_order_key
from alphastock.execution.transitions import (
    RESTING,
    IllegalTransitionError,
    OrderState,
    check_transition,
    reported_state,
    state_from_kite,
)
from alphastock.latency import LatencyRecorder, OrderTrace
from alphastock.latency import now_ns as wall_ns
from alphastock.models import Order, OrderRequest
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import Lazy, StoreWriter
from alphastock.ports import ExecutionClient, Publisher
from alphastock.store.records import OrderRecord

log = logging.getLogger(__name__)

ABSENT_READS = 2
"""Successful order-book reads (after ``unknown_timeout_s``) that must all lack an UNKNOWN order's
tag before it is taken as never placed: one read could race the broker's own book update."""
S = OrderState

_EVENT_OF: dict[OrderState, EventType] = {
    S.SUBMITTED: EventType.ORDER_SUBMITTED,
    S.OPEN: EventType.ORDER_ACCEPTED,
    S.TRIGGER_PENDING: EventType.ORDER_ACCEPTED,
    S.FILLED: EventType.ORDER_FILLED,
    S.CANCELLED: EventType.ORDER_CANCELLED,
    S.REJECTED: EventType.ORDER_REJECTED,
}

OrderListener = Callable[[ManagedOrder], None]


@dataclass(slots=True)
class Stamps:
    """Latency stamps known before the OMS (wall clock, ns): tick received, signal handed over, risk done."""

    tick_ns: int
    signal_ns: int
    risk_ns: int


@dataclass(slots=True)
class OmsCounters:
    """Counters of the :class:`OMS`."""

    submitted: int = 0
    rejected: int = 0
    ambiguous: int = 0
    illegal_transitions: int = 0
    fills: int = 0
    derived_fills: int = 0
    updates: int = 0
    unmatched_updates: int = 0
    reconciliations: int = 0
    reconciled_changes: int = 0
    unknown_absent: int = 0
    """UNKNOWN orders found absent from the broker's book (so never placed) and rejected."""
    not_sent: int = 0
    """Orders refused before the broker call because the broker was unreachable."""


class OMS(FillCollector):
    """Order management over one broker (see the module docstring)."""

    name = "oms"

    def __init__(
        self,
        broker: ExecutionClient,
        journal: Journal,
        writer: StoreWriter,
        bus: Publisher,
        clock: Clock | None = None,
        *,
        reconcile_interval_s: float = 5.0,
        recorder: LatencyRecorder | None = None,
        trade_lag_s: float = 0.25,
        charges: FillCharges | None = None,
        unknown_timeout_s: float = 30.0,
        health: BrokerHealth | None = None,
        retry_max_s: float = 60.0,
    ) -> None:
        self.broker = broker
        self.journal = journal
        self.writer = writer
        self.bus = bus
        self.clock: Clock = clock or LiveClock()
        self.reconcile_interval_s = reconcile_interval_s
        self.trade_lag_s = trade_lag_s
        """Seconds to wait before looking at the trade book again when it lacks reported fills."""
        self.recorder = recorder
        self.charges = charges
        """Prices each fill (rupees, booked on the FILL and in the store); None books 0."""
        self.unknown_timeout_s = unknown_timeout_s
        """Engine seconds after an ambiguous call before the broker's book may show the order absent."""
        self.broker_health = health
        """The broker's reachability (None: always taken as reachable)."""
        self.retry_max_s = retry_max_s
        """Longest pause between reconciliation reads while the broker is unreachable, engine seconds."""
        self.counters = OmsCounters()
        self._orders: dict[str, ManagedOrder] = {}
        self._by_broker_id: dict[str, ManagedOrder] = {}
        self._order_listeners: list[OrderListener] = []
        self._fill_listeners: list[FillListener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._fill_locks: dict[str, asyncio.Lock] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._emitted_value: dict[str, float] = {}
        self._cancel_unconfirmed: set[str] = set()
        """CANCEL_PENDING orders whose cancel request the broker did not take (refused, outcome unknown,
        asked by an earlier session): the broker's next report of one resting returns it to that state."""

    # ----- wiring ---------------------------------------------------------------------------------

    def add_order_listener(self, listener: OrderListener) -> None:
        """Called synchronously after every state or fill change of an order."""
        self._order_listeners.append(listener)

    def add_fill_listener(self, listener: FillListener) -> None:
        """Called synchronously with every new fill (before the FILL event is published)."""
        self._fill_listeners.append(listener)

    # ----- submission -----------------------------------------------------------------------------

    def create(
        self,
        request: OrderRequest,
        approval: Approval,
        *,
        signal_id: str | None = None,
        purpose: str = "entry",
        parent_key: str | None = None,
        message: str | None = None,
    ) -> ManagedOrder:
        """Journal and queue a NEW order (``request.tag`` must be a key from :func:`new_order_key` or
        :meth:`new_key`); raises :class:`NotApprovedError` when ``approval`` does not cover it.
        ``message`` (why the order is made) is its first ``status_message``."""
        order, record = self._journal_new(request, approval, signal_id, purpose, parent_key, message)
        self._queue_insert(record)
        return order

    def _journal_new(
        self,
        request: OrderRequest,
        approval: Approval,
        signal_id: str | None,
        purpose: str,
        parent_key: str | None = None,
        message: str | None = None,
    ) -> tuple[ManagedOrder, dict[str, Any]]:
        """The checks and the journal's NEW record: all that must precede a broker call."""
        if not isinstance(approval, Approval) or not approval.covers(request):
            raise NotApprovedError(f"order {request.tag}: no risk approval covers it")
        if request.tag in self._orders:
            raise ValueError(f"idempotency key {request.tag} already used")
        now = self.clock.now_ns()
        order = ManagedOrder(
            key=request.tag,
            request=request,
            state=S.NEW,
            created_ns=now,
            updated_ns=now,
            signal_id=signal_id,
            parent_key=parent_key,
            purpose=purpose,
            message=message,
        )
        record = order.journal_record()
        self.journal.append("order", record)
        self._orders[order.key] = order
        return order, record

    def _queue_insert(self, record: dict[str, Any]) -> None:
        self.writer.submit("insert_order", Lazy(lambda: OrderRecord(**record)))

    def submit_nowait(
        self,
        request: OrderRequest,
        approval: Approval,
        *,
        signal_id: str | None = None,
        purpose: str = "entry",
        stamps: Stamps | None = None,
        parent_key: str | None = None,
        message: str | None = None,
    ) -> ManagedOrder:
        """:meth:`create`, with the broker call started on this call (see :meth:`_start`) and awaited by
        a task; returns the order (SUBMITTED when the call started). ``parent_key`` and ``message`` as
        in :meth:`create`.

        Why this order of steps: only the approval check and the journal's NEW record (the
        durability point: after a crash the order is found by its tag) precede the broker call.
        The DuckDB row and the task that awaits the answer follow the hand-over, so they add
        nothing to tick-to-submit.
        """
        order, record = self._journal_new(request, approval, signal_id, purpose, parent_key, message)
        if self._unreachable():
            self._queue_insert(record)
            self._not_sent(order)
            return order
        started = self._start(order)
        self._queue_insert(record)
        self._spawn(self._complete(order, started, stamps))
        return order

    async def submit(
        self,
        request: OrderRequest,
        approval: Approval,
        *,
        signal_id: str | None = None,
        purpose: str = "entry",
        stamps: Stamps | None = None,
    ) -> ManagedOrder:
        """:meth:`create` and :meth:`send`; returns the order after the broker call."""
        order = self.create(request, approval, signal_id=signal_id, purpose=purpose)
        await self.send(order, stamps)
        return order

    @staticmethod
    def new_key(now_ns: int | None = None) -> str:
        """A new idempotency key (Kite tag)."""
        return new_order_key(now_ns)

    async def send(self, order: ManagedOrder, stamps: Stamps | None = None) -> None:
        """SUBMITTED, then ``broker.place_order``; the answer moves the order on.

        SUBMITTED is set in memory before the call and recorded (journal, DuckDB, ORDER_SUBMITTED)
        right after it, with the broker's order id: the NEW record with its tag is already in the
        journal, so a crash in between is resolved by reconciliation by tag, and the hot path
        saves a journal write.
        """
        if self._unreachable():
            self._not_sent(order)
            return
        await self._complete(order, self._start(order), stamps)

    def _unreachable(self) -> bool:
        return self.broker_health is not None and not self.broker_health.reachable

    def _not_sent(self, order: ManagedOrder) -> None:
        """NEW -> REJECTED without a broker call: the broker is unreachable (the gate of BrokerHealth)."""
        self.counters.not_sent += 1
        self.counters.rejected += 1
        self._transition(order, S.REJECTED, message="not sent: broker unreachable")

    def _start(self, order: ManagedOrder) -> tuple[Awaitable[str], int]:
        """SUBMITTED, and the placement handed to the broker: at once when the broker declares
        ``immediate_placement`` and can start it now (``place_order_now``: the request leaves on this
        call, not when the loop next gets to a task), else as the ``place_order`` coroutine. Returns it
        with the wall time (ns) at which the finished request was released to the broker's sender (0:
        not yet, the task stamps it when it starts)."""
        if order.state is not S.NEW:
            raise ValueError(f"order {order.key} is {order.state}, only NEW orders are sent")
        check_transition(order.key, order.state, S.SUBMITTED)
        order.state = S.SUBMITTED
        self.counters.submitted += 1
        placement = None
        if self.broker.capabilities.immediate_placement:
            try:
                placement = self.broker.place_order_now(order.request)
            except Exception:  # the coroutine path raises it again, where errors are handled
                placement = None
        if placement is None:
            return self.broker.place_order(order.request), 0
        return placement.pending, placement.released_ns

    async def _complete(
        self, order: ManagedOrder, started: tuple[Awaitable[str], int], stamps: Stamps | None
    ) -> None:
        placement, submit_ns = started
        if submit_ns == 0:
            submit_ns = wall_ns()
        try:
            broker_id = await placement
        except AmbiguousOrderOutcome as exc:
            self.counters.ambiguous += 1
            log.warning("order %s outcome unknown (%s); reconciling by tag", order.key, exc)
            order.unknown_since = self.clock.now_ns()
            self._transition(order, S.UNKNOWN, message=str(exc))
            self._spawn(self.reconcile())
            return
        except BrokerError as exc:
            self.counters.rejected += 1
            self._transition(order, S.REJECTED, message=str(exc))
            return
        finally:
            if stamps is not None and self.recorder is not None:
                trace = OrderTrace(order.key, stamps.tick_ns, stamps.signal_ns, stamps.risk_ns, submit_ns)
                self.recorder.record(trace)
        if order.broker_order_id is None:
            order.broker_order_id = broker_id
            self._by_broker_id[broker_id] = order
        self._record_submitted(order)

    def _record_submitted(self, order: ManagedOrder) -> None:
        if not order.submit_recorded and order.state is not S.NEW:
            order.submit_recorded = True
            self._record(order, S.SUBMITTED)

    async def cancel(self, key: str) -> bool:
        """Ask the broker to cancel an open order; False when it is not open or the broker did not take
        the request.

        The order is CANCEL_PENDING from the call on, and stays so, taking terms and fills, while the
        broker reports it resting (the exchange has not processed the cancel yet; see
        :mod:`alphastock.execution.transitions`) until CANCELLED or FILLED end it. When the broker
        refuses the request (the order filled, say) or its outcome is unknown, the order book is read
        again: FILLED (its fills booked) or CANCELLED when it says so, else back to the resting state it
        shows; a CANCEL_PENDING order whose request was not taken may be cancelled again.
        """
        order = self._orders.get(key)
        if order is None or order.broker_order_id is None:
            return False
        again = order.state is S.CANCEL_PENDING and key in self._cancel_unconfirmed
        if not again and order.state not in RESTING:
            return False
        if again:
            self._cancel_unconfirmed.discard(key)
        else:
            self._transition(order, S.CANCEL_PENDING)
        try:
            await self.broker.cancel_order(order.broker_order_id, order.request.variety)
        except BrokerError as exc:
            taken = "outcome unknown" if isinstance(exc, AmbiguousOrderOutcome) else "refused"
            log.warning("cancel of %s %s: %s; reading the order book", key, taken, exc)
            if order.state is S.CANCEL_PENDING:
                self._cancel_unconfirmed.add(key)
                order.message = f"cancel {taken}: {exc}"
            await self.reconcile()
            return False
        return True

    async def modify(
        self,
        key: str,
        *,
        approval: Approval,
        price: float | None = None,
        trigger_price: float | None = None,
        quantity: int | None = None,
        reason: str | None = None,
    ) -> bool:
        """Ask the broker to change an open order's limit ``price``, ``trigger_price`` (rupees) or total
        ``quantity`` (units, as Kite counts them: filled units included); ``None`` keeps a field.

        Nothing bypasses the risk engine: ``approval`` is :meth:`RiskEngine.check`'s approval of the
        order on its new terms (an :class:`~alphastock._core.OrderIntent` of the same token, side and
        product, ``quantity`` = the units that may still trade after the change, ``price`` = the new
        limit price), as :meth:`submit_nowait` takes one; :class:`NotApprovedError` when it does not
        cover them (:meth:`Approval.covers_modification`).

        Returns True when the broker took the request. The order keeps its terms until the broker
        confirms them (an update or book row in OPEN / TRIGGER PENDING / COMPLETE ... after the
        transient ``MODIFY ...`` statuses, see :meth:`apply`): until then it rests at the exchange on
        its old terms and may fill on them, and :attr:`ManagedOrder.modifying` holds the terms asked
        for. False, with the reason logged, when the order is unknown, not open at the broker (NEW,
        SUBMITTED, UNKNOWN, CANCEL_PENDING, filled, cancelled, rejected), a modification is already in
        flight, the new quantity is not above the filled quantity (cancel instead), nothing changes,
        the broker is unreachable, or the broker refused (then the order book is read again: a refusal
        usually means the order just filled or was cancelled).
        """
        order = self._orders.get(key)
        refusal = self._modify_refusal(order, quantity)
        if refusal is not None or order is None:
            log.info("modify of %s not sent: %s", key, refusal)
            return False
        current = order.request
        fields = current.model_dump()
        if quantity is not None:
            fields["quantity"] = quantity
        if price is not None:
            fields["price"] = price
        if trigger_price is not None:
            fields["trigger_price"] = trigger_price
        wanted = OrderRequest.model_validate(fields)
        if wanted == current:
            log.info("modify of %s not sent: nothing changes", key)
            return False
        if not isinstance(approval, Approval) or not approval.covers_modification(
            wanted, order.filled_quantity
        ):
            raise NotApprovedError(f"modify of {key}: no risk approval covers the new terms")
        order.modifying = wanted
        order.modifications += 1
        order.message = f"modify requested: {reason}" if reason else "modify requested"
        self._record(order, order.state, event=EventType.ORDER_UPDATED, payload=_terms(wanted, "requested"))
        assert order.broker_order_id is not None  # checked by _modify_refusal
        try:
            await self.broker.modify_order(
                order.broker_order_id,
                variety=current.variety,
                quantity=quantity if wanted.quantity != current.quantity else None,
                price=price if wanted.price != current.price else None,
                trigger_price=trigger_price if wanted.trigger_price != current.trigger_price else None,
            )
        except AmbiguousOrderOutcome as exc:
            # The change may or may not have been made: the broker's next report of the order decides.
            log.warning("modify of %s: outcome unknown (%s); reading the order book", key, exc)
            self._spawn(self.reconcile())
            return False
        except BrokerError as exc:
            if order.modifying is wanted:
                order.modifying = None
                order.message = f"modify refused: {exc}"
                self._record(order, order.state, event=EventType.ORDER_UPDATED)
            log.warning("modify of %s refused: %s", key, exc)
            await self.reconcile()
            return False
        return True

    def _modify_refusal(self, order: ManagedOrder | None, quantity: int | None) -> str | None:
        """Why ``order`` cannot be modified now (None: it can)."""
        if order is None:
            return "unknown order"
        if order.broker_order_id is None or order.state not in (
            S.OPEN,
            S.TRIGGER_PENDING,
            S.PARTIALLY_FILLED,
        ):
            return f"it is {order.state}"
        if order.modifying is not None:
            return "a modification is already in flight"
        if quantity is not None and quantity <= order.filled_quantity:
            return f"quantity {quantity} is not above the filled {order.filled_quantity} (cancel instead)"
        if self._unreachable():
            return "broker unreachable"
        return None

    def _take_terms(self, order: ManagedOrder, update: Order) -> bool:
        """The broker's terms of ``order`` (quantity, limit price, trigger) from a confirming update of
        a modified order; True when they changed the request or ended a modification in flight."""
        pending = order.modifying
        if pending is None and order.modifications == 0 and not update.modified:
            return False  # never modified: nothing to take (and fakes' rows may omit the terms)
        request = order.request
        fields: dict[str, Any] = {}
        if update.quantity > 0 and update.quantity != request.quantity:
            fields["quantity"] = update.quantity
        if request.price is not None and update.price > 0 and update.price != request.price:
            fields["price"] = update.price
        trigger = update.trigger_price
        if request.trigger_price is not None and trigger > 0 and trigger != request.trigger_price:
            fields["trigger_price"] = trigger
        order.modifying = None
        if fields:
            try:
                order.request = OrderRequest.model_validate({**request.model_dump(), **fields})
            except ValueError:
                log.warning("order %s: broker terms %s not taken (invalid)", order.key, fields)
        if pending is not None and order.request != pending:
            # The exchange refused the change, or this report predates it (a later one brings it).
            log.info(
                "order %s: modification not (yet) applied by the broker (asked %s, rests at %s)",
                order.key, _terms(pending, "asked"), _terms(order.request, "now"),
            )  # fmt: skip
        return bool(fields) or pending is not None

    # ----- broker updates -------------------------------------------------------------------------

    def apply(self, update: Order) -> bool:
        """Apply a broker order (update or order-book row); False when it is not ours or changed nothing."""
        order = self._by_broker_id.get(update.order_id)
        if order is None and update.tag:
            order = self._orders.get(update.tag)
            if order is not None and order.broker_order_id is None:
                order.broker_order_id = update.order_id
                self._by_broker_id[update.order_id] = order
        if order is None:
            self.counters.unmatched_updates += 1
            return False
        self.counters.updates += 1
        self._record_submitted(order)
        reported = state_from_kite(update.status, update.filled_quantity, update.quantity)
        taken = order.key not in self._cancel_unconfirmed
        new_state = reported_state(order.state, reported, cancel_taken=taken)
        if new_state is not None and new_state is not order.state and not self._legal(order, new_state):
            return False  # nothing of an update the table refuses is taken
        terms = new_state is not None and self._take_terms(order, update)
        filled = max(update.filled_quantity, order.filled_quantity)
        grew = filled > order.filled_quantity
        if grew:
            order.filled_quantity = filled
            order.average_price = update.average_price or order.average_price
        if new_state is None or new_state is order.state:
            if grew or terms:
                self._record(order, order.state, event=EventType.ORDER_UPDATED, terms=terms)
            if grew:
                self._spawn(self._collect_fills(order))
            return grew or terms
        self._transition(order, new_state, message=update.status_message, terms=terms)
        if grew or (new_state is S.FILLED and order.fill_quantity < order.filled_quantity):
            self._spawn(self._collect_fills(order))
        return True

    async def run_updates(self) -> None:
        """Consume ``broker.order_updates()`` until cancelled."""
        async for update in self.broker.order_updates():
            try:
                self.apply(update)
            except Exception:
                log.exception("order update %s not applied", update.order_id)

    async def reconcile(self) -> int:
        """Compare open orders with ``broker.orders()``; apply what was missed. Returns orders changed."""
        self.counters.reconciliations += 1
        try:
            book = await self.broker.orders()
        except BrokerError as exc:
            # While the broker is unreachable BrokerHealth has said so once; no line per retry.
            level = logging.DEBUG if self._unreachable() else logging.WARNING
            log.log(level, "reconciliation skipped: %s", exc)
            return 0
        changed = 0
        by_tag = {o.tag: o for o in book if o.tag}
        by_id = {o.order_id: o for o in book}
        for order in list(self._orders.values()):
            if order.state.is_terminal and order.fill_quantity >= order.filled_quantity:
                continue
            row = by_id.get(order.broker_order_id or "") or by_tag.get(order.key)
            if row is None and order.state is S.UNKNOWN:
                changed += self._absent(order)
            elif row is not None and self.apply(row):
                changed += 1
            elif order.fill_quantity < order.filled_quantity:
                self._spawn(self._collect_fills(order))  # fills still missing: look again
        self.counters.reconciled_changes += changed
        return changed

    def _absent(self, order: ManagedOrder) -> bool:
        """One more successful book read without UNKNOWN ``order``; True when that rejected it."""
        waited = seconds_between(order.unknown_since, self.clock.now_ns())
        if waited < self.unknown_timeout_s:
            return False
        order.absent_reads += 1
        if order.absent_reads < ABSENT_READS:
            return False
        self.counters.unknown_absent += 1
        message = (
            f"not in the broker's order book {waited:.0f} s after the ambiguous call "
            f"({order.absent_reads} reads, tag {order.key}): never placed"
        )
        log.warning("order %s %s; rejected", order.key, message)
        self._transition(order, S.REJECTED, message=message)
        return True

    async def _reconcile_loop(self) -> None:
        while True:
            if self._unreachable():
                await self._backoff()
            else:
                await pace(self.clock, self.reconcile_interval_s)
            try:
                await self.reconcile()
            except Exception:
                log.exception("reconciliation failed")

    async def _backoff(self) -> None:
        """The pause before the next read of an unreachable broker, on the engine clock."""
        assert self.broker_health is not None
        await pace(self.clock, self.broker_health.backoff_s(self.reconcile_interval_s, self.retry_max_s))

    def unresolved(self) -> list[ManagedOrder]:
        """Orders whose placement outcome is still UNKNOWN."""
        return [o for o in self._orders.values() if o.state is S.UNKNOWN]

    # ----- transitions ----------------------------------------------------------------------------

    def _legal(self, order: ManagedOrder, new: OrderState) -> bool:
        """Whether ``order`` may move to ``new``; a refusal is counted and logged."""
        try:
            check_transition(order.key, order.state, new)
        except IllegalTransitionError:
            self.counters.illegal_transitions += 1
            log.warning("order %s: %s -> %s refused (illegal transition)", order.key, order.state, new)
            return False
        return True

    def _transition(
        self, order: ManagedOrder, new: OrderState, *, message: str | None = None, terms: bool = False
    ) -> None:
        self._record_submitted(order)  # keep the recorded history in order
        if not self._legal(order, new):
            raise IllegalTransitionError(f"order {order.key}: {order.state} -> {new} is not allowed")
        if order.state is S.CANCEL_PENDING:
            self._cancel_unconfirmed.discard(order.key)
        order.state = new
        if message:
            order.message = message
        self._record(order, new, terms=terms)

    def _record(
        self,
        order: ManagedOrder,
        state: OrderState,
        *,
        event: EventType | None = None,
        payload: dict[str, Any] | None = None,
        terms: bool = False,
    ) -> None:
        """Journal, store and publish ``order`` in ``state``; ``terms``: the broker confirmed its terms
        (a modification's), which are recorded (``orders`` row, ``payload``) with it."""
        order.updated_ns = self.clock.now_ns()
        fields: dict[str, Any] = {
            "broker_order_id": order.broker_order_id,
            "filled_quantity": order.filled_quantity,
            "average_price": order.average_price,
            "status_message": order.message,
        }
        if terms:
            payload = _terms(order.request, "confirmed")
            fields.update({k: payload[k] for k in ("quantity", "price", "trigger_price")})
        if payload is not None:
            fields["payload"] = payload  # the order_events row's JSON (a modification's terms)
        self.journal.append(
            "order_transition",
            {"key": order.key, "to_state": state.value, "ts_ns": order.updated_ns, **fields},
        )
        self.writer.submit("transition_order", order.key, state.value, order.updated_ns, **fields)
        for listener in self._order_listeners:
            try:
                listener(order)
            except Exception:
                log.exception("order listener failed on %s", order.key)
        kind = event or _EVENT_OF.get(state, EventType.ORDER_UPDATED)
        self.bus.publish_nowait(Event(kind, order.snapshot(), ts_event=order.updated_ns))

    # ----- queries and lifecycle ------------------------------------------------------------------

    def restore(self, row: Mapping[str, Any], *, purpose: str, trade_ids: Iterable[str] = ()) -> ManagedOrder:
        """Follow again an order an earlier session placed (its ``orders`` row), e.g. an options trade's
        resting stop after a restart: registered by key and broker order id in its stored state, with no
        journal record (the earlier session journaled it) and no broker call; the broker's book
        (reconciliation) and its updates move it on from there. ``trade_ids`` are the executions
        already booked for it (``fills``), so they are not booked twice. ``purpose`` is the order's
        (``stop``, ``target`` ...: not stored in the row). Returns the tracked order (the one already
        tracked when its key is known)."""
        key = str(row["idempotency_key"])
        known = self._orders.get(key)
        if known is not None:
            return known
        order_type = str(row["order_type"])
        fields: dict[str, Any] = {
            "tag": key, "exchange": row["exchange"], "tradingsymbol": row["symbol"],
            "instrument_token": int(row.get("token") or 0), "transaction_type": row["side"],
            "quantity": int(row["quantity"]), "product": row["product"], "order_type": order_type,
            "variety": row.get("variety") or "regular", "price": row.get("price"),
            "trigger_price": row.get("trigger_price"),
        }  # fmt: skip
        if row.get("validity"):
            fields["validity"] = row["validity"]
        if order_type in ("MARKET", "SL-M"):
            fields["market_protection"] = -1.0  # a record of an order already at the broker
        filled = int(row.get("filled_quantity") or 0)
        state = S(str(row["state"]))
        if state is S.NEW:
            # Journaled but its broker call's outcome never recorded: only the book (by tag) can tell.
            state = S.UNKNOWN
        order = ManagedOrder(
            key=key, request=OrderRequest.model_validate(fields), state=state,
            created_ns=int(row["created_ns"]), updated_ns=int(row.get("updated_ns") or row["created_ns"]),
            signal_id=row.get("signal_id"), parent_key=row.get("parent_id"), purpose=purpose,
            broker_order_id=row.get("broker_order_id"), filled_quantity=filled,
            average_price=row.get("average_price"), message=row.get("status_message"),
            fill_quantity=filled, trade_ids=set(trade_ids), submit_recorded=True,
            unknown_since=self.clock.now_ns() if state is S.UNKNOWN else 0,
        )  # fmt: skip
        self._orders[key] = order
        if order.broker_order_id:
            self._by_broker_id[order.broker_order_id] = order
        if order.state is S.CANCEL_PENDING:
            # This session did not see the broker take that cancel: the book's next report decides.
            self._cancel_unconfirmed.add(key)
        log.info("order %s (%s, %s) of an earlier session followed again", key, purpose, order.state)
        return order

    def get(self, key: str) -> ManagedOrder | None:
        """The order with this idempotency key."""
        return self._orders.get(key)

    def orders(self) -> list[ManagedOrder]:
        """Every order, in creation order."""
        return list(self._orders.values())

    def open_orders(self) -> list[ManagedOrder]:
        """Orders that may still trade (SUBMITTED, OPEN, TRIGGER_PENDING, PARTIALLY_FILLED, CANCEL_PENDING,
        UNKNOWN)."""
        return [o for o in self._orders.values() if o.state.is_open]

    def stats(self) -> dict[str, int]:
        """Counters plus orders by state."""
        out = {k: int(v) for k, v in asdict(self.counters).items()}
        for o in self._orders.values():
            out[f"state_{o.state.value.lower()}"] = out.get(f"state_{o.state.value.lower()}", 0) + 1
        return out

    @property
    def in_flight(self) -> int:
        """Broker calls and fill collections started and not yet finished."""
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until every broker call and fill collection the OMS started has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def initialize(self) -> None:
        """Nothing to prepare."""

    async def start(self) -> None:
        """Start the reconciliation loop, and consuming broker updates when the broker declares it
        streams them (``streams_order_updates``; without it the book reads alone move orders on)."""
        self._loops = []
        if self.broker.capabilities.streams_order_updates:
            self._loops.append(asyncio.create_task(self.run_updates(), name="oms-updates"))
        self._loops.append(asyncio.create_task(self._reconcile_loop(), name="oms-reconcile"))

    async def stop(self) -> None:
        """Finish in-flight calls, stop the loops."""
        await self.idle()
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops = []

    def health(self) -> Health:
        """``ok``, or ``degraded`` while an order's outcome is UNKNOWN; the counters as metrics."""
        unknown = [o.key for o in self._orders.values() if o.state is S.UNKNOWN]
        metrics = {k: float(v) for k, v in self.stats().items()}
        if unknown:
            return Health("degraded", f"outcome unknown: {', '.join(unknown[:5])}", metrics)
        return Health("ok", "", metrics)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("OMS task failed", exc_info=task.exception())


def _terms(request: OrderRequest, stage: str) -> dict[str, Any]:
    """A modification's terms for the journal and ``order_events.payload``: quantity units, prices rupees."""
    return {
        "modify": stage,
        "quantity": request.quantity,
        "price": request.price,
        "trigger_price": request.trigger_price,
    }


__all__ = ["OMS", "FillListener", "OmsCounters", "OrderListener", "Stamps"]
