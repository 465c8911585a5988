"""Engine components that adapt the feed, the strategies and the store writer to the engine's lifecycle.

Each is small glue with one job: :class:`FeedComponent` turns the feed's events into
bus events (TICK_BATCH stamped with the frame's wall receive time for latency,
FEED_STATUS) and hands order updates to the broker's update stream;
:class:`StrategyComponent` runs the StrategyManager on bars, TICK_BATCH/CHAIN/FILL
events and submits its signals; :class:`WriterComponent` owns the DuckDB writer thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, get_args

from alphastock._tasks import cancel_and_wait
from alphastock.bars import KITE_INTERVALS
from alphastock.bus import EventBus
from alphastock.clock import Clock, LiveClock, pace, wait_event
from alphastock.engine import BaseComponent, RateMeter
from alphastock.events import Bar, Event, EventType, FeedStatus, FillInfo, TickBatch
from alphastock.execution.broker_health import BrokerHealth
from alphastock.feeds.kite_ws import FeedEvent
from alphastock.feeds.risk_bridge import FeedRiskBridge
from alphastock.models import IST, Candle
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import AccountClient, CandleInterval, Feed, HistoricalSource
from alphastock.refdata.resolver import SymbolResolver
from alphastock.risk import RiskEngine
from alphastock.signals.assets import AssetType
from alphastock.signals.model import Signal
from alphastock.strategies.base import interval_ns
from alphastock.strategies.manager import StrategyManager
from alphastock.ticks import TickStore

log = logging.getLogger(__name__)

_STATUS_KINDS = frozenset({"connected", "disconnected", "stale", "fresh"})
# Our bar intervals -> Kite's historical-candle interval names.
_KITE_CANDLES: dict[str, CandleInterval] = {KITE_INTERVALS[kite]: kite for kite in get_args(CandleInterval)}


class FeedComponent(BaseComponent):
    """Starts/stops the feed and publishes what it sees (see the module docstring).

    ``open_feed`` makes the feed given this component's event handler (the market-data adapter's
    :meth:`~alphastock.ports.MarketDataSource.open_feed`): the feed reports to its sink from
    construction on, with nothing set on it afterwards."""

    def __init__(
        self,
        open_feed: Callable[[Callable[[FeedEvent], object]], Feed],
        bus: EventBus,
        risk: RiskEngine,
        *,
        ticks_meter: RateMeter,
        on_order_update: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        super().__init__("feed")
        self.bus = bus
        self.ticks_meter = ticks_meter
        self.on_order_update = on_order_update
        self.ticks_total = 0
        self.state = "starting"
        self.refused = 0
        """TICK_BATCH notices no subscriber queue had room for (the ticks are stored regardless)."""
        # The bridge refreshes the risk engine's data times and tracks staleness.
        self.bridge = FeedRiskBridge(risk)
        self.feed = open_feed(self._on_event)

    def watch_for_risk(self, tokens: Iterable[int]) -> None:
        """The instruments whose data time the risk engine needs (those that can get orders)."""
        self.bridge.watch(tokens)

    def _on_event(self, event: FeedEvent) -> None:
        if event.kind == "ticks":
            count = len(event.tokens)
            self.ticks_total += count
            self.ticks_meter.mark(count)
            batch = TickBatch(tokens=event.tokens, recv_ns=event.wall_ns, source="feed")
            if not self.bus.publish_nowait(Event(EventType.TICK_BATCH, batch, ts_event=event.ts_ns)):
                self.refused += 1
        self.bridge(event)
        if event.kind == "order_update":
            if self.on_order_update is not None and isinstance(event.data, dict):
                try:
                    self.on_order_update(event.data)
                except Exception:  # a bad update must not stop the feed; the OMS reconciles later
                    self.record_error("order update rejected")
                    log.exception("order update could not be handled")
        elif event.kind in _STATUS_KINDS:
            self.state = "connected" if event.kind in ("connected", "fresh") else str(event.kind)
            status = FeedStatus(kind=event.kind, detail=str(event.data or ""), ts_ns=event.ts_ns)
            self.bus.publish_nowait(Event(EventType.FEED_STATUS, status, ts_event=event.ts_ns))
        elif event.kind == "error":
            self.record_error(str(event.data))
            log.warning("feed error: %s", event.data)

    async def on_start(self) -> None:
        await self.feed.start()
        self.state = "connected"

    async def on_stop(self) -> None:
        await self.feed.stop()
        self.state = "stopped"


class StrategyComponent(BaseComponent):
    """Runs the strategies on bars, ticks, chains and fills; their signals go to ``submit`` (the
    SignalManager).

    Bars come by :meth:`on_bar` (the runners' call); ticks by :meth:`on_tick_batch` (a TICK_BATCH
    bus subscription, made only when some strategy defines ``on_tick``), which reads the newest
    tick of each token from ``ticks``; a tick the manager coalesced (``min_tick_interval_ms``) is
    delivered by a task that sleeps on the engine clock until it is due. ``trading`` is switched
    off at shutdown so no new signal is made while positions are closed.
    """

    def __init__(
        self,
        manager: StrategyManager,
        submit: Callable[[Signal], object],
        clock: Clock,
        *,
        bars_meter: RateMeter,
        signals_meter: RateMeter,
        ticks: TickStore | None = None,
    ) -> None:
        super().__init__("strategies")
        self.manager = manager
        self.ticks = ticks
        self.submit = submit
        self.clock = clock
        self.bars_meter = bars_meter
        self.signals_meter = signals_meter
        self.trading = True
        self.bars = 0
        self.warmup_bars = 0
        self.tick_batches = 0
        """TICK_BATCH notices handled (while some strategy defines ``on_tick``)."""
        self._flush_task: asyncio.Task[None] | None = None
        self._flush_at_ns: int | None = None

    @property
    def wants_ticks(self) -> bool:
        """Whether the bus should deliver TICK_BATCH to :meth:`on_tick_batch` (a strategy defines
        ``on_tick`` and there is a TickStore to read)."""
        return self.ticks is not None and self.manager.wants_ticks

    async def on_start(self) -> None:
        self.manager.start(lambda _name: _Context(self.clock, self.manager, self._emit), sink=self._emit)

    async def on_stop(self) -> None:
        await cancel_and_wait(self._flush_task)
        self._flush_task = None
        self.manager.stop()

    def _emit(self, signal: Signal) -> None:
        if not self.trading:
            return
        self.signals_meter.mark()
        try:
            self.submit(signal)
        except Exception as exc:  # one bad signal must not stop the strategies
            self.record_error(f"signal {signal.id} refused: {exc}")
            log.exception("signal %s could not be submitted", signal.id)

    def on_bar(self, bar: Bar) -> None:
        """A closed bar, straight from the runners: the strategies' signals go to ``submit`` now."""
        self.bars += 1
        self.bars_meter.mark()
        for signal in self.manager.on_bar(bar):
            self._emit(signal)

    def on_tick_batch(self, event: Event[Any]) -> None:
        """Bus handler for TICK_BATCH: ``on_tick`` of the strategies trading the batch's tokens, at the
        engine clock's now (see :meth:`StrategyManager.on_ticks`); a coalesced tick arms the flush."""
        batch = event.payload
        if self.ticks is None or not isinstance(batch, TickBatch):
            return
        self.tick_batches += 1
        now = self.clock.now_ns()
        for signal in self.manager.on_ticks(batch.tokens.tolist(), self.ticks.latest, now, batch.recv_ns):
            self._emit(signal)
        due = self.manager.next_tick_due_ns()
        if due is not None and (self._flush_at_ns is None or due < self._flush_at_ns):
            self._arm_flush(due)

    def _arm_flush(self, due_ns: int) -> None:
        if self._flush_task is not None and not self._flush_task.done():
            self._flush_task.cancel()  # it sleeps until a later due time
        self._flush_at_ns = due_ns
        self._flush_task = asyncio.get_running_loop().create_task(self._flush(due_ns), name="strategy-ticks")

    async def _flush(self, due_ns: int) -> None:
        """Deliver coalesced ticks as they fall due, sleeping on the engine clock in between."""
        try:
            while True:
                await self.clock.sleep_until(due_ns)
                if self.ticks is None:
                    return
                for signal in self.manager.flush_ticks(self.ticks.latest, self.clock.now_ns()):
                    self._emit(signal)
                next_due = self.manager.next_tick_due_ns()
                if next_due is None:
                    return
                due_ns = self._flush_at_ns = next_due
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a strategy's error is caught by the manager; this is ours
            self.record_error(f"tick flush: {exc}")
            log.exception("coalesced ticks could not be delivered")
        finally:
            if self._flush_task is asyncio.current_task():
                self._flush_at_ns = None

    def handle(self, event: Event[Any]) -> None:
        """Bus handler for BAR, CHAIN and FILL events (bars normally arrive by :meth:`on_bar`).

        A CHAIN reaches the strategies whose symbols name the snapshot's underlying."""
        payload = event.payload
        if event.type is EventType.BAR and isinstance(payload, Bar):
            self.on_bar(payload)
            return
        if event.type is EventType.CHAIN:
            signals = self.manager.on_chain(payload, getattr(payload, "underlying", None))
        elif event.type is EventType.FILL and isinstance(payload, FillInfo):
            signals = self.manager.on_fill(payload)
        else:
            return
        for signal in signals:
            self._emit(signal)

    def warm_up(self, bars: Sequence[Bar]) -> int:
        """Feed history through the strategies so their indicators are ready; signals are discarded
        (they describe the past). Returns the bars fed."""
        for bar in bars:
            self.manager.on_bar(bar)
        self.manager.reset_hook_timings()  # history runs back to back: not what live bars cost
        self.warmup_bars += len(bars)
        return len(bars)


