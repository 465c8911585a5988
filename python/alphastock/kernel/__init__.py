"""The engine, assembled once: :func:`build_kernel` builds every part from the configuration and
three adapters (clock, market data, execution venue); see :mod:`alphastock.kernel.builder` for the
order and :mod:`alphastock.kernel.ports` for the adapters."""

from __future__ import annotations

from alphastock.kernel.adapters import KiteExecution, KiteMarketData, PaperExecution
from alphastock.kernel.builder import TICK_CAPACITY, Kernel, Observer, build_kernel, resolve_strategy_symbols
from alphastock.kernel.execution import ExecutionStack, build_execution
from alphastock.kernel.ports import Adapters, ExecutionVenue, Feed, FeedSink, MarketDataSource, VenueContext

__all__ = [
    "TICK_CAPACITY",
    "Adapters",
    "ExecutionStack",
    "ExecutionVenue",
    "Feed",
    "FeedSink",
    "Kernel",
    "KiteExecution",
    "KiteMarketData",
    "MarketDataSource",
    "Observer",
    "PaperExecution",
    "VenueContext",
    "build_execution",
    "build_kernel",
    "resolve_strategy_symbols",
]
