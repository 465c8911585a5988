"""Benchmark of the EventBus: publish_nowait → handler latency and events/s, vs a bare asyncio.Queue.

Run with ``.venv/bin/python -m pytest benches/test_bench_bus.py -q -s`` (or ``make bench``).

Latency: one event at a time; the producer stamps ``time.perf_counter_ns()`` into the
payload, calls ``publish_nowait`` and yields (``asyncio.sleep(0)``) until the handler
has run; the handler records ``perf_counter_ns() - stamp``. Measured for one bus hop,
for two hops (the first handler republishes to a second subscriber with
``publish_nowait``, as TICK_BATCH → BAR → SIGNAL does) and, in the same run, for the
baseline: ``queue.put_nowait`` into a bare ``asyncio.Queue`` drained by one task calling
the same handler. Throughput: ``EVENTS`` events published in bursts (``publish_nowait``
while there is room, else ``await publish``) through a 1,024-slot queue, timed until the
handler has seen them all; the baseline does the same with ``put_nowait`` / ``await put``.

Nothing asserts on time; the figures are printed (and kept in ``extra_info``) with the
bus/baseline ratios.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from alphastock.bus import EventBus
from alphastock.events import Event, EventType

try:  # the shared end-of-session summary, when the options benchmarks' helpers are present
    from benchlib import report as _summary
except ImportError:  # pragma: no cover
    _summary = None

PINGS = 20_000
EVENTS = 200_000
QUEUE = 1024


def _pct(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] / 1_000  # µs


async def _ping(publish: Callable[[int], object], seen: list[int]) -> None:
    for _ in range(PINGS):
        target = len(seen) + 1
        publish(time.perf_counter_ns())
        while len(seen) < target:
            await asyncio.sleep(0)


async def bus_latency(hops: int) -> list[int]:
    bus = EventBus(queue_size=QUEUE)
    seen: list[int] = []

    def last(event: Event[int]) -> None:
        seen.append(time.perf_counter_ns() - event.payload)

    if hops == 2:
        bus.subscribe(EventType.BAR, last)
        bus.subscribe(
            EventType.TICK_BATCH, lambda e: bus.publish_nowait(Event(EventType.BAR, e.payload, ts_event=0))
        )
    else:
        bus.subscribe(EventType.TICK_BATCH, last)
    await bus.start()
    await _ping(lambda stamp: bus.publish_nowait(Event(EventType.TICK_BATCH, stamp, ts_event=0)), seen)
    await bus.stop()
    return seen


async def queue_latency() -> list[int]:
    queue: asyncio.Queue[Event[int]] = asyncio.Queue(QUEUE)
    seen: list[int] = []

    def last(event: Event[int]) -> None:
        seen.append(time.perf_counter_ns() - event.payload)

    async def worker() -> None:
        while True:
            last(await queue.get())

    task = asyncio.create_task(worker())
    await _ping(lambda stamp: queue.put_nowait(Event(EventType.TICK_BATCH, stamp, ts_event=0)), seen)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return seen


async def bus_throughput() -> float:
    bus = EventBus(queue_size=QUEUE)
    count = 0
    done = asyncio.Event()

    def handler(event: Event[int]) -> None:
        nonlocal count
        count += 1
        if count == EVENTS:
            done.set()

    sub = bus.subscribe(EventType.TICK_BATCH, handler)
    await bus.start()
    started = time.perf_counter_ns()
    for i in range(EVENTS):
        event = Event(EventType.TICK_BATCH, i, ts_event=0)
        if sub.depth < QUEUE:
            bus.publish_nowait(event)
        else:
            await bus.publish(event)  # full: wait for the worker (back-pressure)
    await done.wait()
    elapsed = time.perf_counter_ns() - started
    await bus.stop()
    return EVENTS / (elapsed / 1e9)


async def queue_throughput() -> float:
    queue: asyncio.Queue[Event[int]] = asyncio.Queue(QUEUE)
    count = 0
    done = asyncio.Event()

    def handler(event: Event[int]) -> None:
        nonlocal count
        count += 1
        if count == EVENTS:
            done.set()

    async def worker() -> None:
        while True:
            handler(await queue.get())

    task = asyncio.create_task(worker())
    started = time.perf_counter_ns()
    for i in range(EVENTS):
        event = Event(EventType.TICK_BATCH, i, ts_event=0)
        if queue.qsize() < QUEUE:
            queue.put_nowait(event)
        else:
            await queue.put(event)
    await done.wait()
    elapsed = time.perf_counter_ns() - started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return EVENTS / (elapsed / 1e9)


def _line(name: str, samples: list[int]) -> dict[str, float]:
    return {
        f"{name}_p50_us": round(_pct(samples, 50), 2),
        f"{name}_p99_us": round(_pct(samples, 99), 2),
        f"{name}_mean_us": round(statistics.fmean(samples) / 1_000, 2),
    }


def test_bus_latency_and_throughput(benchmark: Any) -> None:
    benchmark.group = "event bus"

    def measure() -> dict[str, float]:
        info: dict[str, float] = {}
        info.update(_line("queue", asyncio.run(queue_latency())))
        info.update(_line("bus1", asyncio.run(bus_latency(1))))
        info.update(_line("bus2", asyncio.run(bus_latency(2))))
        info["queue_events_per_s"] = round(asyncio.run(queue_throughput()))
        info["bus_events_per_s"] = round(asyncio.run(bus_throughput()))
        return info

    info = benchmark.pedantic(measure, rounds=1, iterations=1)
    assert info["bus1_p50_us"] > 0
    assert info["bus_events_per_s"] > 0
    lines = [
        f"bus publish_nowait->handler, 1 hop: p50 {info['bus1_p50_us']} µs, p99 {info['bus1_p99_us']} µs "
        f"(bare asyncio.Queue: p50 {info['queue_p50_us']} µs, p99 {info['queue_p99_us']} µs; "
        f"p50 ratio {info['bus1_p50_us'] / info['queue_p50_us']:.2f}x)",
        f"bus 2 hops: p50 {info['bus2_p50_us']} µs, p99 {info['bus2_p99_us']} µs",
        f"bus throughput {info['bus_events_per_s']:,.0f} events/s vs bare asyncio.Queue "
        f"{info['queue_events_per_s']:,.0f} events/s "
        f"(ratio {info['bus_events_per_s'] / info['queue_events_per_s']:.2f}x)",
    ]
    for line in lines:
        if _summary is not None:
            _summary(line)
        else:  # pragma: no cover
            print(line)
    benchmark.extra_info.update(info)
