"""Engine components that adapt the feed, the strategies and the store writer to the engine's lifecycle.

Each is small glue with one job: :class:`FeedComponent` turns KiteFeed events into
bus events (TICK_BATCH stamped with the frame's wall receive time for latency,
FEED_STATUS) and hands order updates to the broker's update stream;
:class:`StrategyComponent` runs the StrategyManager on BAR/CHAIN/FILL events and
submits its signals; :class:`WriterComponent` owns the DuckDB writer thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alphastock.bus import EventBus
from alphastock.clock import Clock
from alphastock.engine import BaseComponent, Health, HealthState, RateMeter
from alphastock.events import Bar, Event, EventType, FeedStatus, FillInfo, TickBatch
from alphastock.execution.persist import StoreWriter
from alphastock.feeds.kite_ws import FeedEvent, KiteFeed
from alphastock.feeds.risk_bridge import FeedRiskBridge
from alphastock.models import IST, Candle
from alphastock.risk import RiskEngine
from alphastock.runners.bars import member_of
from alphastock.runners.resolver import SymbolResolver
from alphastock.signals.model import Signal
from alphastock.strategies.manager import StrategyManager

log = logging.getLogger(__name__)

_STATUS_KINDS = frozenset({"connected", "disconnected", "stale", "fresh"})
_KITE_INTERVALS = {"1m": "minute", "3m": "3minute", "5m": "5minute", "15m": "15minute", "1h": "60minute"}


class FeedComponent(BaseComponent):
    """Starts/stops the KiteFeed and publishes what it sees (see the module docstring)."""

    def __init__(
        self,
        feed: KiteFeed,
        bus: EventBus,
        risk: RiskEngine,
        *,
        ticks_meter: RateMeter,
        on_order_update: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        super().__init__("feed")
        self.feed = feed
        self.bus = bus
        self.ticks_meter = ticks_meter
        self.on_order_update = on_order_update
        self.ticks_total = 0
        self.state = "starting"
        self.refused = 0
        """TICK_BATCH notices no subscriber queue had room for (the ticks are stored regardless)."""
        self.risk = risk
        # The bridge tracks staleness; data times are refreshed here, for traded instruments only.
        self.bridge = FeedRiskBridge(None, risk)
        self.risk_tokens: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        feed.on_event = self._on_event

    def watch_for_risk(self, tokens: Iterable[int]) -> None:
        """Refresh the risk engine's data time of these instruments on every tick (the ones that can
        get orders); a per-token call for every subscribed option would cost more than the rest of
        the frame's handling."""
        self.risk_tokens = np.unique(np.fromiter((int(t) for t in tokens), dtype=np.int64))

    def _on_event(self, event: FeedEvent) -> None:
        if event.kind == "ticks":
            count = len(event.tokens)
            self.ticks_total += count
            self.ticks_meter.mark(count)
            batch = TickBatch(tokens=event.tokens, recv_ns=event.wall_ns, source="feed")
            if not self.bus.publish_nowait(Event(EventType.TICK_BATCH, batch, ts_event=event.ts_ns)):
                self.refused += 1
            traded = event.tokens[member_of(event.tokens, self.risk_tokens)]
            for token in set(traded.tolist()):
                self.risk.on_tick(token, event.ts_ns)
            return
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
    """Runs the strategies on bars, chains and fills; their signals go to ``submit`` (the SignalManager).

    ``trading`` is switched off at shutdown so no new signal is made while positions are closed.
    """

    def __init__(
        self,
        manager: StrategyManager,
        submit: Callable[[Signal], object],
        clock: Clock,
        *,
        bars_meter: RateMeter,
        signals_meter: RateMeter,
    ) -> None:
        super().__init__("strategies")
        self.manager = manager
        self.submit = submit
        self.clock = clock
        self.bars_meter = bars_meter
        self.signals_meter = signals_meter
        self.trading = True
        self.bars = 0
        self.warmup_bars = 0

    async def on_start(self) -> None:
        self.manager.start(lambda _name: _Context(self.clock, self.manager), sink=self._emit)

    async def on_stop(self) -> None:
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

    def handle(self, event: Event[Any]) -> None:
        """Bus handler for BAR, CHAIN and FILL events."""
        payload = event.payload
        if event.type is EventType.BAR and isinstance(payload, Bar):
            self.bars += 1
            self.bars_meter.mark()
            signals = self.manager.on_bar(payload)
        elif event.type is EventType.CHAIN:
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
        self.warmup_bars += len(bars)
        return len(bars)


