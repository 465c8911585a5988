"""The :class:`StrategyManager`: strategy instances by symbols, dispatch, isolation, aggregation.

The manager is synchronous and owns no task: the engine's strategy component calls
:meth:`StrategyManager.on_bar` (and ``on_tick``/``on_chain``/``on_fill``) on the engine loop
and hands the returned signals to the SignalManager. Per bar it

1. calls ``on_bar`` of every enabled instance subscribed to the bar's (symbol, interval), in
   config order; a raising hook is logged and counted, the others still run, and after
   ``max_errors`` consecutive errors the instance is disabled (see :meth:`stats`);
2. drops signals below ``min_confidence`` (counted);
3. aggregates what is left per symbol (:mod:`alphastock.strategies.aggregation`).

Ticks (:meth:`StrategyManager.on_ticks`) reach only instances whose class overrides ``on_tick``
(decided by method identity when the manager is built, so a session without such a strategy
pays nothing per tick), routed by instrument token, at most once per the instance's
``min_tick_interval_ms`` per token on the engine clock. Chains (:meth:`StrategyManager.on_chain`)
reach only instances overriding ``on_chain`` whose symbols name the chain's underlying.
Both go through the same isolation, timing, confidence filter and aggregation as bars.

Signals a strategy ``emit()``s during a hook join that hook's return value; emitted outside a
hook they go to the ``sink`` given to :meth:`start` (dropped with a warning when there is none).
Fills are routed to the instance whose signal made the order (``FillInfo.signal_id``).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from alphastock.errors import ConfigError
from alphastock.events import Bar, FillInfo
from alphastock.models import Instrument
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.lookup import InstrumentLookup
from alphastock.signals.assets import AssetType, asset_type_of
from alphastock.signals.model import Signal
from alphastock.strategies.aggregation import aggregate
from alphastock.strategies.base import SignalOutput, Strategy, StrategyContext, TickView, as_signals
from alphastock.strategies.config import StrategiesConfig
from alphastock.strategies.instances import Instance, build_instances, split_symbol
from alphastock.strategies.registry import load_strategies
from alphastock.ticks import Tick

log = logging.getLogger(__name__)

_SIGNAL_MEMORY = 100_000
"""How many signal ids -> instance are remembered for fill routing."""


class _InstanceContext:
    """The context one instance sees: clock, instruments and log from the engine's context,
    ``emit`` captured by the manager."""

    def __init__(self, manager: StrategyManager, name: str, base: StrategyContext | None) -> None:
        self._manager, self._name, self._base = manager, name, base
        self.log = base.log if base is not None else logging.getLogger(f"alphastock.strategies.{name}")

    def now_ns(self) -> int:
        """The engine clock (UTC epoch ns); wall clock without an engine context."""
        return self._base.now_ns() if self._base is not None else time.time_ns()

    def instrument(self, symbol: str) -> Instrument | None:
        """The instrument of ``symbol`` from the engine context or the manager's instrument master."""
        if self._base is not None:
            found = self._base.instrument(symbol)
            if found is not None:
                return found
        return self._manager.instrument(symbol)

    def asset_type(self, symbol: str) -> AssetType:
        """What a signal on ``symbol`` is traded through (:meth:`StrategyManager.asset_type` of the
        instrument this context finds)."""
        return self._manager.asset_type(symbol, self.instrument(symbol))

    def emit(self, signal: Signal) -> None:
        """Hand ``signal`` to the manager (joins the current hook's output)."""
        self._manager._emitted(self._name, signal)


