"""Latency of the live path, per order: tick received → signal → risk checked → broker submit.

Every stamp is ``time.time_ns()`` (UTC epoch ns, wall clock) taken in this process:
``tick_ns`` when the frame that triggered the decision arrived (the feed stamps
it before parsing), ``signal_ns`` when the strategy's signal was made durable
and handed to execution, ``risk_ns`` when :meth:`RiskEngine.check` returned and
``submit_ns`` when the finished request (Kite parameters built, the order rate
limit passed) was released to the SDK's sender thread, just before the hand-over;
for a broker without a synchronous start, when the task calling it first ran.
Waking the sender and its wait for the interpreter lock come after it
(:attr:`CallSender.start_delays_ns` measures them), then the broker's round trip.
:class:`LatencyRecorder` keeps the last ``capacity`` traces and reports percentiles
per stage in microseconds.

Orders set off by the same tick batch or bar close share ``tick_ns`` and are decided
one after another on the engine loop, so the second waits for the first. The summary
also reports :data:`FIRST_OF_TRIGGER`: tick → submit of the first order of each trigger
only, which tells that queueing apart from the cost of one decision.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

import numpy as np

STAGES: Final = ("tick_to_signal", "signal_to_risk", "risk_to_submit", "tick_to_submit")
"""Intervals reported, in order."""
FIRST_OF_TRIGGER: Final = "first_of_trigger"
"""Summary entry: tick → submit of the first order of each trigger (distinct ``tick_ns``)."""


def now_ns() -> int:
    """The stamp every stage uses: ``time.time_ns()``."""
    return time.time_ns()


@dataclass(frozen=True, slots=True)
class OrderTrace:
    """Stamps of one order's way through the engine (UTC epoch ns)."""

    order_key: str
    tick_ns: int
    signal_ns: int
    risk_ns: int
    submit_ns: int

    def intervals_ns(self) -> tuple[int, int, int, int]:
        """(tick→signal, signal→risk, risk→submit, tick→submit) in ns."""
        return (
            self.signal_ns - self.tick_ns,
            self.risk_ns - self.signal_ns,
            self.submit_ns - self.risk_ns,
            self.submit_ns - self.tick_ns,
        )


class LatencyRecorder:
    """A ring of the last ``capacity`` order traces with percentiles per stage (µs)."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._data = np.zeros((capacity, len(STAGES)), dtype=np.int64)
        self._triggers = np.zeros((capacity, 2), dtype=np.int64)  # (tick_ns, submit_ns)
        self._count = 0
        self.dropped = 0
        """Traces ignored because a stamp was missing (0) or out of order."""

    @property
    def count(self) -> int:
        """Traces recorded since start (including those the ring has overwritten)."""
        return self._count

    def record(self, trace: OrderTrace) -> bool:
        """Add ``trace``; False (counted in :attr:`dropped`) when a stamp is 0 or time runs backwards."""
        intervals = trace.intervals_ns()
        if min(trace.tick_ns, trace.signal_ns, trace.risk_ns, trace.submit_ns) <= 0 or min(intervals) < 0:
            self.dropped += 1
            return False
        slot = self._count % len(self._data)
        self._data[slot] = intervals
        self._triggers[slot] = (trace.tick_ns, trace.submit_ns)
        self._count += 1
        return True

    def samples_us(self, stage: str = "tick_to_submit") -> np.ndarray:
        """The retained samples of ``stage`` in µs (float64), oldest first is not guaranteed."""
        column = STAGES.index(stage)
        n = min(self._count, len(self._data))
        return self._data[:n, column].astype(np.float64) / 1_000.0

    def first_of_trigger_us(self) -> np.ndarray:
        """Tick → submit (µs) of the earliest-submitted retained order of each distinct ``tick_ns``."""
        n = min(self._count, len(self._data))
        tick, submit = self._triggers[:n, 0], self._triggers[:n, 1]
        order = np.lexsort((submit, tick))
        ordered = tick[order]
        first = np.ones(n, dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        return (submit[order][first] - ordered[first]).astype(np.float64) / 1_000.0

    def percentiles_us(
        self, stage: str = "tick_to_submit", q: tuple[float, ...] = (50, 99)
    ) -> dict[str, float]:
        """``{"p50": ..., "p99": ...}`` in µs for ``stage`` (a name of :data:`STAGES` or
        :data:`FIRST_OF_TRIGGER`; NaN when nothing was recorded)."""
        samples = self.first_of_trigger_us() if stage == FIRST_OF_TRIGGER else self.samples_us(stage)
        if samples.size == 0:
            return {f"p{p:g}": float("nan") for p in q}
        values = np.percentile(samples, q)
        return {f"p{p:g}": float(v) for p, v in zip(q, values, strict=True)}

    def summary(self) -> dict[str, dict[str, float]]:
        """Every stage's p50, p99 and max in µs, the same for :data:`FIRST_OF_TRIGGER`, plus ``count``
        (``orders``, ``dropped``, ``triggers``)."""
        out: dict[str, dict[str, float]] = {}
        for stage in (*STAGES, FIRST_OF_TRIGGER):
            stats = self.percentiles_us(stage, (50, 99, 100))
            out[stage] = {"p50": stats["p50"], "p99": stats["p99"], "max": stats["p100"]}
        triggers = float(self.first_of_trigger_us().size)
        out["count"] = {"orders": float(self._count), "dropped": float(self.dropped), "triggers": triggers}
        return out


__all__ = ["FIRST_OF_TRIGGER", "STAGES", "LatencyRecorder", "OrderTrace", "now_ns"]
