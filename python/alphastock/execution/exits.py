"""Exits: stop loss and target of positions opened from signals, and the square-off of everything.

:class:`ExitMonitor` tracks each signal whose entry filled. On every TICK_BATCH
it reads the last price of the tracked tokens from the TickStore; when a BUY's
price is at or below its stop loss or at or above its target (the reverse for a
SELL) it sends a MARKET exit for the whole position through
:meth:`DirectExecutor.close_position` — i.e. through :meth:`RiskEngine.check`
(an order that only reduces a position passes the exposure caps) and the OMS.
When a fill leaves the position flat, the signals tracked on it become CLOSED.
:meth:`square_off_all` flattens every open position of the given products (MIS
by default) as our book sees it, once: for the square-off window. The shutdown
uses :func:`alphastock.execution.squareoff.square_off` instead, which works from
the broker's positions and retries until flat.

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from alphastock.engine import Health
from alphastock.events import Event, EventType, FillInfo
from alphastock.execution.direct import DirectExecutor
from alphastock.execution.orders import ManagedOrder
from alphastock.execution.portfolio import LatestPrices
from alphastock.signals.model import Signal, SignalAction, SignalStatus

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Tracked:
    """A signal whose position is watched: ``watch`` False only waits for flat (a closing signal)."""

    signal: Signal
    token: int
    product: str
    watch: bool
    exit_key: str | None = None
    exit_reason: str | None = None


class ExitMonitor:
    """Stop-loss / target exits and square-off (see the module docstring)."""

    name = "exits"

    def __init__(
        self,
        executor: DirectExecutor,
        ticks: LatestPrices,
        *,
        enabled: bool = True,
        shutdown: str = "square_off_mis",
    ) -> None:
        self.executor = executor
        self.ticks = ticks
        self.enabled = enabled
        self.shutdown = shutdown
        """``hold`` or ``square_off_mis``: what :meth:`stop` does with open MIS positions."""
        self._tracked: dict[str, Tracked] = {}
        self.exits_sent = 0
        executor.exits = self
        # Registered after the portfolio's listener (the wiring adds the portfolio first), so a fill
        # has moved the position before flatness is checked.
        executor.oms.add_fill_listener(self.on_fill)

    def track(self, signal: Signal, token: int, product: str, *, watch: bool = True) -> None:
        """Watch ``signal``'s position in ``(token, product)``; idempotent."""
        if signal.id not in self._tracked:
            self._tracked[signal.id] = Tracked(signal, token, product, watch and self.enabled)

    def tracked(self) -> list[Tracked]:
        """The signals being watched."""
        return list(self._tracked.values())

    def on_event(self, event: Event[Any]) -> None:
        """Bus handler for TICK_BATCH."""
        if event.type is EventType.TICK_BATCH:
            self.on_ticks(event.payload.tokens)

    def on_ticks(self, tokens: Any) -> list[ManagedOrder]:
        """Check the tracked signals of ``tokens``; returns the exit orders sent (none while
        :attr:`enabled` is off: the shutdown's square-off turns it off so that no exit races it)."""
        if not self.enabled:
            return []
        wanted = {int(t) for t in tokens}
        sent = []
        for item in list(self._tracked.values()):
            if not item.watch or item.token not in wanted or self._exiting(item):
                continue
            tick = self.ticks.latest(item.token)
            if tick is None:
                continue
            reason = self._hit(item.signal, float(tick.last_price))
            if reason is None:
                continue
            order = self._exit(item, reason)
            if order is not None:
                sent.append(order)
        return sent

    def on_fill(self, fill: FillInfo) -> None:
        """Close the signals tracked on a position this fill left flat."""
        holding = self.executor.portfolio.position(fill.token, fill.product)
        if holding is None or holding.quantity != 0:
            return
        for sid, item in list(self._tracked.items()):
            if item.token == fill.token and item.product == fill.product:
                current = self.executor.signals.get(sid)
                if current is not None and current.status is SignalStatus.ACTIVE:
                    self.executor.signals.update_status(
                        sid, SignalStatus.CLOSED, item.exit_reason or "position flat", exit_price=fill.price
                    )
                del self._tracked[sid]

    def square_off_all(self, reason: str, products: tuple[str, ...] = ("MIS",)) -> list[ManagedOrder]:
        """MARKET orders flattening every open position of ``products``; returns them."""
        orders = []
        for holding in self.executor.portfolio.positions(open_only=True):
            if holding.product not in products:
                continue
            order = self.executor.close_position(holding, reason, purpose="square_off")
            if order is not None:
                orders.append(order)
                for item in self._tracked.values():
                    if item.token == holding.token and item.product == holding.product:
                        item.exit_key, item.exit_reason = order.key, reason
        return orders

    async def initialize(self) -> None:
        """Nothing to prepare."""

    async def start(self) -> None:
        """Nothing to start: the wiring subscribes :meth:`on_event` to TICK_BATCH."""

    async def stop(self) -> None:
        """With ``shutdown="square_off_mis"``: square off MIS positions and wait for the broker calls."""
        if self.shutdown == "square_off_mis" and self.square_off_all("shutdown"):
            await self.executor.oms.idle()

    def health(self) -> Health:
        """``ok``, with signals tracked and exits sent as metrics."""
        return Health("ok", "", {"tracked": float(len(self._tracked)), "exits_sent": float(self.exits_sent)})

    @staticmethod
    def _hit(signal: Signal, price: float) -> str | None:
        if signal.action is SignalAction.BUY:
            if price <= signal.stop_loss:
                return f"stop loss {signal.stop_loss} hit at {price}"
            if price >= signal.target:
                return f"target {signal.target} hit at {price}"
        else:
            if price >= signal.stop_loss:
                return f"stop loss {signal.stop_loss} hit at {price}"
            if price <= signal.target:
                return f"target {signal.target} hit at {price}"
        return None

    def _exiting(self, item: Tracked) -> bool:
        if item.exit_key is None:
            return False
        order = self.executor.oms.get(item.exit_key)
        # A refused or cancelled exit is retried on the next tick.
        return order is not None and not (order.state.is_terminal and order.state.value != "FILLED")

    def _exit(self, item: Tracked, reason: str) -> ManagedOrder | None:
        holding = self.executor.portfolio.position(item.token, item.product)
        if holding is None or holding.quantity == 0:
            return None
        order = self.executor.close_position(holding, reason, signal_id=item.signal.id)
        if order is not None:
            item.exit_key, item.exit_reason = order.key, reason
            self.exits_sent += 1
        return order


__all__ = ["ExitMonitor", "Tracked"]
