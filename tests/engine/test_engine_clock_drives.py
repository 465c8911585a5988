"""One clock: a simulated clock advanced by the test fires signal expiry, OMS reconciliation, the
unknown-order timeout, cash sync and broker-health timing, with no wall-time sleep anywhere."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from alphastock.brokers.errors import AmbiguousOrderOutcome, BrokerNetworkError
from alphastock.clock import NS_PER_SECOND, SimulatedClock, sleep, wait_event
from alphastock.execution import OMS, OrderState
from alphastock.execution.broker_health import BrokerHealth
from alphastock.kernel.components import CashSync
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.risk import Limits, RiskEngine
from alphastock.signals.manager import SignalManager
from alphastock.signals.model import SignalStatus
from alphastock.store import Store
from tests.execution._harness import T0, ManualClock, RecordingBus, signal
from tests.execution.test_oms import FakeBroker, approved, request


async def _settle() -> None:
    """Let woken tasks run: loop turns only, never wall time."""
    for _ in range(50):
        await asyncio.sleep(0)


async def _advance(clock: SimulatedClock, seconds: float, step_s: float = 1.0) -> None:
    """Advance ``seconds`` of engine time in ``step_s`` steps, letting woken tasks run after each."""
    end = clock.now_ns() + round(seconds * NS_PER_SECOND)
    while clock.now_ns() < end:
        clock.advance_to(min(end, clock.now_ns() + round(step_s * NS_PER_SECOND)))
        await _settle()


def test_sleep_and_wait_event_run_on_the_engine_clock() -> None:
    clock = SimulatedClock(T0)

    async def run() -> tuple[list[str], bool, bool]:
        done: list[str] = []

        async def sleeper() -> None:
            await sleep(clock, 5.0)
            done.append(f"slept until +{(clock.now_ns() - T0) / NS_PER_SECOND:g} s")

        task = asyncio.create_task(sleeper())
        await _settle()
        assert done == []  # no time has passed on the engine clock
        await _advance(clock, 4.0)
        assert done == []
        await _advance(clock, 1.0)
        await task
        event = asyncio.Event()
        timed_out = asyncio.create_task(wait_event(clock, event, 10.0))
        await _settle()
        await _advance(clock, 10.0)
        first = await timed_out
        waiting = asyncio.create_task(wait_event(clock, event, 10.0))
        await _settle()
        event.set()
        second = await waiting
        assert clock.sleepers == 0  # the set event's timer was cancelled, not left behind
        return done, first, second

    assert asyncio.run(run()) == (["slept until +5 s"], False, True)


def test_signal_expiry_fires_when_the_engine_clock_passes_the_ttl(tmp_path: Path) -> None:
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    clock = ManualClock()
    manager = SignalManager(Journal(tmp_path / "j.jsonl"), writer, RecordingBus(), clock, signal_ttl_s=60)

    async def run() -> list[tuple[int, SignalStatus]]:
        sig = signal()
        assert manager.submit(sig)
        await manager.start()
        seen = []
        for _ in range(3):  # 0 s, 59 s, 61 s after the signal
            current = manager.get(sig.id)
            assert current is not None
            seen.append(((clock.now_ns() - T0) // NS_PER_SECOND, current.status))
            await _advance(clock, 59.0 if not seen[1:] else 2.0)
        current = manager.get(sig.id)
        assert current is not None
        seen.append(((clock.now_ns() - T0) // NS_PER_SECOND, current.status))
        await manager.stop()
        return seen

    try:
        seen = asyncio.run(run())
        assert seen == [
            (0, SignalStatus.NEW),
            (59, SignalStatus.NEW),
            (61, SignalStatus.EXPIRED),
            (63, SignalStatus.EXPIRED),
        ]
        assert manager.counters.expired == 1
    finally:
        writer.close()
        store.close()


def _oms(tmp_path: Path, broker: FakeBroker, clock: ManualClock) -> tuple[OMS, StoreWriter, Store]:
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    oms = OMS(
        broker, Journal(tmp_path / "j.jsonl"), writer, RecordingBus(), clock,  # type: ignore[arg-type]
        reconcile_interval_s=5.0, unknown_timeout_s=30.0,
    )  # fmt: skip
    return oms, writer, store


def test_oms_reconcile_rounds_follow_the_engine_clock(tmp_path: Path) -> None:
    broker = FakeBroker()
    clock = ManualClock()
    oms, writer, store = _oms(tmp_path, broker, clock)

    async def run() -> list[int]:
        await oms.start()
        rounds = [oms.counters.reconciliations]
        await _settle()
        rounds.append(oms.counters.reconciliations)  # no engine time passed: no round
        for _ in range(3):
            await _advance(clock, 5.0)
            rounds.append(oms.counters.reconciliations)
        await _advance(clock, 4.0)
        rounds.append(oms.counters.reconciliations)  # 19 s: still three rounds
        await oms.stop()
        return rounds

    try:
        assert asyncio.run(run()) == [0, 0, 1, 2, 3, 3]
    finally:
        writer.close()
        store.close()


def test_unknown_order_times_out_on_the_engine_clock_through_the_reconcile_loop(tmp_path: Path) -> None:
    broker = FakeBroker()
    clock = ManualClock()
    oms, writer, store = _oms(tmp_path, broker, clock)

    async def run() -> list[tuple[int, OrderState, int]]:
        await oms.start()
        broker.place_error = AmbiguousOrderOutcome("timeout", tag="ASclk1")
        order = await oms.submit(request("ASclk1"), approved())
        await oms.idle()
        seen = []
        for _ in range(8):  # every 5 engine seconds; the loop reads the book each time
            seen.append(((clock.now_ns() - T0) // NS_PER_SECOND, order.state, order.absent_reads))
            await _advance(clock, 5.0)
        await oms.stop()
        return seen

    try:
        seen = asyncio.run(run())
        assert seen == [
            (0, OrderState.UNKNOWN, 0),
            (5, OrderState.UNKNOWN, 0),
            (10, OrderState.UNKNOWN, 0),
            (15, OrderState.UNKNOWN, 0),
            (20, OrderState.UNKNOWN, 0),
            (25, OrderState.UNKNOWN, 0),
            (30, OrderState.UNKNOWN, 1),  # 30 s after the call: the first absent read counts
            (35, OrderState.REJECTED, 2),  # the second one rejects it: never placed
        ]
        assert oms.counters.unknown_absent == 1
        assert len(broker.placed) == 1
    finally:
        writer.close()
        store.close()


class _MarginBroker:
    def __init__(self) -> None:
        self.calls = 0
        self.error: Exception | None = None

    async def margins(self, segment: str) -> SimpleNamespace:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return SimpleNamespace(net=100_000.0 + self.calls)


def test_cash_sync_runs_on_the_engine_clock() -> None:
    clock = SimulatedClock(T0)
    broker = _MarginBroker()
    risk = RiskEngine(Limits())
    cash = CashSync(broker, risk, interval_s=30.0, min_interval_s=1.0, clock=clock)

    async def run() -> list[int]:
        await cash.start()
        await _settle()
        calls = [broker.calls]  # the first read at start
        await _advance(clock, 29.0)
        calls.append(broker.calls)  # nothing dirty, interval not over
        await _advance(clock, 1.0)
        calls.append(broker.calls)  # 30 s: the periodic read
        cash.on_fill(None)  # type: ignore[arg-type]
        await _settle()
        calls.append(broker.calls)  # a fill, but min_interval_s (1 engine s) not over yet
        await _advance(clock, 1.0)
        calls.append(broker.calls)  # then at once
        await cash.stop()
        return calls

    assert asyncio.run(run()) == [1, 1, 2, 2, 3]
    assert cash.last_cash == 100_003.0


def test_broker_health_times_an_outage_on_the_engine_clock() -> None:
    clock = SimulatedClock(T0)
    health = BrokerHealth(unreachable_after=1, clock=clock)
    health.failed("orders", BrokerNetworkError("down"))
    clock.advance_by(90 * NS_PER_SECOND)
    assert (health.reachable, health.down_for_s()) == (False, 90.0)
    health.succeeded("orders")
    assert (health.reachable, health.down_for_s()) == (True, 0.0)
