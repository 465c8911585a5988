"""``alphastock options positions``: the options executor's trades as the store holds them.

Reads ``option_trades`` and ``option_trade_events`` (one row per trade in its latest state, and every
step of each) from the DuckDB store, opened read-only, so it never migrates or changes the file. By
default the live trades (PENDING, OPEN, CLOSING); ``--all`` adds the finished ones (CLOSED, CANCELLED,
FAILED); ``--events TRADE_ID`` prints that trade and its steps; ``--json`` prints the same as JSON
(times UTC epoch ns plus their IST text, premiums rupees, quantities units).

DuckDB lets a database file be open in one process while it writes: run this beside a stopped
session, or point ``--data-dir`` at a copy.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alphastock.errors import AlphaStockError
from alphastock.models import IST

console = Console()
err_console = Console(stderr=True)

LIVE_STATUSES = ("PENDING", "OPEN", "CLOSING")
"""The statuses of a trade that may still hold or open a position (``TradeStatus.live``)."""
_JSON_COLUMNS = ("choice", "sizing", "levels")


def _ist(ts_ns: int | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if not ts_ns:
        return "-"
    return dt.datetime.fromtimestamp(ts_ns / 1e9, IST).strftime(fmt)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _plain(row: dict[str, Any], time_column: str) -> dict[str, Any]:
    """A stored row as JSON values: JSON text columns parsed, dates ISO, the time also as IST text."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name in _JSON_COLUMNS or name == "detail":
            value = json.loads(value) if isinstance(value, str) else value
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[name] = value
    out[f"{time_column.removesuffix('_ns')}_ist"] = _ist(row.get(time_column), "%Y-%m-%dT%H:%M:%S.%f%z")
    return out


def _fail(message: str, code: int) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code=code)


def _read(
    data_dir: Path | None, statuses: tuple[str, ...] | None, trade_id: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The trades (of ``statuses``, or all) and, with ``trade_id``, that trade's steps."""
    from alphastock.store import Store, default_path

    file = default_path(data_dir)
    if not file.is_file():
        raise _fail(
            f"no database at {file}: no session has stored anything there (pass --data-dir, or set "
            "ALPHASTOCK_DATA_DIR, to the live session's data directory)",
            2,
        )
    try:
        with Store.open(data_dir=data_dir, read_only=True) as store:
            trades = store.option_trades(status=statuses).to_pylist()
            events = [] if trade_id is None else store.option_trade_events(trade_id).to_pylist()
    except AlphaStockError as exc:
        raise _fail(str(exc), 2) from None
    return trades, events


def _trades_table(trades: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for name, justify in (("trade id", "left"), ("opened (IST)", "left"), ("underlying", "left"),
                          ("contract", "left"), ("lots", "right"), ("entry", "right"), ("stop", "right"),
                          ("target", "right"), ("status", "left"), ("exit reason", "left")):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for t in trades:
        table.add_row(
            escape(t["trade_id"]), _ist(t["opened_ns"]), escape(t["underlying"]),
            escape(t["tradingsymbol"] or "-"), "-" if t["lots"] is None else f"{t['lots']:,}",
            _num(t["entry_premium"]), _num(t["stop"]), _num(t["target"]), t["status"],
            escape(t["exit_reason"] or ""),
        )  # fmt: skip
    return table


def _events_table(events: list[dict[str, Any]], trade_id: str) -> Table:
    table = Table(title=f"steps of {trade_id}")
    table.add_column("time (IST)", no_wrap=True)
    table.add_column("event", no_wrap=True)
    table.add_column("detail")
    for e in events:
        detail = e["detail"]
        parsed = json.loads(detail) if isinstance(detail, str) else detail
        text = "" if parsed is None else json.dumps(parsed, default=str)
        table.add_row(_ist(e["ts_ns"], "%Y-%m-%d %H:%M:%S.%f")[:-3], e["event"], escape(text))
    return table


def positions(
    all_trades: Annotated[
        bool, typer.Option("--all", help="Also the finished trades (CLOSED, CANCELLED, FAILED).")
    ] = False,
    events: Annotated[
        str | None,
        typer.Option("--events", metavar="TRADE_ID", help="Show this trade and its steps, in order."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Directory of alphastock.duckdb (default: $ALPHASTOCK_DATA_DIR, else the user data dir).",
        ),
    ] = None,
) -> None:
    """The options executor's trades from the store: the live ones (PENDING, OPEN, CLOSING), or --all.

    With --events TRADE_ID, that trade (whatever its status) and every step it went through.
    """
    statuses = None if all_trades or events is not None else LIVE_STATUSES
    trades, steps = _read(data_dir, statuses, events)
    if events is not None:
        trades = [t for t in trades if t["trade_id"] == events]
        if not trades:
            raise _fail(f"no option trade {events} in the store", 1)
    if as_json:
        rows = [_plain(t, "opened_ns") for t in trades]
        out: Any = {"trade": rows[0], "events": [_plain(e, "ts_ns") for e in steps]} if events else rows
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    if not trades:
        which = "option trades" if all_trades else "live option trades (--all shows finished ones too)"
        console.print(f"no {which}")
        return
    title = "option trades" if all_trades or events else "live option trades"
    console.print(_trades_table(trades, title))
    if events is not None:
        console.print(_events_table(steps, events))


__all__ = ["LIVE_STATUSES", "positions"]
