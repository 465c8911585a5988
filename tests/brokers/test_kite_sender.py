"""CallSender: placements handed to worker threads, outcomes settled on the loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from alphastock.brokers.kite import sender as sender_module
from alphastock.brokers.kite.sender import CallSender


def _thread_name(**_: object) -> str:
    return threading.current_thread().name


def test_runs_the_call_on_a_worker_and_returns_its_result() -> None:
    sender = CallSender(2, name="t-order")

    async def run() -> tuple[str, int]:
        before_ns = time.time_ns()
        handoff = sender.submit(_thread_name, {})
        assert before_ns <= handoff.released_ns <= time.time_ns()
        name = await handoff.future
        total = await sender.submit(lambda a, b: a + b, {"a": 2, "b": 3}).future
        return name, total

    try:
        name, total = asyncio.run(run())
    finally:
        sender.close()
    assert name.startswith("t-order-")
    assert name != threading.current_thread().name
    assert total == 5
    assert len(sender.start_delays_ns) == len(sender.call_ns) == 2
    assert min(sender.start_delays_ns) >= 0
    assert min(sender.call_ns) >= 0


@pytest.mark.parametrize("yield_cpu", [True, False])
def test_the_cpu_is_yielded_after_each_hand_over_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, yield_cpu: bool
) -> None:
    # Why it yields (the woken worker would wait for the loop thread's CPU) is timed by
    # benches/test_bench_handoff.py; here: once per hand-over, after the call is queued.
    events: list[str] = []
    monkeypatch.setattr(sender_module, "_yield_cpu", lambda: events.append("yield"))
    sender = CallSender(1, yield_cpu=yield_cpu)

    def call() -> None:
        events.append("call")

    async def run() -> None:
        for _ in range(3):
            handoff = sender.submit(call, {})
            events.append("returned")
            await handoff.future

    try:
        asyncio.run(run())
    finally:
        sender.close()
    assert events.count("call") == 3
    assert events.count("yield") == (3 if yield_cpu else 0)
    if yield_cpu:  # each yield comes after its call was queued, before submit returns
        assert [e for e in events if e != "call"] == ["yield", "returned"] * 3


def test_an_exception_reaches_the_awaiting_task_unchanged() -> None:
    class RefusedError(Exception):
        pass

    def refuse() -> None:
        raise RefusedError("no")

    sender = CallSender(1)

    async def run() -> None:
        await sender.submit(refuse, {}).future

    try:
        with pytest.raises(RefusedError, match="no"):
            asyncio.run(run())
    finally:
        sender.close()


def test_many_calls_in_flight_each_get_their_own_answer() -> None:
    sender = CallSender(4)
    release = threading.Event()

    def wait_then(value: int) -> int:
        release.wait(5)
        return value

    async def run() -> list[int]:
        futures = [sender.submit(wait_then, {"value": i}).future for i in range(20)]
        release.set()
        return list(await asyncio.gather(*futures))

    try:
        assert asyncio.run(run()) == list(range(20))
    finally:
        sender.close()


def test_a_cancelled_wait_does_not_break_the_worker() -> None:
    sender = CallSender(1)
    release = threading.Event()

    async def run() -> int:
        slow = sender.submit(lambda: release.wait(5), {}).future
        slow.cancel()
        release.set()
        # The worker settles a cancelled future without error and serves the next call.
        return await sender.submit(lambda: 7, {}).future

    try:
        assert asyncio.run(run()) == 7
    finally:
        sender.close()


def test_close_stops_the_threads_and_refuses_new_calls() -> None:
    sender = CallSender(3, name="t-close")

    async def run() -> None:
        await sender.submit(lambda: None, {}).future

    asyncio.run(run())
    assert sum(t.name.startswith("t-close-") for t in threading.enumerate()) == 3
    sender.close()
    sender.close()  # idempotent
    assert not any(t.name.startswith("t-close-") for t in threading.enumerate())

    async def late() -> None:
        sender.submit(lambda: None, {})

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(late())


def test_no_thread_starts_before_the_first_call() -> None:
    sender = CallSender(2, name="t-lazy")
    assert not any(t.name.startswith("t-lazy-") for t in threading.enumerate())
    sender.close()


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers"):
        CallSender(0)
