"""Exits: the stop loss and target of positions opened from signals, in the traded instrument's terms.

An executor that opens a position for a signal records its :class:`ExitPlan` in the
:class:`ExitPlans` book: the traded instrument's token and product, the position's side
and the stop and target as prices of that instrument. The DirectExecutor trades the
signal's own instrument, so its plan carries the signal's levels; the options executor
trades an option on the signal's underlying and records premium levels. The
:class:`ExitMonitor` compares the traded token's last price (TickStore) with the plan on
every TICK_BATCH — never with the signal's levels, which may be the underlying's — and
when a long's price is at or below its stop or at or above its target (the reverse for a
short) it sends a MARKET exit for the whole position through its closer
(:meth:`DirectExecutor.close_position`: :meth:`RiskEngine.check`, where an order that
only reduces a position passes the exposure caps, then the OMS). When a fill leaves a
position flat, the signals planned on it become CLOSED and their plans are dropped.
:meth:`ExitMonitor.square_off_all` flattens every open position of the given products
(MIS by default) as our book sees it, once. The shutdown's square-off is
:func:`alphastock.execution.squareoff.square_off`, which works from the broker's
positions and retries until flat.

Nothing here registers itself: the builder subscribes :meth:`ExitMonitor.on_event` to
TICK_BATCH and adds :meth:`ExitMonitor.on_fill` as an OMS fill listener after the
portfolio's (a fill must have moved the position before flatness is checked).

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from alphastock.engine import Health
from alphastock.events import Event, EventType, FillInfo
from alphastock.execution.orders import ManagedOrder
from alphastock.execution.portfolio import Holding
from alphastock.ports import LatestPrices
from alphastock.signals.model import Signal, SignalStatus

log = logging.getLogger(__name__)

_SIDES = ("BUY", "SELL")


@dataclass(frozen=True, slots=True)
class ExitPlan:
    """How the position opened for signal ``signal_id`` is exited, in the traded instrument's terms.

    ``token`` and ``product`` name the position (the traded instrument, which for an options trade
    is the option, not the signal's underlying); ``side`` is the entry's side (BUY: a long
    position). ``stop`` and ``target`` are prices of the traded instrument in rupees (an option's
    premium for an options trade); a plan with neither only waits for the position to be flat
    (a signal that closed a position), and exits nothing.
    """

    signal_id: str
    token: int
    product: str
    side: str
    stop: float | None = None
    target: float | None = None

    def __post_init__(self) -> None:
        if self.side not in _SIDES:
            raise ValueError(f"exit plan side must be BUY or SELL, got {self.side!r}")
        if self.stop is not None and self.target is not None:
            long = self.side == "BUY"
            if (long and not self.stop < self.target) or (not long and not self.target < self.stop):
                raise ValueError(
                    f"exit plan of {self.signal_id}: a {self.side} needs the stop "
                    f"{'below' if long else 'above'} the target, got stop {self.stop} / target {self.target}"
                )

    @classmethod
    def of_signal(cls, signal: Signal, token: int, product: str) -> ExitPlan:
        """The plan of a position in the signal's own instrument (``token``): the signal's side, stop
        loss and target (what the DirectExecutor trades)."""
        return cls(signal.id, token, product, signal.action.value, signal.stop_loss, signal.target)

    @property
    def watched(self) -> bool:
        """Whether prices are watched (a stop or a target is set)."""
        return self.stop is not None or self.target is not None

    def hit(self, price: float) -> str | None:
        """Why the position exits at ``price`` (rupees, the traded instrument's), or None."""
        stop, target = self.stop, self.target
        if self.side == "BUY":
            if stop is not None and price <= stop:
                return f"stop loss {stop} hit at {price}"
            if target is not None and price >= target:
                return f"target {target} hit at {price}"
        else:
            if stop is not None and price >= stop:
                return f"stop loss {stop} hit at {price}"
            if target is not None and price <= target:
                return f"target {target} hit at {price}"
        return None


class ExitPlans:
    """The exit plans of open positions, by signal id: executors add, the :class:`ExitMonitor` follows.

    Constructed before the executors and the monitor, and given to both: neither holds the other."""

    def __init__(self) -> None:
        self._plans: dict[str, ExitPlan] = {}

    def add(self, plan: ExitPlan) -> bool:
        """Record ``plan``; a signal's first plan stays (False when it had one already)."""
        if plan.signal_id in self._plans:
            return False
        self._plans[plan.signal_id] = plan
        return True

    def get(self, signal_id: str) -> ExitPlan | None:
        """The plan of ``signal_id``, or None."""
        return self._plans.get(signal_id)

    def remove(self, signal_id: str) -> ExitPlan | None:
        """Drop and return the plan of ``signal_id`` (None when it has none)."""
        return self._plans.pop(signal_id, None)

    def on_position(self, token: int, product: str) -> list[ExitPlan]:
        """The plans of the position ``(token, product)``."""
        return [p for p in self._plans.values() if p.token == token and p.product == product]

    def __iter__(self) -> Iterator[ExitPlan]:
        return iter(list(self._plans.values()))

    def __len__(self) -> int:
        return len(self._plans)


class Closer(Protocol):
    """What sends an exit: ``DirectExecutor.close_position`` fits."""

    def close_position(
        self, holding: Holding, reason: str, *, signal_id: str | None = None, purpose: str = "exit"
    ) -> ManagedOrder | None: ...


class Positions(Protocol):
    """The book of positions (:class:`~alphastock.execution.portfolio.Portfolio` fits)."""

    def position(self, token: int, product: str) -> Holding | None: ...

    def positions(self, *, open_only: bool = False) -> list[Holding]: ...


class SignalBook(Protocol):
    """What the monitor needs of the :class:`~alphastock.signals.manager.SignalManager`."""

    def get(self, signal_id: str) -> Signal | None: ...

    def update_status(
        self, signal_id: str, status: SignalStatus | str, reason: str | None = None, **metadata: Any
    ) -> Signal | None: ...


class OrderBook(Protocol):
    """Orders by idempotency key (the :class:`~alphastock.execution.oms.OMS` fits)."""

    def get(self, key: str) -> ManagedOrder | None: ...


class ExitMonitor:
    """Stop-loss / target exits on :class:`ExitPlan` levels, and square-off (see the module docstring)."""

    name = "exits"

    def __init__(
        self,
        plans: ExitPlans,
        *,
        closer: Closer,
        positions: Positions,
        signals: SignalBook,
        orders: OrderBook,
        ticks: LatestPrices,
        enabled: bool = True,
    ) -> None:
        self.plans = plans
        self.closer = closer
        self.positions = positions
        self.signals = signals
        self.orders = orders
        self.ticks = ticks
        self.enabled = enabled
        """False: no exit is sent (config ``execution.exits_enabled``; the shutdown turns it off so
        that no exit races its square-off). Plans are still followed to mark signals CLOSED."""
        self.exits_sent = 0
        self._exit_keys: dict[str, tuple[str, str]] = {}
        """Signal id -> (key of the order exiting its position, the reason)."""

    def on_event(self, event: Event[Any]) -> None:
        """Bus handler for TICK_BATCH."""
        if event.type is EventType.TICK_BATCH:
            self.on_ticks(event.payload.tokens)

    def on_ticks(self, tokens: Any) -> list[ManagedOrder]:
        """Check the plans on ``tokens``; returns the exit orders sent (none while :attr:`enabled` is off)."""
        if not self.enabled or not len(self.plans):
            return []
        wanted = {int(t) for t in tokens}
        sent = []
        for plan in self.plans:
            if not plan.watched or plan.token not in wanted or self._exiting(plan.signal_id):
                continue
            tick = self.ticks.latest(plan.token)
            if tick is None:
                continue
            reason = plan.hit(float(tick.last_price))
            if reason is None:
                continue
            order = self._exit(plan, reason)
            if order is not None:
                sent.append(order)
        return sent

    def on_fill(self, fill: FillInfo) -> None:
        """OMS fill listener: close the signals planned on a position this fill left flat."""
        holding = self.positions.position(fill.token, fill.product)
        if holding is None or holding.quantity != 0:
            return
        for plan in self.plans.on_position(fill.token, fill.product):
            sid = plan.signal_id
            current = self.signals.get(sid)
            if current is not None and current.status is SignalStatus.ACTIVE:
                _, reason = self._exit_keys.get(sid, ("", "position flat"))
                self.signals.update_status(sid, SignalStatus.CLOSED, reason, exit_price=fill.price)
            self.plans.remove(sid)
            self._exit_keys.pop(sid, None)

    def square_off_all(self, reason: str, products: tuple[str, ...] = ("MIS",)) -> list[ManagedOrder]:
        """MARKET orders flattening every open position of ``products`` in our book; returns them."""
        orders = []
        for holding in self.positions.positions(open_only=True):
            if holding.product not in products:
                continue
            order = self.closer.close_position(holding, reason, purpose="square_off")
            if order is not None:
                orders.append(order)
                for plan in self.plans.on_position(holding.token, holding.product):
                    self._exit_keys[plan.signal_id] = (order.key, reason)
        return orders

    def health(self) -> Health:
        """``ok``, with plans followed and exits sent as metrics."""
        return Health("ok", "", {"tracked": float(len(self.plans)), "exits_sent": float(self.exits_sent)})

    def _exiting(self, signal_id: str) -> bool:
        sent = self._exit_keys.get(signal_id)
        if sent is None:
            return False
        order = self.orders.get(sent[0])
        # A refused or cancelled exit is retried on the next tick.
        return order is not None and not (order.state.is_terminal and order.state.value != "FILLED")

    def _exit(self, plan: ExitPlan, reason: str) -> ManagedOrder | None:
        holding = self.positions.position(plan.token, plan.product)
        if holding is None or holding.quantity == 0:
            return None
        order = self.closer.close_position(holding, reason, signal_id=plan.signal_id)
        if order is not None:
            self._exit_keys[plan.signal_id] = (order.key, reason)
            self.exits_sent += 1
        return order


__all__ = ["Closer", "ExitMonitor", "ExitPlan", "ExitPlans"]
