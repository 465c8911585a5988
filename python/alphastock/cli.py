"""The ``alphastock`` command line (typer, with rich output)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alphastock import __version__
from alphastock.cli_data import data_app
from alphastock.cli_live import live as live_command
from alphastock.cli_options import positions as options_positions
from alphastock.cli_strategies import strategies_app
from alphastock.config import as_plain_data, load_config
from alphastock.errors import AlphaStockError

app = typer.Typer(
    name="alphastock",
    help="Algorithmic trading for NSE/NFO/MCX through Zerodha Kite Connect.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)
options_app = typer.Typer(
    help="Price options, compute greeks and implied volatility; list the options executor's trades.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")
sim_app = typer.Typer(help="The Kite-compatible exchange simulator.", no_args_is_help=True)
app.add_typer(options_app, name="options")
options_app.command("positions")(options_positions)
db_app = typer.Typer(help="Inspect and export the DuckDB store.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sim_app, name="sim")
app.add_typer(data_app, name="data")
app.command("live")(live_command)
app.add_typer(strategies_app, name="strategies")

console = Console()
err_console = Console(stderr=True)

ConfigFiles = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="YAML config file(s), applied in order over the defaults."),
]
DAYS_PER_YEAR = 365.0


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"alphastock {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """AlphaStock: a Rust-cored trading system for Indian markets."""
    import os

    from alphastock.private import UMASK

    # Trading records are private: every file a command creates (database, its WAL, journal, logs,
    # exports) is 0600 and every directory 0700, whoever opens it later. Restored when the command ends.
    previous = os.umask(UMASK)
    ctx.call_on_close(lambda: os.umask(previous))


@config_app.command("show")
def config_show(config: ConfigFiles = None) -> None:
    """Print the effective configuration (defaults < files < environment) as YAML, validated as
    ``alphastock live`` validates it (strategy names and params included)."""
    from alphastock.strategies.manager import StrategyManager

    try:
        effective = load_config(config)
        StrategyManager.from_config(effective.strategies)  # what live builds: unknown names, bad params
    except AlphaStockError as exc:
        raise _fail(exc) from None
    console.print(yaml.safe_dump(as_plain_data(effective), sort_keys=False), end="")


Flag = Annotated[str, typer.Option("--flag", "-f", help="c/p, call/put or CE/PE.")]
Spot = Annotated[float, typer.Option("--spot", "-s", help="Spot (bsm) or forward (black76), rupees.")]
Strike = Annotated[float, typer.Option("--strike", "-k", help="Strike, rupees.")]
Days = Annotated[float, typer.Option("--days", "-d", help="Calendar days to expiry (fractions allowed).")]
Rate = Annotated[float, typer.Option("--rate", "-r", help="Risk-free rate, decimal (0.065 = 6.5%).")]
Yield = Annotated[float, typer.Option("--yield", "-q", help="Continuous dividend yield, decimal (bsm).")]
Model = Annotated[str, typer.Option("--model", "-m", help="bsm or black76.")]


def _fail(exc: Exception | str) -> typer.Exit:
    """Print ``error: <message>`` to stderr as one line (never wrapped) and give the exit (code 2)."""
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    return typer.Exit(code=2)


def _check_numbers(**checks: tuple[float, str]) -> None:
    """Refuse a non-finite or out-of-range option input, naming it: ``--vol=(-0.2, ">=0")`` style.

    Why: the pricing kernels turn a bad input into NaN (by design, for batches), which a one-off
    command would print as a table of ``nan`` and exit 0.
    """
    for option, (value, rule) in checks.items():
        flag = "--" + option.replace("_", "-")
        ok = math.isfinite(value) and (
            rule == "any" or (rule == ">0" and value > 0) or (rule == ">=0" and value >= 0)
        )
        if not ok:
            wanted = {"any": "a finite number", ">0": "a finite number > 0", ">=0": "a finite number >= 0"}
            raise _fail(f"{flag} must be {wanted[rule]}, got {value:g}")


@options_app.command("greeks")
def options_greeks(
    flag: Flag,
    spot: Spot,
    strike: Strike,
    days: Days,
    vol: Annotated[float, typer.Option("--vol", "-v", help="Volatility, decimal (0.14 = 14%).")],
    rate: Rate = 0.065,
    dividend_yield: Yield = 0.0,
    model: Model = "bsm",
) -> None:
    """Price and greeks of one European option (theta per day, vega and rho per 1%)."""
    from alphastock.options import greeks

    _check_numbers(
        spot=(spot, ">0"),
        strike=(strike, ">0"),
        days=(days, ">=0"),
        vol=(vol, ">=0"),
        rate=(rate, "any"),
        **{"yield": (dividend_yield, "any")},
    )
    try:
        values = greeks(flag, spot, strike, days / DAYS_PER_YEAR, rate, vol, dividend_yield, model)
    except ValueError as exc:
        raise _fail(exc) from None
    table = Table(title=f"{flag.upper()} {strike:g} on {spot:g}, {days:g} days, vol {vol:.2%} ({model})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in values.items():
        table.add_row(name, f"{float(value):.6f}")
    console.print(table)


@options_app.command("iv")
def options_iv(
    premium: Annotated[float, typer.Option("--price", "-p", help="Option price, rupees.")],
    flag: Flag,
    spot: Spot,
    strike: Strike,
    days: Days,
    rate: Rate = 0.065,
    dividend_yield: Yield = 0.0,
    model: Model = "bsm",
) -> None:
    """Implied volatility of one European option price."""
    from alphastock.options import IvStatus, implied_vol

    _check_numbers(
        price=(premium, ">=0"),
        spot=(spot, ">0"),
        strike=(strike, ">0"),
        days=(days, ">=0"),
        rate=(rate, "any"),
        **{"yield": (dividend_yield, "any")},
    )
    try:
        vol, status = implied_vol(
            premium, flag, spot, strike, days / DAYS_PER_YEAR, rate, dividend_yield, model, return_status=True
        )
    except ValueError as exc:
        raise _fail(exc) from None
    outcome = IvStatus(int(status))
    if outcome is not IvStatus.OK:
        err_console.print(f"[bold red]no implied volatility:[/] {outcome.name}")
        raise typer.Exit(code=1)
    console.print(f"implied volatility: [bold]{float(vol):.6%}[/]")


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Directory of alphastock.duckdb (default: $ALPHASTOCK_DATA_DIR, else the user data dir).",
    ),
]


@db_app.command("info")
def db_info(
    data_dir: DataDir = None,
    check: Annotated[
        bool, typer.Option("--check", help="Also read back every row of every table (a full read).")
    ] = False,
) -> None:
    """Show the database file, its schema version and the rows in each table (creates it if absent).

    A damaged file (shorter than its blocks; with --check, any block that fails to read) is an
    error, exit code 2, naming `alphastock db rebuild`.
    """
    from alphastock.store import TABLES, Store
    from alphastock.store.health import damaged_error

    try:
        store = Store.open(data_dir=data_dir)
        with store:
            problem = store.check(full=check)
            if problem is not None:
                assert store.path is not None
                raise damaged_error(store.path, problem)
            counts = {name: store.count(name) for name in TABLES}
            version = store.schema_version
    except AlphaStockError as exc:
        raise _fail(exc) from None
    console.print(f"database: {store.path}", soft_wrap=True)
    console.print(f"schema version: {version}")
    if check:
        console.print("check: every row of every table read back")
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


@db_app.command("rebuild")
def db_rebuild(
    data_dir: DataDir = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even when the database reads back whole.")
    ] = False,
) -> None:
    """Move a damaged database aside and rebuild signals, orders and fills from the journal.

    The journal is the source of truth: every segment still in <data dir>/journal is replayed,
    oldest first. Market data, instruments, positions, risk events, the audit log and sessions are
    not journaled and are not rebuilt. Stop `alphastock live` first.
    """
    from alphastock.persistence.rebuild import NOT_IN_JOURNAL, rebuild

    try:
        report = rebuild(data_dir, force=force)
    except (AlphaStockError, OSError) as exc:
        raise _fail(exc) from None
    if not report.rebuilt:
        console.print(
            f"the database {report.database} is whole (every row of every table read back); "
            "nothing to rebuild (--force rebuilds it from the journal anyway)",
            soft_wrap=True,
        )
        return
    if report.problem is not None:
        console.print(f"damaged: {report.database}: {report.problem}", soft_wrap=True, markup=False)
    for old, new in report.moved:
        console.print(f"moved aside: {old} -> {new} (kept, not deleted)", soft_wrap=True, markup=False)
    names = ", ".join(p.name for p in report.segments) or "none found"
    done = report.replayed
    console.print(
        f"rebuilt {report.database} from {len(report.segments)} journal file(s) ({names}): "
        f"{done.signals:,} signals, {done.signal_statuses:,} signal status changes, "
        f"{done.orders:,} orders, {done.transitions:,} order transitions, {done.fills:,} fills",
        soft_wrap=True,
        markup=False,
    )
    console.print(
        "not rebuilt (not in the journal): " + "; ".join(NOT_IN_JOURNAL), soft_wrap=True, markup=False
    )
    for segment, why in report.failed:
        err_console.print(f"[bold red]error:[/] journal file {segment} could not be replayed: {escape(why)}")
    if report.failed:
        raise typer.Exit(code=1)


@db_app.command("export")
def db_export(
    table: Annotated[str, typer.Argument(help="Table to export (instruments, ticks, bars, orders, ...).")],
    out: Annotated[Path, typer.Argument(help="Parquet file to write (replaced if it exists).")],
    data_dir: DataDir = None,
    order_by: Annotated[
        str | None,
        typer.Option(
            "--order-by",
            help="Columns to sort by, e.g. 'token, ts_ns' (default: ticks by token, ts_ns; bars by token, "
            "interval, start_ns; other tables as stored).",
        ),
    ] = None,
    compression: Annotated[
        str, typer.Option("--compression", help="zstd, snappy, gzip, lz4 or uncompressed.")
    ] = "zstd",
) -> None:
    """Export one table of the store to a Parquet file.

    Recorded market data (`ticks`, `bars`: see the `recording:` config) comes out sorted per instrument
    and time, ready for a backtest; timestamps stay int64 UTC epoch ns (`ts_ns`, `start_ns`).
    """
    from alphastock.store import Store
    from alphastock.store.export import DEFAULT_ORDER

    try:
        with Store.open(data_dir=data_dir) as store:
            order = order_by if order_by is not None else DEFAULT_ORDER.get(table)
            rows = store.export_parquet(table, out, compression=compression, order_by=order)
    except (AlphaStockError, ValueError) as exc:
        raise _fail(exc) from None
    console.print(f"exported {rows:,} rows of {table} to {out}")


@sim_app.command("serve")
def sim_serve(
    port: Annotated[
        int, typer.Option("--port", "-p", help="TCP port (REST and WebSocket); 0 = any free.")
    ] = 8765,
    host: Annotated[
        str, typer.Option("--host", help="Bind address (loopback unless you mean it).")
    ] = "127.0.0.1",
    seed: Annotated[int, typer.Option("--seed", help="Market model seed.")] = 42,
    speed: Annotated[float, typer.Option("--speed", help="Simulated seconds per wall second.")] = 1.0,
    api_key: Annotated[str, typer.Option("--api-key", help="Key of the pre-issued session.")] = "sim_api_key",
    api_secret: Annotated[
        str | None,
        typer.Option(
            "--api-secret",
            help="Log in like Kite: only --api-key, request tokens from /connect/login, checksum verified.",
        ),
    ] = None,
    redirect_url: Annotated[
        str, typer.Option("--redirect-url", help="Where /connect/login sends the request_token.")
    ] = "http://127.0.0.1:5123/",
    replay: Annotated[
        Path | None,
        typer.Option("--replay", help="Minute bars: CSV/Parquet file or directory, or a DuckDB store."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many wall seconds (default: Ctrl-C).")
    ] = None,
    config: ConfigFiles = None,
    rest_error_rate: Annotated[
        float | None, typer.Option("--rest-error-rate", help="Share of REST calls answered 503.")
    ] = None,
    rate_limit_error_rate: Annotated[
        float | None, typer.Option("--rate-limit-error-rate", help="Share of REST calls answered 429.")
    ] = None,
    rest_delay: Annotated[
        float | None,
        typer.Option(
            "--rest-delay",
            help="Wall seconds added to delayed REST calls (past the client's timeout: a timeout).",
        ),
    ] = None,
    rest_delay_rate: Annotated[
        float | None, typer.Option("--rest-delay-rate", help="Share of REST calls delayed (default all).")
    ] = None,
    order_reject_rate: Annotated[
        float | None, typer.Option("--order-reject-rate", help="Share of valid orders rejected by RMS.")
    ] = None,
    partial_fill_rate: Annotated[
        float | None, typer.Option("--partial-fill-rate", help="Share of order matches cut to a part.")
    ] = None,
    partial_fill_fraction: Annotated[
        float | None, typer.Option("--partial-fill-fraction", help="Part a cut match fills (default 0.5).")
    ] = None,
    ws_drop_interval: Annotated[
        float | None,
        typer.Option("--ws-drop-interval", help="Drop the tick WebSockets every N wall seconds."),
    ] = None,
    fault_seed: Annotated[
        int | None, typer.Option("--fault-seed", help="Seed of the fault draws (default: --seed).")
    ] = None,
    rate_limits: Annotated[
        bool | None, typer.Option("--rate-limits/--no-rate-limits", help="Enforce Kite's rate limits (429).")
    ] = None,
) -> None:
    """Serve Kite Connect v3 (REST + tick WebSocket) from the simulated market until Ctrl-C.

    Faults come from the `sim:` section of --config files (and ALPHASTOCK__SIM__... variables), then
    the fault flags, which win.
    """
    import asyncio
    import contextlib

    from pydantic import ValidationError

    from alphastock.sim import serve as sim_serve_module

    try:
        settings = load_config(config).sim  # the sim package never reads the application's tree
        sim_config = sim_serve_module.serve_config(
            settings,
            faults=sim_serve_module.fault_flags(
                rest_error_rate=rest_error_rate, rate_limit_error_rate=rate_limit_error_rate,
                rest_delay=rest_delay, rest_delay_rate=rest_delay_rate, order_reject_rate=order_reject_rate,
                partial_fill_rate=partial_fill_rate, partial_fill_fraction=partial_fill_fraction,
                ws_drop_interval=ws_drop_interval, seed=fault_seed,
            ),
            rate_limits=rate_limits,
            host=host, port=port, seed=seed, speed=speed, api_key=api_key, api_secret=api_secret,
            redirect_url=redirect_url, replay=replay,
        )  # fmt: skip

        def echo(line: str) -> None:
            console.print(line, soft_wrap=True, markup=False, highlight=False)

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(sim_serve_module.serve(sim_config, duration, echo))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise _fail(ValueError(problems)) from None
    except (AlphaStockError, ValueError, OSError) as exc:
        raise _fail(exc) from None
    console.print("alphastock sim: stopped")


@app.command()
def login(
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="ALPHASTOCK_KITE_API_KEY", help="Kite Connect app key."),
    ] = None,
    api_secret: Annotated[
        str | None,
        typer.Option(
            "--api-secret",
            envvar="ALPHASTOCK_KITE_API_SECRET",
            help="Kite Connect app secret (prefer the environment variable).",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", help="Loopback port of the redirect URL http://127.0.0.1:PORT/.")
    ] = 5123,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the URL, do not open it.")] = False,
    request_token: Annotated[
        str | None,
        typer.Option("--request-token", help="The request_token (or the redirected URL), skipping the wait."),
    ] = None,
    root: Annotated[
        str | None, typer.Option("--root", help="Kite API root (e.g. the simulator's http://127.0.0.1:8765).")
    ] = None,
    login_base: Annotated[
        str, typer.Option("--login-base", help="Where Kite's login page lives.")
    ] = "https://kite.zerodha.com",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the redirect.")] = 300.0,
    session_file: Annotated[
        Path | None, typer.Option("--session-file", help="Where to store the session (default: user config).")
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="Only report the stored session's expiry.")
    ] = False,
) -> None:
    """Log in to Kite Connect and store the session (0600); Kite tokens die daily at 06:00 IST."""
    from alphastock import auth

    if status:
        stored = None
        if session_file is not None:
            try:
                stored = auth.load_session(session_file, allow_expired=True)
            except auth.AuthError as exc:
                raise _fail(exc) from None
        console.print(auth.session_warning(session=stored))
        return
    if not api_key or not api_secret:
        err_console.print(
            "[bold red]error:[/] --api-key and --api-secret (or ALPHASTOCK_KITE_API_KEY / "
            "ALPHASTOCK_KITE_API_SECRET) are required"
        )
        raise typer.Exit(code=2)
    auth.install_redaction(api_secret)
    try:
        if request_token is not None:
            token = auth.parse_request_token(request_token)
        else:
            token = _wait_for_request_token(auth.login_url(api_key, login_base), port, no_browser, timeout)
        session = auth.exchange_request_token(api_key, api_secret, token, root=root)
        path = auth.save_session(session, session_file)
    except (auth.AuthError, OSError) as exc:
        raise _fail(exc) from None
    console.print(f"Logged in as {session.user_id or api_key}; session saved to {path} (mode 0600).")
    console.print(
        f"The access token expires at {session.expiry:%Y-%m-%d %H:%M} IST "
        "(Kite tokens die daily at 06:00 IST): run `alphastock login` again after that."
    )


def _wait_for_request_token(url: str, port: int, no_browser: bool, timeout: float) -> str:
    """Print/open the login URL; return the request_token from the loopback redirect or a paste."""
    import sys
    import threading
    import time
    import webbrowser

    from alphastock import auth

    pasted: list[str] = []

    def read_paste() -> None:
        line = sys.stdin.readline()
        if line.strip():
            pasted.append(line)

    with auth.RedirectListener(port) as listener:
        console.print(f"Open this URL and log in:\n{url}", soft_wrap=True)
        console.print(
            f"Waiting for Kite's redirect to {listener.redirect_url} "
            "(or paste the request_token or the redirected URL and press Enter) ..."
        )
        if not no_browser:
            webbrowser.open(url)
        threading.Thread(target=read_paste, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if listener.finished:
                return listener.wait(0)  # the token, or the failed login's error
            if pasted:
                return auth.parse_request_token(pasted[0])
            time.sleep(0.05)
        raise auth.AuthError(f"no login redirect or pasted request_token within {timeout:g} s")


if __name__ == "__main__":  # pragma: no cover
    app()
