"""AlphaStock: algorithmic trading for NSE/NFO/MCX through Zerodha Kite Connect.

The compiled core (``alphastock._core``) is private; this package curates the
public API. Options math lives in :mod:`alphastock.options`.
"""

from alphastock._core import __version__
from alphastock.errors import AlphaStockError, ConfigError

__all__ = ["AlphaStockError", "ConfigError", "__version__"]
