"""The end-of-session summary ``alphastock live`` prints (and stores in the audit log), and its exit status.

What is open is what the broker's positions showed at the end (``positions().net``
read after the square-off), not what our book believes. The exit status of
``alphastock live``:

- :data:`EXIT_OK` (0): the session ended clean;
- :data:`EXIT_LEFT_OPEN` (3): positions the configuration says to flatten at shutdown
  (``execution.shutdown: square_off_mis``: MIS positions of ours) are still open at the broker;
- :data:`EXIT_BROKER_UNREACHABLE` (4): the broker was unreachable at the end of the session
  (its positions could not be read, or its last calls all failed), so nothing is confirmed;
- 2: a usage or configuration error before the session started (``alphastock live`` itself).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from alphastock.latency import FIRST_OF_TRIGGER, STAGES

EXIT_OK = 0
"""The session ended clean."""
EXIT_LEFT_OPEN = 3
"""Positions the configuration says to flatten at shutdown are still open at the broker."""
EXIT_BROKER_UNREACHABLE = 4
"""The broker was unreachable at the end of the session: positions and orders not confirmed."""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Our book against the broker's at the end: counts compared and every difference found."""

    broker_orders: int
    broker_trades: int
    matched_orders: int
    matched_trades: int
    differences: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """No difference."""
        return not self.differences


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What a run did (money in rupees, latency in µs)."""

    mode: str
    wall_s: float
    simulated_from_ns: int
    simulated_to_ns: int
    ticks: int
    bars: int
    signals: int
    signals_by_strategy: dict[str, int]
    orders: int
    orders_by_state: dict[str, int]
    fills: int
    open_positions: int
    realised: float
    """After charges."""
    unrealised: float
    charges: float
    """Brokerage, taxes and fees booked on the session's fills."""
    risk_state: str
    risk_rejections: int
    errors: int
    latency: dict[str, dict[str, float]]
    """Per stage (``tick_to_submit``...) p50/p99/max in µs, and ``count``."""
    strategy_hooks: dict[str, dict[str, float]]
    """Per strategy instance: p50/p99/max µs of its hook calls (its own code), and ``calls``."""
    database: str
    log_file: str
    journal: str
    reconciliation: Reconciliation | None = None
    shutdown: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    broker_positions: tuple[str, ...] | None = None
    """Every position open at the broker at the end (``NSE:INFY MIS -17``); None: not read."""
    left_open: tuple[str, ...] = ()
    """Those the configuration says to flatten at shutdown (a non-zero exit status)."""
    unresolved_orders: tuple[str, ...] = ()
    """Orders whose placement outcome is still UNKNOWN after the final order-book read by tag."""
    broker_reachable: bool = True
    """False when the broker did not answer at the end."""
    exit_code: int = EXIT_OK
    """The process exit status (see the module docstring)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (NaN as None)."""

        def clean(value: Any) -> Any:
            if isinstance(value, float) and math.isnan(value):
                return None
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [clean(v) for v in value]
            return value

        data: dict[str, Any] = clean(asdict(self))
        return data


def exit_code(*, broker_positions: object | None, left_open: tuple[str, ...], broker_reachable: bool) -> int:
    """The exit status for what the end of the session found (see the module docstring)."""
    if broker_positions is None or not broker_reachable:
        return EXIT_BROKER_UNREACHABLE
    if left_open:
        return EXIT_LEFT_OPEN
    return EXIT_OK


def _us(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.1f}"


def print_summary(summary: SessionSummary, console: Console, *, stats: bool) -> None:
    """Print the summary; ``stats`` adds every latency stage."""
    table = Table(title=f"alphastock live: session summary ({summary.mode})", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    lat = summary.latency.get("tick_to_submit", {"p50": math.nan, "p99": math.nan})
    rows: list[tuple[str, str]] = [
        ("ran", f"{summary.wall_s:,.1f} s wall"),
        ("ticks / bars", f"{summary.ticks:,} / {summary.bars:,}"),
        ("signals", f"{summary.signals} " + str(dict(sorted(summary.signals_by_strategy.items())))),
        ("orders", f"{summary.orders} " + str(dict(sorted(summary.orders_by_state.items())))),
        ("fills", str(summary.fills)),
        ("open at the broker", _open_at_broker(summary)),
        (
            "P&L realised / unrealised",
            f"{summary.realised:,.2f} / {summary.unrealised:,.2f} rupees "
            f"(realised after {summary.charges:,.2f} charges)",
        ),
        ("risk", f"{summary.risk_state}, {summary.risk_rejections} rejections"),
        ("errors", str(summary.errors)),
        ("tick→submit", f"p50 {_us(lat['p50'])} µs  p99 {_us(lat['p99'])} µs"),
    ]
    if stats:
        for stage in (*STAGES, FIRST_OF_TRIGGER):
            values = summary.latency.get(stage)
            if values:
                rows.append(
                    (
                        f"  {stage}",
                        f"p50 {_us(values['p50'])}  p99 {_us(values['p99'])}  max {_us(values['max'])} µs",
                    )
                )
        for name, hooks in sorted(summary.strategy_hooks.items()):
            rows.append(
                (
                    f"  hooks of {name}",
                    f"p50 {_us(hooks['p50'])}  p99 {_us(hooks['p99'])}  max {_us(hooks['max'])} µs "
                    f"({int(hooks['calls']):,} calls)",
                )
            )
    if summary.reconciliation is not None:
        rec = summary.reconciliation
        verdict = "matches" if rec.ok else f"{len(rec.differences)} differences"
        rows.append(("broker book", f"{verdict}: {rec.matched_orders}/{rec.broker_orders} orders, "
                     f"{rec.matched_trades}/{rec.broker_trades} trades"))  # fmt: skip
    if summary.unresolved_orders:
        rows.append(("unresolved orders", f"{len(summary.unresolved_orders)} still UNKNOWN"))
    rows += [("shutdown", summary.shutdown), ("exit status", _exit(summary)), ("database", summary.database),
             ("log", summary.log_file), ("journal", summary.journal)]  # fmt: skip
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if summary.reconciliation is not None:
        for line in summary.reconciliation.differences[:20]:
            console.print(f"[yellow]difference:[/] {line}")
    for position in summary.left_open:
        console.print(f"[bold red]left open at the broker:[/] {position}")
    for order in summary.unresolved_orders:
        console.print(f"[bold red]unresolved order:[/] {order}")
    if not summary.broker_reachable:
        console.print("[bold red]broker unreachable at the end of the session:[/] nothing above is confirmed")
    for note in summary.notes:
        console.print(f"[yellow]note:[/] {note}")


def _open_at_broker(summary: SessionSummary) -> str:
    if summary.broker_positions is None:
        return (
            f"unknown (the broker's positions could not be read); our book shows {summary.open_positions} "
            "open, unconfirmed"
        )
    if not summary.broker_positions:
        return "none (flat)"
    return f"{len(summary.broker_positions)}: " + ", ".join(summary.broker_positions)


def _exit(summary: SessionSummary) -> str:
    if summary.exit_code == EXIT_LEFT_OPEN:
        return f"{summary.exit_code} (positions to flatten still open)"
    if summary.exit_code == EXIT_BROKER_UNREACHABLE:
        return f"{summary.exit_code} (broker unreachable at the end)"
    return str(summary.exit_code)


__all__ = [
    "EXIT_BROKER_UNREACHABLE",
    "EXIT_LEFT_OPEN",
    "EXIT_OK",
    "Reconciliation",
    "SessionSummary",
    "exit_code",
    "print_summary",
]
