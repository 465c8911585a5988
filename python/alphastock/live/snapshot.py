"""What the live view and the session summary show: one immutable snapshot of the running engine.

The engine's loop builds a :class:`LiveSnapshot` a few times a second (never the
view itself reaching into trading state); the view only renders it. Prices and
P&L are rupees, quantities units, times UTC epoch ns.

The options executor's live trades come as :class:`OptionPositionRow` (:func:`option_position_rows`):
a handful of dictionary reads and one TickStore read per trade, cheap enough for every frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alphastock.signals.model import Signal

if TYPE_CHECKING:
    from alphastock.execution.options import ChainBook, OptionTrade
    from alphastock.execution.portfolio import Portfolio
    from alphastock.kernel import Kernel
    from alphastock.options.chain import ChainSnapshot
    from alphastock.ports import LatestPrices


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
class OptionPositionRow:
    """One live option trade (PENDING, OPEN or CLOSING) of the options executor.

    Premiums rupees per unit, P&L rupees, quantities units; None where not known (no tick yet, no
    chain snapshot of its expiry, the strike outside the snapshot, a NaN IV or greek)."""

    trade_id: str
    underlying: str
    contract: str
    """The tradingsymbol (``-`` before a contract was chosen)."""
    lots: int | None
    quantity: int | None
    """Units ordered."""
    filled: int
    """Units filled so far."""
    entry: float | None
    last: float | None
    """The contract's newest traded premium (TickStore)."""
    unrealised: float | None
    """The portfolio's position in the contract when it holds one, else (last - entry) x filled."""
    iv: float | None
    """Implied volatility, annualised decimal, from the newest chain snapshot."""
    delta: float | None
    gamma: float | None
    theta: float | None
    """Rupees per calendar day."""
    stop: float | None
    target: float | None
    status: str


def _known(value: float | None) -> float | None:
    """``value`` as a float, None when missing or NaN."""
    return None if value is None or not math.isfinite(value) else float(value)


def _greeks(chains: ChainBook | None, trade: OptionTrade) -> tuple[float | None, ...]:
    """IV, delta, gamma and theta of ``trade``'s contract in the newest snapshot of its expiry."""
    none = (None, None, None, None)
    if chains is None or trade.expiry is None or trade.strike is None or trade.option_type is None:
        return none
    snap: ChainSnapshot | None = chains.latest(trade.underlying, trade.expiry)
    if snap is None:
        return none
    # The strike ladder is short and sorted; a scan beats ChainSnapshot.row's every-column dict per frame.
    strikes = snap.strike.tolist()
    index = next((i for i, k in enumerate(strikes) if abs(k - trade.strike) <= 1e-6), None)
    if index is None:
        return none
    side = "put" if trade.option_type == "PE" else "call"
    return tuple(
        _known(float(getattr(snap, f"{side}_{name}")[index])) for name in ("iv", "delta", "gamma", "theta")
    )


def option_position_rows(
    trades: Iterable[OptionTrade],
    ticks: LatestPrices,
    portfolio: Portfolio | None = None,
    chains: ChainBook | None = None,
) -> tuple[OptionPositionRow, ...]:
    """The view's rows of the live ones of ``trades``, oldest first (see :class:`OptionPositionRow`)."""
    rows: list[OptionPositionRow] = []
    for trade in sorted((t for t in trades if t.status.live), key=lambda t: (t.opened_ns, t.trade_id)):
        last: float | None = None
        if trade.token is not None:
            tick = ticks.latest(trade.token)
            if tick is not None and tick.last_price > 0:
                last = _known(float(tick.last_price))
        held = None
        if portfolio is not None and trade.token is not None and trade.product is not None:
            held = portfolio.position(trade.token, trade.product)
        unrealised: float | None
        if held is not None and held.quantity != 0:
            unrealised = float(held.unrealised)
        elif trade.filled_quantity == 0:
            unrealised = 0.0
        elif last is not None and trade.entry_premium is not None:
            unrealised = (last - trade.entry_premium) * trade.filled_quantity
        else:
            unrealised = None
        iv, delta, gamma, theta = _greeks(chains, trade)
        row = OptionPositionRow(
            trade.trade_id, trade.underlying, trade.tradingsymbol or "-", trade.lots, trade.quantity,
            trade.filled_quantity, trade.entry_premium, last, unrealised, iv, delta, gamma, theta,
            trade.stop, trade.target, trade.status.value,
        )  # fmt: skip
        rows.append(row)
    return tuple(rows)


def kernel_option_positions(kernel: Kernel) -> tuple[OptionPositionRow, ...]:
    """:func:`option_position_rows` of ``kernel``'s options executor (empty without one)."""
    execution = kernel.execution
    if execution.options is None:
        return ()
    live = execution.options.book.live()
    return option_position_rows(live, kernel.ticks, kernel.portfolio, execution.chains)


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
    option_positions: tuple[OptionPositionRow, ...] = ()
    """The options executor's live trades (:func:`kernel_option_positions`)."""


__all__ = [
    "LiveSnapshot",
    "OptionPositionRow",
    "OrderRow",
    "PositionRow",
    "RecentSignals",
    "SignalRow",
    "kernel_option_positions",
    "option_position_rows",
]
