"""``alphastock live``: run the engine on the embedded simulator (default), on paper, or live."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from alphastock.errors import AlphaStockError

console = Console()
err_console = Console(stderr=True)


def live(
    paper: Annotated[
        bool, typer.Option("--paper", help="Real Kite market data, simulated fills (PaperBroker).")
    ] = False,
    live_orders: Annotated[
        bool,
        typer.Option("--live", help="Send REAL orders to the configured Kite account (asks to confirm)."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="With --live: skip the prompt; needs ALPHASTOCK_LIVE_ACK=<user id>.")
    ] = False,
    duration: Annotated[
        float | None,
        typer.Option("--duration", min=0.1, help="Run this many wall seconds, then shut down cleanly."),
    ] = None,
    speed: Annotated[
        float | None,
        typer.Option(
            "--speed", min=0.01, max=3600, help="Simulator time acceleration (simulated s per wall s)."
        ),
    ] = None,
    config: Annotated[
        list[Path] | None, typer.Option("--config", "-c", help="YAML config file(s), applied in order.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the database, journal and logs go.")
    ] = None,
    headless: Annotated[bool, typer.Option("--headless", help="No live view; log lines only.")] = False,
    stats: Annotated[
        bool,
        typer.Option(
            "--stats", help="Print latency per stage (tick→signal→risk→submit) while running and at the end."
        ),
    ] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Simulator market seed.")] = None,
) -> None:
    """Run the trading engine: strategies → signals → risk → orders, with a live view.

    Without credentials it starts the exchange simulator on a free loopback port and
    trades through the real Kite adapter against it, with paper money.

    Exit status: 0 clean; 3 positions the configuration says to flatten at shutdown
    (MIS, execution.shutdown) still open at the broker; 4 the broker unreachable at the
    end of the session; 2 a usage or configuration error.
    """
    from alphastock.config import load_config
    from alphastock.live.runner import LiveOptions, run_live
    from alphastock.live.safety import choose_mode

    try:
        mode = choose_mode(paper=paper, live=live_orders)
        if yes and not live_orders:
            raise AlphaStockError("--yes only applies to --live")
        overrides: dict[str, object] = {}
        sim_overrides: dict[str, object] = {}
        if speed is not None:
            sim_overrides["speed"] = speed
        if seed is not None:
            sim_overrides["seed"] = seed
        if sim_overrides:
            overrides["live"] = {"sim": sim_overrides}
        settings = load_config(list(config or []), overrides=overrides)
        _check_storage(data_dir)
        options = LiveOptions(
            mode=mode,
            duration_s=duration,
            data_dir=data_dir,
            headless=headless or not sys.stdout.isatty(),
            stats=stats,
            yes=yes,
            interactive=sys.stdin.isatty(),
        )
        code = run_live(settings, options, environ=dict(os.environ))
    except AlphaStockError as exc:
        err_console.print(f"[bold red]alphastock live:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    raise typer.Exit(code=code)


def _check_storage(data_dir: Path | None) -> None:
    """Refuse an unusable data directory or a damaged database before anything connects (one clear
    StoreError naming the path and the fix), rather than a traceback from the log handler or DuckDB."""
    from alphastock.store import Store, default_data_dir, prepare_data_dir

    directory = prepare_data_dir((data_dir or default_data_dir()).expanduser().resolve())
    Store.open(data_dir=directory).close()


__all__ = ["live"]
