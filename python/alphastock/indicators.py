"""Technical indicators computed in the Rust core: batch functions and incremental classes.

Every batch function takes 1-D array-likes and returns float64 arrays aligned
with the input (one output per input), NaN during warm-up. Every indicator is
also an incremental class (``Sma(n)``, ``Ema(n)``, ...) with ``update(...)``,
``update_many(array)``, ``reset()``, ``value`` (the last output) and ``ready``
(``value`` is a number); the batch function runs the same code, so a stream of
``update`` calls reproduces it bit for bit. Outputs are in the units of the
input (prices in, prices out), except RSI, which is in [0, 100].

Definitions (TA-Lib's and backtrader's conventions):

========================  ==============  =========================================================
indicator                 first value at  definition
========================  ==============  =========================================================
``sma(x, n)``             n-1             mean of the last n values
``ema(x, n)``             n-1             alpha = 2/(n+1), seeded with the SMA of the first n values
``rsi(x, n)``             n               Wilder: first averages = means of the first n changes, then
                                          ``avg = (avg*(n-1) + change)/n``;
                                          ``100*avg_gain/(avg_gain+avg_loss)``
``atr(h, l, c, n)``       n               Wilder on the true range
                                          ``max(h-l, |h-prev_c|, |l-prev_c|)``; first value = mean of
                                          TR[1..n] (bar 0 only supplies a previous close), as TA-Lib
``bollinger(x, n, k)``    n-1             middle = SMA(n), upper/lower = middle ± k·population std
``vwap(p, v, session)``   first volume    Σ p·v / Σ v since the session id last changed
``rolling_max(x, n)``     n-1             highest of the last n values (``rolling_min``: lowest)
========================  ==============  =========================================================

RSI of a flat window (average gain and loss both 0) is 50, neither overbought
nor oversold, as backtrader's ``safediv`` gives; TA-Lib returns 0 there.

Non-finite inputs (NaN, ±inf) never raise:

* windowed indicators (SMA, Bollinger, rolling max/min) output NaN for every
  window holding a non-finite value, and recover when it leaves the window;
* recursive indicators (EMA, RSI, ATR, VWAP) skip it: the output at that index
  is NaN and the state is unchanged, so the next good value continues from the
  last good one. VWAP also skips negative volumes.

A period ``n < 1`` raises ValueError; so do inputs of different lengths.
Rolling sums are compensated (Neumaier), so results do not drift over
millions of values; see ``rust/src/indicators`` for the numerics.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alphastock import _core
from alphastock._core import Atr, Bollinger, Ema, RollingMax, RollingMin, Rsi, Sma, Vwap

FloatArray = NDArray[np.float64]


class Bands(NamedTuple):
    """Bollinger bands, each aligned with the input (same units as the input)."""

    middle: FloatArray
    upper: FloatArray
    lower: FloatArray


def _period(n: int) -> int:
    if isinstance(n, bool):
        raise TypeError("period n must be an integer, got a bool")
    try:
        value = operator.index(n)
    except TypeError:
        raise TypeError(f"period n must be an integer, got {type(n).__name__}") from None
    if value < 1:
        raise ValueError(f"period n must be >= 1, got {value}")
    return value


def _series(x: ArrayLike, name: str) -> FloatArray:
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    return np.ascontiguousarray(array)


def _session_ids(session_id: ArrayLike, size: int) -> NDArray[np.int64]:
    ids = np.asarray(session_id)
    if ids.dtype.kind == "M":  # datetime64, e.g. IST dates: the raw count works as an id
        ids = ids.view(np.int64)
    if ids.dtype.kind not in "iub":
        raise TypeError(f"session_id must be integers (or datetime64), got dtype {ids.dtype}")
    if ids.dtype.kind == "u" and ids.size and int(ids.max()) > np.iinfo(np.int64).max:
        raise ValueError("session_id values must fit in int64")
    ids = ids.astype(np.int64)
    if ids.ndim == 0:
        return np.full(size, int(ids), dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"session_id must be 1-D or a scalar, got shape {ids.shape}")
    return np.ascontiguousarray(ids)


def sma(x: ArrayLike, n: int) -> FloatArray:
    """Simple moving average of the last ``n`` values; NaN for the first n-1."""
    return _core.sma(_series(x, "x"), _period(n))


def ema(x: ArrayLike, n: int) -> FloatArray:
    """Exponential moving average, alpha = 2/(n+1), seeded with the SMA of the first n values."""
    return _core.ema(_series(x, "x"), _period(n))


def rsi(x: ArrayLike, n: int) -> FloatArray:
    """Wilder's RSI in [0, 100]; NaN for the first n values (n changes are needed)."""
    return _core.rsi(_series(x, "x"), _period(n))


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int) -> FloatArray:
    """Wilder's average true range of bars, in price units; NaN for the first n bars."""
    return _core.atr(_series(high, "high"), _series(low, "low"), _series(close, "close"), _period(n))


def bollinger(x: ArrayLike, n: int, k: float = 2.0) -> Bands:
    """Bollinger bands: SMA(n) ± k population standard deviations; NaN for the first n-1 values.

    Raises:
        ValueError: ``n < 1``, or ``k`` negative or not finite.
    """
    middle, upper, lower = _core.bollinger(_series(x, "x"), _period(n), float(k))
    return Bands(middle, upper, lower)


def vwap(price: ArrayLike, volume: ArrayLike, session_id: ArrayLike) -> FloatArray:
    """Volume-weighted average price since the session id last changed; NaN until volume > 0.

    Args:
        price: trade or bar prices (for bars, typically the typical price (h+l+c)/3 or the close).
        volume: traded quantity per element, in units; negative or non-finite elements are skipped.
        session_id: an integer per element (or one for all); a change starts a new session.
            :func:`alphastock.bars.ist_day` of the timestamps gives one session per trading day.
    """
    p = _series(price, "price")
    return _core.vwap(p, _series(volume, "volume"), _session_ids(session_id, p.size))


def rolling_max(x: ArrayLike, n: int) -> FloatArray:
    """Highest of the last ``n`` values; NaN for the first n-1."""
    return _core.rolling_max(_series(x, "x"), _period(n))


def rolling_min(x: ArrayLike, n: int) -> FloatArray:
    """Lowest of the last ``n`` values; NaN for the first n-1."""
    return _core.rolling_min(_series(x, "x"), _period(n))


__all__ = [
    "Atr",
    "Bands",
    "Bollinger",
    "Ema",
    "RollingMax",
    "RollingMin",
    "Rsi",
    "Sma",
    "Vwap",
    "atr",
    "bollinger",
    "ema",
    "rolling_max",
    "rolling_min",
    "rsi",
    "sma",
    "vwap",
]
