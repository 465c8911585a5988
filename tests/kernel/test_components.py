"""StrategyComponent: bars straight from the runners (on_bar) or from the bus reach the strategies once,
their signals reach submit, and nothing is submitted once trading is off."""

from __future__ import annotations

import asyncio

from alphastock.clock import LiveClock
from alphastock.engine import RateMeter
from alphastock.events import Bar, Event, EventType
from alphastock.kernel.components import StrategyComponent
from alphastock.signals.model import Signal
from alphastock.strategies import Strategy, StrategyManager, StrategyParams

T0 = 1_617_248_700_000_000_000


class EveryBar(Strategy[StrategyParams]):
    name = "every_bar"

    def on_bar(self, bar: Bar) -> Signal:
        return self.make_signal(
            bar, "BUY", entry=bar.close, stop_loss=bar.close - 1, target=bar.close + 2, confidence=0.8
        )


def _bar(i: int) -> Bar:
    return Bar(1, "INFY", "1m", T0 + i * 60_000_000_000, 100.0, 101.0, 99.0, 100.0, 10.0, exchange="NSE")


def test_on_bar_and_the_bus_handler_submit_the_strategies_signals() -> None:
    manager = StrategyManager([(EveryBar(instance_name="e"), [("NSE", "INFY")], "1m")])
    submitted: list[Signal] = []
    bars, signals = RateMeter(), RateMeter()
    component = StrategyComponent(
        manager, submitted.append, LiveClock(), bars_meter=bars, signals_meter=signals
    )
    asyncio.run(component.on_start())
    component.on_bar(_bar(0))
    component.handle(Event(EventType.BAR, _bar(1), T0))
    assert [s.ts_ns for s in submitted] == [T0 + 60_000_000_000, T0 + 120_000_000_000]
    assert (component.bars, bars.total, signals.total, manager.bars_seen) == (2, 2, 2, 2)
    component.trading = False
    component.on_bar(_bar(2))
    assert len(submitted) == 2
    assert manager.bars_seen == 3  # the strategies still see the bar (indicators), nothing is submitted
