"""The engine: components with a lifecycle, one event loop, status and data rates.

An :class:`Engine` holds the :class:`~alphastock.bus.EventBus`, the
:class:`~alphastock.clock.Clock`, a :class:`~alphastock.latency.LatencyRecorder`
(``engine.latency``) and named :class:`RateMeter`\\ s, and runs its
:class:`Component`\\ s: ``initialize`` all in order, then ``start`` all in order;
``stop`` in reverse order, each with a timeout, then the bus (drained). Every
method runs on the loop the engine started on (DESIGN.md §1: one loop owns all
trading state); only :meth:`Engine.request_stop` may be called from another
thread or a signal handler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from alphastock.bus import EventBus
from alphastock.clock import Clock, LiveClock
from alphastock.errors import AlphaStockError
from alphastock.latency import LatencyRecorder

log = logging.getLogger(__name__)

HealthState = Literal["starting", "ok", "degraded", "failed", "stopped"]
"""A component's state as reported by :meth:`Component.health`."""


@dataclass(frozen=True, slots=True)
class Health:
    """A component's health: ``state``, a human ``detail`` and numeric ``metrics``."""

    state: HealthState
    detail: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    errors: int = 0
    """Errors the component counted (handled failures)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "state": self.state,
            "detail": self.detail,
            "metrics": dict(self.metrics),
            "errors": self.errors,
        }


@runtime_checkable
class Component(Protocol):
    """Something the engine runs: a feed, a runner, a strategy manager, the OMS..."""

    name: str

    async def initialize(self) -> None:
        """Prepare (open files, load instruments); no events flow yet."""
        ...

    async def start(self) -> None:
        """Begin work (subscribe, spawn tasks); return once started."""
        ...

    async def stop(self) -> None:
        """Stop work and release resources; must be safe to call after a failed start."""
        ...

    def health(self) -> Health:
        """Current health (cheap: the live view polls it)."""
        ...


class BaseComponent:
    """A :class:`Component` with no-op lifecycle hooks and health bookkeeping.

    Subclasses override ``on_initialize`` / ``on_start`` / ``on_stop`` (or the
    lifecycle methods themselves, calling ``super()``), count handled failures
    with :meth:`record_error` and report with :meth:`set_health`.
    """

    name: str = "component"

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name
        self.errors = 0
        """Handled failures counted by the component."""
        self._state: HealthState = "starting"
        self._detail = ""
        self._metrics: dict[str, float] = {}

    async def initialize(self) -> None:
        """Run :meth:`on_initialize`."""
        await self.on_initialize()

    async def start(self) -> None:
        """Run :meth:`on_start`, then report ``ok``."""
        await self.on_start()
        if self._state == "starting":
            self._state = "ok"

    async def stop(self) -> None:
        """Run :meth:`on_stop`, then report ``stopped``."""
        try:
            await self.on_stop()
        finally:
            self._state = "stopped"

    async def on_initialize(self) -> None:
        """Hook: preparation (default: nothing)."""

    async def on_start(self) -> None:
        """Hook: start work (default: nothing)."""

    async def on_stop(self) -> None:
        """Hook: stop work (default: nothing)."""

    def record_error(self, detail: str = "") -> None:
        """Count one handled failure (and remember ``detail``)."""
        self.errors += 1
        if detail:
            self._detail = detail

    def set_health(self, state: HealthState, detail: str = "", **metrics: float) -> None:
        """Report ``state`` with ``detail`` and update ``metrics``."""
        self._state = state
        self._detail = detail
        self._metrics.update(metrics)

    def health(self) -> Health:
        """The last reported state, detail, metrics and error count."""
        return Health(self._state, self._detail, dict(self._metrics), self.errors)


class EngineError(AlphaStockError):
    """The engine could not start (the message names the component) or was misused."""


class RateMeter:
    """Events per second over a sliding window of monotonic wall time (``window_s`` seconds,
    in ``buckets`` buckets): cheap enough to :meth:`mark` once per tick batch."""

    def __init__(self, window_s: float = 10.0, buckets: int = 50) -> None:
        if window_s <= 0 or buckets < 1:
            raise ValueError("window_s must be > 0 and buckets >= 1")
        self._bucket_ns = int(window_s * 1e9 / buckets)
        self._counts = [0] * buckets
        self._current = time.monotonic_ns() // self._bucket_ns
        self._first = self._current
        self.total = 0
        """Everything marked since creation."""

    def mark(self, n: int = 1) -> None:
        """Count ``n`` events now."""
        self._roll(time.monotonic_ns() // self._bucket_ns)
        self._counts[self._current % len(self._counts)] += n
        self.total += n

    def _roll(self, index: int) -> None:
        if index == self._current:
            return
        size = len(self._counts)
        for i in range(self._current + 1, min(index, self._current + size) + 1):
            self._counts[i % size] = 0
        self._current = index

    def rate(self) -> float:
        """Events per second over the window (or since creation when younger than the window)."""
        self._roll(time.monotonic_ns() // self._bucket_ns)
        buckets = min(len(self._counts), self._current - self._first + 1)
        return sum(self._counts) / (buckets * self._bucket_ns / 1e9)


EngineState = Literal["created", "starting", "running", "stopping", "stopped", "failed"]


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """A snapshot of the engine for views and ``--stats``."""

    name: str
    state: EngineState
    uptime_s: float
    components: dict[str, Health]
    bus: dict[str, Any]
    rates: dict[str, float]
    """Events per second by meter name (ticks, bars, signals, orders ...)."""
    errors: dict[str, int]
    """Errors by component name, plus ``bus`` (handler failures)."""
    latency: dict[str, dict[str, float]]
    """:meth:`LatencyRecorder.summary` (µs)."""
    stop_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (NaN latencies become ``None``)."""

        def clean(x: float) -> float | None:
            return None if x != x else x

        return {
            "name": self.name,
            "state": self.state,
            "uptime_s": self.uptime_s,
            "components": {k: h.as_dict() for k, h in self.components.items()},
            "bus": self.bus,
            "rates": dict(self.rates),
            "errors": dict(self.errors),
            "latency": {k: {s: clean(v) for s, v in d.items()} for k, d in self.latency.items()},
            "stop_reason": self.stop_reason,
        }


