"""AlphaStock: algorithmic trading for NSE/NFO/MCX through Zerodha Kite Connect.

The compiled core (``alphastock._core``) is private; this package curates the
public API. Options math lives in :mod:`alphastock.options`; Kite binary
frames are decoded by :mod:`alphastock.feeds.kite`; live ticks are kept in
:class:`TickStore` (:mod:`alphastock.ticks`).
"""

from alphastock._core import __version__
from alphastock.errors import AlphaStockError, ConfigError, FrameError
from alphastock.ticks import Tick, TickStore

__all__ = ["AlphaStockError", "ConfigError", "FrameError", "Tick", "TickStore", "__version__"]
