"""The one place the engine is assembled: :func:`build_kernel`.

Live trading, paper trading, the embedded simulator, simulated-clock runs and (next) backtests
differ only in the three :class:`~alphastock.ports.Adapters`: the clock, the market-data
source and the execution venue. Everything else is built here, from the configuration, in this
order (each part gets what it needs in its constructor):

1. clock, bus, engine, TickStore; the instrument store and its cache; the market-data client
   (``adapters.market_data.open_client``) and the day's instruments dump; the symbol resolver;
2. the risk engine and the broker health (it counts every broker call: the market-data client and
   the execution client are used through its monitored wrappers); the execution client
   (``adapters.execution.open_client``);
3. the feed (``adapters.market_data.open_feed``) behind its :class:`FeedComponent`;
4. persistence: the journal (replayed into DuckDB first) and the store writer;
5. the execution layer (:func:`~alphastock.kernel.execution.build_execution`: signals, OMS,
   portfolio, executor, exits);
6. strategies, then runners (their closed bars go to the strategies first, on the runners' call),
   cash sync, the session watcher and the scheduler, and the tick/bar recorder.

Bus subscriptions, in this order (a subscriber registered earlier runs earlier at equal priority):

====================  =========================================  ========
events                subscriber                                 priority
====================  =========================================  ========
TICK_BATCH, FEED      runners (bars, derived data)               HIGH
TICK_BATCH            exits (stop loss / target on the traded)   HIGH
CHAIN                 options chain book (newest per expiry)     HIGH
TICK_BATCH            options executor (chase, trail, exits)     HIGH
CHAIN, FILL           strategies (bars come on the runners' call)  NORMAL
TICK_BATCH            strategies' ``on_tick`` (only if defined)  NORMAL
TICK_BATCH            portfolio marks                            LOW
FILL                  cash sync (margins read again)             LOW
observers' events     the caller's observers (the live view)     LOW
BAR                   the recorder (its timer reads the ticks)   LOW
====================  =========================================  ========

Engine components start in this order and stop in reverse: store writer, recorder, broker health,
signals, OMS, portfolio, the options executor (when built: it reads the trades of earlier runs), cash
sync, feed, runners, strategies, session watcher, scheduler, and last the garbage-collection scheduler
(it freezes what start-up made).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alphastock.bus import EventBus, conflate_tick_batches
from alphastock.calendar import MarketCalendar
from alphastock.clock import Clock, ist
from alphastock.collector import ScheduledCollector
from alphastock.config import AlphaStockConfig
from alphastock.engine import Component, Engine
from alphastock.events import Event, EventType, Priority
from alphastock.execution.broker_health import BrokerHealth, MonitoredMarketData, MonitoredTrading
from alphastock.execution.charging import FillCharges
from alphastock.kernel.components import (
    CashSync,
    FeedComponent,
    MarketPublisher,
    StrategyComponent,
    WriterComponent,
    history_bars,
)
from alphastock.kernel.execution import ExecutionStack, OptionsSetup, build_execution
from alphastock.kernel.recorder import Recorder
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter, replay_and_rotate
from alphastock.ports import Adapters, MarketDataClient, VenueContext
from alphastock.refdata.cache import InstrumentCache
from alphastock.refdata.resolver import SymbolResolver
from alphastock.refdata.store import InstrumentStore
from alphastock.risk import RiskEngine
from alphastock.runners.runnerset import RunnerSet
from alphastock.scheduler import JobSpec, Scheduler, end_of_day_report_job, instruments_refresh_job
from alphastock.session import SessionWatcher
from alphastock.store import Store
from alphastock.store.records import DailyPnlRecord
from alphastock.strategies.config import StrategiesConfig
from alphastock.strategies.instances import split_symbol
from alphastock.strategies.manager import StrategyManager
from alphastock.ticks import TickStore

log = logging.getLogger(__name__)

TICK_CAPACITY = 4096
"""Ticks kept per instrument in the TickStore ring."""


@dataclass(frozen=True, slots=True)
class Observer:
    """A caller's bus subscriber (the live view's counters): registered at LOW priority after the
    engine's own subscribers and before the recorder."""

    types: tuple[EventType, ...]
    handler: Callable[[Event[Any]], Awaitable[None] | None]
    name: str


