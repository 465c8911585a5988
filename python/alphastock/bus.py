"""The engine's event bus: typed events, priorities, one bounded queue and worker per subscriber.

Every :class:`Subscription` owns a bounded FIFO and one worker task that calls
its handler on one event at a time, in order. A handler that raises is logged
(with its traceback once per burst of the same exception type) and counted; its
worker carries on and no other subscriber notices. Nothing is unbounded:

- ``await bus.publish(event)`` waits while a subscriber's queue is full
  (back-pressure on the producer);
- ``bus.publish_nowait(event)`` never waits: a full queue either merges the event
  into its newest queued one (the subscription's ``conflate(old, new)``) or refuses
  it, counted in ``rejected`` and reported by the return value — never a silent drop.

Subscribers of an event's type are enqueued (and their idle workers woken) in
priority order, lower :class:`~alphastock.events.Priority` first, so among idle
workers the handlers run in that order; a busy worker never holds up another.

All methods run on the engine's event loop (one thread); none is thread-safe.
A handler must not ``await bus.publish`` to its own full queue (it would wait on itself).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias

import numpy as np

from alphastock.events import Event, EventType, Priority, TickBatch

log = logging.getLogger(__name__)

Handler: TypeAlias = Callable[[Event[Any]], Awaitable[None] | None]
"""A subscriber: a sync or async callable taking one :class:`~alphastock.events.Event`."""
Conflate: TypeAlias = Callable[[Event[Any], Event[Any]], Event[Any]]
"""Merges a new event into the newest queued one when the queue is full: ``(old, new) -> merged``."""


class Subscription:
    """One subscriber: its handler, bounded queue, worker and counters.

    Counters: ``delivered`` (handler returned), ``errors`` (handler raised),
    ``conflated`` (events merged into a queued one), ``rejected`` (refused by
    ``publish_nowait`` on a full queue, or published after the bus stopped),
    ``max_depth`` (largest queue length seen) and ``blocked_ns`` (total ns that
    ``publish`` waited for room in this queue).
    """

    __slots__ = (
        "_busy",
        "_closed",
        "_errors_in_burst",
        "_is_async",
        "_last_error",
        "_putters",
        "_queue",
        "_task",
        "_waiter",
        "blocked_ns",
        "conflate",
        "conflated",
        "delivered",
        "errors",
        "handler",
        "max_depth",
        "maxsize",
        "name",
        "priority",
        "rejected",
        "types",
    )

    def __init__(
        self,
        name: str,
        types: frozenset[EventType],
        handler: Handler,
        priority: int,
        maxsize: int,
        conflate: Conflate | None,
    ) -> None:
        self.name = name
        """Unique within the bus (the handler's qualified name unless given)."""
        self.types = types
        """Event types delivered to this subscriber."""
        self.handler = handler
        self.priority = priority
        """Lower runs first (see :class:`~alphastock.events.Priority`)."""
        self.maxsize = maxsize
        """Queue capacity, events."""
        self.conflate = conflate
        self.delivered = 0
        self.errors = 0
        self.conflated = 0
        self.rejected = 0
        self.max_depth = 0
        self.blocked_ns = 0
        self._queue: deque[Event[Any]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._putters: deque[asyncio.Future[None]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._busy = False
        self._last_error: type[BaseException] | None = None
        self._errors_in_burst = 0
        call = getattr(handler, "__call__", None)  # noqa: B004 - async callable objects count too
        self._is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)

    @property
    def depth(self) -> int:
        """Events queued now."""
        return len(self._queue)

    def stats(self) -> dict[str, Any]:
        """Counters and settings as a JSON-friendly dict."""
        return {
            "types": sorted(t.value for t in self.types),
            "priority": int(self.priority),
            "maxsize": self.maxsize,
            "depth": len(self._queue),
            "delivered": self.delivered,
            "errors": self.errors,
            "conflated": self.conflated,
            "rejected": self.rejected,
            "max_depth": self.max_depth,
            "blocked_ns": self.blocked_ns,
        }

    # -- queue -----------------------------------------------------------------------------------------

    def _put(self, event: Event[Any]) -> None:
        queue = self._queue
        queue.append(event)
        if len(queue) > self.max_depth:
            self.max_depth = len(queue)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_putter(self) -> None:
        while self._putters:
            putter = self._putters.popleft()
            if not putter.done():
                putter.set_result(None)
                return

    def _wake_all(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        while self._putters:
            putter = self._putters.popleft()
            if not putter.done():
                putter.set_result(None)

    # -- worker ----------------------------------------------------------------------------------------

    async def _run(self) -> None:
        queue = self._queue
        loop = asyncio.get_running_loop()
        while True:
            if not queue:
                if self._closed:
                    return
                self._waiter = loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
                continue
            event = queue.popleft()
            if self._putters:
                self._wake_putter()
            self._busy = True
            try:
                if self._is_async:
                    await self.handler(event)  # type: ignore[misc]
                else:
                    self.handler(event)
            except Exception as exc:  # a handler's failure is its own: log, count, carry on
                self._failed(event, exc)
            else:
                self.delivered += 1
                if self._last_error is not None:
                    self._burst_over()
            finally:
                self._busy = False

    def _failed(self, event: Event[Any], exc: Exception) -> None:
        self.errors += 1
        if type(exc) is not self._last_error:
            if self._last_error is not None:
                self._burst_over()
            self._last_error = type(exc)
            log.error(
                "bus handler %s failed on %s (further %s from it are counted, not logged, until it succeeds)",
                self.name,
                event.type.value,
                type(exc).__name__,
                exc_info=exc,
            )
        self._errors_in_burst += 1

    def _burst_over(self) -> None:
        if self._errors_in_burst > 1 and self._last_error is not None:
            log.warning(
                "bus handler %s failed %d times in a row with %s",
                self.name,
                self._errors_in_burst,
                self._last_error.__name__,
            )
        self._last_error = None
        self._errors_in_burst = 0


def conflate_tick_batches(old: Event[Any], new: Event[Any]) -> Event[Any]:
    """Merge two TICK_BATCH events: the union of their tokens (first-seen order), the earlier
    ``recv_ns`` and ``ts_init``, the later ``ts_event``. The tick store already holds every tick,
    so a subscriber that fell behind only needs to know which tokens changed."""
    a: TickBatch = old.payload
    b: TickBatch = new.payload
    tokens = np.concatenate((a.tokens, b.tokens))
    _, first = np.unique(tokens, return_index=True)
    merged = tokens[np.sort(first)]
    recv = min(a.recv_ns, b.recv_ns) if a.recv_ns and b.recv_ns else (a.recv_ns or b.recv_ns)
    return Event(
        old.type,
        TickBatch(tokens=merged, recv_ns=recv, source=a.source),
        ts_event=max(old.ts_event, new.ts_event),
        ts_init=min(old.ts_init, new.ts_init),
    )


class EventBus:
    """Typed publish/subscribe with priorities, per-subscriber bounded queues and isolated workers.

    ``queue_size`` is the default capacity (events) of each subscription's queue.
    """

    def __init__(self, queue_size: int = 1024) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        self.queue_size = queue_size
        self._subs: list[Subscription] = []
        self._routes: dict[EventType, tuple[Subscription, ...]] = {}
        self._running = False
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.published = 0
        """Events queued (or conflated) for at least one subscriber."""
        self.unrouted = 0
        """Events published with no subscriber for their type."""
        self.refused = 0
        """Events refused because the bus had stopped."""
        self.abandoned = 0
        """Events left in queues when stop() gave up (cancelled or drain=False)."""

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._running

    def subscriptions(self) -> list[Subscription]:
        """All subscriptions, in subscription order."""
        return list(self._subs)

    def subscribe(
        self,
        types: EventType | Iterable[EventType],
        handler: Handler,
        *,
        priority: int = Priority.NORMAL,
        name: str | None = None,
        queue_size: int | None = None,
        conflate: Conflate | None = None,
    ) -> Subscription:
        """Deliver events of ``types`` to ``handler`` (sync or async) from its own worker task."""
        wanted = frozenset([types] if isinstance(types, EventType) else types)
        if not wanted:
            raise ValueError("subscribe needs at least one event type")
        size = self.queue_size if queue_size is None else queue_size
        if size < 1:
            raise ValueError(f"queue_size must be >= 1, got {size}")
        base = name or getattr(handler, "__qualname__", None) or type(handler).__name__
        taken = {s.name for s in self._subs}
        unique, n = base, 1
        while unique in taken:
            n += 1
            unique = f"{base}#{n}"
        sub = Subscription(unique, wanted, handler, int(priority), size, conflate)
        self._subs.append(sub)
        self._reroute()
        if self._running:
            sub._task = asyncio.get_running_loop().create_task(sub._run(), name=f"bus:{sub.name}")
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to ``sub``; its queued events are still handled, then its worker ends."""
        if sub in self._subs:
            self._subs.remove(sub)
            self._reroute()
            sub._closed = True
            sub._wake_all()

    def _reroute(self) -> None:
        routes: dict[EventType, list[Subscription]] = {}
        # sorted() is stable: equal priorities keep subscription order
        for sub in sorted(self._subs, key=lambda s: s.priority):
            for t in sub.types:
                routes.setdefault(t, []).append(sub)
        self._routes = {t: tuple(subs) for t, subs in routes.items()}

    def publish_nowait(self, event: Event[Any]) -> bool:
        """Queue ``event`` for every subscriber of its type without waiting.

        Returns False when at least one subscriber refused it (full queue and no
        ``conflate``; counted in its ``rejected``) or the bus has stopped.
        """
        if self._stopped:
            self.refused += 1
            return False
        subs = self._routes.get(event.type)
        if not subs:
            self.unrouted += 1
            return True
        refused = 0
        for sub in subs:
            queue = sub._queue
            if len(queue) < sub.maxsize:
                sub._put(event)
            elif sub.conflate is not None:
                queue[-1] = sub.conflate(queue[-1], event)
                sub.conflated += 1
            else:
                sub.rejected += 1
                refused += 1
        if refused < len(subs):
            self.published += 1
        return refused == 0

    async def publish(self, event: Event[Any]) -> None:
        """Queue ``event`` for every subscriber of its type, waiting while a queue is full."""
        if self._stopped:
            self.refused += 1
            return
        subs = self._routes.get(event.type)
        if not subs:
            self.unrouted += 1
            return
        for sub in subs:
            if len(sub._queue) >= sub.maxsize:
                await self._wait_for_room(sub)
                if sub._closed or self._stopped:
                    sub.rejected += 1
                    continue
            sub._put(event)
        self.published += 1

    async def _wait_for_room(self, sub: Subscription) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter_ns()
        try:
            while len(sub._queue) >= sub.maxsize and not sub._closed and not self._stopped:
                putter = loop.create_future()
                sub._putters.append(putter)
                await putter
        finally:
            sub.blocked_ns += time.perf_counter_ns() - started

    async def start(self) -> None:
        """Start one worker per subscription (events queued before start are then handled)."""
        if self._running:
            return
        if self._stopped:
            raise RuntimeError("an EventBus cannot be restarted after stop()")
        self._loop = asyncio.get_running_loop()
        self._running = True
        # created in priority order so that events queued before start are handled in that order too
        for sub in sorted(self._subs, key=lambda s: s.priority):
            sub._task = self._loop.create_task(sub._run(), name=f"bus:{sub.name}")

    async def stop(self, drain: bool = True, timeout: float = 5.0) -> int:
        """Stop accepting events; with ``drain`` let workers finish their queues for up to
        ``timeout`` seconds, then cancel them. Returns the number of events abandoned."""
        if self._stopped:
            return 0
        self._stopped = True
        self._running = False
        subs = list(self._subs)
        for sub in subs:
            sub._closed = True
            if not drain:
                self.abandoned += len(sub._queue)
                sub._queue.clear()
            sub._wake_all()
        tasks = [s._task for s in subs if s._task is not None and not s._task.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout if drain else 0.0)
            if pending:
                for sub in subs:
                    if sub._task in pending:
                        # the event being handled is lost too
                        self.abandoned += len(sub._queue) + int(sub._busy)
                        sub._queue.clear()
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        else:
            for sub in subs:  # never started: what was queued is abandoned
                self.abandoned += len(sub._queue)
                sub._queue.clear()
        if self.abandoned:
            log.warning("event bus stopped with %d events abandoned", self.abandoned)
        return self.abandoned

    def stats(self) -> dict[str, Any]:
        """``{"subscriptions": {name: counters}, "totals": {...}}``, JSON-friendly."""
        subs = {s.name: s.stats() for s in self._subs}
        totals = {
            key: sum(s[key] for s in subs.values())
            for key in ("delivered", "errors", "conflated", "rejected", "blocked_ns", "depth")
        }
        totals.update(
            published=self.published,
            unrouted=self.unrouted,
            refused=self.refused,
            abandoned=self.abandoned,
            subscriptions=len(subs),
        )
        return {"running": self._running, "subscriptions": subs, "totals": totals}


__all__ = ["Conflate", "EventBus", "Handler", "Subscription", "conflate_tick_batches"]
