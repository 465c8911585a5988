"""The execution layer of the kernel: signals → risk-checked orders → fills → positions → exits.

:func:`build_execution` is the one place these parts are constructed and connected; the full
kernel (:func:`alphastock.kernel.builder.build_kernel`) calls it, and so do the execution tests,
which give it a synchronous recording bus and a simulated clock instead of the engine's.

Listener order (why it matters):

1. OMS fill listeners: the :class:`Portfolio` first, then the :class:`ExitMonitor`, then (options)
   the :class:`ProtectionManager` and the :class:`OptionsExecutor`: each reads the position the fill
   just moved (flat → the signals planned on it are CLOSED; a crossed position is closed on booked
   fills; an entry fill is protected, a flat trade closed).
2. OMS order listeners: the DirectExecutor's (signal ACTIVE / REJECTED by its orders; a filled
   entry's exit plan into the :class:`ExitPlans` book), then the protection's (OCO) and the options
   executor's (its entries).
3. Signal consumers: the :class:`SignalRouter` only (one consumer: signals are handed on the
   SignalManager's call, with no bus hop on the signal → order path); it hands each signal to the
   one executor registered for its asset type (direct; options when an options configuration is
   given), or rejects it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Protocol

from alphastock.clock import Clock
from alphastock.execution.broker_health import BrokerHealth, gtt_client
from alphastock.execution.charging import FillCharges
from alphastock.execution.config import ExecutionConfig
from alphastock.execution.direct import DirectExecutor
from alphastock.execution.exits import ExitMonitor, ExitPlans
from alphastock.execution.gtt_protection import GttProtection
from alphastock.execution.oms import OMS
from alphastock.execution.options import (
    ChainBook,
    OptionsExecutor,
    OptionTradingConfig,
    SignalValidator,
    TradeBook,
)
from alphastock.execution.placing import OrderPlacer
from alphastock.execution.portfolio import Portfolio
from alphastock.execution.protection import ProtectionManager
from alphastock.execution.router import DIRECT, OPTIONS, SignalRouter
from alphastock.latency import LatencyRecorder
from alphastock.models import Instrument
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import LatestPrices, Publisher
from alphastock.risk import RiskEngine
from alphastock.signals.manager import SignalManager
from alphastock.store import Store


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
    placer: OrderPlacer
    options: OptionsExecutor | None = None
    """The options executor (None: no options configuration given)."""
    protection: ProtectionManager | None = None
    chains: ChainBook | None = None
    """The newest chain snapshots the options executor reads (the builder subscribes it to CHAIN)."""


class OptionsRefData(Protocol):
    """What the options executor reads of the reference data (the :class:`SymbolResolver` is one)."""

    def underlying_name(self, symbol: str) -> str:
        """The derivative name of ``symbol`` (``NIFTY 50`` → ``NIFTY``), aliases applied."""
        ...

    def option_expiries(self, underlying: str, today: dt.date, count: int) -> list[dt.date]:
        """The ``count`` nearest option expiries of ``underlying`` on or after ``today``."""
        ...

    def describe(self, token: int) -> Instrument | None:
        """The instrument of ``token`` (None when unknown)."""
        ...

    def spot(self, underlying: str) -> Instrument:
        """The index or stock under ``underlying`` (raises when unknown)."""
        ...


@dataclass(frozen=True, slots=True)
class OptionsSetup:
    """What the options executor needs beyond the execution layer: its configuration, the options
    underlyings, the reference data (the symbol resolver: aliases, expiries, contracts), the store
    its trades of earlier runs are read from, and the strikes voting on a rebuilt chain's forward."""

    config: OptionTradingConfig
    underlyings: tuple[str, ...]
    resolver: OptionsRefData
    store: Store | None = None
    forward_strikes: int = 5
    expiries_listed: int = 4
    """Listed expiries the expiry rule chooses from."""


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
    options: OptionsSetup | None = None,
) -> ExecutionStack:
    """Construct and connect the execution layer.

    ``broker`` is the execution client (orders and account: KiteBroker, PaperBroker, a test fake);
    ``ticks`` the latest prices (the TickStore); ``instruments`` the instrument lookup of the order
    path (lot, tick and freeze sizes); ``latency`` records tick → submit stamps; ``health`` counts
    broker calls (None: not monitored); ``options`` adds the options executor. Every wait inside
    runs on ``clock``.
    """
    signals = SignalManager(journal, writer, bus, clock, signal_ttl_s=config.signal_ttl_s)
    oms = OMS(
        broker, journal, writer, bus, clock,
        reconcile_interval_s=config.reconcile_interval_s, recorder=latency, charges=charges,
        unknown_timeout_s=config.unknown_timeout_s, health=health, retry_max_s=config.broker_retry_max_s,
    )  # fmt: skip
    portfolio = Portfolio(bus, writer=writer, risk=risk, ticks=ticks, clock=clock)
    plans = ExitPlans()
    placer = OrderPlacer(oms, risk, clock=clock, bus=bus, writer=writer)
    executor = DirectExecutor(
        signals, oms, risk, portfolio, instruments, config,
        clock=clock, bus=bus, writer=writer, ticks=ticks, plans=plans, health=health, placer=placer,
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
    stack = ExecutionStack(signals, oms, portfolio, executor, exits, router, plans, placer)
    if options is not None:
        stack = _add_options(
            stack, options, broker=broker, journal=journal, writer=writer, clock=clock, risk=risk,
            ticks=ticks, instruments=instruments, health=health,
        )  # fmt: skip
    signals.add_consumer(router.on_signal)  # 3.
    return stack


def _add_options(
    stack: ExecutionStack,
    setup: OptionsSetup,
    *,
    broker: Any,
    journal: Journal,
    writer: StoreWriter,
    clock: Clock,
    risk: RiskEngine,
    ticks: LatestPrices,
    instruments: Any,
    health: BrokerHealth | None,
) -> ExecutionStack:
    """The options executor and its protection, registered after the direct executor's listeners."""
    cfg = setup.config
    resolver = setup.resolver
    gtt = gtt_client(broker, health) if cfg.product == "NRML" else None
    # NRML positions are carried overnight: protected by a GTT OCO at the broker where it has GTT (a
    # plan Kite would refuse falls back to resting orders); MIS ones by resting SL + LIMIT orders.
    protection = (
        ProtectionManager(stack.oms, risk, instruments, clock, cfg.protection, ticks=ticks)
        if gtt is None
        else GttProtection(stack.oms, risk, instruments, clock, gtt, cfg.protection, ticks=ticks)
    )
    chains = ChainBook(ticks, forward_strikes=setup.forward_strikes)
    validator = SignalValidator(
        setup.underlyings, resolver.underlying_name, max_age_s=cfg.max_signal_age_s,
        max_age_by_strategy=cfg.max_signal_age_by_strategy,
    )  # fmt: skip
    options = OptionsExecutor(
        stack.signals, stack.oms, risk, stack.portfolio, stack.placer, protection,
        TradeBook(journal, writer), chains, validator, cfg, clock=clock, ticks=ticks,
        expiries=lambda name, today: resolver.option_expiries(name, today, setup.expiries_listed),
        describe=resolver.describe, spot=resolver.spot, store=setup.store, health=health,
    )  # fmt: skip
    stack.oms.add_fill_listener(protection.on_fill)  # 1. after the portfolio's
    stack.oms.add_fill_listener(options.on_fill)
    stack.oms.add_order_listener(protection.on_order)  # 2.
    stack.oms.add_order_listener(options.on_order)
    stack.router.add_executor(OPTIONS, options.on_signal)
    return replace(stack, options=options, protection=protection, chains=chains)


__all__ = ["ExecutionStack", "OptionsRefData", "OptionsSetup", "build_execution"]