class Kernel:
    """One assembled engine (see the module docstring); made by :func:`build_kernel`.

    Its parts are attributes for the shell (view, summary, shutdown) and tests to read; nothing is
    set on them after construction."""

    def __init__(
        self,
        *,
        config: AlphaStockConfig,
        adapters: Adapters,
        store: Store,
        bus: EventBus,
        engine: Engine,
        ticks: TickStore,
        instruments: InstrumentStore,
        instrument_cache: InstrumentCache,
        resolver: SymbolResolver,
        market_client: MarketDataClient,
        broker_health: BrokerHealth,
        monitored_data: MonitoredMarketData,
        broker: MonitoredTrading,
        risk: RiskEngine,
        feed_component: FeedComponent,
        journal: Journal,
        writer: StoreWriter,
        execution: ExecutionStack,
        strategy_manager: StrategyManager,
        strategies: StrategyComponent,
        runners: RunnerSet,
        cash: CashSync,
        session: SessionWatcher,
        scheduler: Scheduler,
        recorder: Recorder,
        notes: list[str],
    ) -> None:
        self.config = config
        self.adapters = adapters
        self.clock: Clock = adapters.clock
        self.store = store
        self.bus = bus
        self.engine = engine
        self.ticks = ticks
        self.instruments = instruments
        self.instrument_cache = instrument_cache
        self.resolver = resolver
        self.market_client = market_client
        """The market-data client, unmonitored (history warm-up, the instruments dump)."""
        self.broker_health = broker_health
        self.monitored_data = monitored_data
        """The market-data client behind the broker health (the runners' quote reads)."""
        self.broker = broker
        """The execution client the OMS uses (monitored when remote)."""
        self.risk = risk
        self.feed_component = feed_component
        self.journal = journal
        self.writer = writer
        self.execution = execution
        self.signals = execution.signals
        self.oms = execution.oms
        self.portfolio = execution.portfolio
        self.executor = execution.executor
        self.exits = execution.exits
        self.strategy_manager = strategy_manager
        self.strategies = strategies
        self.runners = runners
        self.cash = cash
        self.session = session
        self.scheduler = scheduler
        self.recorder = recorder
        self.notes = notes
        """What building found worth telling the user (replayed journal records, unknown symbols)."""

    async def start(self, *, warm_up: bool = True) -> None:
        """Start every component; subscribe what the strategies trade; with ``warm_up``, feed the
        strategies the market-data client's recent candles so their indicators are ready."""
        await self.engine.start()
        traded = self.strategy_tokens()
        # What the strategies trade must tick even when no runner follows it (a stock future, say).
        await self.runners.hub.subscribe("strategies", sorted(traded), "full")
        self.runners.bars.restrict(traded)
        self.feed_component.watch_for_risk(traded)
        if not warm_up:
            return
        try:
            bars = await history_bars(
                self.market_client, self.resolver, sorted(self.strategy_manager.subscriptions()),
                self.clock.now_ns(),
            )  # fmt: skip
            fed = self.strategies.warm_up(bars)
            log.info("strategies warmed up on %d historical bars", fed)
        except Exception:  # warm-up is an optimisation; live bars still come
            log.exception("strategy warm-up failed")

    async def stop(self) -> None:
        """Stop every component (reverse order); the writer flushes last."""
        await self.engine.stop()

    def strategy_tokens(self) -> set[int]:
        """Instrument tokens the strategies trade (their order-path caches warmed on the way)."""
        tokens: set[int] = set()
        for exchange, symbol, _ in self.strategy_manager.subscriptions():
            try:
                inst = self.resolver.resolve(symbol, exchange)
                tokens.add(inst.instrument_token)
                # Warm the order path's caches: no DuckDB query between a signal and its order.
                self.instrument_cache.instrument(str(inst.exchange), inst.tradingsymbol)
                self.instrument_cache.freeze_lookup(str(inst.exchange), inst.tradingsymbol)
            except Exception:  # noted when the strategies were built
                continue
        return tokens

    def today(self) -> dt.date:
        """The engine clock's date in IST."""
        return ist(self.clock.now_ns()).date()

    async def refresh_instruments(self) -> None:
        """The day's instruments dump (before the open): lot sizes, expiries and strikes change."""
        today = self.today()
        rows = await self.instruments.refresh(self.market_client, today=today)
        if rows:
            self.instrument_cache.clear()
            log.info("instruments dump of %s stored: %d rows", today, rows)

    def end_of_day_report(self) -> DailyPnlRecord:
        """The day's P&L into ``daily_pnl`` and the log (rupees; ``trades`` = fills); returns the row."""
        positions = self.portfolio.positions()
        charges = sum(p.charges for p in positions)
        # A position's realised P&L is after its charges; the row keeps them apart (gross, net).
        realised = sum(p.realised for p in positions) + charges
        unrealised = sum(p.unrealised for p in positions)
        record = DailyPnlRecord(
            date=self.today(), realised=realised, unrealised=unrealised, charges=charges,
            gross=realised + unrealised, net=realised + unrealised - charges, trades=self.oms.counters.fills,
            peak=float(self.risk.peak_pnl), drawdown=float(self.risk.drawdown),
        )  # fmt: skip
        self.writer.submit("upsert_daily_pnl", record)
        log.info("end of day %s: %s; orders %s", record.date, record, self.oms.stats())
        return record