class _Context:
    """What a strategy may ask of the engine: the clock, instruments, a log, a way to emit.

    (The manager wraps it per instance and routes emits made during a hook itself; ``emit`` here
    is what a strategy's emit outside a hook reaches: the same path as the manager's signals.)
    """

    def __init__(self, clock: Clock, manager: StrategyManager, emit: Callable[[Signal], None]) -> None:
        self._clock = clock
        self._manager = manager
        self._emit = emit
        self.log = logging.getLogger("alphastock.strategy")

    def now_ns(self) -> int:
        return self._clock.now_ns()

    def instrument(self, symbol: str) -> Any:
        return self._manager.instrument(symbol)

    def asset_type(self, symbol: str) -> AssetType:
        return self._manager.asset_type(symbol)

    def emit(self, signal: Signal) -> None:
        self._emit(signal)


class MarketPublisher:
    """Where the runners publish (BAR, CHAIN, ...). A closed bar goes to the strategies at once, on
    this call: a bus hop would queue it behind the rest of the batch's work, the largest part of
    tick-to-order latency. Everything is published on the bus as well, for every other subscriber.

    The strategies (and so the signal, and the order it makes) come first: the bus's BAR
    subscribers are views and recorders, which can wait a few µs; the order cannot."""

    def __init__(self, strategies: StrategyComponent, bus: EventBus) -> None:
        self.strategies = strategies
        self.bus = bus

    def __call__(self, event: Event[Any]) -> bool:
        """Publish ``event``; True if the bus took it."""
        if event.type is not EventType.BAR:
            return self.bus.publish_nowait(event)
        try:
            self.strategies.on_bar(event.payload)
        finally:
            published = self.bus.publish_nowait(event)  # even if the strategy component raised
        return published


