"""The :class:`DirectExecutor`: a signal on an equity or a future becomes a sized, checked order.

The :class:`~alphastock.execution.router.SignalRouter` hands it the signals of the asset types it
trades (equity, futures, commodity), synchronously right after the signal is journaled: instrument
lookup (lot, tick,
freeze quantity, and the contract multiplier of :mod:`alphastock.refdata.multipliers`: on MCX Kite's
quantity counts lots, so sizing, the risk notional and P&L scale by it; a contract whose multiplier
is unknown is rejected), product from config
(MIS/CNC for NSE/BSE equity, MIS/NRML for NFO), sizing by risk
(:func:`~alphastock.execution.sizing.size_by_risk`), an :class:`OrderIntent` through
:meth:`RiskEngine.check` (REDUCE_SIZE sends the approved quantity; REJECT and
REQUIRE_APPROVAL — there is no approval flow yet — reject the signal, publish
RISK_REJECTED and persist a risk event), then the
:class:`OrderRequest` (MARKET with ``market_protection``, or LIMIT at the touch ±
``limit_offset_ticks``; tag = the OMS key) to the OMS, whose broker call is
scheduled on the loop. An opposite signal on a symbol with an open position
closes it (one exit order) instead of stacking. Latency stamps of each order go
to the :class:`~alphastock.latency.LatencyRecorder` (through the OMS). While the
broker is unreachable (the OMS's :class:`~alphastock.execution.broker_health.BrokerHealth`)
no order is made: a signal is rejected with that reason, an exit is tried again on
the next tick. When an entry fills, the position's :class:`~alphastock.execution.exits.ExitPlan`
(the signal's stop and target: the traded instrument is the signal's) goes to the
:class:`~alphastock.execution.exits.ExitPlans` book the ExitMonitor follows.

Nothing here registers itself: the builder routes signals to :meth:`DirectExecutor.on_signal`
(through the router) and adds :meth:`DirectExecutor.on_order` as an OMS order listener.

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import asyncio
import logging
import math
from functools import partial
from typing import Final

from alphastock.clock import Clock
from alphastock.execution.broker_health import BrokerHealth
from alphastock.execution.config import ExecutionConfig
from alphastock.execution.exits import ExitPlan, ExitPlans
from alphastock.execution.oms import OMS
from alphastock.execution.orders import ManagedOrder
from alphastock.execution.placing import OrderPlacer
from alphastock.execution.portfolio import Holding, Portfolio
from alphastock.execution.sizing import size_by_risk
from alphastock.execution.transitions import OrderState
from alphastock.latency import now_ns as wall_ns
from alphastock.models import Instrument
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import LatestPrices, Publisher
from alphastock.refdata.lookup import InstrumentLookup
from alphastock.refdata.multipliers import UnknownMultiplierError, contract_multiplier
from alphastock.refdata.ticks import TickRounding, round_to_tick
from alphastock.risk import RiskEngine
from alphastock.signals.assets import AssetType
from alphastock.signals.manager import SignalManager
from alphastock.signals.model import Signal, SignalAction, SignalStatus

log = logging.getLogger(__name__)

ASSET_TYPES: Final = frozenset({AssetType.EQUITY, AssetType.FUTURES, AssetType.COMMODITY})
"""Signal asset types this executor trades (the router's table, :data:`~alphastock.execution.router.ROUTES`,
sends it these; options have their own executor)."""

_INF = math.inf


def log_when_idle(level: int, message: str, *args: object) -> None:
    """Log once the engine loop is done with what it is doing (at once when no loop runs).

    Why: making a record (formatting, secret redaction, the queue) takes tens of µs, and on the
    order path it would delay the next order of the same burst of bars."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        log.log(level, message, *args)
        return
    loop.call_soon(partial(log.log, level, message, *args))


