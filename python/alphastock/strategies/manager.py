"""The :class:`StrategyManager`: strategy instances by symbols, dispatch, isolation, aggregation.

The manager is synchronous and owns no task: the engine's strategy component calls
:meth:`StrategyManager.on_bar` (and ``on_tick``/``on_chain``/``on_fill``) on the engine loop
and hands the returned signals to the SignalManager. Per bar it

1. calls ``on_bar`` of every enabled instance subscribed to the bar's (symbol, interval), in
   config order; a raising hook is logged and counted, the others still run, and after
   ``max_errors`` consecutive errors the instance is disabled (see :meth:`stats`);
2. drops signals below ``min_confidence`` (counted);
3. aggregates what is left per symbol (:mod:`alphastock.strategies.aggregation`).

Signals a strategy ``emit()``s during a hook join that hook's return value; emitted outside a
hook they go to the ``sink`` given to :meth:`start` (dropped with a warning when there is none).
Fills are routed to the instance whose signal made the order (``FillInfo.signal_id``).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from alphastock.errors import ConfigError
from alphastock.events import Bar, FillInfo
from alphastock.models import Instrument
from alphastock.signals.model import Signal
from alphastock.strategies.aggregation import aggregate
from alphastock.strategies.base import SignalOutput, Strategy, StrategyContext, TickView, as_signals
from alphastock.strategies.config import StrategiesConfig
from alphastock.strategies.registry import load_strategies

log = logging.getLogger(__name__)

_SIGNAL_MEMORY = 100_000
"""How many signal ids -> instance are remembered for fill routing."""


class InstrumentLookup(Protocol):
    """What the manager needs of an instrument master (an InstrumentStore fits)."""

    def instrument(self, exchange: str, tradingsymbol: str) -> Instrument:
        """The instrument, or raises when unknown."""
        ...


def split_symbol(symbol: str, default_exchange: str = "NSE") -> tuple[str, str]:
    """``"NSE:INFY"`` -> ``("NSE", "INFY")``; a plain ``"INFY"`` -> ``(default_exchange, "INFY")``."""
    exchange, sep, tradingsymbol = symbol.strip().partition(":")
    if not sep:
        return default_exchange, exchange
    return exchange.strip().upper(), tradingsymbol.strip()


HOOK_SAMPLES = 4096
"""Durations of the last so many hook calls kept per instance, for :meth:`StrategyManager.hook_latency_us`."""


@dataclass
class InstanceStats:
    """Counters of one instance, and the wall time (ns) of its last :data:`HOOK_SAMPLES` hook calls."""

    bars: int = 0
    signals: int = 0
    errors: int = 0
    consecutive_errors: int = 0
    disabled: bool = False
    last_error: str | None = None
    hook_ns: deque[int] = field(default_factory=lambda: deque(maxlen=HOOK_SAMPLES))


@dataclass
class _Instance:
    strategy: Strategy[Any]
    symbols: list[tuple[str, str]]
    timeframe: str
    stats: InstanceStats = field(default_factory=InstanceStats)


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
    ) -> None:
        self.config = config or StrategiesConfig(instances=[])
        self._instruments = instruments
        self._instances: dict[str, _Instance] = {}
        for strategy, symbols, timeframe in instances:
            if strategy.instance_name in self._instances:
                raise ConfigError(f"strategies: instance name {strategy.instance_name!r} is used twice")
            self._instances[strategy.instance_name] = _Instance(strategy, list(symbols), timeframe)
        # Bars are routed by (exchange, symbol, interval), filtered here once rather than per bar; a bar
        # without an exchange ("") reaches every exchange's instances. One entry per configured
        # symbol, in config order (an instance listing a symbol twice is called twice, as before).
        routes: dict[tuple[str, str, str], list[_Instance]] = {}
        for inst in self._instances.values():
            for exchange, symbol in inst.symbols:
                routes.setdefault((exchange, symbol, inst.timeframe), []).append(inst)
                routes.setdefault(("", symbol, inst.timeframe), []).append(inst)
        self._routes: dict[tuple[str, str, str], tuple[_Instance, ...]] = {
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
        self._hook_routes: dict[tuple[str, str | None], tuple[_Instance, ...]] = {}

    @classmethod
    def from_config(
        cls,
        config: StrategiesConfig,
        registry: Mapping[str, type[Strategy[Any]]] | None = None,
        instruments: InstrumentLookup | None = None,
    ) -> StrategyManager:
        """Build the enabled instances of ``config``; unknown names and bad params raise ConfigError."""
        registry = load_strategies() if registry is None else registry
        built: list[tuple[Strategy[Any], list[tuple[str, str]], str]] = []
        for i, spec in enumerate(config.instances):
            if not spec.enabled:
                continue
            cls_ = registry.get(spec.strategy)
            if cls_ is None:
                known = ", ".join(sorted(registry)) or "(none)"
                raise ConfigError(
                    f"strategies.instances[{i}]: unknown strategy {spec.strategy!r}; registered: {known}"
                )
            try:
                strategy = cls_(spec.params, instance_name=spec.instance_name)
            except ConfigError as exc:
                raise ConfigError(f"strategies.instances[{i}] ({spec.instance_name}): {exc}") from None
            built.append((strategy, [split_symbol(s) for s in spec.symbols], spec.timeframe))
        return cls(built, config=config, instruments=instruments)

    # ------------------------------------------------------------------ introspection

    @property
    def strategies(self) -> dict[str, Strategy[Any]]:
        """Instances by instance name, in config order."""
        return {name: inst.strategy for name, inst in self._instances.items()}

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
            except Exception:  # unknown instrument: the strategy falls back to defaults
                found = None
        self._instrument_cache[symbol] = found
        return found

    def stats(self) -> dict[str, Any]:
        """Bars seen, per-instance counters, signals dropped below min_confidence, conflicts."""
        return {
            "bars_seen": self.bars_seen,
            "dropped_low_confidence": self.dropped_low_confidence,
            "aggregation_conflicts": self.conflicts,
            "instances": {
                name: {
                    "strategy": inst.strategy.name,
                    "bars": inst.stats.bars,
                    "signals": inst.stats.signals,
                    "errors": inst.stats.errors,
                    "disabled": inst.stats.disabled,
                    "last_error": inst.stats.last_error,
                }
                for name, inst in self._instances.items()
            },
        }

    def hook_latency_us(self) -> dict[str, dict[str, float]]:
        """Per instance (that ran a hook): ``p50``, ``p99`` and ``max`` wall time in µs of its last
        :data:`HOOK_SAMPLES` data-hook calls (bars, ticks, chains, fills; not start or stop), which
        is what the strategy's own code costs, and ``calls`` (how many samples that is)."""
        out: dict[str, dict[str, float]] = {}
        for name, inst in self._instances.items():
            samples = sorted(inst.stats.hook_ns)
            if not samples:
                continue
            n = len(samples)
            out[name] = {
                "p50": samples[n // 2] / 1_000,
                "p99": samples[min(n - 1, int(0.99 * n))] / 1_000,
                "max": samples[-1] / 1_000,
                "calls": float(n),
            }
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

    def on_tick(self, tick: TickView, symbol: str | None = None) -> list[Signal]:
        """Run ``on_tick`` of the instances trading ``symbol`` (every instance when None)."""
        return self._broadcast("on_tick", tick, symbol)

    def on_chain(self, chain: Any, symbol: str | None = None) -> list[Signal]:
        """Run ``on_chain`` of the instances trading ``symbol`` (every instance when None)."""
        return self._broadcast("on_chain", chain, symbol)

    def on_fill(self, fill: FillInfo) -> list[Signal]:
        """Route ``fill`` to the instance that made its signal (none when the signal is unknown)."""
        owner = self._signal_owner.get(fill.signal_id) if fill.signal_id else None
        inst = self._instances.get(owner) if owner is not None else None
        if inst is None:
            return self._finish([])
        return self._finish(self._guard(inst, inst.strategy.on_fill, fill))

    def _broadcast(self, hook: str, arg: Any, symbol: str | None) -> list[Signal]:
        raw: list[Signal] = []
        for inst in self._listeners(hook, symbol):
            raw.extend(self._guard(inst, getattr(inst.strategy, hook), arg))
        return self._finish(raw)

    def _listeners(self, hook: str, symbol: str | None) -> tuple[_Instance, ...]:
        """The instances whose class overrides ``hook`` and that trade ``symbol`` (any when None), in
        config order; memoised. Why: chain snapshots arrive several times a second on the engine
        loop, and calling every instance's no-op hook for each held the loop ahead of the next bar."""
        key = (hook, symbol)
        found = self._hook_routes.get(key)
        if found is None:
            base_hook = getattr(Strategy, hook)
            found = self._hook_routes[key] = tuple(
                inst
                for inst in self._instances.values()
                if getattr(type(inst.strategy), hook) is not base_hook
                and (symbol is None or any(sym == symbol for _, sym in inst.symbols))
            )
        return found

    def _guard(self, inst: _Instance, hook: Callable[..., SignalOutput | None], *args: Any) -> list[Signal]:
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

    def _failed(self, inst: _Instance, exc: Exception) -> None:
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

    def _collected(self, inst: _Instance, out: list[Signal]) -> list[Signal]:
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


__all__ = ["InstanceStats", "InstrumentLookup", "StrategyManager", "split_symbol"]
