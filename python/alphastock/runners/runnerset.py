"""All runners built from config, sharing one feed (:class:`RunnerSet`).

The set is itself a component: :meth:`initialize` resolves every runner's instruments
(a runner with unknown symbols is degraded, the others run), :meth:`start` subscribes
through one :class:`~alphastock.runners.base.FeedHub` and starts a timer loop (bar
flushes, chain snapshots, rollover checks every ``timer_interval_s``), :meth:`on_ticks`
fans a TICK_BATCH out to the bar builder and to the runners owning its tokens, and
:meth:`snapshot` gives the live view its tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alphastock._tasks import cancel_and_wait
from alphastock.clock import Clock, LiveClock, sleep
from alphastock.events import Event, EventType, FeedStatus, TickBatch
from alphastock.ports import Feed, QuoteSource
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.bars import BarBuilder, BarSink, distinct_tokens
from alphastock.runners.base import FeedHub, Health, Publish, Runner, lifecycle_state
from alphastock.runners.commodity import CommodityRunner
from alphastock.runners.config import RunnersConfig
from alphastock.runners.equity import EquityRunner
from alphastock.runners.futures import FuturesRunner, TradingCalendar
from alphastock.runners.index import IndexRunner
from alphastock.runners.options import OptionsRunner
from alphastock.runners.polling import QuotePoller
from alphastock.ticks import LatestTicks, TickStore

log = logging.getLogger(__name__)
NS_PER_SECOND = 1_000_000_000


class RunnerSet:
    """Every configured runner plus the bar builder and the quote poller (see the module docstring)."""

    name = "runners"

    def __init__(
        self,
        runners: list[Runner],
        hub: FeedHub,
        ticks: TickStore,
        resolver: SymbolResolver,
        bars: BarBuilder,
        *,
        poller: QuotePoller | None = None,
        clock: Clock | None = None,
        timer_interval_s: float = 1.0,
    ) -> None:
        self.runners = runners
        self.hub = hub
        self.ticks = ticks
        self.resolver = resolver
        self.bars = bars
        self.poller = poller
        self.clock: Clock = clock or LiveClock()
        self.timer_interval_s = timer_interval_s
        self._routes: dict[int, list[Runner]] = {}
        self._versions: tuple[int, ...] = ()
        self._known: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._member: NDArray[np.bool_] = np.zeros((len(runners), 0), dtype=np.bool_)
        self._task: asyncio.Task[None] | None = None
        self._state = "stopped"
        self.batches = 0

    @classmethod
    def from_config(
        cls,
        config: RunnersConfig,
        *,
        resolver: SymbolResolver,
        feed: Feed,
        ticks: TickStore,
        broker: QuoteSource | None = None,
        publish: Publish | None = None,
        clock: Clock | None = None,
        calendar: TradingCalendar | None = None,
        sink: BarSink | None = None,
        forward_strikes: int = 5,
    ) -> RunnerSet:
        """Build the enabled runners of ``config`` on one feed (``publish`` gets BAR/CHAIN/... events).

        ``forward_strikes`` is the top-level ``options.forward_strikes`` setting (strikes voting on
        the parity forward); ``sink`` (the store's BatchWriter) also receives closed bars.
        """
        hub = FeedHub(feed)
        runners: list[Runner] = []
        if config.equity.enabled:
            eq = config.equity
            runners.append(
                EquityRunner(hub, ticks, resolver, eq.symbols, mode=eq.mode, broker=broker, clock=clock)
            )
        if config.index.enabled:
            ix = config.index
            runners.append(
                IndexRunner(hub, ticks, resolver, ix.symbols, mode=ix.mode, broker=broker, clock=clock)
            )
        if config.futures.enabled:
            fu = config.futures
            runners.append(
                FuturesRunner(
                    hub,
                    ticks,
                    resolver,
                    fu.underlyings,
                    exchange=fu.exchange,
                    mode=fu.mode,
                    spot_mode=fu.spot_mode,
                    rollover_days=fu.rollover_days,
                    calendar=calendar,
                    clock=clock,
                )
            )
        if config.options.enabled:
            op = config.options
            runners.append(
                OptionsRunner(
                    hub,
                    ticks,
                    resolver,
                    op.underlyings,
                    strikes_each_side=op.strikes_each_side,
                    expiries=op.expiries,
                    snapshot_interval_s=op.snapshot_interval_s,
                    recentre_strikes=op.recentre_strikes,
                    rate=op.rate,
                    forward_strikes=forward_strikes,
                    mode=op.mode,
                    spot_mode=op.spot_mode,
                    publish=publish,
                    clock=clock,
                )
            )
        if config.commodity.enabled:
            co = config.commodity
            runners.append(
                CommodityRunner(
                    hub,
                    ticks,
                    resolver,
                    co.underlyings,
                    exchange=co.exchange,
                    mode=co.mode,
                    rollover_days=co.rollover_days,
                    calendar=calendar,
                    clock=clock,
                )
            )
        sessions = {"NSE": config.nse_session, "MCX": config.mcx_session}
        bars = BarBuilder(
            ticks,
            publish,
            intervals=config.bar_intervals,
            describe=resolver.describe,
            sessions=sessions,
            sink=sink,
        )
        poller = None
        if config.poll.enabled and broker is not None:
            poller = QuotePoller(
                broker, ticks, lambda: {}, publish, clock=clock,
                max_per_request=config.poll.max_per_request, min_interval_s=config.poll.min_interval_s,
            )  # fmt: skip
        out = cls(
            runners, hub, ticks, resolver, bars, poller=poller, clock=clock,
            timer_interval_s=config.timer_interval_s,
        )  # fmt: skip
        if poller is not None:
            poller.instruments = out.instrument_keys
        return out

    # -- lifecycle -----------------------------------------------------------------------------
    async def initialize(self) -> None:
        """Resolve every runner's instruments; one runner's failure degrades it, never the set."""
        for runner in self.runners:
            try:
                await runner.initialize()
            except Exception as exc:
                runner.error(f"initialize failed: {exc}")
                log.exception("runner %s failed to initialize", runner.name)

    async def start(self, *, timers: bool = True) -> None:
        """Subscribe every runner on the shared feed; with ``timers``, start the timer loop."""
        for runner in self.runners:
            try:
                await runner.start()
            except Exception as exc:
                runner.error(f"start failed: {exc}")
                log.exception("runner %s failed to start", runner.name)
        self.reroute()
        self._state = "running"
        if timers and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._timer_loop(), name="runner-timers")

    async def stop(self) -> None:
        """Stop timers and polling, close open bars, release subscriptions."""
        await cancel_and_wait(self._task)
        self._task = None
        if self.poller is not None:
            await self.poller.close()
        self.bars.flush_all()
        for runner in self.runners:
            with contextlib.suppress(Exception):
                await runner.stop()
        self._state = "stopped"

    def health(self) -> Health:
        """``ok`` when every runner is; ``degraded`` naming the runners that are not."""
        states = {r.name: r.health() for r in self.runners}
        bad = {name: h for name, h in states.items() if h.state != "ok"}
        counters = {"batches": self.batches, "tokens": len(self._routes), **self.bars.stats()}
        metrics = {k: float(v) for k, v in counters.items() if isinstance(v, int | float)}
        errors = sum(h.errors for h in states.values())
        if self._state != "running":
            return Health(lifecycle_state(self._state), "", metrics, errors)
        if bad:
            detail = "; ".join(f"{n}: {h.detail or h.state}" for n, h in bad.items())
            return Health("degraded", detail, metrics, errors)
        return Health("ok", "", metrics, errors)

    # -- data ----------------------------------------------------------------------------------
    def reroute(self) -> None:
        """Rebuild the token -> runners table (after subscriptions changed)."""
        routes: dict[int, list[Runner]] = {}
        for runner in self.runners:
            for token in runner.subscribed:
                routes.setdefault(token, []).append(runner)
        self._routes = routes
        self._versions = tuple(r.subscription_version for r in self.runners)
        # The same table as arrays for the tick path: sorted tokens and runner x token membership.
        known = np.array(sorted(routes), dtype=np.int64)
        member = np.zeros((len(self.runners), known.shape[0]), dtype=np.bool_)
        for i, runner in enumerate(self.runners):
            if runner.subscribed:
                mine = np.fromiter(runner.subscribed, dtype=np.int64, count=len(runner.subscribed))
                member[i, np.searchsorted(known, mine)] = True
        self._known, self._member = known, member

    def tokens(self) -> list[int]:
        """Every token subscribed on the feed."""
        return list(self.hub.modes())

    def instrument_keys(self) -> dict[int, str]:
        """``{token: "EXCHANGE:TRADINGSYMBOL"}`` of the subscriptions (what the poller polls)."""
        out: dict[int, str] = {}
        for token in self.hub.modes():
            inst = self.resolver.describe(token)
            if inst is not None:
                out[token] = f"{inst.exchange}:{inst.tradingsymbol}"
        return out

    def runner(self, name: str) -> Runner:
        """The runner called ``name`` (KeyError when not configured)."""
        for runner in self.runners:
            if runner.name == name:
                return runner
        raise KeyError(f"no runner {name!r}; have {[r.name for r in self.runners]}")

    def on_ticks(self, batch: TickBatch) -> None:
        """A TICK_BATCH: bars first, then each runner with its own tokens of the batch."""
        self._apply(*self._bars(batch))

    def _bars(self, batch: TickBatch) -> tuple[LatestTicks, NDArray[np.int64]]:
        self.batches += 1
        # One bulk read of each distinct token's newest tick, shared by the bars and the runners.
        unique, _counts = distinct_tokens(batch.tokens)
        latest = self.ticks.latest_many(unique)
        self.bars.on_ticks(batch, latest)
        return latest, unique

    def _apply(self, latest: LatestTicks, unique: NDArray[np.int64]) -> None:
        if not self.runners or unique.shape[0] == 0:
            return
        known = self._known
        if known.shape[0] == 0:
            return
        pos = np.minimum(np.searchsorted(known, unique), known.shape[0] - 1)
        routed = (known[pos] == unique) & latest["found"]
        for i, runner in enumerate(self.runners):
            mine = routed & self._member[i, pos]
            if not bool(mine.any()):
                continue
            try:
                runner.apply_latest(latest, np.flatnonzero(mine))
            except Exception as exc:
                runner.error(f"update failed: {exc}")

    def handle(self, event: Event[Any]) -> None:
        """A bus handler: TICK_BATCH -> :meth:`on_ticks`; FEED_STATUS -> :meth:`on_feed_event`.

        Subscribe it to ``(TICK_BATCH, FEED_STATUS)``; the poller's own ``polling``/``streaming``
        statuses are ignored here, and other event types are ignored.
        """
        payload = event.payload
        if event.type is EventType.TICK_BATCH and isinstance(payload, TickBatch):
            self.on_ticks(payload)
        elif event.type is EventType.FEED_STATUS and isinstance(payload, FeedStatus):
            self.on_feed_event(payload.kind)

    async def handle_async(self, event: Event[Any]) -> None:
        """:meth:`handle` for the live loop: after the bars of a batch it yields once, so that what
        they set off (a strategy's order, sent from its own task) goes out before the runners'
        bookkeeping of the same batch takes the loop."""
        payload = event.payload
        if event.type is EventType.TICK_BATCH and isinstance(payload, TickBatch):
            latest, unique = self._bars(payload)
            await asyncio.sleep(0)
            self._apply(latest, unique)
        else:
            self.handle(event)

    def on_feed_event(self, kind: str) -> None:
        """Feed events (``connected``, ``disconnected``, ``stale``, ``fresh``) switch the poller."""
        if self.poller is not None:
            self.poller.on_feed_event(kind)

    async def on_timer(self, now_ns: int | None = None) -> None:
        """One timer pass at ``now_ns`` (engine clock): flush due bars, then each runner's periodic work."""
        now = self.clock.now_ns() if now_ns is None else now_ns
        if self.bars.flush(now):
            # Let the strategies see the bars just closed before the periodic work (option chain
            # snapshots take about a millisecond each) holds the loop.
            await asyncio.sleep(0)
        for runner in self.runners:
            try:
                await runner.on_timer(now)
            except Exception as exc:
                runner.error(f"timer failed: {exc}")
            await asyncio.sleep(0)  # one runner's periodic work at a time; ticks and orders in between
        versions = tuple(r.subscription_version for r in self.runners)
        if versions != self._versions:
            self.reroute()

    async def _timer_loop(self) -> None:
        while True:
            await sleep(self.clock, self.timer_interval_s)
            await self.on_timer()

    def snapshot(self) -> dict[str, Any]:
        """JSON-friendly tables for the live view: per runner its rows (and extras), plus bars and polling."""
        out: dict[str, Any] = {r.name: {"health": r.health().state, **r.snapshot()} for r in self.runners}
        out["bars"] = {k: v for k, v in self.bars.stats().items() if k != "aggregators"}
        out["poller"] = self.poller.stats() if self.poller is not None else None
        return out


__all__ = ["RunnerSet"]