class WriterComponent(BaseComponent):
    """Owns the DuckDB writer thread: started first, closed (flushed) last."""

    def __init__(self, writer: StoreWriter, *, close_timeout_s: float = 15.0) -> None:
        super().__init__("store-writer")
        self.writer = writer
        self.close_timeout_s = close_timeout_s

    async def on_start(self) -> None:
        self.writer.start()

    async def on_stop(self) -> None:
        await self.writer.aflush(self.close_timeout_s)
        self.writer.close(self.close_timeout_s)


async def history_bars(
    broker: HistoricalSource,
    resolver: SymbolResolver,
    subscriptions: Sequence[tuple[str, str, str]],
    now_ns: int,
    *,
    days: int = 3,
) -> list[Bar]:
    """Completed bars before ``now_ns`` for each (exchange, symbol, timeframe), oldest first per
    symbol, from the broker's historical candles (Kite's minute candles are labelled by start)."""
    now = dt.datetime.fromtimestamp(now_ns / 1e9, IST)
    start = (now - dt.timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    bars: list[Bar] = []
    for exchange, symbol, timeframe in sorted(subscriptions):
        interval = _KITE_CANDLES.get(timeframe)
        if interval is None:
            continue
        try:
            inst = resolver.resolve(symbol, exchange)
        except Exception as exc:  # an unknown symbol is reported by the runners; skip its history
            log.warning("no history for %s:%s: %s", exchange, symbol, exc)
            continue
        step_ns = interval_ns(timeframe)
        try:
            candles: list[Candle] = await broker.historical(inst.instrument_token, start, now, interval)
        except Exception as exc:  # history is a warm-up; live bars still come
            log.warning("historical candles for %s failed: %s", symbol, exc)
            continue
        for candle in candles:
            if candle.ts + step_ns > now_ns:
                continue  # the bar in progress: the live bar builder makes it
            bars.append(
                Bar(
                    token=inst.instrument_token, symbol=inst.tradingsymbol, interval=timeframe,
                    start_ns=candle.ts, open=candle.open, high=candle.high, low=candle.low,
                    close=candle.close, volume=float(candle.volume), exchange=str(inst.exchange),
                )
            )  # fmt: skip
    return bars


class CashSync(BaseComponent):
    """Keeps the risk engine's cash view equal to the broker's available margin.

    The risk engine lowers its cash view by the margin of every order it approves and never
    raises it by itself, so the broker (the truth) is asked again after fills (at most every
    ``min_interval_s`` seconds) and every ``interval_s`` regardless. While ``health`` says
    the broker is unreachable it asks with backoff (up to ``retry_max_s``) and logs nothing per
    failure (the outage is reported once, by the health). Every wait is on ``clock`` (engine
    seconds, paced by the wall on a faster-than-wall clock: :func:`~alphastock.clock.pace`; the wall
    clock if None), so a simulated clock drives it deterministically.
    """

    def __init__(
        self,
        broker: AccountClient,
        risk: RiskEngine,
        *,
        interval_s: float = 30.0,
        min_interval_s: float = 1.0,
        health: BrokerHealth | None = None,
        retry_max_s: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__("cash-sync")
        self.clock: Clock = clock or LiveClock()
        self.broker = broker
        self.risk = risk
        self.interval_s = interval_s
        self.min_interval_s = min_interval_s
        self.broker_health = health
        self.retry_max_s = retry_max_s
        self.syncs = 0
        self.last_cash: float | None = None
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def on_fill(self, _event: Event[Any]) -> None:
        """Bus handler: a fill changed the margin in use."""
        self._dirty.set()

    async def sync(self) -> float | None:
        """Read the broker's available equity margin into the risk engine; the value, or None."""
        try:
            margins = await self.broker.margins("equity")
        except Exception as exc:  # the risk engine keeps its (conservative, declining) view
            self.record_error(f"margins: {exc}")
            level = logging.DEBUG if self._unreachable() else logging.WARNING
            log.log(level, "could not read margins from the broker: %s", exc)
            return None
        available = getattr(margins, "net", None)
        if isinstance(available, int | float) and math.isfinite(available):
            self.risk.set_cash(float(available))
            self.last_cash = float(available)
            self.syncs += 1
        return self.last_cash

    async def on_start(self) -> None:
        await self.sync()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cash-sync")

    async def on_stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    def _unreachable(self) -> bool:
        return self.broker_health is not None and not self.broker_health.reachable

    async def _run(self) -> None:
        while True:
            if self.broker_health is not None and not self.broker_health.reachable:
                await pace(self.clock, self.broker_health.backoff_s(self.min_interval_s, self.retry_max_s))
            else:
                await wait_event(self.clock, self._dirty, self.interval_s, paced=True)
            self._dirty.clear()
            await self.sync()
            await pace(self.clock, self.min_interval_s)


__all__ = [
    "CashSync",
    "FeedComponent",
    "MarketPublisher",
    "StrategyComponent",
    "WriterComponent",
    "history_bars",
]
