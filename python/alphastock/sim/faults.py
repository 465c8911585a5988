"""Fault injection: failing or slow REST routes, dropped WebSockets, rejected orders, partial fills.

Faults come from two places: :class:`~alphastock.sim.config.FaultConfig`
(random rates, drawn from a generator seeded apart from the market so they do
not change prices) and the programmatic calls below, which queue a fault for
the next matching calls. Thread-safe: tests call these from their own thread
while the server's loop consumes them.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from alphastock.sim.config import FaultConfig

DEFAULT_REJECTION = "RMS:Rule: Simulated rejection (fault injection)."


@dataclass
class _RouteFault:
    prefix: str
    method: str | None
    status: int | None
    delay: float
    remaining: int


class Faults:
    """The simulator's fault switchboard (``sim.faults``)."""

    def __init__(self, config: FaultConfig | None = None, seed: int = 0) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(seed + 0x5EED)
        self._lock = threading.Lock()
        self._rejections: deque[str] = deque()
        self._partials: deque[float] = deque()
        self._routes: list[_RouteFault] = []
        self.drop_hook: Callable[[], None] | None = None

    def reject_orders(self, count: int = 1, message: str = DEFAULT_REJECTION) -> None:
        """Reject the next ``count`` orders that pass validation, with ``message`` as status_message."""
        with self._lock:
            self._rejections.extend([message] * count)

    def partial_fills(self, count: int = 1, fraction: float = 0.5) -> None:
        """Fill only ``fraction`` (at least one lot) of the next ``count`` orders that match.

        The rest of each such order stays open, unmatched, for 30 model steps.
        """
        if not 0 < fraction < 1:
            raise ValueError("fraction must be in (0, 1)")
        with self._lock:
            self._partials.extend([fraction] * count)

    def fail_route(self, prefix: str, status: int = 503, count: int = 1, method: str | None = None) -> None:
        """Answer the next ``count`` requests whose path starts with ``prefix`` with HTTP ``status``."""
        with self._lock:
            self._routes.append(_RouteFault(prefix, method, status, 0.0, count))

    def delay_route(self, prefix: str, seconds: float, count: int = 1, method: str | None = None) -> None:
        """Delay the next ``count`` requests whose path starts with ``prefix`` by ``seconds`` (wall)."""
        with self._lock:
            self._routes.append(_RouteFault(prefix, method, None, seconds, count))

    def drop_websockets(self) -> None:
        """Close every WebSocket connection now (abnormally, code 1011), as a network drop would."""
        if self.drop_hook is not None:
            self.drop_hook()

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._rejections.clear()
            self._partials.clear()
            self._routes.clear()

    # -- consumed by the server ------------------------------------------------------------
    def take_rejection(self) -> str | None:
        """A rejection message for the order being placed, or None."""
        with self._lock:
            if self._rejections:
                return self._rejections.popleft()
            if self.config.order_reject_rate and self._rng.random() < self.config.order_reject_rate:
                return DEFAULT_REJECTION
        return None

    def take_partial(self) -> float | None:
        """The share of an order to fill now, or None for a normal fill."""
        with self._lock:
            if self._partials:
                return self._partials.popleft()
            if self.config.partial_fill_rate and self._rng.random() < self.config.partial_fill_rate:
                return 0.5
        return None

    def rest_fault(self, method: str, path: str) -> tuple[float, int | None]:
        """(delay in wall seconds, HTTP status to fail with or None) for one REST request."""
        delay, status = self.config.rest_delay, None
        with self._lock:
            for fault in self._routes:
                if fault.remaining > 0 and path.startswith(fault.prefix) and fault.method in (None, method):
                    fault.remaining -= 1
                    delay += fault.delay
                    status = fault.status or status
            self._routes = [f for f in self._routes if f.remaining > 0]
            if (
                status is None
                and self.config.rest_error_rate
                and self._rng.random() < self.config.rest_error_rate
            ):
                status = 503
        return delay, status


__all__ = ["DEFAULT_REJECTION", "Faults"]
