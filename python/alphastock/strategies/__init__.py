"""Strategy plugins: the :class:`Strategy` API, the registry, the manager and the built-ins.

Built-ins (registered as entry points in group ``alphastock.strategies``, like any plugin):
``ma_crossover``, ``mean_reversion``, ``breakout``, ``rsi_divergence``.
"""

from alphastock.strategies.aggregation import Aggregated, AggregationMode, aggregate
from alphastock.strategies.base import (
    DEFAULT_TICK_SIZE,
    NullContext,
    SignalOutput,
    Strategy,
    StrategyContext,
    StrategyParams,
    TickView,
)
from alphastock.strategies.config import StrategiesConfig, StrategyInstanceConfig
from alphastock.strategies.instances import split_symbol
from alphastock.strategies.manager import StrategyManager
from alphastock.strategies.registry import load_strategies, registry_errors, strategy_source

__all__ = [
    "DEFAULT_TICK_SIZE",
    "Aggregated",
    "AggregationMode",
    "NullContext",
    "SignalOutput",
    "StrategiesConfig",
    "Strategy",
    "StrategyContext",
    "StrategyInstanceConfig",
    "StrategyManager",
    "StrategyParams",
    "TickView",
    "aggregate",
    "load_strategies",
    "registry_errors",
    "split_symbol",
    "strategy_source",
]
