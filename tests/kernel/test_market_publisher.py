"""MarketPublisher: a closed bar reaches the strategies on the runners' call, before the bus."""

from __future__ import annotations

from typing import Any

import pytest

from alphastock.events import Bar, Event, EventType, TickBatch
from alphastock.kernel.components import MarketPublisher


def test_a_bar_reaches_the_strategies_before_the_bus() -> None:
    seen: list[tuple[str, str]] = []

    class Bus:
        def publish_nowait(self, event: Event[Any]) -> bool:
            seen.append(("bus", event.type.value))
            return True

    class Strategies:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        def on_bar(self, bar: Bar) -> None:
            seen.append(("strategies", bar.symbol))
            if self.fail:
                raise RuntimeError("component bug")

    bar = Bar(1, "INFY", "1m", 0, 100.0, 101.0, 99.0, 100.0, 10.0, exchange="NSE")
    bus = Bus()
    publish = MarketPublisher(Strategies(fail=False), bus)  # type: ignore[arg-type]
    assert publish(Event(EventType.BAR, bar, 60)) is True
    assert publish(Event(EventType.TICK_BATCH, TickBatch(), 0)) is True
    assert seen == [("strategies", "INFY"), ("bus", "BAR"), ("bus", "TICK_BATCH")]
    seen.clear()
    publish = MarketPublisher(Strategies(fail=True), bus)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="component bug"):
        publish(Event(EventType.BAR, bar, 60))
    assert seen == [("strategies", "INFY"), ("bus", "BAR")]  # published all the same
