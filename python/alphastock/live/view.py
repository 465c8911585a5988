"""The live terminal view (rich): feed, positions, option positions, P&L, recent signals and orders, risk,
latency.

:func:`render` turns a :class:`~alphastock.live.snapshot.LiveSnapshot` into a
renderable; :class:`LiveView` refreshes it at most ``refresh_per_s`` times a
second from a snapshot callable. It never touches trading state itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alphastock.live.snapshot import LiveSnapshot, OptionPositionRow
from alphastock.models import IST

_STATE_STYLE = {"ACTIVE": "green", "REDUCING": "yellow", "HALTED": "bold red"}
_FEED_STYLE = {"connected": "green", "polling": "yellow", "stale": "yellow", "disconnected": "red"}


def _ist(ts_ns: int, fmt: str = "%H:%M:%S") -> str:
    if ts_ns <= 0:
        return "--:--:--"
    return dt.datetime.fromtimestamp(ts_ns / 1e9, IST).strftime(fmt)


def _money(value: float) -> Text:
    style = "green" if value > 0 else "red" if value < 0 else ""
    return Text(f"{value:,.2f}", style=style)


def _us(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f} µs"


def _header(snap: LiveSnapshot) -> Table:
    grid = Table.grid(expand=True, padding=(0, 2))
    for _ in range(4):
        grid.add_column()
    feed_style = _FEED_STYLE.get(snap.feed, "")
    grid.add_row(
        Text.assemble(("AlphaStock ", "bold"), (snap.mode.upper(), "bold cyan")),
        Text(f"{_ist(snap.clock_ns, '%Y-%m-%d %H:%M:%S')} IST  ({snap.session_phase})"),
        Text.assemble("feed ", (snap.feed, feed_style), f"  {snap.ticks_per_s:,.0f} ticks/s"),
        Text(f"up {snap.uptime_s:,.0f} s"),
    )
    grid.add_row(
        Text.assemble("risk ", (snap.risk_state, _STATE_STYLE.get(snap.risk_state, ""))),
        Text.assemble("day P&L ", _money(snap.day_pnl), "  dd ", _money(-abs(snap.drawdown))),
        Text(f"signals {snap.signals_total}  orders {snap.orders_today}  fills {snap.fills_total}"),
        Text(f"tick→submit p50 {_us(snap.latency_p50_us)}  p99 {_us(snap.latency_p99_us)}"),
    )
    return grid


def _positions(snap: LiveSnapshot) -> Table:
    table = Table(expand=True, show_edge=False)
    for name, justify in (("symbol", "left"), ("product", "left"), ("qty", "right"), ("avg", "right"),
                          ("ltp", "right"), ("unrealised", "right"), ("realised", "right")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in snap.positions:
        table.add_row(
            row.symbol, row.product, f"{row.quantity:,}", f"{row.average_price:,.2f}",
            f"{row.last_price:,.2f}", _money(row.unrealised), _money(row.realised),
        )  # fmt: skip
    return table


_DASH = "-"
"""An absent value (as the other panels show one)."""


def _num(value: float | None, fmt: str = ",.2f") -> str:
    return _DASH if value is None else format(value, fmt)


def _option_qty(row: OptionPositionRow) -> str:
    """Units filled / ordered while an entry is partly filled, else the units."""
    if row.quantity is None:
        return f"{row.filled:,}"
    if row.filled not in (0, row.quantity):
        return f"{row.filled:,}/{row.quantity:,}"
    return f"{row.quantity:,}"


_OPTION_COLUMNS = (
    ("contract", "left"), ("lots", "right"), ("qty", "right"), ("entry", "right"), ("last", "right"),
    ("unrealised", "right"), ("iv", "right"), ("delta", "right"), ("gamma", "right"), ("theta", "right"),
    ("stop", "right"), ("target", "right"), ("status", "left"),
)  # fmt: skip


def _option_positions(snap: LiveSnapshot) -> Table:
    table = Table(expand=True, show_edge=False)
    for name, justify in _OPTION_COLUMNS:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in snap.option_positions:
        table.add_row(
            row.contract, _DASH if row.lots is None else f"{row.lots:,}", _option_qty(row), _num(row.entry),
            _num(row.last), _DASH if row.unrealised is None else _money(row.unrealised),
            _DASH if row.iv is None else f"{row.iv:.1%}", _num(row.delta, ".2f"), _num(row.gamma, ".4f"),
            _num(row.theta, ",.2f"), _num(row.stop), _num(row.target), row.status,
        )  # fmt: skip
    return table


def _signals(snap: LiveSnapshot) -> Table:
    table = Table(expand=True, show_edge=False)
    for name in ("time", "strategy", "symbol", "action", "entry", "stop", "target", "conf", "status"):
        table.add_column(name)
    for row in snap.signals:
        table.add_row(
            _ist(row.ts_ns), row.strategy, row.symbol,
            Text(row.action, style="green" if row.action == "BUY" else "red"),
            f"{row.entry:,.2f}", f"{row.stop_loss:,.2f}", f"{row.target:,.2f}", f"{row.confidence:.2f}",
            row.status,
        )  # fmt: skip
    return table


def _orders(snap: LiveSnapshot) -> Table:
    table = Table(expand=True, show_edge=False)
    for name in ("time", "symbol", "side", "qty", "filled", "avg", "state", "message"):
        table.add_column(name)
    for row in snap.orders:
        avg = "-" if row.average_price is None else f"{row.average_price:,.2f}"
        table.add_row(
            _ist(row.ts_ns), row.symbol, row.side, f"{row.quantity:,}", f"{row.filled:,}", avg, row.state,
            row.message or "",
        )  # fmt: skip
    return table


def render(snap: LiveSnapshot) -> RenderableType:
    """The whole view for one snapshot."""
    parts: list[RenderableType] = [
        Panel(_header(snap), title="engine", border_style="cyan"),
        Panel(_positions(snap), title=f"positions ({len(snap.positions)})"),
    ]
    if snap.option_positions:
        parts.append(Panel(_option_positions(snap), title=f"option positions ({len(snap.option_positions)})"))
    parts += [Panel(_signals(snap), title="recent signals"), Panel(_orders(snap), title="recent orders")]
    if snap.notes:
        parts.append(Panel(Text("\n".join(snap.notes), style="yellow"), title="notes"))
    return Group(*parts)


class LiveView:
    """Refreshes :func:`render` of ``snapshot()`` on ``console`` at most ``refresh_per_s`` times a second."""

    def __init__(
        self,
        snapshot: Callable[[], LiveSnapshot],
        *,
        console: Console | None = None,
        refresh_per_s: float = 4.0,
    ) -> None:
        if not 0 < refresh_per_s <= 10:
            raise ValueError(f"refresh_per_s must be in (0, 10], got {refresh_per_s}")
        self._snapshot = snapshot
        self.console = console or Console()
        self.refresh_per_s = refresh_per_s
        self._live: Live | None = None
        self.frames = 0
        """Frames drawn."""

    def start(self) -> None:
        """Take over the terminal (alternate screen off: the last frame stays visible after exit)."""
        self._live = Live(render(self._snapshot()), console=self.console, auto_refresh=False, transient=False)
        self._live.start()

    def update(self) -> None:
        """Draw one frame from a fresh snapshot (call it from the loop's timer)."""
        if self._live is not None:
            self._live.update(render(self._snapshot()), refresh=True)
            self.frames += 1

    def stop(self) -> None:
        """Draw the last frame and give the terminal back."""
        if self._live is not None:
            self.update()
            self._live.stop()
            self._live = None


__all__ = ["LiveView", "render"]
