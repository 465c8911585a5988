"""Engine: lifecycle order, rollback when a start fails, stop timeouts, run/request_stop, status."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time

import pytest

from alphastock.bus import EventBus
from alphastock.clock import SimulatedClock
from alphastock.engine import BaseComponent, Component, Engine, EngineError, Health, RateMeter
from alphastock.events import Event, EventType
from alphastock.latency import OrderTrace


class Recorder(BaseComponent):
    def __init__(
        self, name: str, log: list[str], *, fail: str | None = None, hang_stop: bool = False
    ) -> None:
        super().__init__(name)
        self.log = log
        self.fail = fail
        self.hang_stop = hang_stop

    async def on_initialize(self) -> None:
        self.log.append(f"init {self.name}")
        if self.fail == "initialize":
            raise OSError("disk full")

    async def on_start(self) -> None:
        self.log.append(f"start {self.name}")
        if self.fail == "start":
            raise ConnectionError("feed refused")

    async def on_stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.hang_stop:
            await asyncio.sleep(60)
        if self.fail == "stop":
            raise RuntimeError("stop failed")


def test_start_and_stop_order() -> None:
    async def main() -> tuple[list[str], Engine]:
        log: list[str] = []
        engine = Engine(EventBus(), SimulatedClock(0))
        for name in ("a", "b", "c"):
            assert isinstance(engine.add(Recorder(name, log)), Component)
        await engine.start()
        assert engine.state == "running"
        assert engine.status().components["b"].state == "ok"
        await engine.stop()
        return log, engine

    log, engine = asyncio.run(main())
    assert log == [
        "init a",
        "init b",
        "init c",
        "start a",
        "start b",
        "start c",
        "stop c",
        "stop b",
        "stop a",
    ]
    assert engine.state == "stopped"
    assert engine.status().components["a"].state == "stopped"


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("initialize", ["init a", "init b"]),
        ("start", ["init a", "init b", "init c", "start a", "start b", "stop a"]),
    ],
)
def test_a_failing_component_rolls_back_what_started(stage: str, expected: list[str]) -> None:
    async def main() -> tuple[list[str], Engine, EventBus]:
        log: list[str] = []
        bus = EventBus()
        engine = Engine(bus, SimulatedClock(0))
        engine.add(Recorder("a", log))
        engine.add(Recorder("b", log, fail=stage))
        engine.add(Recorder("c", log))
        with pytest.raises(EngineError, match=f"'b' failed to {stage}"):
            await engine.start()
        return log, engine, bus

    log, engine, bus = asyncio.run(main())
    assert log == expected
    assert engine.state == "failed"
    assert not bus.running


def test_stop_timeouts_and_errors_are_collected_not_raised() -> None:
    async def main() -> Engine:
        log: list[str] = []
        engine = Engine(EventBus(), SimulatedClock(0), stop_timeout_s=0.05)
        engine.add(Recorder("hangs", log, hang_stop=True))
        engine.add(Recorder("raises", log, fail="stop"))
        engine.add(Recorder("fine", log))
        await engine.start()
        await engine.stop()
        assert log[-3:] == ["stop fine", "stop raises", "stop hangs"]
        return engine

    engine = asyncio.run(main())
    assert set(engine.stop_errors) == {"hangs", "raises"}
    assert "timed out" in engine.stop_errors["hangs"]
    assert "stop failed" in engine.stop_errors["raises"]
    assert engine.state == "stopped"


def test_run_until_duration_or_request_from_a_thread_or_signal() -> None:
    async def by_duration() -> str:
        engine = Engine(EventBus(), SimulatedClock(0))
        return await engine.run(duration_s=0.01)

    assert asyncio.run(by_duration()) == "duration 0.01 s elapsed"

    async def by_thread() -> str:
        engine = Engine(EventBus(), SimulatedClock(0))
        await engine.start()
        threading.Timer(0.01, engine.request_stop, args=("operator",)).start()
        return await engine.run()

    assert asyncio.run(by_thread()) == "operator"

    async def by_signal() -> str:
        engine = Engine(EventBus(), SimulatedClock(0))
        await engine.start()
        previous = signal.signal(signal.SIGUSR1, lambda *_: engine.request_stop("SIGUSR1"))
        try:
            asyncio.get_running_loop().call_later(0.01, os.kill, os.getpid(), signal.SIGUSR1)
            return await engine.run()
        finally:
            signal.signal(signal.SIGUSR1, previous)

    assert asyncio.run(by_signal()) == "SIGUSR1"


def test_engine_methods_must_run_on_their_loop() -> None:
    engine = Engine(EventBus(), SimulatedClock(0))

    async def start() -> None:
        await engine.start()

    asyncio.run(start())
    with pytest.raises(EngineError, match="outside the event loop"):
        engine.add(Recorder("late", []))
    with pytest.raises(EngineError, match="outside the event loop"):
        asyncio.run(engine.stop())


def test_status_contents() -> None:
    async def main() -> dict[str, object]:
        bus = EventBus()
        engine = Engine(bus, SimulatedClock(0), name="test")
        comp = engine.add(Recorder("feed", []))
        assert isinstance(comp, Recorder)
        bus.subscribe(EventType.BAR, lambda e: 1 / 0, name="broken")
        await engine.start()
        comp.set_health("degraded", "stale feed", lag_ms=120.0)
        comp.record_error()
        engine.meter("ticks").mark(500)
        engine.meter("orders").mark(2)
        engine.latency.record(OrderTrace("k1", 1_000, 2_000, 3_000, 101_000))
        await bus.publish(Event(EventType.BAR, 1, ts_event=1))
        for _ in range(5):
            await asyncio.sleep(0)
        status = engine.status()
        assert status.components["feed"] == Health("degraded", "stale feed", {"lag_ms": 120.0}, 1)
        assert status.errors == {"feed": 1, "bus": 1}
        assert status.rates["ticks"] > status.rates["orders"] > 0
        assert status.latency["tick_to_submit"]["p50"] == pytest.approx(100.0)
        plain = status.as_dict()
        await engine.stop()
        return plain

    plain = asyncio.run(main())
    assert json.loads(json.dumps(plain)) == plain  # JSON-friendly (NaN latencies are None)
    assert plain["name"] == "test"
    assert plain["state"] == "running"
    assert plain["bus"]["subscriptions"]["broken"]["errors"] == 1  # type: ignore[index]
    assert plain["latency"]["signal_to_risk"]["p99"] == pytest.approx(1.0)  # type: ignore[index]


def test_rate_meter_counts_within_its_window() -> None:
    meter = RateMeter(window_s=0.2, buckets=4)
    meter.mark(10)
    assert meter.total == 10
    assert meter.rate() > 0
    time.sleep(0.25)
    assert meter.rate() == 0.0
    assert meter.total == 10
    with pytest.raises(ValueError, match="window_s"):
        RateMeter(window_s=0)
