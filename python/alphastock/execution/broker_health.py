"""Is the broker there? One count of consecutive failed broker calls, and the gate it closes.

:class:`MonitoredBroker` wraps the broker every part of the engine talks to and
reports the outcome of each awaited call (orders and reads) to one
:class:`BrokerHealth`. A call fails as an *outage* when the broker could not be
reached or failed upstream (:class:`~alphastock.brokers.errors.BrokerNetworkError`:
connection refused, HTTP 502/503/504 after the adapter's own retries; an
:class:`~alphastock.brokers.errors.AmbiguousOrderOutcome`; ``OSError``/timeouts).
Any answer from the broker, a refusal included, proves it is there.

After ``unreachable_after`` outages in a row the broker is *unreachable*: one
ERROR line says so, new orders are refused before they reach the broker (the
executor and the OMS ask :attr:`BrokerHealth.reachable`), and the periodic reads
(order book, margins) back off exponentially (:meth:`BrokerHealth.backoff_s`) on
the engine clock. The first successful call logs one line and lifts the gate.
Nothing is logged per failed retry in between (DEBUG only), so a dead broker
does not fill the log.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

from alphastock.brokers.base import Placement
from alphastock.brokers.errors import AmbiguousOrderOutcome, BrokerNetworkError
from alphastock.clock import Clock, LiveClock, seconds_between
from alphastock.engine import Health

log = logging.getLogger(__name__)

MONITORED_CALLS = frozenset(
    {
        "place_order", "modify_order", "cancel_order", "orders", "order_history", "trades",
        "order_trades", "positions", "holdings", "margins", "order_margins", "charges", "quote",
        "ohlc", "ltp", "instruments", "historical",
    }
)  # fmt: skip
"""Broker coroutine methods whose outcome is counted."""


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` means the broker was not reached (or failed upstream), not that it answered."""
    return isinstance(exc, BrokerNetworkError | AmbiguousOrderOutcome | OSError | TimeoutError)


class BrokerHealth:
    """Consecutive broker outages and the unreachable gate (see the module docstring).

    Args:
        unreachable_after: consecutive failed calls that make the broker unreachable.
        clock: the engine clock (how long an outage lasted, in engine seconds); the wall clock if None.
    """

    name = "broker"

    def __init__(self, *, unreachable_after: int = 3, clock: Clock | None = None) -> None:
        if unreachable_after < 1:
            raise ValueError(f"unreachable_after must be >= 1, got {unreachable_after}")
        self.unreachable_after = unreachable_after
        self.clock: Clock = clock or LiveClock()
        self.consecutive_failures = 0
        self.reachable = True
        """False from the ``unreachable_after``-th failure in a row until the next successful call."""
        self.last_error = ""
        self.outages = 0
        """Times the broker became unreachable."""
        self.calls = 0
        self.failures = 0
        self._down_since: int | None = None

    def succeeded(self, what: str) -> None:
        """A call the broker answered (a refusal counts: the broker is there)."""
        self.calls += 1
        self.consecutive_failures = 0
        if not self.reachable:
            now = self.clock.now_ns()
            down = seconds_between(self._down_since if self._down_since is not None else now, now)
            self.reachable = True
            self._down_since = None
            log.warning("broker answers again (%s) after %.1f s unreachable; new orders resume", what, down)

    def failed(self, what: str, exc: BaseException) -> None:
        """A call that did not reach the broker (see :func:`is_outage`)."""
        self.calls += 1
        self.failures += 1
        self.consecutive_failures += 1
        self.last_error = f"{what}: {exc}"
        if self.reachable and self.consecutive_failures >= self.unreachable_after:
            self.reachable = False
            self.outages += 1
            self._down_since = self.clock.now_ns()
            log.error(
                "broker unreachable: %d broker calls failed in a row (last: %s); new orders halted, "
                "reads retried with backoff until it answers",
                self.consecutive_failures,
                self.last_error,
            )
        else:
            log.debug("broker call failed (%d in a row): %s", self.consecutive_failures, self.last_error)

    def record(self, what: str, exc: BaseException | None) -> None:
        """:meth:`succeeded` when ``exc`` is None or an answer, else :meth:`failed`."""
        if exc is not None and is_outage(exc):
            self.failed(what, exc)
        else:
            self.succeeded(what)

    def backoff_s(self, base_s: float, cap_s: float) -> float:
        """Seconds before the next periodic read: ``base_s`` while reachable, else ``base_s`` doubled per
        failure beyond the threshold, at most ``cap_s``."""
        if self.reachable:
            return base_s
        extra = min(self.consecutive_failures - self.unreachable_after + 1, 16)
        return min(base_s * 2.0**extra, max(cap_s, base_s))

    def down_for_s(self) -> float:
        """Engine seconds the broker has been unreachable (0 while reachable)."""
        return 0.0 if self._down_since is None else seconds_between(self._down_since, self.clock.now_ns())

    # engine component ------------------------------------------------------------------------------

    async def initialize(self) -> None:
        """Nothing to prepare."""

    async def start(self) -> None:
        """Nothing to start: the monitored broker reports to it."""

    async def stop(self) -> None:
        """Nothing to stop."""

    def health(self) -> Health:
        """``failed`` while unreachable (with the last error), else ``ok``; call counts as metrics."""
        metrics = {
            "calls": float(self.calls),
            "failures": float(self.failures),
            "consecutive_failures": float(self.consecutive_failures),
            "outages": float(self.outages),
        }
        if not self.reachable:
            detail = f"unreachable for {self.down_for_s():.0f} s, new orders halted ({self.last_error})"
            return Health("failed", detail, metrics, self.failures)
        return Health("ok", "", metrics, self.failures)


class MonitoredBroker:
    """``inner`` with every awaited call of :data:`MONITORED_CALLS` (and ``place_order_now``) reported to
    ``health``; everything else is ``inner``'s own attribute."""

    def __init__(self, inner: Any, health: BrokerHealth) -> None:
        self.inner = inner
        self.broker_health = health

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if name in MONITORED_CALLS and callable(value):
            return self._wrap(name, value)
        return value

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        health = self.broker_health

        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await method(*args, **kwargs)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                health.record(name, exc)
                raise
            health.succeeded(name)
            return result

        return call

    def place_order_now(self, request: Any) -> Placement | None:
        """The inner broker's synchronous start of a placement, its outcome reported when awaited."""
        start = getattr(self.inner, "place_order_now", None)
        if start is None:
            return None
        placement: Placement | None = start(request)
        if placement is None:
            return None
        return Placement(self._observed(placement.pending), placement.released_ns)

    async def _observed(self, pending: Any) -> Any:
        try:
            result = await pending
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.broker_health.record("place_order", exc)
            raise
        self.broker_health.succeeded("place_order")
        return result

    def __repr__(self) -> str:
        return f"MonitoredBroker({self.inner!r})"


__all__ = ["MONITORED_CALLS", "BrokerHealth", "MonitoredBroker", "is_outage"]
