"""Strategy instances as the :class:`~alphastock.strategies.manager.StrategyManager` keeps them: the
configured instances built from the registry (:func:`build_instances`), each one's routing state
(:class:`Instance`) and its counters and hook timings (:class:`InstanceStats`).

Units: times ns (hook durations wall clock, tick times engine clock, UTC epoch).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alphastock.errors import ConfigError
from alphastock.strategies.base import Strategy
from alphastock.strategies.config import StrategiesConfig


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
    ticks: int = 0
    """``on_tick`` calls."""
    ticks_coalesced: int = 0
    """Tick notices not delivered because they came inside ``min_tick_interval_ms`` of the last call
    for their token (the newest tick is delivered once the interval has passed)."""
    chains: int = 0
    signals: int = 0
    errors: int = 0
    consecutive_errors: int = 0
    disabled: bool = False
    last_error: str | None = None
    hook_ns: deque[int] = field(default_factory=lambda: deque(maxlen=HOOK_SAMPLES))

    def counters(self) -> dict[str, Any]:
        """The counters (not the hook samples), for :meth:`StrategyManager.stats`."""
        return {
            "bars": self.bars, "ticks": self.ticks, "ticks_coalesced": self.ticks_coalesced,
            "chains": self.chains, "signals": self.signals, "errors": self.errors,
            "disabled": self.disabled, "last_error": self.last_error,
        }  # fmt: skip

    def hook_latency_us(self) -> dict[str, float] | None:
        """``p50``, ``p99`` and ``max`` wall time in µs of the sampled hook calls and ``calls`` (how many
        samples), or None before the first."""
        samples = sorted(self.hook_ns)
        if not samples:
            return None
        n = len(samples)
        return {
            "p50": samples[n // 2] / 1_000,
            "p99": samples[min(n - 1, int(0.99 * n))] / 1_000,
            "max": samples[-1] / 1_000,
            "calls": float(n),
        }


@dataclass
class Instance:
    """One configured strategy instance: its symbols, timeframe, tick interval and counters."""

    strategy: Strategy[Any]
    symbols: list[tuple[str, str]]
    timeframe: str
    tick_interval_ns: int = 0
    stats: InstanceStats = field(default_factory=InstanceStats)
    wants_ticks: bool = False
    wants_chains: bool = False
    tick_last_ns: dict[int, int] = field(default_factory=dict)
    """Token -> engine time (UTC epoch ns) of the last ``on_tick`` call for it."""
    tick_due_ns: dict[int, int] = field(default_factory=dict)
    """Token -> engine time (UTC epoch ns) a coalesced tick is due (its interval has passed)."""

    def __post_init__(self) -> None:
        # By method identity, once: the per-tick and per-chain paths never look at an instance
        # whose class keeps the base class's no-op hook.
        cls = type(self.strategy)
        self.wants_ticks = cls.on_tick is not Strategy.on_tick
        self.wants_chains = cls.on_chain is not Strategy.on_chain


def build_instances(
    config: StrategiesConfig, registry: Mapping[str, type[Strategy[Any]]]
) -> tuple[list[tuple[Strategy[Any], list[tuple[str, str]], str]], dict[str, int]]:
    """The enabled instances of ``config`` made from ``registry`` — (strategy, [(exchange, symbol)],
    timeframe) in config order — and each instance's ``min_tick_interval`` in ns. Unknown names and
    bad params raise ConfigError naming the instance."""
    built: list[tuple[Strategy[Any], list[tuple[str, str]], str]] = []
    intervals: dict[str, int] = {}
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
        intervals[strategy.instance_name] = spec.min_tick_interval_ns
    return built, intervals


__all__ = ["HOOK_SAMPLES", "Instance", "InstanceStats", "build_instances", "split_symbol"]
