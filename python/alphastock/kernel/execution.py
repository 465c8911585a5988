"""The execution layer of the kernel: signals → risk-checked orders → fills → positions → exits.

:func:`build_execution` is the one place these parts are constructed and connected; the full
kernel (:func:`alphastock.kernel.builder.build_kernel`) calls it, and so do the execution tests,
which give it a synchronous recording bus and a simulated clock instead of the engine's.

Listener order (why it matters):

1. OMS fill listeners: the :class:`Portfolio` first, then the :class:`ExitMonitor`: the exit monitor
   reads the position the fill just moved (flat → the signals it planned are CLOSED).
2. OMS order listeners: the executor's (signal ACTIVE / REJECTED by its orders; a filled entry's
   exit plan into the :class:`ExitPlans` book).
3. Signal consumers: the :class:`SignalRouter` only (one consumer: signals are handed on the
   SignalManager's call, with no bus hop on the signal → order path); it hands each signal to the
   one executor registered for its asset type, or rejects it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alphastock.clock import Clock
from alphastock.execution.broker_health import BrokerHealth
from alphastock.execution.charging import FillCharges
from alphastock.execution.config import ExecutionConfig
from alphastock.execution.direct import DirectExecutor
from alphastock.execution.exits import ExitMonitor, ExitPlans
from alphastock.execution.oms import OMS
from alphastock.execution.portfolio import Portfolio
from alphastock.execution.router import DIRECT, SignalRouter
from alphastock.latency import LatencyRecorder
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import LatestPrices, Publisher
from alphastock.risk import RiskEngine
from alphastock.signals.manager import SignalManager


@dataclass(frozen=True, slots=True)
class ExecutionStack:
    """The execution parts of one engine, connected (see the module docstring)."""

    signals: SignalManager
    oms: OMS
    portfolio: Portfolio
    executor: DirectExecutor
    exits: ExitMonitor
    router: SignalRouter
    plans: ExitPlans


def build_execution(
    *,
    broker: Any,
    journal: Journal,
    writer: StoreWriter,
    bus: Publisher,
    clock: Clock,
    risk: RiskEngine,
    ticks: LatestPrices,
    instruments: Any,
    config: ExecutionConfig,
    charges: FillCharges | None = None,
    latency: LatencyRecorder | None = None,
    health: BrokerHealth | None = None,
) -> ExecutionStack:
    """Construct and connect the execution layer.

    ``broker`` is the execution client (orders and account: KiteBroker, PaperBroker, a test fake);
    ``ticks`` the latest prices (the TickStore); ``instruments`` the instrument lookup of the order
    path (lot, tick and freeze sizes); ``latency`` records tick → submit stamps; ``health`` counts
    broker calls (None: not monitored). Every wait inside runs on ``clock``.
    """
    signals = SignalManager(journal, writer, bus, clock, signal_ttl_s=config.signal_ttl_s)
    oms = OMS(
        broker, journal, writer, bus, clock,
        reconcile_interval_s=config.reconcile_interval_s, recorder=latency, charges=charges,
        unknown_timeout_s=config.unknown_timeout_s, health=health, retry_max_s=config.broker_retry_max_s,
    )  # fmt: skip
    portfolio = Portfolio(bus, writer=writer, risk=risk, ticks=ticks, clock=clock)
    plans = ExitPlans()
    executor = DirectExecutor(
        signals, oms, risk, portfolio, instruments, config,
        clock=clock, bus=bus, writer=writer, ticks=ticks, plans=plans, health=health,
    )  # fmt: skip
    exits = ExitMonitor(
        plans, closer=executor, positions=portfolio, signals=signals, orders=oms, ticks=ticks,
        enabled=config.exits_enabled,
    )  # fmt: skip
    oms.add_fill_listener(portfolio.on_fill)  # 1. positions first ...
    oms.add_fill_listener(exits.on_fill)  # ... then exits
    oms.add_order_listener(executor.on_order)  # 2.
    router = SignalRouter(signals)
    router.add_executor(DIRECT, executor.on_signal)
    signals.add_consumer(router.on_signal)  # 3.
    return ExecutionStack(signals, oms, portfolio, executor, exits, router, plans)


__all__ = ["ExecutionStack", "build_execution"]