class _Context:
    """What a strategy may ask of the engine: the clock, instruments, a log, a way to emit."""

    def __init__(self, clock: Clock, manager: StrategyManager) -> None:
        self._clock = clock
        self._manager = manager
        self.log = logging.getLogger("alphastock.strategy")

    def now_ns(self) -> int:
        return self._clock.now_ns()

    def instrument(self, symbol: str) -> Any:
        return self._manager.instrument(symbol)

    def emit(self, signal: Signal) -> None:  # the manager's own context routes emits; never reached
        raise RuntimeError("emit goes through the strategy manager")


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
    broker: Any,
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
        interval = _KITE_INTERVALS.get(timeframe)
        if interval is None:
            continue
        try:
            inst = resolver.resolve(symbol, exchange)
        except Exception as exc:  # an unknown symbol is reported by the runners; skip its history
            log.warning("no history for %s:%s: %s", exchange, symbol, exc)
            continue
        step_ns = _interval_ns(timeframe)
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


def _interval_ns(timeframe: str) -> int:
    unit = timeframe[-1]
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    return int(timeframe[:-1]) * seconds * 1_000_000_000


class Adapted(BaseComponent):
    """Runs a part whose lifecycle matches the engine's but whose ``health()`` reports a dict
    (``{"ok": bool, counters...}``) or another Health type, reporting it as the engine's Health."""

    def __init__(self, part: Any, name: str | None = None) -> None:
        super().__init__(name or str(getattr(part, "name", type(part).__name__)))
        self.part = part

    async def _call(self, method: str) -> None:
        hook = getattr(self.part, method, None)  # a part without a lifecycle (the portfolio) has none
        if hook is not None:
            await hook()

    async def on_initialize(self) -> None:
        await self._call("initialize")

    async def on_start(self) -> None:
        await self._call("start")

    async def on_stop(self) -> None:
        await self._call("stop")

    def health(self) -> Health:
        """The part's report as the engine's :class:`Health`."""
        if self._state == "stopped":
            return super().health()
        report = self.part.health()
        if isinstance(report, dict):
            metrics = {k: float(v) for k, v in report.items() if isinstance(v, int | float) and k != "ok"}
            state: HealthState = "ok" if report.get("ok", True) else "degraded"
            return Health(state, "", metrics, self.errors)
        metrics = {k: float(v) for k, v in dict(report.metrics).items() if isinstance(v, int | float)}
        raw = str(report.state)
        state = raw if raw in ("starting", "ok", "degraded", "failed", "stopped") else "degraded"  # type: ignore[assignment]
        return Health(state, str(report.detail), metrics, self.errors)


class CashSync(BaseComponent):
    """Keeps the risk engine's cash view equal to the broker's available margin.

    The risk engine lowers its cash view by the margin of every order it approves and never
    raises it by itself, so the broker (the truth) is asked again after fills (at most every
    ``min_interval_s`` wall seconds) and every ``interval_s`` regardless.
    """

    def __init__(
        self, broker: Any, risk: RiskEngine, *, interval_s: float = 30.0, min_interval_s: float = 1.0
    ) -> None:
        super().__init__("cash-sync")
        self.broker = broker
        self.risk = risk
        self.interval_s = interval_s
        self.min_interval_s = min_interval_s
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
            log.warning("could not read margins from the broker: %s", exc)
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
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), self.interval_s)
            self._dirty.clear()
            await self.sync()
            await asyncio.sleep(self.min_interval_s)


__all__ = ["Adapted", "CashSync", "FeedComponent", "StrategyComponent", "WriterComponent", "history_bars"]
