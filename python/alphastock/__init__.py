"""AlphaStock: algorithmic trading for NSE/NFO/MCX through Zerodha Kite Connect.

The compiled core (``alphastock._core``) is private; this package curates the
public API. Options math lives in :mod:`alphastock.options`, bars in
:mod:`alphastock.bars` (:class:`BarAggregator` is re-exported here) and
technical indicators in :mod:`alphastock.indicators`.
"""

from alphastock._core import __version__
from alphastock.bars import BarAggregator
from alphastock.errors import AlphaStockError, ConfigError

__all__ = ["AlphaStockError", "BarAggregator", "ConfigError", "__version__"]
