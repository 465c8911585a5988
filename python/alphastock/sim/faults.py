"""Fault injection: failing, throttled or slow REST routes, dropped WebSockets, rejections, partial fills.

Faults come from two places: :class:`~alphastock.sim.config.FaultConfig`
(random rates and a periodic WebSocket drop) and the programmatic calls below,
which queue a fault for the next matching calls and take precedence. Every
random kind draws from its own generator, seeded from the fault seed and the
kind's name, so the same seed injects the same faults whatever else the
client does, and prices never change. :attr:`Faults.counts` tallies what was
injected. Thread-safe: tests call these from their own thread while the
server's loop consumes them.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from alphastock.sim.config import FaultConfig

DEFAULT_REJECTION = "RMS:Rule: Simulated rejection (fault injection)."
KINDS = ("rest_error", "rate_limited", "delayed", "rejected", "partial_fill", "ws_drop")
"""Keys of :attr:`Faults.counts`."""


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
        base = self.config.seed if self.config.seed is not None else seed
        # One generator per kind (string seeds hash deterministically): the REST calls a client
        # happens to make never shift which order is rejected.
        self._rngs = {kind: random.Random(f"alphastock-sim-faults:{base}:{kind}") for kind in KINDS}
        self._lock = threading.Lock()
        self._rejections: deque[str] = deque()
        self._partials: deque[float] = deque()
        self._routes: list[_RouteFault] = []
        self.counts: Counter[str] = Counter({kind: 0 for kind in KINDS})
        """Faults injected so far, by kind (see :data:`KINDS`); WebSocket drops count connections."""
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
        """Answer the next ``count`` requests whose path starts with ``prefix`` with HTTP ``status``.

        429 answers Kite's "Too many requests" NetworkException, 403 a TokenException, other
        statuses a NetworkException saying the failure is simulated.
        """
        with self._lock:
            self._routes.append(_RouteFault(prefix, method, status, 0.0, count))

    def delay_route(self, prefix: str, seconds: float, count: int = 1, method: str | None = None) -> None:
        """Delay the next ``count`` requests whose path starts with ``prefix`` by ``seconds`` (wall)."""
        with self._lock:
            self._routes.append(_RouteFault(prefix, method, None, seconds, count))

    def drop_websockets(self) -> None:
        """Close every WebSocket connection now (abnormally, code 1006), as a network drop would."""
        if self.drop_hook is not None:
            self.drop_hook()

    def clear(self) -> None:
        """Forget every queued fault (the configured rates stay)."""
        with self._lock:
            self._rejections.clear()
            self._partials.clear()
            self._routes.clear()

    def stats(self) -> dict[str, int]:
        """A copy of :attr:`counts`."""
        with self._lock:
            return dict(self.counts)

    # -- consumed by the server ------------------------------------------------------------
    def _draw(self, kind: str, rate: float) -> bool:
        return rate > 0 and self._rngs[kind].random() < rate

    def count(self, kind: str, n: int = 1) -> None:
        """Record ``n`` injected faults of ``kind``."""
        with self._lock:
            self.counts[kind] += n

    def take_rejection(self) -> str | None:
        """A rejection message for the order being placed, or None."""
        with self._lock:
            message = None
            if self._rejections:
                message = self._rejections.popleft()
            elif self._draw("rejected", self.config.order_reject_rate):
                message = DEFAULT_REJECTION
            if message is not None:
                self.counts["rejected"] += 1
            return message

    def take_partial(self) -> float | None:
        """The share of an order to fill now, or None for a normal fill."""
        with self._lock:
            share = None
            if self._partials:
                share = self._partials.popleft()
            elif self._draw("partial_fill", self.config.partial_fill_rate):
                share = self.config.partial_fill_fraction
            if share is not None:
                self.counts["partial_fill"] += 1
            return share

    def rest_fault(self, method: str, path: str) -> tuple[float, int | None]:
        """(delay in wall seconds, HTTP status to fail with or None) for one REST request."""
        cfg = self.config
        delay, status = 0.0, None
        with self._lock:
            for fault in self._routes:
                if fault.remaining > 0 and path.startswith(fault.prefix) and fault.method in (None, method):
                    fault.remaining -= 1
                    delay += fault.delay
                    status = fault.status or status
            self._routes = [f for f in self._routes if f.remaining > 0]
            if cfg.rest_delay and self._draw("delayed", cfg.rest_delay_rate):
                delay += cfg.rest_delay
            if status is None and self._draw("rate_limited", cfg.rate_limit_error_rate):
                status = 429
            if status is None and self._draw("rest_error", cfg.rest_error_rate):
                status = 503
            if delay:
                self.counts["delayed"] += 1
            if status is not None:
                self.counts["rate_limited" if status == 429 else "rest_error"] += 1
        return delay, status


__all__ = ["DEFAULT_REJECTION", "KINDS", "Faults"]
