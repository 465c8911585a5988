"""Handing a blocking SDK call to a worker thread: ``CallSender`` against ``loop.run_in_executor``.

Run with ``.venv/bin/python -m pytest benches/test_bench_handoff.py -q -s`` (or ``make bench``).

The order path hands each placement to a thread (the SDK blocks). Timed: the engine's side
of one hand-over, from the call until it returns (the worker's own run is not included),
p50 over ``CALLS`` calls, each after an idle gap like the live engine's between decisions
(``GAP_S``) and back to back. Baseline, same run: ``loop.run_in_executor`` on a
``ThreadPoolExecutor`` with the same number of threads, alternated with the subject in
rounds so a change of machine load hits both alike. Nothing asserts on time.
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
    sender = CallSender(WORKERS, name="bench-order")
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
