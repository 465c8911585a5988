"""AlphaStock: algorithmic trading for NSE/NFO/MCX through Zerodha Kite Connect.

The compiled core (``alphastock._core``) is private; this package curates the
public API. Options math lives in :mod:`alphastock.options`; Kite binary
frames are decoded by :mod:`alphastock.feeds.kite`; live ticks are kept in
:class:`TickStore` (:mod:`alphastock.ticks`); bars in :mod:`alphastock.bars`
(:class:`BarAggregator` is re-exported here), technical indicators in
:mod:`alphastock.indicators` and pre-trade risk in :mod:`alphastock.risk`.
"""

from alphastock._core import __version__
from alphastock.bars import BarAggregator
from alphastock.errors import AlphaStockError, ConfigError, FrameError
from alphastock.ticks import Tick, TickStore

__all__ = [
    "AlphaStockError",
    "BarAggregator",
    "ConfigError",
    "FrameError",
    "Tick",
    "TickStore",
    "__version__",
]
