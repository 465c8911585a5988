"""AlphaStock's exception hierarchy, rooted at :class:`AlphaStockError`.

The root class is defined in the Rust core so errors raised there and here
share one ancestor; a bad element in a batch never raises (it yields NaN and a
status), only a request that cannot be evaluated does.

:class:`FrameError` (also a ``ValueError``) is defined in the core too: a
malformed Kite binary frame, with the byte offset of the bad packet as ``offset``.
"""

from alphastock._core import AlphaStockError, FrameError


class ConfigError(AlphaStockError, ValueError):
    """A configuration file, environment variable or option is invalid; the message names it."""


__all__ = ["AlphaStockError", "ConfigError", "FrameError"]