def resolve_strategy_symbols(
    strategies: StrategiesConfig, resolver: SymbolResolver, notes: list[str]
) -> StrategiesConfig:
    """``strategies`` with every symbol resolved to today's tradingsymbol (``NFO:NIFTY`` -> the
    nearest-month future, aliases applied): bars carry tradingsymbols, so routing needs them.
    An unknown symbol stays as written (it gets no bars) and is added to ``notes``."""
    instances = []
    for spec in strategies.instances:
        symbols = []
        for symbol in spec.symbols:
            exchange, name = split_symbol(symbol)
            try:
                inst = resolver.resolve(name, exchange)
            except Exception as exc:  # the runners report it too; the other symbols trade
                notes.append(f"strategy symbol {symbol} unknown: {exc}")
                symbols.append(symbol)
                continue
            symbols.append(f"{inst.exchange}:{inst.tradingsymbol}")
        instances.append(spec.model_copy(update={"symbols": symbols}))
    return strategies.model_copy(update={"instances": instances})


async def build_kernel(
    config: AlphaStockConfig,
    adapters: Adapters,
    store: Store,
    *,
    journal_path: Path,
    observers: Sequence[Observer] = (),
    jobs: Iterable[JobSpec] = (),
    exchanges: tuple[str, ...] = ("NSE", "MCX"),
    inline_writes: bool = False,
) -> Kernel:
    """Assemble the engine (see the module docstring) on ``store``, with the journal at
    ``journal_path``. Downloads the instruments dump through the market-data client (once a trading
    day) and replays the journal of an earlier run into the store. ``jobs`` are the caller's extra
    scheduled jobs; ``exchanges`` the sessions the watcher follows; ``inline_writes`` applies store
    writes on the loop instead of the writer thread (simulated runs: the same events in the same
    order every run)."""
    cfg = config
    clock = adapters.clock
    notes: list[str] = []
    bus = EventBus(queue_size=4096)
    engine = Engine(bus, clock, name=f"alphastock-{adapters.label}")
    ticks = TickStore(TICK_CAPACITY)
    calendar = MarketCalendar.from_config(cfg)
    # 1. Reference data. The cache reads the store lazily, so the client can slice orders with it
    # before the day's dump is in.
    instruments = InstrumentStore(store, cfg.instruments.freeze_quantities)
    instrument_cache = InstrumentCache(instruments)
    market_client = adapters.market_data.open_client(instrument_cache.freeze_lookup)
    await instruments.refresh(market_client, today=ist(clock.now_ns()).date())
    resolver = SymbolResolver(instruments, cfg.runners.aliases, cfg.runners.underlying_names)
    # 2. Risk and the execution client. Every broker call of the running engine is counted in one
    # place: an unreachable broker halts new orders (see alphastock.execution.broker_health).
    risk = RiskEngine(cfg.risk)
    broker_health = BrokerHealth(unreachable_after=cfg.execution.broker_unreachable_after, clock=clock)
    monitored_data = MonitoredMarketData(market_client, broker_health)
    client = adapters.execution.open_client(
        VenueContext(clock, ticks, tuple(instruments.all_instruments()), market_client)
    )
    broker = MonitoredTrading(client, broker_health)
    # 3. The feed.
    feed_component = FeedComponent(
        lambda sink: adapters.market_data.open_feed(ticks, sink, clock), bus, risk,
        ticks_meter=engine.meter("ticks"), on_order_update=adapters.execution.order_update_sink(client),
    )  # fmt: skip
    # 4. Persistence: the journal is the durability point, DuckDB follows on the writer thread.
    journal = Journal(journal_path, fsync=cfg.execution.journal_fsync)
    replayed = replay_and_rotate(journal, store)
    inserted = replayed.signals + replayed.orders + replayed.transitions + replayed.fills
    if inserted:
        notes.append(f"replayed {inserted} journal records of an earlier run into DuckDB")
    writer = StoreWriter(store, inline=inline_writes)
    # 5. Execution (with the options executor when the options runner makes chains).
    options_setup = None
    if cfg.runners.options.enabled and cfg.option_trading.enabled:
        options_setup = OptionsSetup(
            cfg.option_trading, tuple(cfg.runners.options.underlyings), resolver, store,
            forward_strikes=cfg.options.forward_strikes,
        )  # fmt: skip
    execution = build_execution(
        broker=broker, journal=journal, writer=writer, bus=bus, clock=clock, risk=risk, ticks=ticks,
        instruments=instrument_cache, config=cfg.execution, charges=FillCharges(cfg.charges),
        latency=engine.latency, health=broker_health, options=options_setup,
    )  # fmt: skip
    # 6. Strategies, runners and the rest.
    strategy_manager = StrategyManager.from_config(
        resolve_strategy_symbols(cfg.strategies, resolver, notes), instruments=instruments,
        underlying_name=resolver.underlying_name,
        # Signals on a share of these underlyings are traded through its options (asset type).
        options_underlyings=cfg.runners.options.underlyings if cfg.runners.options.enabled else (),
    )  # fmt: skip
    strategies = StrategyComponent(
        strategy_manager, execution.signals.submit, clock, bars_meter=engine.meter("bars"),
        signals_meter=engine.meter("signals"), ticks=ticks,
    )  # fmt: skip
    runners = RunnerSet.from_config(
        cfg.runners, resolver=resolver, feed=feed_component.feed, ticks=ticks, broker=monitored_data,
        publish=MarketPublisher(strategies, bus), clock=clock, calendar=calendar,
        forward_strikes=cfg.options.forward_strikes,
    )  # fmt: skip
    cash = CashSync(
        broker, risk, health=broker_health, retry_max_s=cfg.execution.broker_retry_max_s, clock=clock
    )
    session = SessionWatcher(clock, calendar, bus, exchanges=exchanges)
    scheduler = Scheduler(clock, calendar, bus)
    recorder = Recorder(store, ticks, cfg.recording)
    kernel = Kernel(
        config=cfg, adapters=adapters, store=store, bus=bus, engine=engine, ticks=ticks,
        instruments=instruments, instrument_cache=instrument_cache, resolver=resolver,
        market_client=market_client, broker_health=broker_health, monitored_data=monitored_data,
        broker=broker, risk=risk, feed_component=feed_component, journal=journal, writer=writer,
        execution=execution, strategy_manager=strategy_manager, strategies=strategies, runners=runners,
        cash=cash, session=session, scheduler=scheduler, recorder=recorder, notes=notes,
    )  # fmt: skip
    scheduler.add(instruments_refresh_job(kernel.refresh_instruments))
    scheduler.add(end_of_day_report_job(kernel.end_of_day_report))
    for job in jobs:
        scheduler.add(job)
    _subscribe(kernel, observers)
    components: list[Component] = [
        WriterComponent(writer), recorder, broker_health, execution.signals, execution.oms,
        execution.portfolio,
    ]  # fmt: skip
    if execution.options is not None:
        components.append(execution.options)
    components += [cash, feed_component, runners, strategies, session, scheduler]
    for component in components:
        engine.add(component)
    if cfg.live.gc_interval_s > 0:
        # Last: it freezes what start-up made once every other part has started.
        engine.add(ScheduledCollector(cfg.live.gc_interval_s))
    return kernel


