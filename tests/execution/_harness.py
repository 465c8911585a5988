"""Test helpers: a synchronous recording bus, a manual clock and the whole execution stack on one broker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alphastock.clock import SimulatedClock
from alphastock.events import Event, EventType
from alphastock.execution import (
    OMS,
    DirectExecutor,
    ExecutionConfig,
    ExitMonitor,
    ExitPlans,
    Portfolio,
    SignalRouter,
)
from alphastock.execution.broker_health import BrokerHealth
from alphastock.execution.charging import FillCharges
from alphastock.kernel import build_execution
from alphastock.kernel.execution import ExecutionStack, OptionsSetup
from alphastock.latency import LatencyRecorder
from alphastock.models import IST, Instrument, datetime_to_ns
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import TradingClient
from alphastock.refdata import StaticInstruments
from alphastock.risk import Limits, RiskEngine
from alphastock.signals.manager import SignalManager
from alphastock.signals.model import Signal
from alphastock.store import Store
from alphastock.ticks import TickStore

SBIN = 779521
T0 = datetime_to_ns(dt.datetime(2026, 1, 6, 10, 0, tzinfo=IST))
SBIN_EQ = Instrument(
    instrument_token=SBIN,
    exchange_token=3045,
    tradingsymbol="SBIN",
    name="SBIN",
    tick_size=0.05,
    lot_size=1,
    instrument_type="EQ",
    segment="NSE",
    exchange="NSE",
)


class RecordingBus:
    """Delivers synchronously to subscribers and keeps every event (stands in for the EventBus)."""

    def __init__(self) -> None:
        self.events: list[Event[Any]] = []
        self._subs: list[tuple[frozenset[EventType], Callable[[Event[Any]], object]]] = []

    def subscribe(
        self, types: EventType | Iterable[EventType], handler: Callable[[Event[Any]], object]
    ) -> None:
        wanted = frozenset([types] if isinstance(types, EventType) else types)
        self._subs.append((wanted, handler))

    def publish_nowait(self, event: Event[Any]) -> bool:
        self.events.append(event)
        for types, handler in self._subs:
            if event.type in types:
                handler(event)
        return True

    def of(self, *types: EventType) -> list[Any]:
        return [e.payload for e in self.events if e.type in types]

    def types(self) -> list[EventType]:
        return [e.type for e in self.events]


class ManualClock(SimulatedClock):
    """The engine's simulated clock (UTC epoch ns) under test control; also callable (PaperBroker).

    Nothing sleeps on wall time: engine waits (OMS reconciliation, signal expiry, cash sync) wake
    only when the test advances it.
    """

    def __init__(self, start_ns: int = T0) -> None:
        super().__init__(start_ns)

    @property
    def now(self) -> int:
        """The simulated time, UTC epoch ns."""
        return self.now_ns()

    def __call__(self) -> int:
        return self.now_ns()

    def advance(self, seconds: float) -> None:
        """Move ``seconds`` forward, waking the engine's sleepers due by then."""
        self.advance_by(int(seconds * 1e9))


def signal(**fields: Any) -> Signal:
    """A BUY SBIN signal at 800 (stop 790, target 820) unless overridden."""
    base: dict[str, Any] = {
        "ts_ns": T0,
        "symbol": "SBIN",
        "exchange": "NSE",
        "token": SBIN,
        "strategy": "test",
        "action": "BUY",
        "entry": 800.0,
        "stop_loss": 790.0,
        "target": 820.0,
    }
    base.update(fields)
    return Signal.model_validate(base)


@dataclass
class Stack:
    """The execution components, wired by the kernel's :func:`~alphastock.kernel.build_execution`."""

    store: Store
    journal: Journal
    writer: StoreWriter
    bus: RecordingBus
    clock: ManualClock
    risk: RiskEngine
    signals: SignalManager
    oms: OMS
    portfolio: Portfolio
    executor: DirectExecutor
    exits: ExitMonitor
    recorder: LatencyRecorder
    ticks: TickStore
    router: SignalRouter
    plans: ExitPlans
    execution: ExecutionStack

    def close(self) -> None:
        self.writer.close()
        self.journal.close()
        self.store.close()


def build(
    broker: TradingClient,
    tmp_path: Path,
    *,
    instruments: Iterable[Instrument] | Any = (SBIN_EQ,),
    limits: Limits | None = None,
    config: ExecutionConfig | None = None,
    ticks: TickStore | None = None,
    clock: ManualClock | None = None,
    store: Store | None = None,
    charges: FillCharges | None = None,
    health: BrokerHealth | None = None,
    options: OptionsSetup | None = None,
) -> Stack:
    store = store or Store.open(":memory:")
    journal = Journal(tmp_path / "journal.jsonl")
    writer = StoreWriter(store).start()
    bus = RecordingBus()
    clock = clock or ManualClock()
    risk = RiskEngine(limits or Limits())
    risk.set_cash(1_000_000.0)
    ticks = ticks if ticks is not None else TickStore(1024)
    config = config or ExecutionConfig(capital=100_000.0)
    recorder = LatencyRecorder(1000)
    lookup = StaticInstruments(instruments) if not hasattr(instruments, "instrument") else instruments
    # The kernel's own execution wiring (alphastock.kernel.execution), on a synchronous bus.
    stack = build_execution(
        broker=broker, journal=journal, writer=writer, bus=bus, clock=clock, risk=risk, ticks=ticks,
        instruments=lookup, config=config, charges=charges, latency=recorder, health=health,
        options=options,
    )  # fmt: skip
    return Stack(
        store, journal, writer, bus, clock, risk, stack.signals, stack.oms, stack.portfolio, stack.executor,
        stack.exits, recorder, ticks, stack.router, stack.plans, stack,
    )  # fmt: skip
