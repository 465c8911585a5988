"""StrategyComponent on TICK_BATCH: ticks from the TickStore to on_tick strategies, coalesced ticks
delivered when their interval passes on the engine clock (a simulated clock here)."""

from __future__ import annotations

import asyncio

import numpy as np

from alphastock.clock import SimulatedClock
from alphastock.engine import RateMeter
from alphastock.events import Event, EventType, TickBatch
from alphastock.kernel.components import StrategyComponent
from alphastock.signals.model import Signal
from alphastock.strategies import StrategyManager
from alphastock.strategies.ma_crossover import MaCrossover
from alphastock.ticks import TickStore
from tests.strategies.test_manager_ticks import INFY, MS, SBIN, T0, TickRecorder, master


def _batch(*tokens: int) -> Event[TickBatch]:
    return Event(EventType.TICK_BATCH, TickBatch(tokens=np.array(tokens, dtype=np.int64), recv_ns=5), 0)


def _component(
    manager: StrategyManager, clock: SimulatedClock, store: TickStore | None
) -> tuple[StrategyComponent, list[Signal]]:
    submitted: list[Signal] = []
    component = StrategyComponent(
        manager, submitted.append, clock, bars_meter=RateMeter(), signals_meter=RateMeter(), ticks=store
    )
    return component, submitted


async def _yield() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_ticks_reach_on_tick_strategies_and_coalesced_ones_arrive_when_due() -> None:
    async def run() -> tuple[list[tuple[int, float, int]], list[Signal], int, bool]:
        clock = SimulatedClock(T0)
        store = TickStore(64)
        slow = TickRecorder({"signal_above": 1000.0}, instance_name="slow")
        manager = StrategyManager(
            [(slow, [("NSE", "INFY")], "1m"), (MaCrossover(), [("NSE", "INFY")], "1m")],
            instruments=master(),
            tick_intervals_ns={"slow": 1000 * MS},
        )
        component, submitted = _component(manager, clock, store)
        await component.on_start()
        for i, price in enumerate((999.0, 999.5, 1001.0)):  # at 0, 100 and 200 ms
            clock.advance_to(T0 + i * 100 * MS)
            store.push(INFY, clock.now_ns(), price)
            store.push(SBIN, clock.now_ns(), 500.0)
            component.on_tick_batch(_batch(SBIN, INFY))
        await _yield()
        clock.advance_to(T0 + 999 * MS)
        await _yield()
        before = len(slow.ticks)
        clock.advance_to(T0 + 1000 * MS)  # the flush task wakes: the newest tick (200 ms, 1001.0)
        await _yield()
        calls = [(now, t.last_price, t.ts_ns) for now, t in zip(slow.called_ns, slow.ticks, strict=True)]
        pending = clock.sleepers > 0
        await component.on_stop()
        return calls, submitted, before, pending

    calls, submitted, before, pending = asyncio.run(run())
    assert before == 1
    assert calls == [(T0, 999.0, T0), (T0 + 1000 * MS, 1001.0, T0 + 200 * MS)]
    assert [(s.symbol, s.entry, s.ts_ns, s.timeframe) for s in submitted] == [
        ("INFY", 1001.0, T0 + 200 * MS, "tick")
    ]
    assert not pending  # nothing left to flush: the task ended


def test_a_component_without_on_tick_strategies_wants_no_ticks() -> None:
    manager = StrategyManager([(MaCrossover(), [("NSE", "INFY")], "1m")], instruments=master())
    component, _ = _component(manager, SimulatedClock(T0), TickStore(8))
    assert not component.wants_ticks
    with_ticks = StrategyManager([(TickRecorder(), [("NSE", "INFY")], "1m")], instruments=master())
    assert _component(with_ticks, SimulatedClock(T0), TickStore(8))[0].wants_ticks
    assert not _component(with_ticks, SimulatedClock(T0), None)[0].wants_ticks  # no store to read