class StrategyManager:
    """Runs strategy instances on bars, ticks, chains and fills; see the module docstring."""

    def __init__(
        self,
        instances: Iterable[tuple[Strategy[Any], Iterable[tuple[str, str]], str]],
        *,
        config: StrategiesConfig | None = None,
        instruments: InstrumentLookup | None = None,
        tick_intervals_ns: Mapping[str, int] | None = None,
        underlying_name: Callable[[str], str] | None = None,
        options_underlyings: Iterable[str] = (),
    ) -> None:
        """``instances``: (strategy, [(exchange, tradingsymbol)], timeframe) in config order.
        ``tick_intervals_ns``: instance name -> least engine-clock ns between two ``on_tick`` calls
        for one token (absent: 0). ``underlying_name``: a symbol -> the derivative underlying name it
        stands for (``NIFTY 50`` -> ``NIFTY``; the runners' alias rules,
        :meth:`~alphastock.refdata.resolver.SymbolResolver.underlying_name`); without it a symbol
        names only itself (upper-cased). ``options_underlyings``: the underlying names whose signals
        on a share are traded through options (:meth:`asset_type`)."""
        self.config = config or StrategiesConfig(instances=[])
        self._options_underlyings = frozenset(u.strip().upper() for u in options_underlyings)
        self._instruments = instruments
        self._underlying_name = underlying_name
        intervals = tick_intervals_ns or {}
        self._instances: dict[str, Instance] = {}
        for strategy, symbols, timeframe in instances:
            if strategy.instance_name in self._instances:
                raise ConfigError(f"strategies: instance name {strategy.instance_name!r} is used twice")
            self._instances[strategy.instance_name] = Instance(
                strategy, list(symbols), timeframe, int(intervals.get(strategy.instance_name, 0))
            )
        self._tick_instances = tuple(i for i in self._instances.values() if i.wants_ticks)
        self._tick_routes: dict[int, tuple[Instance, ...]] | None = None
        self._token_symbols: dict[int, tuple[str, str]] = {}
        self._chain_keys: dict[str, frozenset[str]] | None = None
        self._chain_routes: dict[str | None, tuple[Instance, ...]] = {}
        self.ticks_seen = 0
        """Tick batches (:meth:`on_ticks` calls) seen while some instance defines ``on_tick``."""
        self.chains_seen = 0
        """Chain snapshots (:meth:`on_chain` calls) seen."""
        # Bars are routed by (exchange, symbol, interval), filtered here once rather than per bar; a bar
        # without an exchange ("") reaches every exchange's instances. One entry per configured
        # symbol, in config order (an instance listing a symbol twice is called twice, as before).
        routes: dict[tuple[str, str, str], list[Instance]] = {}
        for inst in self._instances.values():
            for exchange, symbol in inst.symbols:
                routes.setdefault((exchange, symbol, inst.timeframe), []).append(inst)
                routes.setdefault(("", symbol, inst.timeframe), []).append(inst)
        self._routes: dict[tuple[str, str, str], tuple[Instance, ...]] = {
            key: tuple(insts) for key, insts in routes.items()
        }
        self._pending: list[Signal] = []
        self._dispatching = False
        self._timed = False
        self._sink: Callable[[Signal], None] | None = None
        self._signal_owner: OrderedDict[str, str] = OrderedDict()
        self.bars_seen = 0
        self.dropped_low_confidence = 0
        self.conflicts = 0
        self._instrument_cache: dict[str, Instrument | None] = {}

    @classmethod
    def from_config(
        cls,
        config: StrategiesConfig,
        registry: Mapping[str, type[Strategy[Any]]] | None = None,
        instruments: InstrumentLookup | None = None,
        underlying_name: Callable[[str], str] | None = None,
        options_underlyings: Iterable[str] = (),
    ) -> StrategyManager:
        """Build the enabled instances of ``config``; unknown names and bad params raise ConfigError.
        ``underlying_name`` and ``options_underlyings`` as in the constructor."""
        built, intervals = build_instances(config, load_strategies() if registry is None else registry)
        return cls(
            built,
            config=config,
            instruments=instruments,
            tick_intervals_ns=intervals,
            underlying_name=underlying_name,
            options_underlyings=options_underlyings,
        )

    # ------------------------------------------------------------------ introspection

    @property
    def strategies(self) -> dict[str, Strategy[Any]]:
        """Instances by instance name, in config order."""
        return {name: inst.strategy for name, inst in self._instances.items()}

    @property
    def wants_ticks(self) -> bool:
        """Whether any instance defines ``on_tick`` (else nobody needs tick notices)."""
        return bool(self._tick_instances)

    def tick_tokens(self) -> frozenset[int]:
        """Instrument tokens some ``on_tick`` instance trades (symbols the instrument master knows)."""
        return frozenset(self._bound_tick_routes())

    def subscriptions(self) -> set[tuple[str, str, str]]:
        """(exchange, tradingsymbol, timeframe) the enabled instances need bars of."""
        return {(ex, sym, inst.timeframe) for inst in self._instances.values() for ex, sym in inst.symbols}

    def instrument(self, symbol: str) -> Instrument | None:
        """``symbol`` (``EXCHANGE:SYMBOL`` or plain NSE) from the instrument master (cached), or None."""
        if symbol in self._instrument_cache:
            return self._instrument_cache[symbol]
        found: Instrument | None = None
        if self._instruments is not None:
            try:
                found = self._instruments.instrument(*split_symbol(symbol))
            except UnknownInstrumentError:  # the strategy falls back to defaults
                found = None
        self._instrument_cache[symbol] = found
        return found

    def stats(self) -> dict[str, Any]:
        """Bars, tick batches and chains seen, per-instance counters, signals dropped below
        min_confidence, conflicts."""
        return {
            "bars_seen": self.bars_seen,
            "tick_batches_seen": self.ticks_seen,
            "chains_seen": self.chains_seen,
            "dropped_low_confidence": self.dropped_low_confidence,
            "aggregation_conflicts": self.conflicts,
            "instances": {
                name: {"strategy": inst.strategy.name, **inst.stats.counters()}
                for name, inst in self._instances.items()
            },
        }

    def hook_latency_us(self) -> dict[str, dict[str, float]]:
        """Per instance (that ran a hook): ``p50``, ``p99`` and ``max`` wall time in µs of its last
        :data:`~alphastock.strategies.instances.HOOK_SAMPLES` data-hook calls (bars, ticks, chains,
        fills; not start or stop), which is what the strategy's own code costs, and ``calls`` (how
        many samples that is)."""
        out: dict[str, dict[str, float]] = {}
        for name, inst in self._instances.items():
            latency = inst.stats.hook_latency_us()
            if latency is not None:
                out[name] = latency
        return out

    def reset_hook_timings(self) -> None:
        """Forget the hook durations so far (after a warm-up on history, which runs back to back)."""
        for inst in self._instances.values():
            inst.stats.hook_ns.clear()

    # ------------------------------------------------------------------ lifecycle

    def start(
        self,
        ctx_factory: Callable[[str], StrategyContext] | None = None,
        sink: Callable[[Signal], None] | None = None,
    ) -> None:
        """Give each instance its context (``ctx_factory(instance_name)`` supplies clock, instruments,
        log) and call ``on_start``; ``sink`` receives signals emitted outside a dispatch."""
        self._sink = sink
        # Routes for ticks and chains now, not at the first tick or chain: finding a symbol's token
        # and underlying may read the instrument master (DuckDB).
        self._bound_tick_routes()
        self._bound_chain_keys()
        for name, inst in self._instances.items():
            base = ctx_factory(name) if ctx_factory is not None else None
            ctx: StrategyContext = _InstanceContext(self, name, base)
            self._guard(inst, inst.strategy.on_start, ctx)
        self._timed = True  # hook calls are timed from here until stop()

    def stop(self) -> None:
        """Call every instance's ``on_stop`` (errors logged, never raised)."""
        self._timed = False
        for inst in self._instances.values():
            self._guard(inst, inst.strategy.on_stop)

    # ------------------------------------------------------------------ dispatch

    def on_bar(self, bar: Bar) -> list[Signal]:
        """Run the subscribed instances on ``bar``; the filtered, aggregated signals (one per symbol)."""
        self.bars_seen += 1
        routes = self._routes.get((bar.exchange, bar.symbol, bar.interval))
        if routes is None:
            return []
        raw: list[Signal] = []
        for inst in routes:
            if inst.stats.disabled:
                continue
            inst.stats.bars += 1
            signals = self._guard(inst, inst.strategy.on_bar, bar)
            if signals:  # nearly every bar makes none: nothing to collect or aggregate
                raw += signals
        return self._finish(raw) if raw else []

    def on_ticks(
        self,
        tokens: Iterable[int],
        latest: Callable[[int], Tick | None],
        now_ns: int,
        recv_ns: int = 0,
    ) -> list[Signal]:
        """Tokens that just ticked (a TICK_BATCH): ``on_tick`` of the instances trading each, with
        ``latest(token)`` (the TickStore's newest tick, read once per token and batch); the
        filtered, aggregated signals.

        ``now_ns`` is the engine clock (UTC epoch ns). An instance with a minimum interval is called
        for a token only when at least that long has passed since its last call for the token;
        a notice inside the interval is coalesced (counted as ``ticks_coalesced``): it is not
        delivered and not queued, but it makes the token due at the end of the interval, when
        :meth:`flush_ticks` delivers the token's newest tick then (or a later notice does). So a
        skipped tick is never delivered late: the instance only ever gets the newest tick there
        is, and every tick stays readable in the TickStore. ``recv_ns``: the frame's wall receive
        time, carried into the :class:`~alphastock.strategies.base.TickView` for latency.
        """
        routes = self._bound_tick_routes()
        if not routes:
            return []
        raw: list[Signal] = []
        for token in dict.fromkeys(tokens):  # a conflated batch names a token once per frame
            insts = routes.get(token)
            if insts is None:
                continue
            view: TickView | None = None
            for inst in insts:
                if inst.stats.disabled:
                    continue
                interval = inst.tick_interval_ns
                if interval:
                    last = inst.tick_last_ns.get(token)
                    if last is not None and now_ns - last < interval:
                        inst.stats.ticks_coalesced += 1
                        inst.tick_due_ns.setdefault(token, last + interval)
                        continue
                if view is None:
                    view = self._view(token, latest, recv_ns)
                    if view is None:
                        break
                raw += self._deliver_tick(inst, token, view, now_ns)
        self.ticks_seen += 1
        return self._finish(raw) if raw else []

    def flush_ticks(self, latest: Callable[[int], Tick | None], now_ns: int) -> list[Signal]:
        """Deliver the coalesced ticks due by ``now_ns`` (engine clock, UTC epoch ns): each such
        instance gets its token's newest tick ``latest(token)``; the filtered, aggregated signals."""
        raw: list[Signal] = []
        views: dict[int, TickView | None] = {}
        for inst in self._tick_instances:
            if not inst.tick_due_ns or inst.stats.disabled:
                continue
            for token, due in list(inst.tick_due_ns.items()):
                if due > now_ns:
                    continue
                if token not in views:
                    views[token] = self._view(token, latest, 0)
                view = views[token]
                if view is None:
                    del inst.tick_due_ns[token]
                    continue
                raw += self._deliver_tick(inst, token, view, now_ns)
        return self._finish(raw) if raw else []

    def next_tick_due_ns(self) -> int | None:
        """The engine time (UTC epoch ns) the earliest coalesced tick is due, or None."""
        dues = [
            due
            for inst in self._tick_instances
            if not inst.stats.disabled
            for due in inst.tick_due_ns.values()
        ]
        return min(dues) if dues else None

    def _view(self, token: int, latest: Callable[[int], Tick | None], recv_ns: int) -> TickView | None:
        tick = latest(token)
        if tick is None:
            return None
        exchange, symbol = self._token_symbols[token]
        return TickView.of(tick, symbol, exchange, recv_ns)

    def _deliver_tick(self, inst: Instance, token: int, view: TickView, now_ns: int) -> list[Signal]:
        inst.tick_last_ns[token] = now_ns
        inst.tick_due_ns.pop(token, None)
        inst.stats.ticks += 1
        return self._guard(inst, inst.strategy.on_tick, view)

    def on_tick(self, tick: Tick, now_ns: int, recv_ns: int = 0) -> list[Signal]:
        """One stored ``tick``: :meth:`on_ticks` of its token, with ``tick`` as the newest."""
        return self.on_ticks((tick.token,), lambda _token: tick, now_ns, recv_ns)

    def on_chain(self, chain: Any, underlying: str | None = None) -> list[Signal]:
        """Run ``on_chain`` of the instances whose symbols name ``underlying`` (the chain's
        derivative name, ``NIFTY``); every instance defining ``on_chain`` when None."""
        self.chains_seen += 1
        raw: list[Signal] = []
        for inst in self._chain_listeners(underlying):
            if inst.stats.disabled:
                continue
            inst.stats.chains += 1
            signals = self._guard(inst, inst.strategy.on_chain, chain)
            if signals:
                raw += signals
        return self._finish(raw) if raw else []

    def on_fill(self, fill: FillInfo) -> list[Signal]:
        """Route ``fill`` to the instance that made its signal (none when the signal is unknown)."""
        owner = self._signal_owner.get(fill.signal_id) if fill.signal_id else None
        inst = self._instances.get(owner) if owner is not None else None
        if inst is None:
            return self._finish([])
        return self._finish(self._guard(inst, inst.strategy.on_fill, fill))

    # ------------------------------------------------------------------ routes of ticks and chains

    def _bound_tick_routes(self) -> dict[int, tuple[Instance, ...]]:
        """Token -> the ``on_tick`` instances trading it, in config order (built once: at
        :meth:`start`, or at the first tick). A symbol the instrument master does not know gets no
        ticks (logged)."""
        if self._tick_routes is not None:
            return self._tick_routes
        routes: dict[int, list[Instance]] = {}
        for inst in self._tick_instances:
            for exchange, symbol in inst.symbols:
                found = self.instrument(f"{exchange}:{symbol}")
                if found is None:
                    log.warning(
                        "strategy %s: %s:%s is not in the instrument master; it gets no ticks",
                        inst.strategy.instance_name, exchange, symbol,
                    )  # fmt: skip
                    continue
                token = found.instrument_token
                self._token_symbols[token] = (str(found.exchange), found.tradingsymbol)
                listeners = routes.setdefault(token, [])
                if inst not in listeners:  # one call per tick even if a symbol is listed twice
                    listeners.append(inst)
        self._tick_routes = {token: tuple(insts) for token, insts in routes.items()}
        return self._tick_routes

    def _bound_chain_keys(self) -> dict[str, frozenset[str]]:
        """Instance name -> the underlying names its symbols name (``on_chain`` instances only).

        A symbol names itself, its underlying name by the runners' alias rules (``NIFTY 50`` and
        ``NIFTY`` -> ``NIFTY``, ``NIFTY BANK`` -> ``BANKNIFTY``), and, for a future or an option, the
        instrument's underlying (``NIFTY26JANFUT`` -> ``NIFTY``)."""
        if self._chain_keys is not None:
            return self._chain_keys
        keys: dict[str, frozenset[str]] = {}
        for name, inst in self._instances.items():
            if not inst.wants_chains:
                continue
            names: set[str] = set()
            for exchange, symbol in inst.symbols:
                candidates = [symbol]
                found = self.instrument(f"{exchange}:{symbol}")
                if found is not None and found.name and found.instrument_type in ("FUT", "CE", "PE"):
                    candidates.append(found.name)
                for candidate in candidates:
                    names.add(candidate.strip().upper())
                    names.add(self._underlying_of(candidate))
            keys[name] = frozenset(names)
        self._chain_keys = keys
        return keys

    def asset_type(self, symbol: str, instrument: Instrument | None = None) -> AssetType:
        """What a signal on ``symbol`` (``EXCHANGE:SYMBOL`` or plain NSE) is traded through:
        :func:`~alphastock.signals.assets.asset_type_of` of ``instrument`` (default: the instrument
        master's), with its underlying name and the configured options underlyings."""
        exchange, name = split_symbol(symbol)
        inst = instrument if instrument is not None else self.instrument(symbol)
        return asset_type_of(
            exchange,
            inst,
            underlying=self._underlying_of(inst.tradingsymbol if inst is not None else name),
            options_underlyings=self._options_underlyings,
        )

    def _underlying_of(self, symbol: str) -> str:
        if self._underlying_name is None:
            return symbol.strip().upper()
        return self._underlying_name(symbol).strip().upper()

    def _chain_listeners(self, underlying: str | None) -> tuple[Instance, ...]:
        """The ``on_chain`` instances whose symbols name ``underlying`` (all when None), in config
        order; memoised. Why: chain snapshots arrive several times a second on the engine loop, and
        calling every instance's no-op hook for each held the loop ahead of the next bar."""
        found = self._chain_routes.get(underlying)
        if found is None:
            keys = self._bound_chain_keys()
            wanted = (
                None if underlying is None else {underlying.strip().upper(), self._underlying_of(underlying)}
            )
            found = self._chain_routes[underlying] = tuple(
                inst
                for name, inst in self._instances.items()
                if name in keys and (wanted is None or not keys[name].isdisjoint(wanted))
            )
        return found

    def _guard(self, inst: Instance, hook: Callable[..., SignalOutput | None], *args: Any) -> list[Signal]:
        """``hook(*args)`` (one of ``inst``'s bound hooks) isolated: errors counted (disabling after
        ``max_errors``), signals it emitted joined to those it returned. A bound method and its
        arguments, not a closure: this runs for every bar of every instance."""
        if inst.stats.disabled:
            return []
        self._dispatching = True
        # Timed because a Python strategy is the largest single part of tick -> order latency
        # (BENCHMARKS.md): the user sees their own hooks' cost in `alphastock live --stats`.
        started = time.perf_counter_ns()
        try:
            out = as_signals(hook(*args))  # a bad return value counts as the hook's error
        except Exception as exc:  # a plugin may raise anything; it must not stop the others
            self._failed(inst, exc)
            return []
        finally:
            self._dispatching = False
            if self._timed:  # data hooks only: not on_start / on_stop
                inst.stats.hook_ns.append(time.perf_counter_ns() - started)
        inst.stats.consecutive_errors = 0
        return self._collected(inst, out) if out or self._pending else out

    def _failed(self, inst: Instance, exc: Exception) -> None:
        """Count and log a hook's exception (called inside its ``except``); disable after ``max_errors``."""
        self._pending.clear()
        stats = inst.stats
        stats.errors += 1
        stats.consecutive_errors += 1
        stats.last_error = f"{type(exc).__name__}: {exc}"
        log.exception("strategy %s raised", inst.strategy.instance_name)
        if stats.consecutive_errors >= self.config.max_errors:
            stats.disabled = True
            log.error(
                "strategy %s disabled after %d consecutive errors",
                inst.strategy.instance_name,
                stats.consecutive_errors,
            )

    def _collected(self, inst: Instance, out: list[Signal]) -> list[Signal]:
        """A successful hook's signals: those it emitted first, then those it returned; remembered as
        ``inst``'s for fill routing."""
        if self._pending:
            out = self._pending + out
            self._pending = []
        if not out:
            return out
        inst.stats.signals += len(out)
        name = inst.strategy.instance_name
        owner = self._signal_owner
        for signal in out:
            owner[signal.id] = name
        # Trimmed here, where it grows (one hook adds a few ids), not on every dispatch.
        while len(owner) > _SIGNAL_MEMORY:
            owner.popitem(last=False)
        return out

    def _emitted(self, name: str, signal: Signal) -> None:
        if self._dispatching:
            self._pending.append(signal)
            return
        inst = self._instances.get(name)
        if inst is not None:
            inst.stats.signals += 1
        self._signal_owner[signal.id] = name
        if len(self._signal_owner) > _SIGNAL_MEMORY:
            self._signal_owner.popitem(last=False)
        if self._sink is not None:
            self._sink(signal)
        else:
            log.warning("strategy %s emitted a signal outside a hook with no sink; dropped", name)

    def _finish(self, raw: list[Signal]) -> list[Signal]:
        """``raw`` without the signals below ``min_confidence`` (counted), aggregated per symbol."""
        if not raw:
            return []
        min_confidence = self.config.min_confidence
        if len(raw) == 1:  # the usual case: a lone signal passes aggregation unchanged
            if raw[0].confidence >= min_confidence:
                return raw
            self.dropped_low_confidence += 1
            return []
        kept = [s for s in raw if s.confidence >= min_confidence]
        self.dropped_low_confidence += len(raw) - len(kept)
        groups: dict[tuple[str, str], list[Signal]] = {}
        for s in kept:
            groups.setdefault((s.exchange, s.symbol), []).append(s)
        result: list[Signal] = []
        for group in groups.values():
            outcome = aggregate(group, self.config.aggregation, self.config.weighted_margin)
            self.conflicts += outcome.conflict
            if outcome.signal is not None:
                # An aggregated signal keeps its winner's id, so fills still route to the winner.
                result.append(outcome.signal)
        return result


__all__ = ["StrategyManager"]
