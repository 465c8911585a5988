"""The trading application: every part of the engine built from configuration and wired on one loop.

Data: KiteFeed → TickStore (Rust) → TICK_BATCH → runners (bars, derived data) →
BAR/CHAIN → strategies → signals → SignalManager (journal, then DuckDB) →
DirectExecutor (sizing, RiskEngine.check) → OMS → broker. Order updates come
back through the feed (Kite's WebSocket order messages) or the PaperBroker's
stream and become ORDER_*/FILL/POSITION_* events. Live, paper and simulator
runs differ only in the clock, the feed's address and the broker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import math
import time
from pathlib import Path
from typing import Any

from alphastock import __version__
from alphastock.brokers.base import Broker
from alphastock.brokers.kite import KiteBroker
from alphastock.brokers.kite.instruments import InstrumentCache, InstrumentStore
from alphastock.brokers.paper import PaperBroker
from alphastock.brokers.paper.market import TickStoreMarket
from alphastock.bus import EventBus, conflate_tick_batches
from alphastock.calendar import MarketCalendar
from alphastock.clock import Clock, LiveClock, ScaledClock
from alphastock.collector import ScheduledCollector
from alphastock.config import AlphaStockConfig, as_plain_data
from alphastock.engine import Engine
from alphastock.events import Event, EventType, OrderSnapshot, Priority, SessionPhaseChange
from alphastock.execution.broker_health import BrokerHealth, MonitoredBroker
from alphastock.execution.charging import FillCharges
from alphastock.execution.direct import DirectExecutor
from alphastock.execution.exits import ExitMonitor
from alphastock.execution.oms import OMS
from alphastock.execution.portfolio import Portfolio
from alphastock.execution.squareoff import OUR_TAG, OpenPosition, SquareOffResult, square_off
from alphastock.feeds.kite_ws import KiteFeed
from alphastock.live.components import (
    CashSync,
    FeedComponent,
    StrategyComponent,
    WriterComponent,
    history_bars,
)
from alphastock.live.connect import Connection
from alphastock.live.reconcile import reconcile, resolve_stored_unknown
from alphastock.live.recorder import Recorder
from alphastock.live.safety import RunMode
from alphastock.live.snapshot import LiveSnapshot, OrderRow, PositionRow, RecentSignals
from alphastock.live.summary import Reconciliation, SessionSummary, exit_code
from alphastock.models import IST
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter, replay_and_rotate
from alphastock.risk import RiskEngine, TradingState
from alphastock.runners.resolver import SymbolResolver
from alphastock.runners.runnerset import RunnerSet
from alphastock.scheduler import (
    Scheduler,
    end_of_day_report_job,
    instruments_refresh_job,
    token_expiry_warning_job,
)
from alphastock.session import SessionWatcher
from alphastock.signals.manager import SignalManager
from alphastock.store import Store
from alphastock.store.records import DailyPnlRecord
from alphastock.strategies.config import StrategiesConfig
from alphastock.strategies.manager import StrategyManager, split_symbol
from alphastock.ticks import TickStore

log = logging.getLogger(__name__)

TICK_CAPACITY = 4096
"""Ticks kept per instrument in the TickStore ring."""


def _us(value: float) -> str:
    """``1,234us``, or ``-`` before the first order (NaN)."""
    return "-" if math.isnan(value) else f"{value:,.0f}us"


class TradingApp:
    """One run of the engine (see the module docstring). Build with :meth:`build`, then :meth:`start`."""

    def __init__(
        self,
        config: AlphaStockConfig,
        conn: Connection,
        store: Store,
        *,
        data_dir: Path,
        session_id: str,
    ) -> None:
        self.config = config
        self.conn = conn
        self.mode = conn.mode
        self.store = store
        self.data_dir = data_dir
        self.session_id = session_id
        self.journal_path = data_dir / "journal" / "journal.jsonl"
        self.started_wall = time.monotonic()
        self.first_clock_ns = 0
        self.recent_signals = RecentSignals(config.live.view_rows)
        """The newest signals, one per signal in its latest status (the view's "recent signals")."""
        self.recent_orders: dict[str, OrderSnapshot] = {}
        self.fills = 0
        self.risk_rejections = 0
        self.session_phase = "?"
        self.notes: list[str] = []

    # ------------------------------------------------------------------------------------ building

    def _clock(self) -> Clock:
        if self.conn.sim is not None:
            sim = self.conn.sim
            return ScaledClock(sim.clock_origin_wall_ns, sim.clock_origin_sim_ns, sim.speed)
        return LiveClock()

    async def build(self) -> None:
        """Create every part; downloads the instruments dump (once a trading day), replays the journal."""
        cfg = self.config
        self.clock = self._clock()
        self.first_clock_ns = self.clock.now_ns()
        self.calendar = MarketCalendar.from_config(cfg)
        self.bus = EventBus(queue_size=4096)
        self.engine = Engine(self.bus, self.clock, name=f"alphastock-{self.mode.value}")
        self.ticks = TickStore(TICK_CAPACITY)
        token = self.conn.access_token.reveal()
        self.data_broker = KiteBroker(self.conn.api_key, token, root=self.conn.rest_root)
        self.instruments = InstrumentStore(self.store, cfg.instruments.freeze_quantities)
        today = dt.datetime.fromtimestamp(self.first_clock_ns / 1e9, IST).date()
        await self.instruments.refresh(self.data_broker, today=today)
        self.instrument_cache = InstrumentCache(self.instruments)
        self.data_broker.freeze_lookup = self.instrument_cache.freeze_lookup
        self.resolver = SymbolResolver(self.instruments, cfg.runners.aliases, cfg.runners.underlying_names)
        self.risk = RiskEngine(cfg.risk)
        # Every broker call of the running engine is counted in one place: an unreachable broker
        # halts new orders (see alphastock.execution.broker_health).
        self.broker_health = BrokerHealth(
            unreachable_after=cfg.execution.broker_unreachable_after, clock=self.clock
        )
        self.monitored_data: Any = MonitoredBroker(self.data_broker, self.broker_health)
        self.broker: Broker = self.monitored_data
        if self.mode is RunMode.PAPER:
            self.broker = PaperBroker(
                TickStoreMarket(self.ticks), cfg.paper_settings(), clock=self.clock.now_ns,
                instruments=self.instruments.all_instruments(),
            )  # fmt: skip
        self.feed = KiteFeed(
            self.conn.api_key, token, self.ticks, url=self.conn.ws_url, time_ns=self.clock.now_ns,
        )  # fmt: skip
        on_update = self.data_broker.publish_order_update if self.broker is self.monitored_data else None
        self.feed_component = FeedComponent(
            self.feed, self.bus, self.risk, ticks_meter=self.engine.meter("ticks"), on_order_update=on_update
        )
        # Persistence: the journal is the durability point, DuckDB follows on the writer thread.
        self.journal = Journal(self.journal_path, fsync=cfg.execution.journal_fsync)
        replayed = replay_and_rotate(self.journal, self.store)
        inserted = replayed.signals + replayed.orders + replayed.transitions + replayed.fills
        if inserted:
            self.notes.append(f"replayed {inserted} journal records of an earlier run into DuckDB")
        self.writer = StoreWriter(self.store)
        self.signals = SignalManager(
            self.journal, self.writer, self.bus, self.clock, signal_ttl_s=cfg.execution.signal_ttl_s
        )
        await self._resolve_earlier_unknown()
        self.oms = OMS(
            self.broker, self.journal, self.writer, self.bus, self.clock,
            reconcile_interval_s=cfg.execution.reconcile_interval_s, recorder=self.engine.latency,
            charges=FillCharges(cfg.charges), unknown_timeout_s=cfg.execution.unknown_timeout_s,
            health=self.broker_health, retry_max_s=cfg.execution.broker_retry_max_s,
        )  # fmt: skip
        self.portfolio = Portfolio(
            self.bus, writer=self.writer, risk=self.risk, ticks=self.ticks, clock=self.clock
        )
        # Positions first, then exits: the exit monitor reads the position a fill just changed.
        self.oms.add_fill_listener(self.portfolio.on_fill)
        self.executor = DirectExecutor(
            self.signals,
            self.oms,
            self.risk,
            self.portfolio,
            self.instrument_cache,
            cfg.execution,
            ticks=self.ticks,
        )
        self.exits = ExitMonitor(
            self.executor, self.ticks, enabled=cfg.execution.exits_enabled, shutdown=cfg.execution.shutdown
        )
        self.runners = RunnerSet.from_config(
            cfg.runners, resolver=self.resolver, feed=self.feed, ticks=self.ticks, broker=self.monitored_data,
            publish=self._publish_market, clock=self.clock, calendar=self.calendar,
            forward_strikes=cfg.options.forward_strikes,
        )  # fmt: skip
        self.strategy_manager = StrategyManager.from_config(
            self._resolved_strategies(), instruments=self.instruments,
            underlying_name=self.resolver.underlying_name,
        )  # fmt: skip
        self.strategies = StrategyComponent(
            self.strategy_manager, self.signals.submit, self.clock,
            bars_meter=self.engine.meter("bars"), signals_meter=self.engine.meter("signals"),
            ticks=self.ticks,
        )  # fmt: skip
        self.cash = CashSync(
            self.broker, self.risk, health=self.broker_health, retry_max_s=cfg.execution.broker_retry_max_s,
            clock=self.clock,
        )  # fmt: skip
        self.session = SessionWatcher(self.clock, self.calendar, self.bus, exchanges=("NSE", "MCX"))
        self.scheduler = Scheduler(self.clock, self.calendar, self.bus)
        self.scheduler.add(instruments_refresh_job(self._refresh_instruments))
        self.scheduler.add(end_of_day_report_job(self._end_of_day_report))
        if self.mode is not RunMode.SIM:
            self.scheduler.add(token_expiry_warning_job(self._token_expiry_ns, self._warn_token))
        # Ticks and closed bars into DuckDB (recording.*), after every trading subscriber.
        self.recorder = Recorder(self.store, self.ticks, cfg.recording)
        self._subscribe()
        for component in (
            WriterComponent(self.writer), self.recorder, self.broker_health, self.signals, self.oms,
            self.portfolio, self.cash, self.feed_component, self.runners, self.strategies, self.session,
            self.scheduler,
        ):  # fmt: skip
            self.engine.add(component)
        if cfg.live.gc_interval_s > 0:
            # Last: it freezes what start-up made once every other part has started.
            self.engine.add(ScheduledCollector(cfg.live.gc_interval_s))

    def _resolved_strategies(self) -> StrategiesConfig:
        """``strategies`` with every symbol resolved to today's tradingsymbol (``NFO:NIFTY`` -> the
        nearest-month future, aliases applied): bars carry tradingsymbols, so routing needs them.
        An unknown symbol stays as written (it gets no bars) and is noted."""
        instances = []
        for spec in self.config.strategies.instances:
            symbols = []
            for symbol in spec.symbols:
                exchange, name = split_symbol(symbol)
                try:
                    inst = self.resolver.resolve(name, exchange)
                except Exception as exc:  # the runners report it too; the other symbols trade
                    self.notes.append(f"strategy symbol {symbol} unknown: {exc}")
                    symbols.append(symbol)
                    continue
                symbols.append(f"{inst.exchange}:{inst.tradingsymbol}")
            instances.append(spec.model_copy(update={"symbols": symbols}))
        return self.config.strategies.model_copy(update={"instances": instances})

    def _subscribe(self) -> None:
        bus = self.bus
        ticks = (EventType.TICK_BATCH, EventType.FEED_STATUS)
        bus.subscribe(ticks, self.runners.handle_async, priority=Priority.HIGH, name="runners",
                      conflate=conflate_tick_batches)  # fmt: skip
        bus.subscribe(EventType.TICK_BATCH, self.exits.on_event, priority=Priority.HIGH, name="exits",
                      conflate=conflate_tick_batches)  # fmt: skip
        # Not BAR: bars reach the strategies on the runners' call (_publish_market). Delivering
        # them from the bus as well would feed every bar to every strategy twice.
        bus.subscribe((EventType.CHAIN, EventType.FILL), self.strategies.handle, name="strategies")
        if self.strategies.wants_ticks:  # only when a strategy defines on_tick: off the bar path
            bus.subscribe(EventType.TICK_BATCH, self.strategies.on_tick_batch, name="strategy-ticks",
                          conflate=conflate_tick_batches)  # fmt: skip
        bus.subscribe(EventType.TICK_BATCH, self.portfolio.on_event, priority=Priority.LOW, name="marks",
                      conflate=conflate_tick_batches)  # fmt: skip
        watched = (
            EventType.SIGNAL_GENERATED, EventType.SIGNAL_UPDATED, EventType.ORDER_SUBMITTED,
            EventType.ORDER_ACCEPTED, EventType.ORDER_UPDATED, EventType.ORDER_FILLED,
            EventType.ORDER_CANCELLED, EventType.ORDER_REJECTED, EventType.FILL, EventType.RISK_REJECTED,
            EventType.SESSION,
        )  # fmt: skip
        bus.subscribe(watched, self._observe, priority=Priority.LOW, name="view")
        self.recorder.subscribe(bus, priority=Priority.LOW)  # last: recording waits for everyone

    def _publish_market(self, event: Event[Any]) -> bool:
        """What the runners publish. A closed bar goes to the strategies at once, on this call: a bus
        hop would queue it behind the rest of the batch's work, the largest part of tick-to-order
        latency. Everything is published on the bus as well, for every other subscriber.

        The strategies (and so the signal, and the order it makes) come first: the bus's BAR
        subscribers are views and recorders, which can wait a few µs; the order cannot."""
        if event.type is not EventType.BAR:
            return self.bus.publish_nowait(event)
        try:
            self.strategies.on_bar(event.payload)
        finally:
            published = self.bus.publish_nowait(event)  # even if the strategy component raised
        return published

    def _observe(self, event: Event[Any]) -> None:
        payload = event.payload
        if event.type in (EventType.SIGNAL_GENERATED, EventType.SIGNAL_UPDATED):
            self.recent_signals.update(payload)
        elif isinstance(payload, OrderSnapshot):
            self.recent_orders[payload.key] = payload
            if len(self.recent_orders) > 200:
                self.recent_orders.pop(next(iter(self.recent_orders)))
        elif event.type is EventType.FILL:
            self.fills += 1
        elif event.type is EventType.RISK_REJECTED:
            self.risk_rejections += 1
        elif isinstance(payload, SessionPhaseChange) and payload.exchange == "NSE":
            self.session_phase = payload.phase.value

    # ------------------------------------------------------------------------------------ running

    async def start(self) -> None:
        """Start the engine, warm the strategies up on history, sync cash with the broker."""
        await self.engine.start()
        traded = self._strategy_tokens()
        # What the strategies trade must tick even when no runner follows it (a stock future, say).
        await self.runners.hub.subscribe("strategies", sorted(traded), "full")
        self.runners.bars.restrict(traded)
        self.feed_component.watch_for_risk(traded)
        try:
            bars = await history_bars(
                self.data_broker,
                self.resolver,
                sorted(self.strategy_manager.subscriptions()),
                self.clock.now_ns(),
            )
            fed = self.strategies.warm_up(bars)
            log.info("strategies warmed up on %d historical bars", fed)
        except Exception:  # warm-up is an optimisation; live bars still come
            log.exception("strategy warm-up failed")

    def _strategy_tokens(self) -> set[int]:
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

    def _token_expiry_ns(self) -> int | None:
        from alphastock.auth.session import next_expiry

        return int(next_expiry(dt.datetime.now(IST)).timestamp() * 1e9)

    def _warn_token(self, expires_at_ns: int, seconds_left: float) -> None:
        note = f"Kite token expires in {seconds_left / 60:.0f} min: run `alphastock login` before 06:00 IST"
        self.notes.append(note)
        log.warning(note)

    async def _refresh_instruments(self) -> None:
        """The day's instruments dump (before the open): lot sizes, expiries and strikes change."""
        today = dt.datetime.fromtimestamp(self.clock.now_ns() / 1e9, IST).date()
        rows = await self.instruments.refresh(self.data_broker, today=today)
        if rows:
            self.instrument_cache.clear()
            log.info("instruments dump of %s stored: %d rows", today, rows)

    def _end_of_day_report(self) -> None:
        """The day's P&L into ``daily_pnl`` and the log (rupees; ``trades`` = fills)."""
        positions = self.portfolio.positions()
        charges = sum(p.charges for p in positions)
        # A position's realised P&L is after its charges; the row keeps them apart (gross, net).
        realised = sum(p.realised for p in positions) + charges
        unrealised = sum(p.unrealised for p in positions)
        day = dt.datetime.fromtimestamp(self.clock.now_ns() / 1e9, IST).date()
        record = DailyPnlRecord(
            date=day, realised=realised, unrealised=unrealised, charges=charges,
            gross=realised + unrealised, net=realised + unrealised - charges, trades=self.fills,
            peak=float(self.risk.peak_pnl), drawdown=float(self.risk.drawdown),
        )  # fmt: skip
        self.writer.submit("upsert_daily_pnl", record)
        log.info("end of day %s: %s; orders %s", day, record, self.oms.stats())

    # ------------------------------------------------------------------------------------ views

    def snapshot(self) -> LiveSnapshot:
        """The engine now, for the live view (built on the loop)."""
        status = self.engine.status()
        latency = status.latency.get("tick_to_submit", {})
        positions = tuple(
            PositionRow(
                p.symbol, p.product, p.quantity, p.average_price, p.last_price, p.realised, p.unrealised
            )
            for p in self.portfolio.positions()
        )
        signals = self.recent_signals.rows()
        orders = tuple(
            OrderRow(
                o.ts_ns,
                o.key,
                o.symbol,
                o.side,
                o.quantity,
                o.filled_quantity,
                o.average_price,
                o.state,
                o.message,
            )
            for o in list(reversed(self.recent_orders.values()))[: self.config.live.view_rows]
        )
        realised = sum(p.realised for p in positions)
        unrealised = sum(p.unrealised for p in positions)
        errors = sum(status.errors.values())
        notes = tuple(self.notes[-3:]) + tuple(
            f"{name}: {h.state} {h.detail}"
            for name, h in status.components.items()
            if h.state in ("degraded", "failed")
        )
        return LiveSnapshot(
            mode=self.mode.value, clock_ns=self.clock.now_ns(), uptime_s=status.uptime_s,
            feed=self.feed_component.state, ticks_per_s=status.rates.get("ticks", 0.0),
            ticks_total=self.feed_component.ticks_total, session_phase=self.session_phase,
            risk_state=str(self.risk.state), risk_reason=str(self.risk.state_reason or ""),
            day_pnl=float(self.risk.day_pnl), realised=realised, unrealised=unrealised,
            drawdown=float(self.risk.drawdown), orders_today=len(self.oms.orders()),
            signals_total=self.signals.counters.submitted, fills_total=self.fills,
            rejections=self.risk_rejections, errors=errors,
            latency_p50_us=latency.get("p50", math.nan), latency_p99_us=latency.get("p99", math.nan),
            positions=positions, signals=signals, orders=orders, notes=notes,
        )  # fmt: skip

    def status_line(self) -> str:
        """One line for headless runs."""
        snap = self.snapshot()
        return (
            f"{dt.datetime.fromtimestamp(snap.clock_ns / 1e9, IST):%H:%M:%S} IST feed={snap.feed} "
            f"ticks={snap.ticks_total} ({snap.ticks_per_s:,.0f}/s) signals={snap.signals_total} "
            f"orders={snap.orders_today} fills={snap.fills_total} positions={len(snap.positions)} "
            f"pnl={snap.day_pnl:,.2f} risk={snap.risk_state} "
            f"tick->submit p50={_us(snap.latency_p50_us)} p99={_us(snap.latency_p99_us)}"
        ) + ("" if self.broker_health.reachable else " broker=UNREACHABLE (new orders halted)")

    # ------------------------------------------------------------------------------------ stopping

    async def shutdown(self, reason: str) -> SessionSummary:
        """Stop new orders; with ``execution.shutdown: square_off_mis`` flatten MIS positions at the broker
        until flat or ``live.square_off_deadline_s`` (see :func:`~alphastock.execution.squareoff.square_off`);
        a final order-book read by tag for UNKNOWN orders; reconcile with the broker's book; stop
        everything. The summary's open positions are the broker's, read at the very end."""
        cfg = self.config
        self.strategies.trading = False
        self.exits.enabled = False  # no stop-loss exit may race the square-off
        shutdown_note = f"{reason}; new orders stopped"
        square: SquareOffResult | None = None
        if cfg.execution.shutdown == "square_off_mis":
            square = await square_off(
                self.executor, ("MIS",), deadline_s=cfg.live.square_off_deadline_s,
                round_wait_s=cfg.live.square_off_wait_s,
            )  # fmt: skip
            shutdown_note += f"; {square.describe()}"
            unknown_s = cfg.execution.unknown_timeout_s
            if not square.flat and cfg.live.square_off_deadline_s <= unknown_s and self.oms.unresolved():
                self.notes.append(
                    f"live.square_off_deadline_s ({cfg.live.square_off_deadline_s:g} s) is not above "
                    f"execution.unknown_timeout_s ({unknown_s:g} s): an ambiguous square-off could not be "
                    "resolved (and so not re-sent) in time"
                )
        else:
            shutdown_note += "; positions held"
        # Each broker call below is bounded: a broker that went away must not hold the shutdown.
        step_s = cfg.live.shutdown_timeout_s / 4
        await self._wait_for_orders(step_s)
        with contextlib.suppress(Exception):  # the final order-book read by tag (UNKNOWN orders)
            await asyncio.wait_for(self.oms.reconcile(), step_s)
        for order in self.oms.unresolved():  # the store says so too, until the next start resolves it
            self.writer.submit(
                "transition_order", order.key, order.state.value, self.clock.now_ns(),
                status_message=f"still UNKNOWN at the end of session {self.session_id} (not in the broker's "
                f"order book at its final read): resolved by tag at the next start; was: {order.message}",
            )  # fmt: skip
        await self.writer.aflush(cfg.live.shutdown_timeout_s)
        try:
            reconciliation, positions = await asyncio.wait_for(self._reconcile_with_broker(), 2 * step_s)
        except TimeoutError:
            self.notes.append(f"broker book not read within {2 * step_s:g} s at the end")
            reconciliation, positions = None, None
        await self.engine.stop()
        stop_errors = dict(self.engine.stop_errors)
        self.store.end_session(self.session_id, time.time_ns())
        summary = self._summary(shutdown_note, reconciliation, stop_errors, positions)
        self.store.audit(time.time_ns(), "alphastock live", "session_summary", summary.as_dict())
        return summary

    async def _wait_for_orders(self, timeout_s: float) -> None:
        """Orders still working (UNKNOWN ones excepted: only the book can settle them) and the fills of
        the last ones, at most ``timeout_s`` wall seconds."""
        deadline = time.monotonic() + timeout_s
        while any(o.state.value != "UNKNOWN" for o in self.oms.open_orders()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        # Fills of the last orders arrive through updates and trade lookups.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.oms.idle(), max(0.0, deadline - time.monotonic()) + 1.0)

    async def _resolve_earlier_unknown(self) -> None:
        """Orders an earlier session left UNKNOWN in the store, looked up by tag in the broker's book
        (see :func:`~alphastock.live.reconcile.resolve_stored_unknown`); each change is recorded with
        its reason and named in the notes."""
        rows = self.store.orders(state="UNKNOWN").to_pylist()
        if not rows:
            return
        try:
            book = await self.broker.orders()
        except Exception as exc:
            self.notes.append(
                f"{len(rows)} orders of earlier sessions still UNKNOWN: the broker's book could not be read "
                f"({exc})"
            )
            return
        today = dt.datetime.fromtimestamp(self.clock.now_ns() / 1e9, IST).date()
        resolved = resolve_stored_unknown(
            rows, book, today=today, session_id=self.session_id, simulator=self.mode is RunMode.SIM
        )
        now = self.clock.now_ns()
        for item in resolved:
            self.store.transition_order(
                item.key, item.state, now, broker_order_id=item.broker_order_id,
                filled_quantity=item.filled_quantity, average_price=item.average_price,
                status_message=item.message, payload={"resolved_at_start": self.session_id},
            )  # fmt: skip
            log.warning("order %s of an earlier session: %s (%s)", item.key, item.state, item.message)
        if resolved:
            states = collections.Counter(item.state for item in resolved)
            self.notes.append(
                f"{len(resolved)} UNKNOWN orders of earlier sessions resolved at start: "
                + ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
            )
        still = len(rows) - sum(1 for item in resolved if item.state != "UNKNOWN")
        if still:
            self.notes.append(
                f"{still} orders of earlier trading days stay UNKNOWN (today's order book does not list "
                "them): check those days' contract notes"
            )

    async def _reconcile_with_broker(self) -> tuple[Reconciliation | None, tuple[OpenPosition, ...] | None]:
        """Our book against the broker's, and every position open at the broker (None: not read)."""
        try:
            broker_orders = await self.broker.orders()
            broker_trades = await self.broker.trades()
            book = await self.broker.positions()
        except Exception as exc:
            self.notes.append(f"broker book unavailable at the end: {exc}")
            return None, None
        # This session's orders and fills only: the store keeps every session's, and a broker may
        # number orders and trades from the same start again (the simulator does, every run).
        keys = [order.key for order in self.oms.orders()]
        orders = self.store.orders(keys=keys).to_pylist()
        fills = self.store.fills(order_key=keys).to_pylist()
        result = reconcile(orders, fills, broker_orders, broker_trades, book.net)
        self.store.audit(
            time.time_ns(), "alphastock live", "broker_book",
            {
                "orders": [o.model_dump(mode="json") for o in broker_orders],
                "trades": [t.model_dump(mode="json") for t in broker_trades],
                "positions": [p.model_dump(mode="json") for p in book.net],
                "differences": list(result.differences),
            },
        )  # fmt: skip
        ours = {(o.request.exchange.value, o.symbol, o.request.product.value) for o in self.oms.orders()}
        ours |= {
            (str(o.exchange), o.tradingsymbol, str(o.product))
            for o in broker_orders
            if o.tag and OUR_TAG.match(o.tag)
        }
        positions = tuple(
            OpenPosition.of(p, (str(p.exchange), p.tradingsymbol, str(p.product)) in ours)
            for p in book.net
            if p.quantity
        )
        return result, positions

    def _summary(
        self,
        shutdown: str,
        reconciliation: Reconciliation | None,
        stop_errors: dict[str, str],
        broker_positions: tuple[OpenPosition, ...] | None = None,
    ) -> SessionSummary:
        # This session's figures: the store holds every session's rows.
        by_strategy = dict(self.signals.by_strategy)
        orders = self.oms.orders()
        by_state = dict(collections.Counter(order.state.value for order in orders))
        fills = self.store.fills(order_key=[order.key for order in orders]).num_rows
        positions = self.portfolio.positions()
        status = self.engine.status()
        notes = tuple(self.notes) + tuple(f"stop error {k}: {v}" for k, v in stop_errors.items())
        flatten = ("MIS",) if self.config.execution.shutdown == "square_off_mis" else ()
        left_open = tuple(str(p) for p in broker_positions or () if p.ours and p.product in flatten)
        unresolved = tuple(
            f"{o.key} {o.request.transaction_type.value} {o.symbol} {o.request.quantity} "
            f"{o.request.product.value} ({o.message or 'outcome unknown'})"
            for o in self.oms.unresolved()
        )
        reachable = broker_positions is not None and self.broker_health.reachable
        return SessionSummary(
            mode=self.mode.value, wall_s=time.monotonic() - self.started_wall,
            simulated_from_ns=self.first_clock_ns, simulated_to_ns=self.clock.now_ns(),
            ticks=self.feed_component.ticks_total, bars=self.strategies.bars,
            signals=sum(by_strategy.values()), signals_by_strategy=by_strategy,
            orders=sum(by_state.values()), orders_by_state=by_state, fills=fills,
            open_positions=sum(1 for p in positions if p.quantity),
            realised=sum(p.realised for p in positions), unrealised=sum(p.unrealised for p in positions),
            charges=sum(p.charges for p in positions),
            risk_state=str(self.risk.state), risk_rejections=self.risk_rejections,
            errors=sum(status.errors.values()), latency=status.latency,
            strategy_hooks=self.strategy_manager.hook_latency_us(),
            database=str(self.store.path), log_file="", journal=str(self.journal_path),
            reconciliation=reconciliation, shutdown=shutdown, notes=notes,
            broker_positions=None if broker_positions is None else tuple(str(p) for p in broker_positions),
            left_open=left_open, unresolved_orders=unresolved, broker_reachable=reachable,
            exit_code=exit_code(
                broker_positions=broker_positions, left_open=left_open, broker_reachable=reachable
            ),
        )  # fmt: skip

    def session_config(self) -> dict[str, Any]:
        """The configuration stored with the session row (JSON: infinities as strings)."""

        def finite(value: Any) -> Any:
            if isinstance(value, float) and not math.isfinite(value):
                return str(value)
            if isinstance(value, dict):
                return {k: finite(v) for k, v in value.items()}
            if isinstance(value, list):
                return [finite(v) for v in value]
            return value

        plain: dict[str, Any] = finite(as_plain_data(self.config))
        return plain

    @property
    def version(self) -> str:
        """This AlphaStock's version."""
        return __version__

    def halt(self, reason: str) -> None:
        """Kill switch: the risk engine rejects every new order from now on."""
        self.risk.set_state(TradingState.HALTED, reason, self.clock.now_ns())


__all__ = ["TradingApp"]
