"""The hand-off of order placements to worker threads (:class:`CallSender`).

The SDK's calls block (``requests``), so they run on threads. ``loop.run_in_executor``
with a ``ThreadPoolExecutor`` does that, but its hand-off is heavy for the order path:
a ``concurrent.futures.Future`` with its own condition and lock, a work item, the
pool's thread accounting, and an asyncio future chained to the first. This sender
puts ``(future, call)`` on a C ``SimpleQueue`` read by waiting threads and settles one
asyncio future through ``call_soon_threadsafe``: about a third of the cost, measured
against ``run_in_executor`` by ``benches/test_bench_handoff.py`` (see BENCHMARKS.md).

Only placements go through it; every other REST call keeps the broker's executor.
Threads start on the first call (most brokers built in tests never place an order)
and stop at :meth:`CallSender.close`.

After the hand-over the loop thread yields its CPU once (``os.sched_yield``, which also
releases the GIL). Why: Linux queues a woken thread on the waker's CPU, so the worker
used to wait there until the loop blocked, after the rest of the burst of bars: in the
live bench the SDK call began 1.1-2.4 ms (p50) after the hand-over, with the loop found
idle in ``select`` when it did. Yielding lets it start at once: 75-95 µs p50, timed on
the same engine in the same sitting (see BENCHMARKS.md). The loop then waits for the
SDK's Python part of the call (until its socket write releases the GIL): the order that
was decided goes out before the rest of the burst is decided.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")

_Item = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], dict[str, Any], int]


class Handoff(NamedTuple, Generic[T]):
    """A call handed to the workers: its future, and the wall time (UTC epoch ns) just before the
    hand-over."""

    future: asyncio.Future[T]
    released_ns: int


_yield_cpu: Callable[[], object] = getattr(os, "sched_yield", None) or (lambda: time.sleep(0))
"""Give the CPU to a runnable thread, releasing the GIL meanwhile (``time.sleep(0)`` where the OS
has no ``sched_yield``)."""


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Runs on the loop: the call's outcome into ``future`` (unless it was cancelled meanwhile)."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class CallSender:
    """``workers`` threads running blocking calls handed over by :meth:`submit` (see the module docstring)."""

    def __init__(self, workers: int = 4, *, name: str = "kite-order", yield_cpu: bool = True) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.name = name
        self.yield_cpu = yield_cpu
        """Yield the CPU (and the GIL) after each hand-over so the worker starts now (module docstring)."""
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self.start_delays_ns: deque[int] = deque(maxlen=10_000)
        """Per call, ns from the hand-over until a worker began it (waking, then taking the GIL):
        the part of a placement's way out that the engine's latency trace does not cover."""
        self.call_ns: deque[int] = deque(maxlen=10_000)
        """Per call, ns the call itself took on the worker (for a placement: the SDK's work and the
        HTTP round trip to the broker)."""

    def submit(self, fn: Callable[..., T], kwargs: dict[str, Any]) -> Handoff[T]:
        """Run ``fn(**kwargs)`` on a worker; the returned future (of the running loop) gets its result or
        exception. Call from the loop. Raises RuntimeError after :meth:`close`."""
        if self._closed:
            raise RuntimeError(f"{self.name} sender is closed")
        if len(self._threads) < self.workers:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        released_ns = time.time_ns()
        self._queue.put((loop, future, fn, kwargs, released_ns))
        if self.yield_cpu:
            _yield_cpu()
        return Handoff(future, released_ns)

    def _start(self) -> None:
        with self._lock:
            while len(self._threads) < self.workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            loop, future, fn, kwargs, released_ns = item
            started = time.time_ns()
            self.start_delays_ns.append(started - released_ns)
            result: Any = None
            error: BaseException | None = None
            try:
                result = fn(**kwargs)
            except BaseException as exc:  # handed to the awaiting task, which maps it
                error = exc
            self.call_ns.append(time.time_ns() - started)
            # A loop closed meanwhile has nobody awaiting the answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)
            del item, future, result, error

    def close(self, timeout: float | None = 10.0) -> None:
        """Let running calls finish (up to ``timeout`` seconds each) and stop the threads; idempotent."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout)


__all__ = ["CallSender"]
