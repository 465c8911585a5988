"""The :class:`OptionsExecutor`: a signal on an underlying becomes a sized, stop-protected options trade.

The :class:`~alphastock.execution.router.SignalRouter` hands it the signals on index and options
underlyings (synchronously, right after the signal is journaled). For each:

1. **Validation** (:mod:`~alphastock.execution.options.validation`): test symbols, the symbol
   (prefix stripped, aliases applied, configured underlyings only), options trading enabled, the
   signal's age, already acted on (idempotency key, across restarts through the trade book in
   DuckDB), the open option trades, the risk engine's state and the broker's reachability. A failure
   sets the signal REJECTED with the reason, counted by reason and logged once per reason.
2. **Contract**: the expiry by rule from the listed expiries
   (:func:`~alphastock.options.selector.choose_expiry`), that expiry's newest chain snapshot
   (rebuilt from the TickStore when older than ``chain_max_age_s``:
   :class:`~alphastock.execution.options.chains.ChainBook`), and the strike by the Rust scorer
   (:func:`~alphastock.options.selector.select_contract`); the choice, its inputs and the runner-up
   are stored with the trade.
3. **Levels**: the premium stop and target by the configured method
   (:func:`~alphastock.options.targets.premium_levels`), on the contract's tick.
4. **Size**: whole lots so that the premium stop loses at most ``risk_per_trade_pct`` of capital (the
   configured capital, else the broker's available margin), capped by the premium per trade and the
   lots per trade; a trade whose one lot risks more than the budget is skipped with the reason
   (:func:`~alphastock.execution.sizing.size_option_lots`).
5. **Entry**: a LIMIT at the ask, chased toward the far side ``chase_ticks`` at a time every
   ``chase_interval_s`` up to ``max_chases`` times, then cancelled with the reason; or MARKET with
   market protection. Through :meth:`RiskEngine.check` and the OMS
   (:class:`~alphastock.execution.placing.OrderPlacer`).
6. **Protection** once the entry fills (and grown as more of it fills): a resting SL (stop-limit;
   Kite refuses SL-M on options) and a resting LIMIT target at the broker, one cancelling the other
   by the OMS (:class:`~alphastock.execution.protection.ProtectionManager`).
7. **Management** on every tick batch: the trailing stop (the resting stop is modified up once the
   premium has gained ``trail_activation_pct``), the time exit, the exit before expiry, the MIS
   square-off time; and on a signal the other way from the same strategy, the exit on reversal.
   Each exit stores its reason.

Every step is stored (``option_trades``, ``option_trade_events``; journal first). Nothing here
registers itself: the builder routes signals to :meth:`OptionsExecutor.on_signal`, adds
:meth:`OptionsExecutor.on_order` and :meth:`OptionsExecutor.on_fill` as OMS listeners (after the
portfolio's) and subscribes :meth:`OptionsExecutor.on_event` to TICK_BATCH.

Units: premiums and prices rupees, quantities units, times UTC epoch ns (engine clock).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from alphastock.clock import Clock, ist, ist_ns
from alphastock.engine import BaseComponent, Health
from alphastock.events import Event, FillInfo
from alphastock.execution.broker_health import BrokerHealth
from alphastock.execution.direct import log_when_idle
from alphastock.execution.gtt_protection import GttProtection
from alphastock.execution.oms import OMS
from alphastock.execution.options.chains import ChainBook
from alphastock.execution.options.config import OptionTradingConfig
from alphastock.execution.options.history import recorded_elasticity
from alphastock.execution.options.trades import OptionTrade, TradeBook, TradeStatus, new_trade_id
from alphastock.execution.options.validation import Rejection, SignalValidator, signal_key
from alphastock.execution.orders import ManagedOrder
from alphastock.execution.placing import OrderPlacer
from alphastock.execution.portfolio import Portfolio
from alphastock.execution.protection import Bracket, ProtectionManager, ProtectionPlan, collar_band
from alphastock.execution.sizing import size_option_lots
from alphastock.execution.transitions import OrderState
from alphastock.models import Instrument
from alphastock.options.chain import EXPIRY_TIME
from alphastock.options.elasticity import ElasticityLookup
from alphastock.options.selector import Candidate, choose_expiry, select_contract
from alphastock.options.targets import Direction, premium_levels
from alphastock.ports import LatestPrices
from alphastock.refdata.ticks import TickRounding, round_to_tick
from alphastock.risk import RiskEngine, TradingState
from alphastock.signals.manager import SignalManager
from alphastock.signals.model import Signal, SignalStatus
from alphastock.store import Store

log = logging.getLogger(__name__)

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
_ROUNDING = {"nearest": TickRounding.NEAREST, "up": TickRounding.UP, "down": TickRounding.DOWN}
_ENTRY_DONE = (OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED)


def _finite(value: float) -> float | None:
    """``value`` or None when it is NaN or infinite (JSON has no such numbers)."""
    return float(value) if math.isfinite(value) else None


def candidate_detail(c: Candidate | None) -> dict[str, Any] | None:
    """A candidate contract as stored with the trade (NaN as null)."""
    if c is None:
        return None
    return {
        "token": c.token, "strike": c.strike, "option_type": c.option_type, "expiry": c.expiry.isoformat(),
        "bid": _finite(c.bid), "ask": _finite(c.ask), "ltp": _finite(c.ltp), "iv": _finite(c.iv),
        "delta": _finite(c.delta), "gamma": _finite(c.gamma), "spread_pct": _finite(c.spread_pct),
        "volume": _finite(c.volume), "oi": _finite(c.oi), "score": _finite(c.score),
    }  # fmt: skip


def _split(joined: str | None) -> list[str]:
    """Order keys stored comma-separated (a leg sliced at the freeze quantity has several)."""
    return joined.split(",") if joined else []


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    """``detail`` with non-finite floats as None, recursively (the journal refuses NaN)."""
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if isinstance(value, float):
            out[key] = _finite(value)
        elif isinstance(value, dict):
            out[key] = _plain(value)
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


class OptionsExecutor(BaseComponent):
    """Signals on underlyings to protected options trades (see the module docstring)."""

    def __init__(
        self,
        signals: SignalManager,
        oms: OMS,
        risk: RiskEngine,
        portfolio: Portfolio,
        placer: OrderPlacer,
        protection: ProtectionManager,
        book: TradeBook,
        chains: ChainBook,
        validator: SignalValidator,
        config: OptionTradingConfig,
        *,
        clock: Clock,
        ticks: LatestPrices,
        expiries: Callable[[str, dt.date], list[dt.date]],
        describe: Callable[[int], Instrument | None],
        spot: Callable[[str], Instrument] | None = None,
        store: Store | None = None,
        health: BrokerHealth | None = None,
    ) -> None:
        """``expiries(underlying, today)`` lists the option expiries on or after today (the
        instruments dump's); ``describe(token)`` gives a contract's instrument; ``spot(underlying)``
        its index or stock (raises when unknown); ``store`` is read at start for the trades of earlier
        runs and, for the ``historical`` levels, the recorded ticks (None: neither)."""
        super().__init__("options-executor")
        self.signals = signals
        self.oms = oms
        self.risk = risk
        self.portfolio = portfolio
        self.placer = placer
        self.protection = protection
        self.book = book
        self.chains = chains
        self.validator = validator
        self.config = config
        self.clock = clock
        self.ticks = ticks
        self.expiries = expiries
        self.describe = describe
        self.store = store
        self.spot = spot
        self.elasticity: dict[str, ElasticityLookup] = {}
        """Recorded elasticity tables by underlying (the ``historical`` levels; read at start)."""
        self.broker_health = health
        self._tasks: set[asyncio.Task[Any]] = set()
        self._expiry_cache: dict[tuple[str, dt.date], list[dt.date]] = {}
        self._next_gtt_poll_ns = 0
        self.rejected = validator.rejected
        """Signals refused, by reason code (validation, selection, levels, size, risk, broker)."""

    # ----- lifecycle ------------------------------------------------------------------------------

    async def on_start(self) -> None:
        """Load the trades of earlier runs (their signal keys count as acted on; live ones are followed
        again, their protection adopted from the OMS rather than placed twice)."""
        if self.store is None:
            return
        if self._uses_history():
            await self._read_history()
        read = self.book.load(self.store)
        for trade in list(self.book.live()):
            self._adopt(trade)
        if read:
            live = self.book.open_count()
            log.info("options executor: %d trades of earlier runs read, %d live", read, live)

    def _uses_history(self) -> bool:
        levels = self.config.levels
        return levels.method == "historical" or (levels.method == "blend" and "historical" in levels.blend_of)

    async def _read_history(self) -> None:
        """The recorded elasticity of each options underlying (DuckDB, on a worker thread: start-up only)."""
        store, spot = self.store, self.spot
        if store is None or spot is None:
            return
        now = self.clock.now_ns()
        for name in sorted(self.validator.underlyings):
            try:
                token = spot(name).instrument_token
                table = await asyncio.to_thread(
                    recorded_elasticity, store, name, token, now,
                    horizon_s=self.config.levels.holding_minutes * 60.0,
                )  # fmt: skip
            except Exception as exc:  # history is an input to levels: reprice stands in without it
                self.record_error(f"recorded elasticity of {name}: {exc}")
                log.warning("options executor: no recorded elasticity for %s (%s): levels reprice", name, exc)
                continue
            if table is not None:
                self.elasticity[name] = table

    def _adopt(self, trade: OptionTrade) -> None:
        """Follow a live trade of an earlier run again: its orders are restored into the OMS from the
        store (the broker's book moves them on) and its resting protection adopted, so no second stop
        is placed (a leg short of the position is placed). A trade whose orders are not in the store is
        reported, not guessed at."""
        stops, targets = _split(trade.stop_order_key), _split(trade.target_order_key)
        # The entry only while it may still fill: a filled one's units are the trade's filled quantity.
        wanted = (
            [(trade.entry_order_key, "entry")]
            if trade.entry_order_key and trade.status is TradeStatus.PENDING
            else []
        )
        wanted += [(k, "stop") for k in stops] + [(k, "target") for k in targets]
        missing = [key for key, purpose in wanted if key is not None and not self._restore(key, purpose)]
        if missing:
            self.record_error(f"trade {trade.trade_id}: orders {missing} not in the store")
            log.error(
                "options executor: trade %s (%s) of an earlier run cannot be adopted: its orders %s are "
                "not in the store; check its protection at the broker",
                trade.trade_id, trade.tradingsymbol, missing,
            )  # fmt: skip
            return
        if trade.status is TradeStatus.PENDING or not trade.filled_quantity:
            return  # the entry's fills (the broker's book) protect it as they are booked
        plan = self._plan(trade, trade.filled_quantity, trade.entry_premium)
        if isinstance(self.protection, GttProtection) and trade.gtt_id:
            bracket = self.protection.adopt(
                plan, stop_keys=stops, target_keys=targets, trigger_id=int(trade.gtt_id)
            )
        else:
            bracket = self.protection.adopt(plan, stop_keys=stops, target_keys=targets)
        self._keep_keys(trade, bracket)
        adopted = {"stop_orders": bracket.stop_keys, "target_orders": bracket.target_keys}
        self.book.save(trade, self.clock.now_ns(), "adopted", adopted)
        log.info("options executor: trade %s adopted with its resting protection %s", trade.trade_id, adopted)

    def _restore(self, key: str, purpose: str) -> bool:
        """The OMS follows order ``key`` (restored from the store when an earlier run placed it)."""
        if self.oms.get(key) is not None:
            return True
        if self.store is None:
            return False
        row = self.store.order(key)
        if row is None:
            return False
        booked = self.store.fills(key).column("trade_id").to_pylist()
        self.oms.restore(row, purpose=purpose, trade_ids=booked)
        return True

    def health(self) -> Health:
        """Counters: trades live, refused signals by reason."""
        metrics = {"live_trades": float(self.book.open_count())}
        metrics.update({f"rejected_{code}": float(n) for code, n in self.rejected.items()})
        return Health("ok" if not self.errors else "degraded", "", metrics, self.errors)

    # ----- signals --------------------------------------------------------------------------------

    def on_signal(self, signal: Signal, handed_ns: int) -> ManagedOrder | None:
        """Act on ``signal`` (an underlying's: the router decides) or reject it with the reason; returns
        the entry order (NEW or SUBMITTED), or None."""
        now = self.clock.now_ns()
        underlying, refusal = self.validator.check_symbol(signal)
        if refusal is not None or underlying is None:
            return self._refuse(signal, refusal or Rejection("symbol", "no underlying"))
        if not self.config.enabled:
            return self._refuse(
                signal, Rejection("disabled", "options trading is disabled (option_trading.enabled)")
            )
        refusal = self.validator.check_age(signal, now)
        if refusal is not None:
            return self._refuse(signal, refusal)
        key = signal_key(signal, underlying)
        if self.book.acted_on(key):
            return self._refuse(signal, Rejection("duplicate", f"already acted on (key {key})"))
        if self.config.exits.exit_on_reversal:
            self._exit_reversed(signal, underlying, now)
        if self.book.open_count() >= self.config.max_open_positions:
            limit = self.config.max_open_positions
            return self._refuse(signal, Rejection("max_positions", f"{limit} option trades open already"))
        if self.risk.state != TradingState.ACTIVE:
            return self._refuse(
                signal, Rejection("risk_state", f"risk engine {self.risk.state}: new trades halted")
            )
        if self.broker_health is not None and not self.broker_health.reachable:
            return self._refuse(signal, Rejection("broker", "broker unreachable: new orders halted"))
        return self._enter(signal, underlying, key, now, handed_ns)

    def _enter(
        self, signal: Signal, underlying: str, key: str, now: int, handed_ns: int
    ) -> ManagedOrder | None:
        cfg = self.config
        today = ist(now).date()
        expiry = choose_expiry(self._listed_expiries(underlying, today), now, cfg.selection.expiry)
        if expiry is None:
            return self._refuse(signal, Rejection("expiry", f"no {underlying} expiry passes the expiry rule"))
        snapshot = self.chains.fresh(underlying, expiry, now, cfg.chain_max_age_s)
        if snapshot is None:
            followed = ", ".join(e.isoformat() for e in self.chains.expiries(underlying)) or "none"
            return self._refuse(
                signal, Rejection("chain", f"no {underlying} chain for {expiry} (chains held: {followed})")
            )
        selection = select_contract(snapshot, signal.action.value, cfg.selection)
        chosen = selection.chosen
        if chosen is None:
            return self._refuse(signal, Rejection("selection", selection.reason or "no contract chosen"))
        inst = self.describe(chosen.token)
        if inst is None:
            return self._refuse(
                signal, Rejection("selection", f"contract token {chosen.token} not in the instruments")
            )
        tick = inst.tick_size or 0.05
        entry = round_to_tick(chosen.ask, tick, TickRounding.UP) if chosen.ask > 0 else chosen.mid
        levels = premium_levels(
            chosen, underlying_entry=signal.entry, underlying_stop=signal.stop_loss,
            underlying_target=signal.target, expected_move_pct=signal.expected_move_pct, config=cfg.levels,
            tick=tick, round_price=self._rounder(tick), entry_premium=entry,
            elasticity=self.elasticity.get(underlying),
        )  # fmt: skip
        if not levels.ok:
            return self._refuse(signal, Rejection("levels", levels.reason or "no premium levels"))
        stop, target, banded = self._inside_band(
            levels.entry, levels.stop, levels.target, tick, chosen.option_type
        )
        capital = cfg.capital if cfg.capital is not None else self.risk.cash
        lot = max(inst.lot_size, 1)
        size = size_option_lots(
            capital or 0.0, cfg.risk_per_trade_pct, levels.entry, stop, lot,
            max_premium=cfg.max_premium_per_trade, max_lots=cfg.max_lots,
        )  # fmt: skip
        if size.lots < 1:
            code = "max_premium" if size.capped_by == "max_premium" else "size"
            return self._refuse(signal, Rejection(code, size.reason or "size 0"))
        # The order first: everything it needs is known, and the trade's record (the journal, then
        # DuckDB) follows on this same call, off the signal -> broker path. The OMS journals the entry
        # (with the signal's id) before its broker call.
        market = cfg.entry.order_type == "MARKET"
        self._refresh_data_time(inst.instrument_token, now)
        placed = self.placer.place(
            inst, cfg.product, "BUY", size.quantity, reference_price=chosen.ltp if chosen.ltp > 0 else entry,
            order_type="MARKET" if market else "LIMIT", price=None if market else entry,
            market_protection=cfg.entry.market_protection if market else None, purpose="entry",
            signal_id=signal.id, handed_ns=handed_ns, recv_ns=signal.recv_ns,
        )  # fmt: skip
        trade = OptionTrade(
            trade_id=new_trade_id(now), signal_key=key, signal_id=signal.id, strategy=signal.strategy,
            underlying=underlying, action=signal.action.value, opened_ns=now, exchange=inst.exchange,
            tradingsymbol=inst.tradingsymbol, token=inst.instrument_token, expiry=chosen.expiry,
            strike=chosen.strike, option_type=chosen.option_type, product=cfg.product, lot_size=lot,
            lots=size.lots, quantity=size.quantity, entry_premium=levels.entry, stop=stop, target=target,
            exit_method=levels.method,
            choice=_plain({
                "chosen": candidate_detail(chosen), "runner_up": candidate_detail(selection.runner_up),
                "chain_ts_ns": snapshot.ts_ns, "forward": snapshot.forward, "spot": snapshot.spot,
                "expiry_rule": cfg.selection.expiry.model_dump(mode="json"),
                "filters": {"atm_window": cfg.selection.atm_window, "min_volume": cfg.selection.min_volume,
                            "min_oi": cfg.selection.min_oi, "max_spread_pct": cfg.selection.max_spread_pct,
                            "target_delta": cfg.selection.target_delta},
            }),
            sizing=_plain({
                "capital": capital, "risk_pct": cfg.risk_per_trade_pct, "budget": size.budget,
                "risk_per_lot": size.risk_per_lot, "premium": size.premium, "capped_by": size.capped_by,
                "max_premium": cfg.max_premium_per_trade, "max_lots": cfg.max_lots,
            }),
            levels=_plain({"method": levels.method, **levels.detail, "stop": stop, "target": target,
                           **banded}),
        )  # fmt: skip
        self.book.add(trade, now, {"signal": signal.id, "expiry": expiry.isoformat()})
        if placed.order is None:
            trade.status = TradeStatus.FAILED
            trade.exit_reason = placed.refusal
            self.book.save(trade, now, "entry_refused", {"reason": placed.refusal})
            return self._refuse(signal, Rejection("risk", placed.refusal or "refused"))
        trade.entry_order_key = placed.order.key
        trade.next_chase_ns = now + int(cfg.entry.chase_interval_s * NS_PER_SECOND)
        self.book.save(
            trade, now, "entry_sent", {"order": placed.order.key, "price": None if market else entry}
        )
        self.signals.acted_on(signal.id)
        log_when_idle(
            logging.INFO,
            "options executor: %s %s -> %s (IV %.3f, delta %.2f, spread %.1f%%, score %.3f; runner-up %s) "
            "%s lots (%d units) entry %.2f stop %.2f target %.2f (%s)",
            signal.action.value, underlying, inst.tradingsymbol, chosen.iv, chosen.delta, chosen.spread_pct,
            chosen.score, None if selection.runner_up is None else selection.runner_up.strike, size.lots,
            size.quantity, levels.entry, stop, target, levels.method,
        )  # fmt: skip
        return placed.order

    def _inside_band(
        self, entry: float, stop: float, target: float, tick: float, kind: str
    ) -> tuple[float, float, dict[str, float]]:
        """The stop and target moved inside the exchange's limit-price protection band around the entry
        (NSE options: ±₹20 up to a ₹50 reference, else ±40%; the risk engine's collar, which refuses
        orders outside it), one tick inside its edges: a target beyond the band could not rest at the
        broker, a stop beyond it could not fill at its limit. Returns (stop, target, what was moved)."""
        band = collar_band(kind, entry, self.risk.limits)
        moved: dict[str, float] = {}
        if math.isfinite(band):
            ceiling = round_to_tick(entry + band, tick, TickRounding.DOWN) - tick
            floor = round_to_tick(entry - band, tick, TickRounding.UP) + tick
            if target > ceiling > entry:
                moved["target_before_band"], target = target, round_to_tick(ceiling, tick, TickRounding.DOWN)
            if stop < floor < entry:
                moved["stop_before_band"], stop = stop, round_to_tick(floor, tick, TickRounding.UP)
        return stop, target, moved

    def _listed_expiries(self, underlying: str, today: dt.date) -> list[dt.date]:
        """The listed expiries of ``underlying`` on or after ``today``, read from the instruments dump once
        per underlying and IST day (a DuckDB read costs 1-3 ms: never on the signal -> order path twice;
        the dump is downloaded once a day, before the open)."""
        key = (underlying, today)
        listed = self._expiry_cache.get(key)
        if listed is None:
            listed = self._expiry_cache[key] = list(self.expiries(underlying, today))
        return listed

    def _refresh_data_time(self, token: int, now: int) -> None:
        """Give the risk engine the contract's newest tick time (the feed bridge watches only the
        strategies' instruments): its data-age rule then judges the quote the entry is priced on."""
        tick = self.ticks.latest(token)
        if tick is not None and 0 < tick.ts_ns <= now:
            self.risk.on_tick(token, tick.ts_ns)

    def _rounder(self, tick: float) -> Callable[[float, Direction], float]:
        def round_price(price: float, direction: Direction, /) -> float:
            return round_to_tick(price, tick, _ROUNDING[direction])

        return round_price

    def _refuse(self, signal: Signal, rejection: Rejection) -> ManagedOrder | None:
        """Reject ``signal`` with ``rejection`` (counted, logged once per reason); returns None."""
        self.validator.count(signal, rejection)
        self.signals.update_status(signal.id, SignalStatus.REJECTED, rejection.text)
        return None

    def _exit_reversed(self, signal: Signal, underlying: str, now: int) -> None:
        for trade in self.book.live():
            if (
                trade.underlying == underlying
                and trade.strategy == signal.strategy
                and trade.action != signal.action.value
            ):
                self.exit(
                    trade, f"reversal: {signal.strategy} signalled {signal.action.value} ({signal.id})", now
                )

    # ----- orders and fills -----------------------------------------------------------------------

    def on_order(self, order: ManagedOrder) -> None:
        """OMS order listener: the entry's state moves its trade and signal on."""
        trade = self.book.by_order(order.key)
        if trade is None or order.key != trade.entry_order_key:
            return
        now = self.clock.now_ns()
        signal = self.signals.get(trade.signal_id)
        state = order.state
        if state in (OrderState.OPEN, OrderState.PARTIALLY_FILLED, OrderState.FILLED):
            if signal is not None and signal.status is SignalStatus.NEW:
                self.signals.update_status(trade.signal_id, SignalStatus.ACTIVE, order_key=order.key)
        elif state in (OrderState.REJECTED, OrderState.CANCELLED) and order.filled_quantity == 0:
            if trade.status is TradeStatus.PENDING:
                trade.status = TradeStatus.FAILED if state is OrderState.REJECTED else TradeStatus.CANCELLED
                trade.exit_reason = trade.exit_reason or order.message or f"entry {state}"
                self.book.save(trade, now, "entry_ended", {"state": str(state), "message": order.message})
            if signal is not None and signal.status in (SignalStatus.NEW, SignalStatus.ACTIVE):
                self.signals.update_status(trade.signal_id, SignalStatus.REJECTED, trade.exit_reason)

    def on_fill(self, fill: FillInfo) -> None:
        """OMS fill listener (after the portfolio's): an entry fill opens or grows the protection; a fill
        that leaves the trade's position flat closes the trade with its reason."""
        key = fill.order_key
        if key is None:
            return
        trade = self.book.by_order(key)
        order = self.oms.get(key)
        if trade is None and order is not None and order.parent_key is not None:
            trade = self.book.by_order(order.parent_key)
        if trade is None or not trade.status.live:
            return
        now = self.clock.now_ns()
        if key == trade.entry_order_key:
            self._entry_filled(trade, fill, now)
            return
        self.book.save(
            trade, now, "exit_fill", {"order": key, "quantity": fill.quantity, "price": fill.price}
        )
        if self._flat(trade, fill):
            trade.exit_reason = trade.exit_reason or (order.purpose if order is not None else "exit")
            trade.status = TradeStatus.CLOSED
            self.book.save(trade, now, "closed", {"reason": trade.exit_reason, "price": fill.price})
            signal = self.signals.get(trade.signal_id)
            if signal is not None and signal.status is SignalStatus.ACTIVE:
                self.signals.update_status(trade.signal_id, SignalStatus.CLOSED, trade.exit_reason)

    def _flat(self, trade: OptionTrade, fill: FillInfo) -> bool:
        """Whether ``trade``'s position is flat after ``fill``: by its bracket (the entry's fills less the
        protective and exit fills: right for a trade adopted after a restart, whose earlier fills the
        Portfolio never saw), else by the Portfolio."""
        bracket = self.protection.bracket(trade.trade_id)
        if bracket is not None:
            return self.protection.position(bracket, booked=True) == 0
        holding = self.portfolio.position(fill.token, fill.product)
        return holding is None or holding.quantity == 0

    def _entry_filled(self, trade: OptionTrade, fill: FillInfo, now: int) -> None:
        first = trade.filled_quantity == 0
        trade.filled_quantity += fill.quantity
        trade.best_premium = max(trade.best_premium, fill.price)
        if first:
            trade.status = TradeStatus.OPEN
            bracket = self.protection.protect(self._plan(trade, fill.quantity, fill.price))
            self._keep_keys(trade, bracket)
            self.book.save(trade, now, "protected", {
                "filled": fill.quantity, "price": fill.price, "stop_orders": bracket.stop_keys,
                "target_orders": bracket.target_keys, "stop": bracket.stop_trigger,
                "stop_limit": bracket.stop_limit, "target": bracket.target,
            })  # fmt: skip
        else:
            self.protection.extend(trade.trade_id, fill.quantity)
            grown_bracket = self.protection.bracket(trade.trade_id)
            if grown_bracket is not None:
                self._keep_keys(trade, grown_bracket)
            self.book.save(
                trade, now, "protection_grown", {"filled": trade.filled_quantity, "price": fill.price}
            )

    @staticmethod
    def _keep_keys(trade: OptionTrade, bracket: Bracket) -> None:
        """The bracket's order keys on the trade (comma-separated: a leg above the freeze quantity is
        several slices), so a restart finds the resting protection."""
        trade.stop_order_key = ",".join(bracket.stop_keys) or None
        trade.target_order_key = ",".join(bracket.target_keys) or None

    def _plan(self, trade: OptionTrade, quantity: int, reference_price: float | None) -> ProtectionPlan:
        """The protection of ``quantity`` filled units of ``trade`` (a long option: the legs SELL)."""
        if trade.token is None or trade.stop is None or trade.tradingsymbol is None:
            raise ValueError(f"trade {trade.trade_id} has no contract or stop to protect")
        inst = self.describe(trade.token)
        tick = (inst.tick_size if inst is not None else 0.0) or 0.05
        kind: Literal["CE", "PE"] = "PE" if trade.option_type == "PE" else "CE"
        return ProtectionPlan(
            trade_id=trade.trade_id, entry_key=trade.entry_order_key or "", exchange=trade.exchange or "NFO",
            tradingsymbol=trade.tradingsymbol, token=trade.token, product=trade.product or "MIS", side="BUY",
            quantity=quantity, stop_trigger=trade.stop, target=trade.target, tick_size=tick,
            lot_size=trade.lot_size or 1, freeze_quantity=inst.freeze_quantity if inst is not None else None,
            reference_price=reference_price, kind=kind, underlying=trade.underlying,
        )  # fmt: skip

    # ----- management -----------------------------------------------------------------------------

    def on_event(self, event: Event[Any]) -> None:
        """Bus handler for TICK_BATCH: the live trades' contracts' data times to the risk engine, then
        manage the live trades at the engine clock's time."""
        traded = {t.token for t in self.book.live() if t.token is not None}
        if traded:
            for token in set(event.payload.tokens.tolist()) & traded:
                self.risk.on_tick(int(token), event.ts_event)
        self.manage(self.clock.now_ns())

    def manage(self, now: int) -> None:
        """Chase unfilled entries; trail stops; time, expiry and square-off exits (module docstring);
        poll the GTTs of NRML trades."""
        self._poll_gtts(now)
        self.protection.refresh()
        for trade in self.book.live():
            try:
                if trade.status is TradeStatus.PENDING:
                    self._chase(trade, now)
                elif trade.status is TradeStatus.OPEN:
                    self._manage_open(trade, now)
            except Exception as exc:  # one trade's failure must not stop the others' management
                self.record_error(f"managing {trade.trade_id}: {exc}")
                log.exception("options executor: managing %s failed", trade.trade_id)

    def _chase(self, trade: OptionTrade, now: int) -> None:
        entry = self.config.entry
        if entry.order_type != "LIMIT" or trade.entry_order_key is None or now < trade.next_chase_ns:
            return
        order = self.oms.get(trade.entry_order_key)
        if order is None or order.state in _ENTRY_DONE or order.filled_quantity > 0:
            return
        if order.state is not OrderState.OPEN:
            return  # not yet acknowledged, or a modify in flight: look again at the next batch
        trade.next_chase_ns = now + int(entry.chase_interval_s * NS_PER_SECOND)
        if trade.chases >= entry.max_chases:
            reason = f"entry not filled after {trade.chases} chases: cancelled"
            trade.exit_reason = reason
            self.book.save(trade, now, "entry_cancel", {"reason": reason})
            self._spawn(self.oms.cancel(order.key))
            return
        inst = self.describe(trade.token or 0)
        tick = (inst.tick_size if inst is not None else 0.0) or 0.05
        quote = self.ticks.latest(trade.token or 0)
        ask = quote.ask if quote is not None and 0 < quote.ask < math.inf else 0.0
        current = order.request.price or 0.0
        price = round_to_tick(max(current + entry.chase_ticks * tick, ask), tick, TickRounding.UP)
        if inst is None:
            return
        remaining = order.request.quantity - order.filled_quantity
        approval, refusal = self.placer.approve(
            inst, order.request.product.value, "BUY", remaining, reference_price=price, price=price
        )
        if approval is None:
            self.book.save(trade, now, "entry_chase_refused", {"reason": refusal})
            return
        trade.chases += 1
        self.book.save(trade, now, "entry_chase", {"chase": trade.chases, "from": current, "to": price})
        self._spawn(
            self.oms.modify(order.key, approval=approval, price=price, reason=f"chase {trade.chases}")
        )

    def _poll_gtts(self, now: int) -> None:
        """Read the active GTTs every ``gtt_poll_interval_s`` (a fired one's order is followed by the OMS)
        and keep each trade's GTT id with the trade (a restart adopts the GTT by it)."""
        protection = self.protection
        if not isinstance(protection, GttProtection):
            return
        for trade in self.book.live():
            bracket = protection.bracket(trade.trade_id)
            trigger = getattr(bracket, "trigger_id", None)
            if trigger is not None and trade.gtt_id != str(trigger):
                trade.gtt_id = str(trigger)
                self.book.save(trade, now, "gtt_placed", {"trigger_id": trigger})
        if now >= self._next_gtt_poll_ns:
            self._next_gtt_poll_ns = now + int(self.config.gtt_poll_interval_s * NS_PER_SECOND)
            self._spawn(protection.poll(now))

    def _manage_open(self, trade: OptionTrade, now: int) -> None:
        rules = self.config.exits
        clock_ist = ist(now)
        if trade.expiry is not None and clock_ist.date() >= trade.expiry:
            close = ist_ns(trade.expiry, EXPIRY_TIME)
            if now >= close - int(rules.expiry_exit_minutes * NS_PER_MINUTE):
                self.exit(
                    trade, f"expiry: {rules.expiry_exit_minutes:g} min before the close on expiry day", now
                )
                return
        if trade.product == "MIS" and clock_ist.time() >= rules.square_off_time:
            self.exit(
                trade, f"square-off at {rules.square_off_time.isoformat(timespec='minutes')} IST (MIS)", now
            )
            return
        if (
            rules.max_holding_minutes is not None
            and now - trade.opened_ns >= rules.max_holding_minutes * NS_PER_MINUTE
        ):
            self.exit(trade, f"time exit after {rules.max_holding_minutes:g} min", now)
            return
        if self._stop_gapped(trade, now):
            return
        self._trail(trade, now)

    def _stop_gapped(self, trade: OptionTrade, now: int) -> bool:
        """Exit when the stop triggered but its limit was gapped through: a triggered SL (OPEN at the
        broker, unfilled) whose limit the bid has stayed below for ``stop_gap_exit_s`` engine seconds
        would otherwise rest below the market while the loss grows. True when it exited."""
        bracket = self.protection.bracket(trade.trade_id)
        quote = self.ticks.latest(trade.token or 0)
        if bracket is None or quote is None or not 0 < quote.bid < math.inf:
            return False
        gapped = False
        for key in bracket.stop_keys:
            order = self.oms.get(key)
            limit = None if order is None else order.request.price
            if (
                order is not None
                and order.state is OrderState.OPEN
                and limit is not None
                and quote.bid < limit
            ):
                gapped = True
        if not gapped:
            trade.gapped_since_ns = 0
            return False
        if not trade.gapped_since_ns:
            trade.gapped_since_ns = now
            return False
        if now - trade.gapped_since_ns < self.config.exits.stop_gap_exit_s * NS_PER_SECOND:
            return False
        self.exit(trade, f"stop gapped through its limit (bid {quote.bid:.2f}): closed at the market", now)
        return True

    def _trail(self, trade: OptionTrade, now: int) -> None:
        rules = self.config.exits
        if rules.trail_activation_pct is None or trade.entry_premium is None or trade.stop is None:
            return
        quote = self.ticks.latest(trade.token or 0)
        if quote is None or not 0 < quote.last_price < math.inf:
            return
        trade.best_premium = max(trade.best_premium, quote.last_price)
        if trade.best_premium < trade.entry_premium * (1 + rules.trail_activation_pct / 100.0):
            return
        inst = self.describe(trade.token or 0)
        tick = (inst.tick_size if inst is not None else 0.0) or 0.05
        new_stop = round_to_tick(trade.best_premium * (1 - rules.trail_pct / 100.0), tick, TickRounding.DOWN)
        step = max(tick, trade.entry_premium * rules.trail_step_pct / 100.0)
        if new_stop < trade.stop + step:
            return  # each trail is a modification, and Kite allows 25 per order
        if self.protection.trail(trade.trade_id, new_stop):
            old, trade.stop = trade.stop, new_stop
            self.book.save(trade, now, "trailed", {"from": old, "to": new_stop, "best": trade.best_premium})

    def _spawn(self, call: Coroutine[Any, Any, object]) -> None:
        """Run a broker call (modify, cancel) on the loop; its failure is logged and counted."""
        task = asyncio.ensure_future(call)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.record_error(f"broker call failed: {task.exception()}")
            log.error("options executor: a broker call failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until every broker call this executor started has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def exit(self, trade: OptionTrade, reason: str, now: int) -> None:
        """Exit ``trade`` now: the protective orders cancelled and the position closed (``reason`` stored)."""
        if trade.status is TradeStatus.PENDING and trade.entry_order_key is not None:
            self._spawn(self.oms.cancel(trade.entry_order_key))
        trade.exit_reason = reason
        if trade.status is TradeStatus.OPEN:
            trade.status = TradeStatus.CLOSING
            self.protection.exit_now(trade.trade_id, reason)
        self.book.save(trade, now, "exit", {"reason": reason})
        log.info("options executor: exiting %s (%s): %s", trade.trade_id, trade.tradingsymbol, reason)


__all__ = ["OptionsExecutor", "candidate_detail"]
