"""What the live view and the session summary show: one immutable snapshot of the running engine.

The engine's loop builds a :class:`LiveSnapshot` a few times a second (never the
view itself reaching into trading state); the view only renders it. Prices and
P&L are rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """One recent signal."""

    ts_ns: int
    strategy: str
    symbol: str
    action: str
    entry: float
    stop_loss: float
    target: float
    confidence: float
    status: str


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


__all__ = ["LiveSnapshot", "OrderRow", "PositionRow", "SignalRow"]
