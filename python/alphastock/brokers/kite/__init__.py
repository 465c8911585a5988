"""The live broker over Kite Connect: :class:`KiteBroker` (REST via the official ``kiteconnect`` SDK),
its shared :class:`RateLimiter` and chunked historical candles (:func:`fetch_candles`,
:func:`store_candles`). The instruments dump it serves is kept and queried by :mod:`alphastock.refdata`."""

from alphastock.brokers.kite.broker import KiteBroker, map_kite_error
from alphastock.brokers.kite.historical import (
    BAR_INTERVALS,
    MAX_SPAN_DAYS,
    FetchResult,
    chunk_range,
    fetch_candles,
    store_candles,
)
from alphastock.brokers.kite.orders import SLICED_PREFIX, ChildOrder, SlicedOrder, child_tag, slice_quantities
from alphastock.brokers.kite.ratelimit import KITE_LIMITS, RateLimiter, Window

__all__ = [
    "BAR_INTERVALS",
    "KITE_LIMITS",
    "MAX_SPAN_DAYS",
    "SLICED_PREFIX",
    "ChildOrder",
    "FetchResult",
    "KiteBroker",
    "RateLimiter",
    "SlicedOrder",
    "Window",
    "child_tag",
    "chunk_range",
    "fetch_candles",
    "map_kite_error",
    "slice_quantities",
    "store_candles",
]
