"""The engine, assembled once: :func:`build_kernel` builds every part from the configuration and
three adapters (clock, market data, execution venue); see :mod:`alphastock.kernel.builder` for the
order and :mod:`alphastock.ports` for the adapters (:class:`~alphastock.ports.Adapters`)."""

from __future__ import annotations

from alphastock.kernel.adapters import KiteExecution, KiteMarketData, PaperExecution
from alphastock.kernel.builder import TICK_CAPACITY, Kernel, Observer, build_kernel, resolve_strategy_symbols
from alphastock.kernel.execution import ExecutionStack, build_execution

__all__ = [
    "TICK_CAPACITY",
    "ExecutionStack",
    "Kernel",
    "KiteExecution",
    "KiteMarketData",
    "Observer",
    "PaperExecution",
    "build_execution",
    "build_kernel",
    "resolve_strategy_symbols",
]