def _subscribe(kernel: Kernel, observers: Sequence[Observer]) -> None:
    """The bus subscriptions, in the documented order (module docstring)."""
    bus = kernel.bus
    ticks = (EventType.TICK_BATCH, EventType.FEED_STATUS)
    bus.subscribe(ticks, kernel.runners.handle_async, priority=Priority.HIGH, name="runners",
                  conflate=conflate_tick_batches)  # fmt: skip
    bus.subscribe(EventType.TICK_BATCH, kernel.exits.on_event, priority=Priority.HIGH, name="exits",
                  conflate=conflate_tick_batches)  # fmt: skip
    execution = kernel.execution
    if execution.options is not None and execution.chains is not None:
        # The chain book before the strategies: a signal made from a chain finds that chain.
        bus.subscribe(EventType.CHAIN, execution.chains.on_event, priority=Priority.HIGH, name="chains")
        bus.subscribe(EventType.TICK_BATCH, execution.options.on_event, priority=Priority.HIGH,
                      name="options-executor", conflate=conflate_tick_batches)  # fmt: skip
    # Not BAR: bars reach the strategies on the runners' call (MarketPublisher). Delivering them
    # from the bus as well would feed every bar to every strategy twice.
    bus.subscribe((EventType.CHAIN, EventType.FILL), kernel.strategies.handle, name="strategies")
    if kernel.strategies.wants_ticks:  # only when a strategy defines on_tick: off the bar path
        bus.subscribe(EventType.TICK_BATCH, kernel.strategies.on_tick_batch, name="strategy-ticks",
                      conflate=conflate_tick_batches)  # fmt: skip
    bus.subscribe(EventType.TICK_BATCH, kernel.portfolio.on_event, priority=Priority.LOW, name="marks",
                  conflate=conflate_tick_batches)  # fmt: skip
    # A fill changes the margin in use: the cash view is read from the broker again.
    bus.subscribe(EventType.FILL, kernel.cash.on_fill, priority=Priority.LOW, name="cash-sync")
    for observer in observers:
        bus.subscribe(observer.types, observer.handler, priority=Priority.LOW, name=observer.name)
    kernel.recorder.subscribe(bus, priority=Priority.LOW)  # last: recording waits for everyone


__all__ = ["TICK_CAPACITY", "Kernel", "Observer", "build_kernel", "resolve_strategy_symbols"]