class DirectExecutor:
    """Signals to orders (see the module docstring)."""

    name = "direct-executor"

    def __init__(
        self,
        signals: SignalManager,
        oms: OMS,
        risk: RiskEngine,
        portfolio: Portfolio,
        instruments: InstrumentLookup,
        config: ExecutionConfig | None = None,
        *,
        clock: Clock,
        bus: Publisher,
        writer: StoreWriter,
        ticks: LatestPrices | None = None,
        plans: ExitPlans | None = None,
        health: BrokerHealth | None = None,
        placer: OrderPlacer | None = None,
    ) -> None:
        """``clock`` stamps risk checks (engine time); ``bus`` and ``writer`` carry risk notices (the
        RISK_REJECTED event and the stored risk event); ``ticks`` gives the touch; ``plans`` receives
        the exit plan of each filled entry (None: no exits); ``health`` is the broker's reachability
        (None: always reachable) — the OMS's, so both halt together; ``placer`` checks and hands orders
        to the OMS (None: one of its own over ``oms``, ``risk``, ``clock``, ``bus`` and ``writer``)."""
        self.signals = signals
        self.oms = oms
        self.risk = risk
        self.portfolio = portfolio
        self.instruments = instruments
        self.config = config or ExecutionConfig()
        self.clock = clock
        self.bus = bus
        self.writer = writer
        self.ticks = ticks
        self.plans = plans
        self.broker_health = health
        self.placer = placer or OrderPlacer(oms, risk, clock=clock, bus=bus, writer=writer)
        self.rejected = 0
        self._orders_by_signal: dict[str, list[str]] = {}

    # ----- the fast path --------------------------------------------------------------------------

    def on_signal(self, signal: Signal, handed_ns: int) -> ManagedOrder | None:
        """Turn ``signal`` (one of :data:`ASSET_TYPES`: the router decides) into an order, or reject it;
        returns the order, NEW, its send scheduled."""
        if not self.broker_reachable:
            self._reject(signal, "broker unreachable: new orders halted")
            return None
        try:
            inst = self.instruments.instrument(signal.exchange, signal.symbol)
        except Exception as exc:  # unknown instrument: nothing to trade
            self._reject(signal, f"unknown instrument {signal.exchange}:{signal.symbol} ({exc})")
            return None
        try:
            multiplier = _multiplier(inst)
        except UnknownMultiplierError as exc:  # an MCX contract nobody can size: never at 1
            self._reject(signal, str(exc))
            return None
        product = self._product(inst.exchange)
        side = signal.action.value
        holding = self.portfolio.position(inst.instrument_token, product)
        if holding is not None and holding.quantity != 0 and (holding.quantity > 0) != (side == "BUY"):
            order = self.close_position(
                holding,
                f"opposite signal {signal.id}",
                signal_id=signal.id,
                handed_ns=handed_ns,
                recv_ns=signal.recv_ns,
            )
            if order is not None and self.plans is not None:
                # No levels: the plan only waits for flat, to mark this signal CLOSED.
                side = "BUY" if holding.quantity > 0 else "SELL"
                self.plans.add(ExitPlan(signal.id, inst.instrument_token, product, side))
            return order
        lot = max(inst.lot_size, 1)
        quantity = signal.quantity or self._size(signal, lot, multiplier)
        if quantity < 1:
            self._reject(signal, "position size is 0 (capital, risk per trade or stop distance)")
            return None
        return self._send(
            signal,
            inst,
            product,
            side,
            quantity,
            purpose="entry",
            handed_ns=handed_ns,
            recv_ns=signal.recv_ns,
        )

    def close_position(
        self,
        holding: Holding,
        reason: str,
        *,
        signal_id: str | None = None,
        handed_ns: int | None = None,
        recv_ns: int = 0,
        purpose: str = "exit",
    ) -> ManagedOrder | None:
        """A MARKET order flattening ``holding`` (through risk and the OMS); None when flat or refused."""
        return self.close_quantity(
            holding.exchange,
            holding.symbol,
            holding.product,
            holding.quantity,
            reason,
            signal_id=signal_id,
            handed_ns=handed_ns,
            recv_ns=recv_ns,
            purpose=purpose,
        )

    def close_quantity(
        self,
        exchange: str,
        symbol: str,
        product: str,
        quantity: int,
        reason: str,
        *,
        signal_id: str | None = None,
        handed_ns: int | None = None,
        recv_ns: int = 0,
        purpose: str = "exit",
    ) -> ManagedOrder | None:
        """A MARKET order flattening a position of ``quantity`` units (signed: >0 long) of
        ``exchange:symbol`` in ``product`` (through risk and the OMS); None when 0, refused, or the
        broker is unreachable. The shutdown's square-off sends what the broker's book shows this way."""
        if quantity == 0:
            return None
        if not self.broker_reachable:
            log.debug("not closing %s %s (%s): broker unreachable", symbol, quantity, reason)
            return None
        try:
            inst = self.instruments.instrument(exchange, symbol)
        except Exception:
            log.error("cannot close %s:%s: unknown instrument", exchange, symbol)
            return None
        side = "SELL" if quantity > 0 else "BUY"
        pending = self._closing(exchange, symbol, product, side)
        if pending is not None:
            # A close of this position is in flight (or UNKNOWN): a second one could flip it.
            log.debug(
                "not closing %s %s (%s): order %s already closing it", symbol, quantity, reason, pending
            )
            return None
        order = self._send(
            None,
            inst,
            product,
            side,
            abs(quantity),
            purpose=purpose,
            handed_ns=handed_ns or wall_ns(),
            recv_ns=recv_ns,
            market=True,
            signal_id=signal_id,
        )
        if order is None:
            log_when_idle(logging.INFO, "could not close %s %s (%s): refused", symbol, quantity, reason)
        else:
            log_when_idle(logging.INFO, "closing %s %s (%s): order %s", symbol, quantity, reason, order.key)
        return order

    def _closing(self, exchange: str, symbol: str, product: str, side: str) -> str | None:
        """The key of a closing order (exit, square-off) on this position that may still trade, if any."""
        for order in self.oms.open_orders():
            request = order.request
            if (
                order.purpose != "entry"
                and request.tradingsymbol == symbol
                and request.exchange.value == exchange
                and request.product.value == product
                and request.transaction_type.value == side
            ):
                return order.key
        return None

    @property
    def broker_reachable(self) -> bool:
        """False while the broker health says the broker is unreachable (no order is made)."""
        health = self.broker_health
        return health is None or health.reachable

    # ----- internals ------------------------------------------------------------------------------

    def _product(self, exchange: str) -> str:
        return self.config.equity_product if exchange in ("NSE", "BSE") else self.config.futures_product

    def _capital(self) -> float | None:
        if self.config.capital is not None:
            return self.config.capital
        return self.risk.cash

    def _size(self, signal: Signal, lot: int, multiplier: float = 1.0) -> int:
        capital = self._capital()
        if capital is None:
            return 0
        return size_by_risk(
            capital,
            self.config.risk_per_trade_pct,
            signal.entry,
            signal.stop_loss,
            lot,
            max_position_value=capital * self.config.max_position_pct / 100.0,
            multiplier=multiplier,
        )

    def _touch(self, token: int, fallback: float) -> tuple[float, float, float]:
        """(last, bid, ask) rupees from the TickStore, ``fallback`` where unknown."""
        tick = self.ticks.latest(token) if self.ticks is not None else None
        if tick is None:
            return fallback, fallback, fallback
        # ``0 < v < inf`` is False for NaN too: one comparison chain instead of isfinite calls.
        last = tick.last_price if 0.0 < tick.last_price < _INF else fallback
        bid = tick.bid if 0.0 < tick.bid < _INF else last
        ask = tick.ask if 0.0 < tick.ask < _INF else last
        return last, bid, ask

    def _send(
        self,
        signal: Signal | None,
        inst: Instrument,
        product: str,
        side: str,
        quantity: int,
        *,
        purpose: str,
        handed_ns: int,
        recv_ns: int,
        market: bool = False,
        signal_id: str | None = None,
    ) -> ManagedOrder | None:
        sid = signal.id if signal is not None else signal_id
        last, bid, ask = self._touch(inst.instrument_token, signal.entry if signal is not None else 0.0)
        if last <= 0:
            if signal is not None:
                self._reject(signal, "no price for the instrument")
            return None
        try:
            multiplier = _multiplier(inst)
        except UnknownMultiplierError as exc:
            if signal is not None:
                self._reject(signal, str(exc))
            else:
                log.error("not sending %s %s: %s", side, inst.tradingsymbol, exc)
            return None
        tick = inst.tick_size or 0.05
        limit: float | None = None
        if not market and self.config.order_type == "LIMIT":
            offset = self.config.limit_offset_ticks * tick
            limit = (
                round_to_tick(ask + offset, tick, TickRounding.UP)
                if side == "BUY"
                else round_to_tick(bid - offset, tick, TickRounding.DOWN)
            )
        placed = self.placer.place(
            inst, product, side, quantity, reference_price=last,
            order_type="MARKET" if limit is None else "LIMIT", price=limit,
            market_protection=self.config.market_protection, purpose=purpose, signal_id=sid,
            multiplier=multiplier, handed_ns=handed_ns, recv_ns=recv_ns,
        )  # fmt: skip
        order = placed.order
        if order is None:
            if signal is not None:
                self._reject(signal, placed.refusal or "refused")
            return None
        if sid is not None:
            self._orders_by_signal.setdefault(sid, []).append(order.key)
            # Acted on from here: its order may take longer than the TTL to be accepted.
            self.signals.acted_on(sid)
        return order

    def _reject(self, signal: Signal, reason: str) -> None:
        self.rejected += 1
        log.info("signal %s rejected: %s", signal.id, reason)
        self.signals.update_status(signal.id, SignalStatus.REJECTED, reason)

    def on_order(self, order: ManagedOrder) -> None:
        """OMS order listener for this executor's orders: a signal whose order the broker took becomes
        ACTIVE (and a filled entry's exit plan is recorded); one whose every order was refused or
        cancelled unfilled, REJECTED."""
        sid = order.signal_id
        if sid is None or order.key not in self._orders_by_signal.get(sid, ()):
            # Not an order this executor placed for the signal (the options executor's entry carries
            # its signal's id too, and an index signal's levels are no option's prices).
            return
        signal = self.signals.get(sid)
        if signal is None:
            return
        state = order.state
        if state in (
            OrderState.OPEN,
            OrderState.TRIGGER_PENDING,
            OrderState.PARTIALLY_FILLED,
            OrderState.FILLED,
        ):
            if signal.status is SignalStatus.NEW:
                self.signals.update_status(sid, SignalStatus.ACTIVE, order_key=order.key)
            if state is OrderState.FILLED and order.purpose == "entry" and self.plans is not None:
                # The traded instrument is the signal's: the plan's levels are the signal's.
                self.plans.add(ExitPlan.of_signal(signal, order.token, order.request.product.value))
        elif state in (OrderState.REJECTED, OrderState.CANCELLED) and signal.status in (
            SignalStatus.NEW,
            SignalStatus.ACTIVE,
        ):
            keys = self._orders_by_signal.get(sid, [])
            orders = [self.oms.get(k) for k in keys]
            if all(
                o is not None
                and o.state in (OrderState.REJECTED, OrderState.CANCELLED)
                and o.filled_quantity == 0
                for o in orders
            ):
                self.signals.update_status(sid, SignalStatus.REJECTED, order.message or f"order {state}")


def _multiplier(inst: Instrument) -> float:
    """Rupees per (price x quantity) of ``inst``: 1, or its MCX contract multiplier (raises
    :class:`~alphastock.refdata.multipliers.UnknownMultiplierError` when the table lacks it)."""
    return contract_multiplier(inst.exchange, inst.tradingsymbol, inst.name or None)


def opposite(action: SignalAction) -> str:
    """The side that closes a position opened by ``action``."""
    return "SELL" if action is SignalAction.BUY else "BUY"


__all__ = [
    "ASSET_TYPES",
    "DirectExecutor",
    "opposite",
]