class Engine:
    """Runs components on one loop around a bus and a clock (see the module docstring)."""

    def __init__(
        self,
        bus: EventBus | None = None,
        clock: Clock | None = None,
        *,
        name: str = "engine",
        stop_timeout_s: float = 10.0,
    ) -> None:
        self.bus = bus if bus is not None else EventBus()
        self.clock: Clock = clock if clock is not None else LiveClock()
        self.name = name
        self.stop_timeout_s = stop_timeout_s
        """Seconds each component's stop() may take before it is abandoned."""
        self.latency = LatencyRecorder()
        """Per-order tick→submit traces; the execution path records into it."""
        self.stop_errors: dict[str, str] = {}
        """Errors raised by stop(), by component name."""
        self._components: list[Component] = []
        self._meters: dict[str, RateMeter] = {}
        self._state: EngineState = "created"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started_mono = 0.0
        self._stop_event: asyncio.Event | None = None
        self._stop_reason: str | None = None

    @property
    def state(self) -> EngineState:
        """created, starting, running, stopping, stopped or failed."""
        return self._state

    @property
    def components(self) -> list[Component]:
        """Components in start order."""
        return list(self._components)

    def meter(self, name: str) -> RateMeter:
        """The rate meter called ``name`` (created on first use): ``ticks``, ``bars``, ``signals``..."""
        meter = self._meters.get(name)
        if meter is None:
            meter = self._meters[name] = RateMeter()
        return meter

    def add(self, component: Component) -> Component:
        """Add ``component`` (before start); names must be unique. Returns it."""
        self._check_loop()
        if self._state not in ("created",):
            raise EngineError(f"cannot add {component.name!r}: the engine is {self._state}")
        if any(c.name == component.name for c in self._components):
            raise EngineError(f"a component named {component.name!r} is already added")
        self._components.append(component)
        return component

    def _check_loop(self) -> None:
        if self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not self._loop:
            raise EngineError(f"engine {self.name!r} used outside the event loop it started on")

    async def start(self) -> None:
        """Start the bus, initialize every component in order, then start each in order.

        Raises:
            EngineError: a component failed; those already started are stopped in reverse order.
        """
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        self._check_loop()
        if self._state != "created":
            raise EngineError(f"engine {self.name!r} cannot start: it is {self._state}")
        self._state = "starting"
        self._stop_event = asyncio.Event()
        if self._stop_reason is not None:  # request_stop() came before start
            self._stop_event.set()
        self._started_mono = time.monotonic()
        await self.bus.start()
        started: list[Component] = []
        stage = "initialize"
        current: Component | None = None
        try:
            for current in self._components:
                await current.initialize()
            stage = "start"
            for current in self._components:
                await current.start()
                started.append(current)
        except Exception as exc:
            assert current is not None
            self._state = "failed"
            log.error("engine start failed: %s.%s raised %r", current.name, stage, exc)
            await self._stop_components(list(reversed(started)))
            await self.bus.stop(drain=True, timeout=self.stop_timeout_s)
            raise EngineError(f"component {current.name!r} failed to {stage}: {exc!r}") from exc
        self._state = "running"
        log.info("engine %s running %d components", self.name, len(self._components))

    async def _stop_components(self, components: list[Component]) -> None:
        for component in components:
            try:
                await asyncio.wait_for(component.stop(), timeout=self.stop_timeout_s)
            except TimeoutError:
                self.stop_errors[component.name] = f"stop timed out after {self.stop_timeout_s} s"
                log.error("component %s did not stop within %s s", component.name, self.stop_timeout_s)
            except Exception as exc:
                self.stop_errors[component.name] = repr(exc)
                log.exception("component %s failed to stop", component.name)

    async def stop(self) -> None:
        """Stop components in reverse order (each within ``stop_timeout_s``; errors are collected in
        :attr:`stop_errors`, not raised), then drain and stop the bus."""
        self._check_loop()
        if self._state in ("stopping", "stopped", "created"):
            if self._state == "created":
                self._state = "stopped"
            return
        self._state = "stopping"
        await self._stop_components(list(reversed(self._components)))
        await self.bus.stop(drain=True, timeout=self.stop_timeout_s)
        self._state = "stopped"
        if self._stop_event is not None:
            self._stop_event.set()
        log.info("engine %s stopped (%s)", self.name, self._stop_reason or "stop()")

    def request_stop(self, reason: str = "requested") -> None:
        """Ask :meth:`run` to stop: safe from any thread and from a signal handler."""
        # no lock: a signal handler interrupting a holder of the lock on this thread would deadlock,
        # and the worst race (two reasons at once) keeps one of them
        if self._stop_reason is None:
            self._stop_reason = reason
        loop, event = self._loop, self._stop_event
        if loop is None or event is None or loop.is_closed():
            return
        # call_soon_threadsafe also wakes a loop blocked in select: right for threads and signal handlers
        loop.call_soon_threadsafe(event.set)

    @property
    def stop_reason(self) -> str | None:
        """Why the engine was asked to stop, once it was."""
        return self._stop_reason

    async def run(self, duration_s: float | None = None) -> str:
        """Start (if not yet), run until :meth:`request_stop` or ``duration_s`` seconds, then stop.
        Returns the stop reason."""
        if self._state == "created":
            await self.start()
        self._check_loop()
        assert self._stop_event is not None
        try:
            if duration_s is None:
                await self._stop_event.wait()
            else:
                try:
                    await asyncio.wait_for(self._stop_event.wait(), timeout=duration_s)
                except TimeoutError:
                    if self._stop_reason is None:
                        self._stop_reason = f"duration {duration_s:g} s elapsed"
        finally:
            await self.stop()
        return self._stop_reason or "stopped"

    def status(self) -> EngineStatus:
        """A snapshot: state, uptime, component healths, bus stats, rates, errors, latencies."""
        healths: dict[str, Health] = {}
        for component in self._components:
            try:
                healths[component.name] = component.health()
            except Exception as exc:  # a broken health() must not break the view
                healths[component.name] = Health("failed", f"health() raised {exc!r}")
        bus_stats = self.bus.stats()
        errors = {name: h.errors for name, h in healths.items()}
        errors["bus"] = int(bus_stats["totals"]["errors"])
        uptime = time.monotonic() - self._started_mono if self._started_mono else 0.0
        return EngineStatus(
            name=self.name,
            state=self._state,
            uptime_s=uptime,
            components=healths,
            bus=bus_stats,
            rates={name: m.rate() for name, m in self._meters.items()},
            errors=errors,
            latency=self.latency.summary(),
            stop_reason=self._stop_reason,
        )


__all__ = [
    "BaseComponent",
    "Component",
    "Engine",
    "EngineError",
    "EngineState",
    "EngineStatus",
    "Health",
    "HealthState",
    "RateMeter",
]
