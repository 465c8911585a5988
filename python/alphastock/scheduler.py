"""Scheduler: daily jobs at IST wall times, on trading days (or every day), on the engine's clock.

Each job runs in its own task: sleep until due (on a
:class:`~alphastock.clock.SimulatedClock` that is "until advanced past"), run the
job (sync or async), publish a SCHEDULE event (:class:`~alphastock.events.ScheduledJob`
with ``ok`` and a detail), compute the next due time. A job that raises is logged,
counted and published with ``ok=False``; the scheduler and the other jobs carry on.

The factories at the bottom build the jobs issue #5 asks for from callables the
caller supplies: the instruments refresh (08:30 IST), the access-token expiry
warning (05:30 IST, and at once at start when the token dies within the hour) and
the end-of-day report (15:45 IST).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from alphastock.bus import EventBus
from alphastock.calendar import MarketCalendar
from alphastock.clock import Clock, ist, ist_ns
from alphastock.engine import BaseComponent
from alphastock.events import Event, EventType, ScheduledJob

log = logging.getLogger(__name__)

JobFn = Callable[[int], Awaitable[object] | object]
"""What a :class:`JobSpec` runs: called with the clock's now (UTC epoch ns); a string result is
the detail of the SCHEDULE event."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A daily job: run ``job`` at ``at`` (IST) on trading days of ``exchange`` (or every day)."""

    name: str
    at: dt.time
    job: JobFn
    trading_days_only: bool = True
    exchange: str = "NSE"
    run_at_start: Callable[[int], bool] | None = None
    """Given now (UTC ns) at start, True runs the job at once (besides its daily time)."""
    catch_up: bool | None = None
    """Run at start when today's due time has passed (None: the scheduler's default)."""


@dataclass(slots=True)
class JobInfo:
    """A job's schedule and record: ``next_due_ns`` (UTC epoch ns), runs and failures."""

    name: str
    at: dt.time
    trading_days_only: bool
    exchange: str
    next_due_ns: int | None = None
    runs: int = 0
    failures: int = 0
    last_ok: bool | None = None
    last_detail: str = ""
    last_due_ns: int | None = None
    history: list[ScheduledJob] = field(default_factory=list)


class Scheduler(BaseComponent):
    """Runs :class:`JobSpec`\\ s on ``clock``, checking trading days with ``calendar``; publishes
    SCHEDULE events on ``bus`` (when given). ``catch_up`` runs, at start, jobs whose time already
    passed today (default False: a job missed today waits for its next day)."""

    name = "scheduler"

    def __init__(
        self,
        clock: Clock,
        calendar: MarketCalendar,
        bus: EventBus | None = None,
        *,
        catch_up: bool = False,
        history: int = 20,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.clock = clock
        self.calendar = calendar
        self.bus = bus
        self.catch_up = catch_up
        self._history = history
        self._specs: dict[str, JobSpec] = {}
        self._info: dict[str, JobInfo] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running = False

    def add(self, spec: JobSpec) -> JobSpec:
        """Schedule ``spec`` (names are unique); a job added while running starts at once."""
        if spec.name in self._specs:
            raise ValueError(f"a job named {spec.name!r} is already scheduled")
        self.calendar.hours(spec.exchange)
        self._specs[spec.name] = spec
        self._info[spec.name] = JobInfo(spec.name, spec.at, spec.trading_days_only, spec.exchange)
        if self._running:
            self._spawn(spec)
        return spec

    def daily(
        self,
        name: str,
        at: dt.time,
        job: Callable[[], Awaitable[object] | object],
        *,
        trading_days_only: bool = True,
        exchange: str = "NSE",
        catch_up: bool | None = None,
    ) -> JobSpec:
        """Run ``job()`` (sync or async) every day at ``at`` IST (trading days of ``exchange`` only,
        unless ``trading_days_only`` is False)."""
        return self.add(
            JobSpec(
                name,
                at,
                lambda _now: job(),
                trading_days_only=trading_days_only,
                exchange=exchange,
                catch_up=catch_up,
            )
        )

    def jobs(self) -> list[JobInfo]:
        """Every job with its next due time (UTC epoch ns; None before start), soonest first."""
        infos = list(self._info.values())
        return sorted(infos, key=lambda i: (i.next_due_ns is None, i.next_due_ns or 0, i.name))

    def next_due(self, spec: JobSpec, after_ns: int, *, inclusive: bool = False) -> int:
        """The first due instant of ``spec`` after ``after_ns`` (or at it when ``inclusive``)."""
        day = ist(after_ns).date()
        for n in range(400):
            d = day + dt.timedelta(days=n)
            due = ist_ns(d, spec.at)
            if (due > after_ns or (inclusive and due == after_ns)) and (
                not spec.trading_days_only or self.calendar.is_trading_day(d, spec.exchange)
            ):
                return due
        raise ValueError(f"job {spec.name!r} has no due day within 400 days")

    async def on_start(self) -> None:
        """Start one task per job (which first runs the job at once if ``run_at_start``/catch-up say so)."""
        self._running = True
        for spec in self._specs.values():
            self._spawn(spec)

    async def on_stop(self) -> None:
        """Cancel every job task (a job running now is cancelled too)."""
        self._running = False
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _spawn(self, spec: JobSpec) -> None:
        loop = asyncio.get_running_loop()
        self._tasks[spec.name] = loop.create_task(self._loop(spec), name=f"job:{spec.name}")

    async def _loop(self, spec: JobSpec) -> None:
        info = self._info[spec.name]
        now = self.clock.now_ns()
        if spec.run_at_start is not None and spec.run_at_start(now):
            await self._run(spec, now)
        catch_up = self.catch_up if spec.catch_up is None else spec.catch_up
        today = ist(now).date()
        today_due = ist_ns(today, spec.at)
        if (
            catch_up
            and today_due < now
            and (not spec.trading_days_only or self.calendar.is_trading_day(today, spec.exchange))
        ):
            await self._run(spec, today_due)
        due = self.next_due(spec, now, inclusive=True)
        while True:
            info.next_due_ns = due
            await self.clock.sleep_until(due)
            await self._run(spec, due)
            due = self.next_due(spec, due)

    async def _run(self, spec: JobSpec, due_ns: int) -> None:
        info = self._info[spec.name]
        ok, detail = True, ""
        try:
            result: Any = spec.job(self.clock.now_ns())
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, str):
                detail = result
        except Exception as exc:  # one failing job must never stop the scheduler
            ok, detail = False, f"{type(exc).__name__}: {exc}"
            info.failures += 1
            self.record_error(f"{spec.name}: {detail}")
            log.exception("scheduled job %s (due %s) failed", spec.name, ist(due_ns).isoformat())
        info.runs += 1
        info.last_ok, info.last_detail, info.last_due_ns = ok, detail, due_ns
        record = ScheduledJob(name=spec.name, due_ns=due_ns, ok=ok, detail=detail)
        info.history = [*info.history[-(self._history - 1) :], record] if self._history > 0 else []
        if self.bus is not None:
            await self.bus.publish(Event(EventType.SCHEDULE, record, ts_event=due_ns))


