"""EventBus: priority order, handler isolation, back-pressure, conflation, async handlers, stop/drain."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import numpy as np
import pytest

from alphastock.bus import EventBus, conflate_tick_batches
from alphastock.events import Event, EventType, Priority, TickBatch

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10))


def bar_event(i: int) -> Event[int]:
    return Event(EventType.BAR, i, ts_event=i)


async def settle(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def test_priority_order_and_type_routing() -> None:
    async def main() -> list[str]:
        bus = EventBus()
        seen: list[str] = []
        bus.subscribe(EventType.BAR, lambda e: seen.append(f"low{e.payload}"), priority=Priority.LOW)
        bus.subscribe(EventType.BAR, lambda e: seen.append(f"crit{e.payload}"), priority=Priority.CRITICAL)
        bus.subscribe([EventType.BAR, EventType.FILL], lambda e: seen.append(f"norm{e.payload}"))
        bus.subscribe(EventType.SESSION, lambda e: seen.append("never"))
        await bus.start()
        await bus.publish(bar_event(1))
        await settle()
        bus.publish_nowait(Event(EventType.FILL, 2, ts_event=2))
        bus.publish_nowait(Event(EventType.SIGNAL_GENERATED, 3, ts_event=3))
        await bus.stop()
        assert bus.stats()["totals"]["unrouted"] == 1
        return seen

    assert run(main()) == ["crit1", "norm1", "low1", "norm2"]


def test_a_raising_handler_is_isolated_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[list[int], EventBus]:
        bus = EventBus()
        got: list[int] = []

        def bad(event: Event[int]) -> None:
            if event.payload % 2 == 0:
                raise ValueError("even")

        sub_bad = bus.subscribe(EventType.BAR, bad, name="bad", priority=Priority.CRITICAL)
        bus.subscribe(EventType.BAR, lambda e: got.append(e.payload), name="good")
        await bus.start()
        for i in range(10):
            await bus.publish(bar_event(i))
        await bus.stop()
        assert sub_bad.errors == 5
        assert sub_bad.delivered == 5
        return got, bus

    with caplog.at_level(logging.ERROR, logger="alphastock.bus"):
        got, bus = run(main())
    assert got == list(range(10))
    stats = bus.stats()
    assert stats["subscriptions"]["good"]["delivered"] == 10
    assert stats["totals"]["errors"] == 5
    # the traceback is logged once per burst of one exception type, not per event
    assert sum("bus handler bad failed" in r.getMessage() for r in caplog.records) == 5
    assert all(r.exc_info is not None for r in caplog.records if r.levelno == logging.ERROR)


def test_one_traceback_per_burst() -> None:
    async def main() -> int:
        bus = EventBus()
        logged: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = logged.append  # type: ignore[method-assign]
        logging.getLogger("alphastock.bus").addHandler(handler)
        try:

            def bad(event: Event[int]) -> None:
                raise RuntimeError("boom")

            sub = bus.subscribe(EventType.BAR, bad, name="always_bad")
            await bus.start()
            for i in range(50):
                bus.publish_nowait(bar_event(i))
            await bus.stop()
            assert sub.errors == 50
        finally:
            logging.getLogger("alphastock.bus").removeHandler(handler)
        return sum(r.levelno == logging.ERROR for r in logged)

    assert run(main()) == 1


def test_publish_waits_while_full_and_resumes() -> None:
    async def main() -> None:
        bus = EventBus()
        gate = asyncio.Event()
        got: list[int] = []

        async def slow(event: Event[int]) -> None:
            await gate.wait()
            got.append(event.payload)

        sub = bus.subscribe(EventType.BAR, slow, queue_size=2)
        await bus.start()
        await bus.publish(bar_event(0))
        await settle()  # the worker holds event 0, queue empty
        await bus.publish(bar_event(1))
        await bus.publish(bar_event(2))
        blocked = asyncio.create_task(bus.publish(bar_event(3)))
        await settle()
        assert not blocked.done()
        assert sub.depth == 2
        gate.set()
        await asyncio.wait_for(blocked, 1)
        await bus.stop()
        assert got == [0, 1, 2, 3]
        assert sub.blocked_ns > 0
        assert sub.max_depth == 2
        assert sub.rejected == 0

    run(main())


def test_publish_nowait_refuses_and_counts_when_full() -> None:
    async def main() -> None:
        bus = EventBus()
        got: list[int] = []
        sub = bus.subscribe(EventType.BAR, lambda e: got.append(e.payload), queue_size=3)
        results = [bus.publish_nowait(bar_event(i)) for i in range(5)]  # before start: queued
        assert results == [True, True, True, False, False]
        assert sub.rejected == 2
        await bus.start()
        await bus.stop()
        assert got == [0, 1, 2]

    run(main())


def test_publish_nowait_conflates_tick_batches() -> None:
    async def main() -> None:
        bus = EventBus()
        got: list[Event[TickBatch]] = []
        sub = bus.subscribe(EventType.TICK_BATCH, got.append, queue_size=1, conflate=conflate_tick_batches)

        def batch(tokens: list[int], recv: int) -> Event[TickBatch]:
            return Event(
                EventType.TICK_BATCH, TickBatch(np.array(tokens, dtype=np.int64), recv), ts_event=recv
            )

        assert bus.publish_nowait(batch([5, 3], 100))
        assert bus.publish_nowait(batch([3, 7], 90))
        assert bus.publish_nowait(batch([9, 5], 120))
        assert sub.conflated == 2
        await bus.start()
        await bus.stop()
        assert len(got) == 1
        assert got[0].payload.tokens.tolist() == [5, 3, 7, 9]
        assert got[0].payload.recv_ns == 90
        assert got[0].ts_event == 120

    run(main())


def test_async_handler_one_event_at_a_time_in_order() -> None:
    async def main() -> None:
        bus = EventBus()
        active = 0
        peak = 0
        got: list[int] = []

        async def handler(event: Event[int]) -> None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0)
            got.append(event.payload)
            active -= 1

        bus.subscribe(EventType.BAR, handler)
        await bus.start()
        for i in range(20):
            bus.publish_nowait(bar_event(i))
        await bus.stop()
        assert got == list(range(20))
        assert peak == 1

    run(main())


def test_stop_drains_or_abandons_after_timeout() -> None:
    async def main() -> None:
        bus = EventBus()
        got: list[int] = []

        async def slowish(event: Event[int]) -> None:
            await asyncio.sleep(0)
            got.append(event.payload)

        bus.subscribe(EventType.BAR, slowish)
        await bus.start()
        for i in range(10):
            bus.publish_nowait(bar_event(i))
        assert await bus.stop(drain=True) == 0
        assert got == list(range(10))
        assert bus.publish_nowait(bar_event(99)) is False
        assert bus.stats()["totals"]["refused"] == 1

        stuck_bus = EventBus()

        async def stuck(event: Event[int]) -> None:
            await asyncio.sleep(60)

        stuck_bus.subscribe(EventType.BAR, stuck)
        await stuck_bus.start()
        for i in range(4):
            stuck_bus.publish_nowait(bar_event(i))
        await settle()
        # one in the handler, three queued: all four abandoned
        assert await stuck_bus.stop(drain=True, timeout=0.05) == 4

    run(main())


def test_subscription_names_are_unique_and_validation() -> None:
    bus = EventBus()

    def h(event: Event[Any]) -> None:
        return None

    a = bus.subscribe(EventType.BAR, h)
    b = bus.subscribe(EventType.BAR, h)
    assert a.name != b.name
    assert b.name.endswith("#2")
    with pytest.raises(ValueError, match="queue_size"):
        bus.subscribe(EventType.BAR, h, queue_size=0)
    with pytest.raises(ValueError, match="at least one"):
        bus.subscribe([], h)
