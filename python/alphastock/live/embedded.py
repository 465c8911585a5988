"""The embedded default: the exchange simulator in a child process on a free loopback port.

``alphastock live`` without credentials trades against it through the same
KiteBroker and KiteFeed a real account uses. The child (``python -m
alphastock.sim``) announces its addresses and pre-issued session on its first
stdout line; it stops when we close its stdin, so it never outlives us. It runs in
its own session, out of reach of the terminal's Ctrl-C, which is ours to handle.
The ``sim:`` configuration section (faults, rate limits) goes to the child as
JSON, and the child announces the faults it runs with.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from alphastock.errors import AlphaStockError
from alphastock.sim.config import SimSettings

START_TIMEOUT_S = 30.0
"""Wall seconds the child may take to import and bind."""


class SimulatorError(AlphaStockError):
    """The embedded simulator did not start or died."""


@dataclass(frozen=True, slots=True)
class SimEndpoint:
    """Where the embedded simulator listens and the session it issued (a simulator token, not a secret)."""

    rest_url: str
    ws_url: str
    api_key: str
    access_token: str
    date: str
    """Simulated trading date (ISO)."""
    speed: float
    seed: int
    clock_origin_wall_ns: int
    """Wall time (UTC ns) at which the simulated clock read :attr:`clock_origin_sim_ns`."""
    clock_origin_sim_ns: int
    faults: dict[str, Any] = field(default_factory=dict)
    """The child's fault settings (:class:`~alphastock.sim.config.FaultConfig` as JSON data)."""

    def __repr__(self) -> str:
        return f"SimEndpoint(rest_url={self.rest_url!r}, date={self.date!r}, speed={self.speed:g})"


class EmbeddedSimulator:
    """Start with ``async with EmbeddedSimulator(speed=60) as endpoint:``; stopped on exit."""

    def __init__(
        self,
        *,
        speed: float = 1.0,
        seed: int = 42,
        frame_interval_s: float = 0.1,
        settings: SimSettings | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = speed
        self.seed = seed
        self.frame_interval_s = frame_interval_s
        self.settings = settings or SimSettings()
        """The ``sim:`` section the child runs with (faults, rate limits)."""
        self._process: asyncio.subprocess.Process | None = None
        self.endpoint: SimEndpoint | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return None if self._process is None else self._process.pid

    async def start(self) -> SimEndpoint:
        """Launch the child and wait for its announcement; raises :class:`SimulatorError`."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "alphastock.sim",
            "--speed", f"{self.speed:g}", "--seed", str(self.seed),
            "--frame-interval", f"{self.frame_interval_s:g}",
            "--settings", self.settings.model_dump_json(),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            # Its own session: Ctrl-C (SIGINT to the terminal's whole process group) must reach only
            # us, so the clean shutdown can still square off and reconcile against the simulator.
            start_new_session=True,
        )  # fmt: skip
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), START_TIMEOUT_S)
            hello = json.loads(line)
            self.endpoint = SimEndpoint(
                rest_url=str(hello["rest_url"]),
                ws_url=str(hello["ws_url"]),
                api_key=str(hello["api_key"]),
                access_token=str(hello["access_token"]),
                date=str(hello["date"]),
                speed=float(hello["speed"]),
                seed=int(hello["seed"]),
                clock_origin_wall_ns=int(hello["clock_origin_wall_ns"]),
                clock_origin_sim_ns=int(hello["clock_origin_sim_ns"]),
                faults=dict(hello.get("faults") or {}),
            )
        except (TimeoutError, ValueError, KeyError) as exc:
            detail = await self._stderr_tail()
            await self.stop()
            raise SimulatorError(f"the embedded simulator did not start ({exc!r}): {detail}") from None
        return self.endpoint

    async def _stderr_tail(self) -> str:
        if self._process is None or self._process.stderr is None:
            return ""
        with contextlib.suppress(TimeoutError):
            data = await asyncio.wait_for(self._process.stderr.read(4000), 1.0)
            return data.decode(errors="replace").strip()
        return ""

    @property
    def running(self) -> bool:
        """Whether the child is alive."""
        return self._process is not None and self._process.returncode is None

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Close the child's stdin (it stops by itself), then terminate/kill it if it lingers."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()

    async def __aenter__(self) -> SimEndpoint:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


__all__ = ["EmbeddedSimulator", "SimEndpoint", "SimulatorError"]
