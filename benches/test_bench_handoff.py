"""Handing a blocking SDK call to a worker thread: ``CallSender`` against ``loop.run_in_executor``.

Run with ``.venv/bin/python -m pytest benches/test_bench_handoff.py -q -s`` (or ``make bench``).

The order path hands each placement to a thread (the SDK blocks). Timed: the engine's side
of one hand-over, from the call until it returns (the worker's own run is not included, so
the sender runs without its CPU yield here: the yield lets the worker run inside the call),
p50 over ``CALLS`` calls, each after an idle gap like the live engine's between decisions
(``GAP_S``) and back to back. Baseline, same run: ``loop.run_in_executor`` on a
``ThreadPoolExecutor`` with the same number of threads, alternated with the subject in
rounds so a change of machine load hits both alike.

Then the worker's start delay (hand-over → the call begins) while the loop stays busy for
1 ms after the hand-over, as the engine does while it finishes a burst of bars: the sender
yielding its CPU after the hand-over (as it does live) against the same sender not yielding.
Nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from alphastock.brokers.kite.sender import CallSender

try:
    from benchlib import report as _summary
except ImportError:  # pragma: no cover
    _summary = None

CALLS = 400
GAP_S = 0.01
WORKERS = 4
PARAMS = {"variety": "regular", "exchange": "NSE", "tradingsymbol": "SBIN", "transaction_type": "BUY",
          "quantity": 1, "product": "MIS", "order_type": "MARKET", "tag": "AS0"}  # fmt: skip


def _place(**_: Any) -> str:
    return "order-id"


async def _handoffs(kind: str, gap_s: float, sender: CallSender, pool: ThreadPoolExecutor) -> list[float]:
    loop = asyncio.get_running_loop()
    out: list[float] = []
    for _ in range(CALLS):
        if gap_s:
            await asyncio.sleep(gap_s)
        started = time.perf_counter_ns()
        if kind == "sender":
            future: asyncio.Future[str] = sender.submit(_place, PARAMS).future
        else:
            future = loop.run_in_executor(pool, partial(_place, **PARAMS))
        out.append((time.perf_counter_ns() - started) / 1_000)
        await future
    return out


@pytest.mark.benchmark(group="handoff")
@pytest.mark.parametrize("gap_s", [GAP_S, 0.0], ids=["idle-gap", "back-to-back"])
def test_bench_handoff(benchmark: Any, gap_s: float) -> None:
    sender = CallSender(WORKERS, name="bench-order", yield_cpu=False)
    pool = ThreadPoolExecutor(WORKERS)
    samples: dict[str, list[float]] = {"sender": [], "executor": []}

    async def rounds() -> None:
        for kind in ("executor", "sender", "sender", "executor"):
            samples[kind] += await _handoffs(kind, gap_s, sender, pool)

    try:
        benchmark.pedantic(lambda: asyncio.run(rounds()), rounds=1, iterations=1)
    finally:
        sender.close()
        pool.shutdown()
    subject, baseline = statistics.median(samples["sender"]), statistics.median(samples["executor"])
    when = f"idle gap {gap_s * 1e3:g} ms" if gap_s else "back to back"
    line = (
        f"hand-off of one call to a worker ({when}): CallSender p50 {subject:.1f} us, "
        f"run_in_executor p50 {baseline:.1f} us, {baseline / subject:.2f}x"
    )
    print(line)
    if _summary is not None:
        _summary(line)
    benchmark.extra_info.update({"sender_p50_us": subject, "executor_p50_us": baseline, "gap_s": gap_s})


BUSY_S = 0.001
"""Loop work after each hand-over in the busy test: the rest of a burst of bars (~1 ms live)."""


async def _start_delays(sender: CallSender, calls: int) -> list[float]:
    """µs from each hand-over until a worker began the call, while the loop thread stays busy
    in Python for ``BUSY_S`` after it (as the engine is while it finishes a burst of bars)."""
    sender.start_delays_ns.clear()
    for _ in range(calls):
        await asyncio.sleep(GAP_S)
        future = sender.submit(_place, PARAMS).future
        until = time.perf_counter() + BUSY_S
        while time.perf_counter() < until:
            pass
        await future
    return [d / 1_000 for d in sender.start_delays_ns]


@pytest.mark.benchmark(group="handoff")
def test_bench_sender_start_while_the_loop_is_busy(benchmark: Any) -> None:
    """The worker's start delay with the CPU yielded after the hand-over (the subject) and without
    (the baseline), alternated in rounds in the same run."""
    senders = {True: CallSender(WORKERS, name="bench-yield"), False: CallSender(WORKERS, yield_cpu=False)}
    samples: dict[bool, list[float]] = {True: [], False: []}

    async def rounds() -> None:
        for yield_cpu in (False, True, True, False):
            samples[yield_cpu] += await _start_delays(senders[yield_cpu], CALLS // 4)

    try:
        benchmark.pedantic(lambda: asyncio.run(rounds()), rounds=1, iterations=1)
    finally:
        for sender in senders.values():
            sender.close()
    subject, baseline = statistics.median(samples[True]), statistics.median(samples[False])
    line = (
        f"worker start after the hand-over, loop busy {BUSY_S * 1e3:g} ms after it: CPU yielded p50 "
        f"{subject:,.1f} us, not yielded p50 {baseline:,.1f} us, {baseline / subject:.1f}x"
    )
    print(line)
    if _summary is not None:
        _summary(line)
    benchmark.extra_info.update({"yield_p50_us": subject, "no_yield_p50_us": baseline, "busy_s": BUSY_S})
