"""ScheduledCollector: collections on the loop's schedule, start-up objects frozen, all restored at stop."""

from __future__ import annotations

import asyncio
import gc

import pytest

from alphastock.collector import MIDDLE_EVERY, OLDEST_EVERY, ScheduledCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_runs_collections_on_its_schedule_and_restores_python_gc_at_stop() -> None:
    assert gc.isenabled()
    thresholds = gc.get_threshold()
    collector = ScheduledCollector(interval_s=0.01)

    async def run() -> None:
        await collector.start()
        assert not gc.isenabled()  # no collection inside a decision
        assert gc.get_freeze_count() > 0
        assert collector.health().state == "ok"
        for _ in range(50):
            Cycle()  # garbage only the cyclic collector can free
        await asyncio.sleep(0.2)
        await collector.stop()

    asyncio.run(run())
    assert collector.passes >= 5
    assert collector.collected >= 50
    assert collector.health().metrics["passes"] == collector.passes
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


def test_generations_follow_the_cpython_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: asked.append(generation) or 0)
    collector = ScheduledCollector()
    for _ in range(OLDEST_EVERY):
        collector.collect_once()
    assert asked.count(2) == 1
    assert asked[-1] == 2
    assert asked.count(1) == OLDEST_EVERY // MIDDLE_EVERY - 1
    assert asked.count(0) == OLDEST_EVERY - OLDEST_EVERY // MIDDLE_EVERY


def test_a_failing_pass_is_counted_and_the_schedule_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    collector = ScheduledCollector(interval_s=0.01)
    calls = [0]

    def flaky(generation: int = 2) -> int:
        calls[0] += 1
        if calls[0] == 2:  # the first call is start()'s full collection
            raise RuntimeError("finaliser raised")
        return 0

    async def run() -> None:
        monkeypatch.setattr(gc, "collect", flaky)
        await collector.start()
        await asyncio.sleep(0.1)
        await collector.stop()

    asyncio.run(run())
    assert collector.errors == 1
    assert calls[0] > 3
    assert gc.isenabled()


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        ScheduledCollector(0)
