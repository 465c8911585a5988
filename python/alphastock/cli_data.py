"""``alphastock data``: market data from Kite into the DuckDB store.

``alphastock data fetch SYMBOL --interval minute --from 2026-01-01 --to 2026-01-12`` looks the
symbol up in today's instruments dump (downloading it first if the store lacks it), fetches
the candles in Kite's per-request spans under the historical rate limit (3 requests/s) with a
progress bar, and stores them as bars (re-fetching a range replaces its bars).

Credentials come from ``--api-key`` / ``--access-token`` or ``ALPHASTOCK_KITE_API_KEY`` /
``ALPHASTOCK_KITE_ACCESS_TOKEN``; the token is never printed. At start the command says when the
token dies (06:00 IST), from the stored session when the token is the stored one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated, cast, get_args

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from alphastock.errors import AlphaStockError
from alphastock.ports import CandleInterval

data_app = typer.Typer(help="Market data from Kite into the DuckDB store.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

API_KEY_ENV = "ALPHASTOCK_KITE_API_KEY"
ACCESS_TOKEN_ENV = "ALPHASTOCK_KITE_ACCESS_TOKEN"


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


@data_app.command("fetch")
def fetch(
    symbol: Annotated[str, typer.Argument(help="Kite tradingsymbol, e.g. SBIN or NIFTY2611325500CE.")],
    from_date: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (IST).")],
    to_date: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (IST), inclusive.")],
    exchange: Annotated[str, typer.Option("--exchange", "-e", help="NSE, NFO, MCX, BSE ...")] = "NSE",
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            "-i",
            help="minute, 3minute, 5minute, 10minute, 15minute, 30minute, 60minute or day.",
        ),
    ] = "minute",
    oi: Annotated[bool, typer.Option("--oi", help="Also fetch open interest (F&O).")] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Store directory.")] = None,
    root: Annotated[str | None, typer.Option("--root", help="REST root (the simulator's URL).")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar=API_KEY_ENV, help="Kite Connect API key.")
    ] = None,
    access_token: Annotated[
        str | None,
        typer.Option(
            "--access-token", envvar=ACCESS_TOKEN_ENV, help="Today's access token.", show_default=False
        ),
    ] = None,
) -> None:
    """Fetch historical candles of SYMBOL into the store's bars table."""
    if interval not in get_args(CandleInterval):
        raise typer.BadParameter(f"unknown interval {interval!r}", param_hint="--interval")
    start, end = _day(from_date, "--from"), _day(to_date, "--to")
    if end < start:
        raise typer.BadParameter("--to is before --from", param_hint="--to")
    if not api_key or not access_token:
        err_console.print(
            f"[bold red]error:[/] Kite credentials missing: pass --api-key/--access-token or set "
            f"{API_KEY_ENV}/{ACCESS_TOKEN_ENV} (run `alphastock login`)"
        )
        raise typer.Exit(code=2)
    from alphastock.auth.session import startup_message

    err_console.print(startup_message(access_token), markup=False, highlight=False)
    try:
        count, requests, token = asyncio.run(
            _fetch(
                symbol,
                exchange,
                cast(CandleInterval, interval),
                start,
                end,
                oi,
                data_dir,
                root,
                api_key,
                access_token,
            )
        )
    except AlphaStockError as exc:
        from alphastock.store.errors import StoreError

        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        # Storage faults (data dir, damaged database) are usage errors like a bad option: exit 2.
        raise typer.Exit(code=2 if isinstance(exc, StoreError) else 1) from None
    console.print(
        f"stored {count} {interval} bars of {exchange}:{symbol} (token {token}) "
        f"from {start} to {end} in {requests} request(s)"
    )


async def _fetch(
    symbol: str,
    exchange: str,
    interval: CandleInterval,
    start: dt.date,
    end: dt.date,
    oi: bool,
    data_dir: Path | None,
    root: str | None,
    api_key: str,
    access_token: str,
) -> tuple[int, int, int]:
    from alphastock.brokers.kite import KiteBroker, fetch_candles, store_candles
    from alphastock.config import load_config
    from alphastock.models import IST
    from alphastock.refdata.store import InstrumentStore
    from alphastock.store import Store

    first = dt.datetime.combine(start, dt.time(0, 0), IST)
    last = dt.datetime.combine(end, dt.time(23, 59, 59), IST)
    with Store.open(data_dir=data_dir) as store:
        broker = KiteBroker(api_key, access_token, root=root)
        try:
            instruments = InstrumentStore(store, load_config().instruments.freeze_quantities)
            await instruments.refresh(broker)
            token = instruments.instrument(exchange, symbol).instrument_token
            with Progress(
                TextColumn(f"{exchange}:{symbol} {interval}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("requests", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                result = await fetch_candles(broker, token, first, last, interval, oi=oi, progress=advance)
            stored = store_candles(store, token, interval, first, last, result.candles)
        finally:
            broker.close()
    return stored, result.requests, token


__all__ = ["ACCESS_TOKEN_ENV", "API_KEY_ENV", "data_app"]
