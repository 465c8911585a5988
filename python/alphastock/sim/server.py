"""Running the simulator: :class:`SimExchange` on an asyncio loop, :class:`SimServer` in a thread.

``async with SimExchange(SimConfig(seed=7, speed=60)) as sim:`` serves REST and
the tick WebSocket on one port (``sim.rest_url``, ``sim.ws_url``) and runs the
clock: every ``frame_interval`` wall seconds it advances the market by the
model steps due at ``speed``, triggers and matches orders after each step, and
sends one tick frame per connection. With ``clock="manual"`` the market moves
only through :meth:`SimExchange.advance`. :class:`SimServer` runs the same in
a background thread for synchronous code (tests, the official SDK).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from alphastock._tasks import cancel_and_wait
from alphastock.sim.config import SimConfig
from alphastock.sim.faults import Faults
from alphastock.sim.matching import SimOrder
from alphastock.sim.rest import STATE, add_routes, kite_middleware
from alphastock.sim.state import SimState
from alphastock.sim.ws import CONNECTIONS, TickConnection, order_update, ws_handler

T = TypeVar("T")
MAX_STEPS_PER_FRAME = 10_000


class SimExchange:
    """One simulator instance served on ``config.host:config.port`` (port 0 = a free port)."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.state = SimState(self.config)
        self.connections: set[TickConnection] = set()
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._clock: asyncio.Task[None] | None = None
        self.clock_origin: tuple[int, int] | None = None
        """``(wall UTC ns, simulated UTC ns)`` when the wall clock started driving the market: the
        simulated time is ``sim + (time.time_ns() - wall) * speed`` (to a frame's step)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self.state.engine.listeners.append(self._on_order)
        self.state.faults.drop_hook = self._drop_threadsafe

    # -- addresses and credentials -----------------------------------------------------------
    @property
    def host(self) -> str:
        """Bound host."""
        return self.config.host

    @property
    def rest_url(self) -> str:
        """Root for ``KiteConnect(root=...)``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """Root for ``KiteTicker(root=...)``."""
        return f"ws://{self.host}:{self.port}"

    @property
    def api_key(self) -> str:
        """Key of the pre-issued session."""
        return self.config.api_key

    @property
    def access_token(self) -> str:
        """Access token of the pre-issued session (valid until 06:00 IST on the simulated clock)."""
        return self.state.access_token

    @property
    def faults(self) -> Faults:
        """Fault injection (thread-safe)."""
        return self.state.faults

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind the port and start the clock."""
        self._loop = asyncio.get_running_loop()
        app = web.Application(middlewares=[kite_middleware])
        app[STATE] = self.state
        app[CONNECTIONS] = self.connections
        app.router.add_get("/", ws_handler)
        add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._clock = asyncio.create_task(self._run_clock())

    async def stop(self) -> None:
        """Stop the clock, close every connection and release the port."""
        await cancel_and_wait(self._clock)
        self._clock = None
        for conn in list(self.connections):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimExchange:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- clock -------------------------------------------------------------------------------
    def step(self, count: int = 1) -> None:
        """Advance the market ``count`` model steps, matching orders and firing GTTs after each (call on the
        loop)."""
        self.state.step(count)

    async def advance(self, seconds: float) -> None:
        """Advance the simulated clock by ``seconds`` (whole steps) and send the resulting ticks."""
        self.step(round(seconds / self.config.step_seconds))
        await self.broadcast()

    async def broadcast(self) -> None:
        """Send the current ticks (or heartbeats) to every connection."""
        for conn in list(self.connections):
            try:
                await conn.send_ticks(self.state)
            except (ConnectionError, RuntimeError):
                self.connections.discard(conn)

    async def _run_clock(self) -> None:
        cfg = self.config
        started = time.monotonic()
        self.clock_origin = (time.time_ns(), self.state.model.now_ns)
        done = 0
        drop_interval = cfg.faults.ws_drop_interval
        next_drop = None if drop_interval is None else started + drop_interval
        while True:
            await asyncio.sleep(cfg.frame_interval)
            if cfg.clock == "wall":
                due = int((time.monotonic() - started) * cfg.speed / cfg.step_seconds)
                todo = min(due - done, MAX_STEPS_PER_FRAME)
                done = due if todo == MAX_STEPS_PER_FRAME else done + todo
                if todo > 0:
                    self.step(todo)
            await self.broadcast()
            if next_drop is not None and drop_interval is not None and time.monotonic() >= next_drop:
                # Periodic drops on the wall clock (either clock mode), as a flaky network would.
                self._drop_all()
                next_drop = time.monotonic() + drop_interval

    # -- hooks -------------------------------------------------------------------------------
    def _on_order(self, order: SimOrder) -> None:
        text = order_update(self.state, order)
        for conn in list(self.connections):
            if not conn.ws.closed:
                asyncio.ensure_future(conn.ws.send_str(text))  # noqa: RUF006 - fire and forget, ordered by the loop

    def _drop_all(self) -> None:
        dropped = list(self.connections)
        for conn in dropped:
            conn.drop()
        self.connections.clear()
        if dropped:
            self.state.faults.count("ws_drop", len(dropped))

    def _drop_threadsafe(self) -> None:
        if self._loop is None:
            return
        drop = self._drop_all
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            drop()
        else:
            self._loop.call_soon_threadsafe(drop)


class SimServer:
    """A :class:`SimExchange` on its own event loop in a daemon thread, for synchronous callers."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.exchange = SimExchange(config)
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start_in_thread(self) -> SimServer:
        """Start serving; returns once the port is bound (raises what start raised)."""
        self._thread = threading.Thread(target=self._run, name="alphastock-sim", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.exchange.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.exchange.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._thread = None

    def call(self, fn: Callable[[SimExchange], T]) -> T:
        """Run ``fn(exchange)`` on the server's loop and return its result (thread-safe state access)."""

        async def run() -> T:
            return fn(self.exchange)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def advance(self, seconds: float) -> None:
        """Advance the simulated clock by ``seconds`` (see :meth:`SimExchange.advance`)."""
        asyncio.run_coroutine_threadsafe(self.exchange.advance(seconds), self._loop).result(60)

    def __getattr__(self, name: str) -> Any:
        # rest_url, ws_url, api_key, access_token, faults, port, state ... of the exchange.
        return getattr(self.exchange, name)

    def __enter__(self) -> SimServer:
        return self.start_in_thread()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


__all__ = ["SimExchange", "SimServer"]
