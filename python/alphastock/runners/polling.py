"""REST fallback for the tick stream (:class:`QuotePoller`).

While the WebSocket is down or stale, the poller fetches ``broker.quote()`` for the
subscribed instruments, writes them into the TickStore (``push_batch``) and publishes
a TICK_BATCH with ``source="poll"``, so runners, bars and strategies carry on. Kite
serves at most 500 instruments per call and one quote request per second: more
instruments take several calls spaced at least ``min_interval_s`` apart on the
injected clock. It starts on the feed's ``disconnected``/``stale`` and stops on
``connected``/``fresh``, publishing FEED_STATUS ``polling`` / ``streaming``.

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from alphastock.brokers.errors import BrokerNetworkError
from alphastock.clock import Clock, LiveClock
from alphastock.events import Event, EventType, FeedStatus, TickBatch
from alphastock.models import Quote
from alphastock.ports import QuoteSource
from alphastock.runners.base import Publish
from alphastock.ticks import TickStore

log = logging.getLogger(__name__)
NS_PER_SECOND = 1_000_000_000


class QuotePoller:
    """Polls quotes while the feed is down (see the module docstring).

    ``instruments()`` gives the ``{token: "EXCHANGE:TRADINGSYMBOL"}`` to poll (e.g. the
    runners' subscriptions). ``publish`` receives TICK_BATCH and FEED_STATUS events.
    """

    def __init__(
        self,
        broker: QuoteSource,
        ticks: TickStore,
        instruments: Callable[[], dict[int, str]],
        publish: Publish | None = None,
        *,
        clock: Clock | None = None,
        max_per_request: int = 500,
        min_interval_s: float = 1.0,
    ) -> None:
        if not 1 <= max_per_request <= 500:
            raise ValueError(f"max_per_request must be 1..500 (Kite's limit), got {max_per_request}")
        self.broker = broker
        self.ticks = ticks
        self.instruments = instruments
        self.publish = publish
        self.clock: Clock = clock or LiveClock()
        self.max_per_request = max_per_request
        self.min_interval_ns = int(min_interval_s * NS_PER_SECOND)
        self.requests = 0
        self.ticks_stored = 0
        self.errors = 0
        self.request_times: list[int] = []
        """Clock time (UTC ns) of each /quote request, newest last (the last 100)."""
        self._last_request_ns: int | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        """Whether the polling loop runs."""
        return self._task is not None and not self._task.done()

    def on_feed_event(self, kind: str) -> None:
        """Feed event ``kind``: start on ``disconnected``/``stale``, stop on ``connected``/``fresh``."""
        if kind in ("disconnected", "stale"):
            self.start()
        elif kind in ("connected", "fresh"):
            self.stop()

    def start(self) -> None:
        """Start polling (needs a running event loop); a no-op when already polling."""
        if self.active:
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="quote-poller")
        self._status("polling", "WebSocket down or stale: polling REST quotes")

    def stop(self) -> None:
        """Stop polling (the loop ends at its next await); a no-op when not polling."""
        if self._task is None:
            return
        task, self._task = self._task, None
        task.cancel()
        self._status("streaming", "WebSocket back: polling stopped")

    async def close(self) -> None:
        """Stop and wait for the loop to end."""
        task = self._task
        self.stop()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _status(self, kind: str, detail: str) -> None:
        log.info("quote poller: %s", detail)
        if self.publish is not None:
            now = self.clock.now_ns()
            self.publish(Event(EventType.FEED_STATUS, FeedStatus(kind, detail, now), now))

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except BrokerNetworkError as exc:
                # The broker is not there: BrokerHealth says so once; no traceback per retry.
                self.errors += 1
                log.debug("quote poll failed: %s", exc)
                await self._pace()
            except Exception:
                self.errors += 1
                log.exception("quote poll failed")
                await self._pace()

    async def _pace(self) -> None:
        if self._last_request_ns is not None:
            due = self._last_request_ns + self.min_interval_ns
            if self.clock.now_ns() < due:
                await self.clock.sleep_until(due)

    async def poll_once(self) -> int:
        """One pass over every instrument (several requests spaced by the rate limit); ticks stored."""
        wanted = self.instruments()
        keys = list(wanted.values())
        stored = 0
        for i in range(0, len(keys), self.max_per_request):
            chunk = keys[i : i + self.max_per_request]
            await self._pace()
            now = self.clock.now_ns()
            self._last_request_ns = now
            self.requests += 1
            self.request_times = [*self.request_times[-99:], now]
            quotes = await self.broker.quote(chunk)
            stored += self._store(quotes, self.clock.now_ns())
        if not keys:
            await self._pace()
            self._last_request_ns = self.clock.now_ns()
        return stored

    def _store(self, quotes: dict[str, Quote], now_ns: int) -> int:
        if not quotes:
            return 0
        rows = list(quotes.values())
        n = len(rows)
        tokens = np.fromiter((q.instrument_token for q in rows), np.int64, n)
        bid = np.full(n, math.nan)
        ask = np.full(n, math.nan)
        bid_qty = np.zeros(n, np.int64)
        ask_qty = np.zeros(n, np.int64)
        for i, q in enumerate(rows):
            b, a = q.best_bid, next((lv for lv in q.depth.sell if lv.price > 0), None)
            if b is not None:
                bid[i], bid_qty[i] = b.price, b.quantity
            if a is not None:
                ask[i], ask_qty[i] = a.price, a.quantity
        # Stamped at receipt like the WebSocket's frames, so polled and streamed ticks interleave in order.
        count = self.ticks.push_batch(
            tokens, now_ns, np.fromiter((q.last_price for q in rows), np.float64, n),
            np.fromiter((q.last_quantity for q in rows), np.int64, n),
            np.fromiter((q.volume for q in rows), np.int64, n),
            np.fromiter((int(q.oi) for q in rows), np.int64, n), bid, ask, bid_qty, ask_qty,
        )  # fmt: skip
        self.ticks_stored += count
        if count and self.publish is not None:
            batch = TickBatch(tokens=tokens, recv_ns=now_ns, source="poll")
            self.publish(Event(EventType.TICK_BATCH, batch, now_ns))
        return count

    def stats(self) -> dict[str, Any]:
        """Counters: active, requests, ticks stored, errors."""
        return {
            "active": self.active,
            "requests": self.requests,
            "ticks": self.ticks_stored,
            "errors": self.errors,
        }


__all__ = ["QuotePoller"]
