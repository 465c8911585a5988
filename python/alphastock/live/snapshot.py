"""What the live view and the session summary show: one immutable snapshot of the running engine.

The engine's loop builds a :class:`LiveSnapshot` a few times a second (never the
view itself reaching into trading state); the view only renders it. Prices and
P&L are rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alphastock.signals.model import Signal


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One open or closed-today position."""

    symbol: str
    product: str
    quantity: int
    average_price: float
    last_price: float
    realised: float
    unrealised: float


@dataclass(frozen=True, slots=True)
class SignalRow:
    """One recent signal, in its latest status (``ts_ns``: when it was made)."""

    ts_ns: int
    strategy: str
    symbol: str
    action: str
    entry: float
    stop_loss: float
    target: float
    confidence: float
    status: str
    id: str = ""


class RecentSignals:
    """The ``capacity`` newest signals, one entry per signal holding its latest status.

    A signal is published once made (NEW) and again at each status change (ACTIVE,
    CLOSED ...): the view shows it once, as it stands now, in the place of when it was made.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._by_id: dict[str, tuple[int, Signal]] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def update(self, signal: Signal) -> None:
        """A signal made or changed: kept (replacing its earlier status unless that one is newer); the
        oldest signal is dropped past ``capacity``."""
        known = self._by_id.get(signal.id)
        if known is not None:
            seq, current = known
            if _changed_ns(signal) >= _changed_ns(current):
                self._by_id[signal.id] = (seq, signal)
            return
        self._seq += 1
        self._by_id[signal.id] = (self._seq, signal)
        if len(self._by_id) > self.capacity:
            oldest = min(self._by_id.items(), key=lambda item: (item[1][1].ts_ns, item[1][0]))[0]
            del self._by_id[oldest]

    def newest_first(self) -> list[Signal]:
        """The kept signals, newest (by the time they were made) first."""
        entries = sorted(self._by_id.values(), key=lambda e: (e[1].ts_ns, e[0]), reverse=True)
        return [signal for _, signal in entries]

    def rows(self) -> tuple[SignalRow, ...]:
        """:meth:`newest_first` as view rows."""
        return tuple(
            SignalRow(
                s.ts_ns, s.strategy, s.symbol, s.action.value, s.entry, s.stop_loss, s.target,
                s.confidence, s.status.value, s.id,
            )
            for s in self.newest_first()
        )  # fmt: skip


def _changed_ns(signal: Signal) -> int:
    return signal.ts_ns if signal.updated_ns is None else signal.updated_ns


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One recent order."""

    ts_ns: int
    key: str
    symbol: str
    side: str
    quantity: int
    filled: int
    average_price: float | None
    state: str
    message: str | None = None


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """The engine at one instant (see the module docstring)."""

    mode: str
    """``sim``, ``paper`` or ``live``."""
    clock_ns: int
    """Engine clock (simulated time on the simulator)."""
    uptime_s: float
    feed: str
    """Feed state: connected, disconnected, stale, polling."""
    ticks_per_s: float
    ticks_total: int
    session_phase: str
    risk_state: str
    risk_reason: str
    day_pnl: float
    realised: float
    unrealised: float
    drawdown: float
    orders_today: int
    signals_total: int
    fills_total: int
    rejections: int
    errors: int
    latency_p50_us: float
    latency_p99_us: float
    positions: tuple[PositionRow, ...] = ()
    signals: tuple[SignalRow, ...] = ()
    orders: tuple[OrderRow, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Warnings worth a line (token expiry, a degraded component)."""


__all__ = ["LiveSnapshot", "OrderRow", "PositionRow", "RecentSignals", "SignalRow"]
