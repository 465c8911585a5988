"""``alphastock live`` from start to summary: connect, build, run with a view or headless, shut down cleanly.

Ctrl-C or SIGTERM (or ``--duration`` elapsing) starts the clean shutdown: no new
orders, MIS positions squared off (or held, per ``execution.shutdown``), the
journal and DuckDB flushed, our book reconciled with the broker's, the feed and
(on the embedded default) the simulator stopped. A second Ctrl-C during the
shutdown is ignored: the shutdown bounds itself with ``live.square_off_deadline_s`` and
``live.shutdown_timeout_s``. The exit status says whether the session ended clean (0), left
positions open that the configuration says to flatten (3), or ended with the broker unreachable
(4): see :mod:`alphastock.live.summary`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.prompt import Prompt

from alphastock.config import AlphaStockConfig
from alphastock.live.app import TradingApp
from alphastock.live.connect import connect
from alphastock.live.logs import log_path, remove_handlers, setup_logging
from alphastock.live.safety import RunMode
from alphastock.live.summary import SessionSummary, print_summary
from alphastock.live.view import LiveView
from alphastock.models import IST
from alphastock.sim.serve import describe_faults
from alphastock.store import Store
from alphastock.store.store import default_data_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """Command-line choices of one run (``duration_s`` in wall seconds; None = until Ctrl-C)."""

    mode: RunMode = RunMode.SIM
    duration_s: float | None = None
    data_dir: Path | None = None
    headless: bool = True
    stats: bool = False
    yes: bool = False
    interactive: bool = False


def run_live(
    config: AlphaStockConfig, options: LiveOptions, *, environ: Mapping[str, str] | None = None,
    console: Console | None = None,
) -> int:  # fmt: skip
    """Run one session; returns the process exit status (0 = clean, 3 = positions to flatten left open,
    4 = broker unreachable at the end; see :mod:`alphastock.live.summary`)."""
    session = LiveSession(config, options, environ=environ or dict(os.environ), console=console or Console())
    return asyncio.run(session.run())


class LiveSession:
    """One ``alphastock live`` run (see the module docstring)."""

    def __init__(
        self, config: AlphaStockConfig, options: LiveOptions, *, environ: Mapping[str, str], console: Console
    ) -> None:
        self.config = config
        self.options = options
        self.environ = environ
        self.console = console
        self.app: TradingApp | None = None
        """The running app, once built (None before: watchers may poll it)."""
        self.summary: SessionSummary | None = None
        self._stop: asyncio.Event | None = None
        self._reason = ""

    def request_stop(self, reason: str) -> None:
        """Begin the clean shutdown (safe from signal handlers on the loop)."""
        if self._stop is not None and not self._stop.is_set():
            self._reason = reason
            self._stop.set()

    async def run(self) -> int:
        """Connect, build, run until stopped, shut down, print the summary."""
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop, f"{signal.Signals(sig).name} received")
        started = dt.datetime.now(IST)
        data_dir = (self.options.data_dir or default_data_dir()).expanduser().resolve()
        log_file = log_path(data_dir, started)
        handlers = setup_logging(log_file, level=self.config.live.log_level, stderr=self.options.headless)
        try:
            return await self._run(data_dir, log_file)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            remove_handlers(handlers)

    async def _run(self, data_dir: Path, log_file: Path) -> int:
        prompt = None
        if self.options.interactive:

            def prompt(text: str) -> str:
                return Prompt.ask(text, console=self.console)

        async with contextlib.AsyncExitStack() as stack:
            conn = await connect(
                self.options.mode,
                self.config.live,
                stack,
                yes=self.options.yes,
                environ=self.environ,
                prompt=prompt,
                sim=self.config.sim,
            )
            store = Store.open(data_dir=data_dir)
            stack.callback(store.close)
            session_id = f"{self.options.mode.value}-{uuid.uuid4().hex[:12]}"
            app = TradingApp(self.config, conn, store, data_dir=data_dir, session_id=session_id)
            await app.build()
            self.app = app  # only once built: its engine (app.kernel) exists from here on
            store.start_session(
                session_id,
                time.time_ns(),
                self.options.mode.value,
                config=app.session_config(),
                version=app.version,
            )
            self._announce(conn.mode, store, log_file, app)
            await app.start()
            await self._wait(app)
            summary = await app.shutdown(self._reason or "stopped")
            self.summary = replace(summary, log_file=str(log_file))
        print_summary(self.summary, self.console, stats=self.options.stats)
        return self.summary.exit_code

    def _announce(self, mode: RunMode, store: Store, log_file: Path, app: TradingApp) -> None:
        where = {
            RunMode.SIM: f"embedded simulator at {app.conn.rest_root} "
            f"(speed {self.config.live.sim.speed:g}x, paper money, "
            f"faults: {describe_faults(self.config.sim.faults)})",
            RunMode.PAPER: "Kite market data, PaperBroker fills (paper money)",
            RunMode.LIVE: f"REAL ORDERS for Kite account {app.conn.user_id}",
        }[mode]
        self.console.print(f"[bold]alphastock live[/]: {where}")
        self.console.print(f"database {store.path}\nlogs     {log_file}\njournal  {app.journal_path}")
        log.info("live session %s started: %s", app.session_id, where)

    async def _wait(self, app: TradingApp) -> None:
        assert self._stop is not None
        deadline = None if self.options.duration_s is None else time.monotonic() + self.options.duration_s
        view = None if self.options.headless else LiveView(
            app.snapshot, console=self.console, refresh_per_s=self.config.live.view_refresh_per_s
        )  # fmt: skip
        interval = 1.0 / self.config.live.view_refresh_per_s if view else self.config.live.stats_interval_s
        if view is not None:
            view.start()
        try:
            while not self._stop.is_set():
                timeout = (
                    interval if deadline is None else min(interval, max(0.0, deadline - time.monotonic()))
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout)
                if deadline is not None and time.monotonic() >= deadline:
                    self.request_stop(f"duration {self.options.duration_s:g} s elapsed")
                if app.kernel.engine.stop_reason is not None:
                    self.request_stop(app.kernel.engine.stop_reason)
                if view is not None:
                    view.update()
                elif not self._stop.is_set():
                    self.console.print(app.status_line(), soft_wrap=True)
        finally:
            if view is not None:
                view.stop()


__all__ = ["LiveOptions", "LiveSession", "run_live"]