INSTRUMENTS_REFRESH_AT = dt.time(8, 30)
"""IST: the Kite instruments dump is regenerated daily around 08:00; refresh before the open."""
TOKEN_WARNING_AT = dt.time(5, 30)
"""IST: half an hour before Kite access tokens expire (06:00)."""
END_OF_DAY_REPORT_AT = dt.time(15, 45)
"""IST: after the close (15:30) and the closing-price window."""


async def _call(fn: Callable[..., Any], *args: Any) -> object:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def instruments_refresh_job(
    refresh: Callable[[], Awaitable[object] | object], *, at: dt.time = INSTRUMENTS_REFRESH_AT
) -> JobSpec:
    """Refresh the instruments table (``refresh()``, sync or async) at 08:30 IST on trading days."""

    async def job(_now: int) -> object:
        return await _call(refresh)

    return JobSpec("instruments_refresh", at, job)


def token_expiry_warning_job(
    expires_at_ns_getter: Callable[[], int | None],
    warn: Callable[[int, float], Awaitable[object] | object],
    *,
    within_s: float = 3600.0,
    at: dt.time = TOKEN_WARNING_AT,
) -> JobSpec:
    """Warn about the access token's expiry: every day at 05:30 IST, and at once at start, when the
    token (expiry from ``expires_at_ns_getter()``, UTC epoch ns; None = no token) dies within
    ``within_s`` seconds. ``warn(expires_at_ns, seconds_left)`` (sync or async) does the telling."""

    def due_soon(now: int) -> bool:
        expires = expires_at_ns_getter()
        return expires is not None and (expires - now) / 1e9 <= within_s

    async def job(now: int) -> str:
        expires = expires_at_ns_getter()
        if expires is None:
            return "no access token"
        left = (expires - now) / 1e9
        if left > within_s:
            return f"token valid for {left / 3600:.1f} h"
        await _call(warn, expires, left)
        return f"token expires in {max(left, 0.0) / 60:.0f} min" if left > 0 else "token expired"

    return JobSpec("token_expiry_warning", at, job, trading_days_only=False, run_at_start=due_soon)


def end_of_day_report_job(
    report: Callable[[], Awaitable[object] | object], *, at: dt.time = END_OF_DAY_REPORT_AT
) -> JobSpec:
    """Produce the end-of-day report (``report()``, sync or async) at 15:45 IST on trading days."""

    async def job(_now: int) -> object:
        return await _call(report)

    return JobSpec("end_of_day_report", at, job)


__all__ = [
    "END_OF_DAY_REPORT_AT",
    "INSTRUMENTS_REFRESH_AT",
    "TOKEN_WARNING_AT",
    "JobFn",
    "JobInfo",
    "JobSpec",
    "Scheduler",
    "end_of_day_report_job",
    "instruments_refresh_job",
    "token_expiry_warning_job",
]
