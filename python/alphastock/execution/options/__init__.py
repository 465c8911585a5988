"""The options executor: a signal on an underlying becomes a sized, stop-protected options trade.

:class:`OptionsExecutor` (the flow, :mod:`~alphastock.execution.options.executor`), its validation,
chain book, trade book and configuration section (``option_trading``). The option maths, the contract
choice and the premium levels it uses are in :mod:`alphastock.options`; the resting protection in
:mod:`alphastock.execution.protection`.

Only the configuration is imported eagerly (``alphastock.config`` needs it, and loading the
configuration must not open DuckDB or Arrow); the rest loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphastock._lazy import lazy_exports
from alphastock.execution.options.config import EntryConfig, ExitRulesConfig, OptionTradingConfig

if TYPE_CHECKING:
    from alphastock.execution.options.chains import ChainBook
    from alphastock.execution.options.executor import OptionsExecutor
    from alphastock.execution.options.trades import OptionTrade, TradeBook, TradeStatus
    from alphastock.execution.options.validation import Rejection, SignalValidator, signal_key

_LAZY = {
    "ChainBook": "chains", "OptionsExecutor": "executor", "OptionTrade": "trades", "TradeBook": "trades",
    "TradeStatus": "trades", "Rejection": "validation", "SignalValidator": "validation",
    "signal_key": "validation",
}  # fmt: skip

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "ChainBook",
    "EntryConfig",
    "ExitRulesConfig",
    "OptionTrade",
    "OptionTradingConfig",
    "OptionsExecutor",
    "Rejection",
    "SignalValidator",
    "TradeBook",
    "TradeStatus",
    "signal_key",
]
