"""The end-of-session summary ``alphastock live`` prints (and stores in the audit log)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from alphastock.latency import FIRST_OF_TRIGGER, STAGES


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
        ("open positions", str(summary.open_positions)),
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
    rows += [("shutdown", summary.shutdown), ("database", summary.database), ("log", summary.log_file),
             ("journal", summary.journal)]  # fmt: skip
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if summary.reconciliation is not None:
        for line in summary.reconciliation.differences[:20]:
            console.print(f"[yellow]difference:[/] {line}")
    for note in summary.notes:
        console.print(f"[yellow]note:[/] {note}")


__all__ = ["Reconciliation", "SessionSummary", "print_summary"]
