"""The live shell around the engine: ``alphastock live``'s view, summary, signals and shutdown.

The engine itself is assembled by :func:`alphastock.kernel.build_kernel` from the configuration
and three adapters; :meth:`TradingApp.adapters` picks them by mode — the embedded simulator and a
real account: Kite market data and Kite execution (a :class:`~alphastock.clock.ScaledClock` on the
simulator's time, else the wall clock); paper: Kite market data and the PaperBroker. What this
module adds is what only a person watching a live session needs: the view's counters, the token
expiry warning, orders an earlier session left UNKNOWN, the shutdown (square-off, final
reconciliation with the broker's book) and the session summary.
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
from alphastock.clock import Clock, LiveClock, ScaledClock
from alphastock.config import AlphaStockConfig, as_plain_data
from alphastock.events import Event, EventType, OrderSnapshot, SessionPhaseChange
from alphastock.execution.squareoff import OUR_TAG, OpenPosition, SquareOffResult, square_off
from alphastock.kernel import (
    Kernel,
    KiteExecution,
    KiteMarketData,
    Observer,
    PaperExecution,
    build_kernel,
)
from alphastock.live.connect import Connection
from alphastock.live.reconcile import reconcile, resolve_stored_unknown
from alphastock.live.safety import RunMode
from alphastock.live.snapshot import (
    LiveSnapshot,
    OrderRow,
    PositionRow,
    RecentSignals,
    kernel_option_positions,
)
from alphastock.live.summary import Reconciliation, SessionSummary, exit_code
from alphastock.models import IST
from alphastock.ports import Adapters, ExecutionVenue
from alphastock.risk import TradingState
from alphastock.scheduler import token_expiry_warning_job
from alphastock.store import Store

log = logging.getLogger(__name__)

_WATCHED = (
    EventType.SIGNAL_GENERATED, EventType.SIGNAL_UPDATED, EventType.ORDER_SUBMITTED,
    EventType.ORDER_ACCEPTED, EventType.ORDER_UPDATED, EventType.ORDER_FILLED,
    EventType.ORDER_CANCELLED, EventType.ORDER_REJECTED, EventType.FILL, EventType.RISK_REJECTED,
    EventType.SESSION,
)  # fmt: skip
"""What the view counts (:meth:`TradingApp._observe`)."""


def _us(value: float) -> str:
    """``1,234us``, or ``-`` before the first order (NaN)."""
    return "-" if math.isnan(value) else f"{value:,.0f}us"


class TradingApp:
    """One live session (see the module docstring). Build with :meth:`build`, then :meth:`start`."""

    kernel: Kernel
    clock: Clock

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

    def adapters(self) -> Adapters:
        """What this mode differs in: the clock, the market data and the execution venue."""
        conn = self.conn
        if conn.sim is not None:
            sim = conn.sim
            clock: Clock = ScaledClock(sim.clock_origin_wall_ns, sim.clock_origin_sim_ns, sim.speed)
        else:
            clock = LiveClock()
        market = KiteMarketData(conn.api_key, conn.access_token, rest_root=conn.rest_root, ws_url=conn.ws_url)
        venue: ExecutionVenue = (
            PaperExecution(self.config.paper_settings()) if self.mode is RunMode.PAPER else KiteExecution()
        )
        return Adapters(clock, market, venue, label=self.mode.value)

    async def build(self) -> None:
        """Assemble the engine (:func:`~alphastock.kernel.build_kernel`: downloads the instruments dump
        once a trading day, replays the journal), then settle orders earlier sessions left UNKNOWN."""
        jobs = (
            ()
            if self.mode is RunMode.SIM
            else (token_expiry_warning_job(self._token_expiry_ns, self._warn_token),)
        )
        view = Observer(_WATCHED, self._observe, "view")
        self.kernel = await build_kernel(
            self.config,
            self.adapters(),
            self.store,
            journal_path=self.journal_path,
            observers=(view,),
            jobs=jobs,
        )
        self.clock = self.kernel.clock
        self.first_clock_ns = self.clock.now_ns()
        self.notes.extend(self.kernel.notes)
        await self._resolve_earlier_unknown()

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
        await self.kernel.start()

    def _token_expiry_ns(self) -> int | None:
        from alphastock.auth.session import next_expiry

        return int(next_expiry(dt.datetime.now(IST)).timestamp() * 1e9)

    def _warn_token(self, expires_at_ns: int, seconds_left: float) -> None:
        note = f"Kite token expires in {seconds_left / 60:.0f} min: run `alphastock login` before 06:00 IST"
        self.notes.append(note)
        log.warning(note)

    # ------------------------------------------------------------------------------------ views

    def snapshot(self) -> LiveSnapshot:
        """The engine now, for the live view (built on the loop)."""
        status = self.kernel.engine.status()
        latency = status.latency.get("tick_to_submit", {})
        positions = tuple(
            PositionRow(
                p.symbol, p.product, p.quantity, p.average_price, p.last_price, p.realised, p.unrealised
            )
            for p in self.kernel.portfolio.positions()
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
            feed=self.kernel.feed_component.state, ticks_per_s=status.rates.get("ticks", 0.0),
            ticks_total=self.kernel.feed_component.ticks_total, session_phase=self.session_phase,
            risk_state=str(self.kernel.risk.state), risk_reason=str(self.kernel.risk.state_reason or ""),
            day_pnl=float(self.kernel.risk.day_pnl), realised=realised, unrealised=unrealised,
            drawdown=float(self.kernel.risk.drawdown), orders_today=len(self.kernel.oms.orders()),
            signals_total=self.kernel.signals.counters.submitted, fills_total=self.fills,
            rejections=self.risk_rejections, errors=errors,
            latency_p50_us=latency.get("p50", math.nan), latency_p99_us=latency.get("p99", math.nan),
            positions=positions, signals=signals, orders=orders, notes=notes,
            option_positions=kernel_option_positions(self.kernel),
        )  # fmt: skip

    def status_line(self) -> str:
        """One line for headless runs."""
        snap = self.snapshot()
        return (
            f"{dt.datetime.fromtimestamp(snap.clock_ns / 1e9, IST):%H:%M:%S} IST feed={snap.feed} "
            f"ticks={snap.ticks_total} ({snap.ticks_per_s:,.0f}/s) signals={snap.signals_total} "
            f"orders={snap.orders_today} fills={snap.fills_total} positions={len(snap.positions)} "
            f"option_trades={len(snap.option_positions)} "
            f"pnl={snap.day_pnl:,.2f} risk={snap.risk_state} "
            f"tick->submit p50={_us(snap.latency_p50_us)} p99={_us(snap.latency_p99_us)}"
        ) + ("" if self.kernel.broker_health.reachable else " broker=UNREACHABLE (new orders halted)")

    # ------------------------------------------------------------------------------------ stopping

    async def shutdown(self, reason: str) -> SessionSummary:
        """Stop new orders; with ``execution.shutdown: square_off_mis`` flatten MIS positions at the broker
        until flat or ``live.square_off_deadline_s`` (see :func:`~alphastock.execution.squareoff.square_off`);
        a final order-book read by tag for UNKNOWN orders; reconcile with the broker's book; stop
        everything. The summary's open positions are the broker's, read at the very end."""
        cfg = self.config
        self.kernel.strategies.trading = False
        self.kernel.exits.enabled = False  # no stop-loss exit may race the square-off
        shutdown_note = f"{reason}; new orders stopped"
        square: SquareOffResult | None = None
        if cfg.execution.shutdown == "square_off_mis":
            square = await square_off(
                self.kernel.executor, self.kernel.broker, ("MIS",), deadline_s=cfg.live.square_off_deadline_s,
                round_wait_s=cfg.live.square_off_wait_s,
            )  # fmt: skip
            shutdown_note += f"; {square.describe()}"
            unknown_s = cfg.execution.unknown_timeout_s
            if (
                not square.flat
                and cfg.live.square_off_deadline_s <= unknown_s
                and self.kernel.oms.unresolved()
            ):
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
            await asyncio.wait_for(self.kernel.oms.reconcile(), step_s)
        for order in self.kernel.oms.unresolved():  # the store says so too, until the next start resolves it
            self.kernel.writer.submit(
                "transition_order", order.key, order.state.value, self.clock.now_ns(),
                status_message=f"still UNKNOWN at the end of session {self.session_id} (not in the broker's "
                f"order book at its final read): resolved by tag at the next start; was: {order.message}",
            )  # fmt: skip
        await self.kernel.writer.aflush(cfg.live.shutdown_timeout_s)
        try:
            reconciliation, positions = await asyncio.wait_for(self._reconcile_with_broker(), 2 * step_s)
        except TimeoutError:
            self.notes.append(f"broker book not read within {2 * step_s:g} s at the end")
            reconciliation, positions = None, None
        await self.kernel.engine.stop()
        stop_errors = dict(self.kernel.engine.stop_errors)
        self.store.end_session(self.session_id, time.time_ns())
        summary = self._summary(shutdown_note, reconciliation, stop_errors, positions)
        self.store.audit(time.time_ns(), "alphastock live", "session_summary", summary.as_dict())
        return summary

    async def _wait_for_orders(self, timeout_s: float) -> None:
        """Orders still working (UNKNOWN ones excepted: only the book can settle them) and the fills of
        the last ones, at most ``timeout_s`` wall seconds."""
        deadline = time.monotonic() + timeout_s
        while (
            any(o.state.value != "UNKNOWN" for o in self.kernel.oms.open_orders())
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.05)
        # Fills of the last orders arrive through updates and trade lookups.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.kernel.oms.idle(), max(0.0, deadline - time.monotonic()) + 1.0)

    async def _resolve_earlier_unknown(self) -> None:
        """Orders an earlier session left UNKNOWN in the store, looked up by tag in the broker's book
        (see :func:`~alphastock.live.reconcile.resolve_stored_unknown`); each change is recorded with
        its reason and named in the notes."""
        rows = self.store.orders(state="UNKNOWN").to_pylist()
        if not rows:
            return
        try:
            book = await self.kernel.broker.orders()
        except Exception as exc:
            self.notes.append(
                f"{len(rows)} orders of earlier sessions still UNKNOWN: the broker's book could not be read "
                f"({exc})"
            )
            return
        today = self.kernel.today()
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
            broker_orders = await self.kernel.broker.orders()
            broker_trades = await self.kernel.broker.trades()
            book = await self.kernel.broker.positions()
        except Exception as exc:
            self.notes.append(f"broker book unavailable at the end: {exc}")
            return None, None
        # This session's orders and fills only: the store keeps every session's, and a broker may
        # number orders and trades from the same start again (the simulator does, every run).
        keys = [order.key for order in self.kernel.oms.orders()]
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
        ours = {
            (o.request.exchange.value, o.symbol, o.request.product.value) for o in self.kernel.oms.orders()
        }
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
        by_strategy = dict(self.kernel.signals.by_strategy)
        orders = self.kernel.oms.orders()
        by_state = dict(collections.Counter(order.state.value for order in orders))
        fills = self.store.fills(order_key=[order.key for order in orders]).num_rows
        positions = self.kernel.portfolio.positions()
        status = self.kernel.engine.status()
        notes = tuple(self.notes) + tuple(f"stop error {k}: {v}" for k, v in stop_errors.items())
        flatten = ("MIS",) if self.config.execution.shutdown == "square_off_mis" else ()
        left_open = tuple(str(p) for p in broker_positions or () if p.ours and p.product in flatten)
        unresolved = tuple(
            f"{o.key} {o.request.transaction_type.value} {o.symbol} {o.request.quantity} "
            f"{o.request.product.value} ({o.message or 'outcome unknown'})"
            for o in self.kernel.oms.unresolved()
        )
        reachable = broker_positions is not None and self.kernel.broker_health.reachable
        return SessionSummary(
            mode=self.mode.value, wall_s=time.monotonic() - self.started_wall,
            simulated_from_ns=self.first_clock_ns, simulated_to_ns=self.clock.now_ns(),
            ticks=self.kernel.feed_component.ticks_total, bars=self.kernel.strategies.bars,
            signals=sum(by_strategy.values()), signals_by_strategy=by_strategy,
            orders=sum(by_state.values()), orders_by_state=by_state, fills=fills,
            open_positions=sum(1 for p in positions if p.quantity),
            realised=sum(p.realised for p in positions), unrealised=sum(p.unrealised for p in positions),
            charges=sum(p.charges for p in positions),
            risk_state=str(self.kernel.risk.state), risk_rejections=self.risk_rejections,
            errors=sum(status.errors.values()), latency=status.latency,
            strategy_hooks=self.kernel.strategy_manager.hook_latency_us(),
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
        self.kernel.risk.set_state(TradingState.HALTED, reason, self.clock.now_ns())


__all__ = ["TradingApp"]
