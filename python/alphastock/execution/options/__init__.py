"""The options executor: a signal on an underlying becomes a sized, stop-protected options trade.

:class:`OptionsExecutor` (the flow, :mod:`~alphastock.execution.options.executor`), its validation,
chain book, trade book and configuration section (``option_trading``). The option maths, the contract
choice and the premium levels it uses are in :mod:`alphastock.options`; the resting protection in
:mod:`alphastock.execution.protection`.
"""

from alphastock.execution.options.chains import ChainBook
from alphastock.execution.options.config import EntryConfig, ExitRulesConfig, OptionTradingConfig
from alphastock.execution.options.executor import OptionsExecutor
from alphastock.execution.options.trades import OptionTrade, TradeBook, TradeStatus
from alphastock.execution.options.validation import Rejection, SignalValidator, signal_key

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
