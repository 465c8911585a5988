"""Historical option elasticity: option % move ÷ underlying % move, by moneyness and days to expiry.

The ``historical`` exit method (:mod:`alphastock.options.targets`) reads a table of it;
:func:`elasticity_from_ticks` measures one from recorded ticks given as numpy or pyarrow
columns (the store's reader feeds it; this module touches no database).

Conventions, shared by the table and its users:

- ``moneyness`` is how far in the money, in log terms: ``ln(S / K)`` for a call and
  ``ln(K / S)`` for a put (0 at the money, positive in the money, negative out of it), ``S``
  the underlying's price.
- ``days_to_expiry``: calendar days (fractional) to 15:30 IST on the expiry date.
- ``elasticity`` is signed by option type so that it is positive for both: a call's
  ``(ΔP/P) / (ΔS/S)`` and minus a put's. An option's % move is then
  ``+elasticity * underlying % move`` for a call and ``-elasticity * underlying % move`` for a put.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alphastock.options.chain import NS_PER_SECOND, expiry_ns

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
DAY_NS = 86_400 * NS_PER_SECOND

DEFAULT_MONEYNESS_EDGES: tuple[float, ...] = (-0.05, -0.02, -0.01, -0.005, 0.005, 0.01, 0.02, 0.05)
"""Log-moneyness bucket edges (see the module docstring): deep OTM ... ATM ± 0.5% ... deep ITM."""
DEFAULT_DTE_EDGES: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, 8.0, 15.0, 31.0, 92.0)
"""Calendar days-to-expiry bucket edges."""


class ElasticityLookup(Protocol):
    """What the ``historical`` exit method needs: the elasticity of a bucket and its sample count."""

    def elasticity(self, moneyness: float, days_to_expiry: float) -> tuple[float, int]:
        """``(elasticity, samples)`` of the bucket holding the point; ``(nan, 0)`` when none does."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class ElasticityTable:
    """Elasticity (median per bucket) and sample counts on a moneyness * days-to-expiry grid.

    Bucket ``(i, j)`` holds ``moneyness_edges[i] <= m < moneyness_edges[i + 1]`` and
    ``dte_edges[j] <= d < dte_edges[j + 1]``; ``values`` is NaN where ``samples`` is 0.
    """

    moneyness_edges: F64
    dte_edges: F64
    values: F64
    """Shape (len(moneyness_edges) - 1, len(dte_edges) - 1)."""
    samples: I64
    """Same shape: how many measured windows each value is the median of."""

    def elasticity(self, moneyness: float, days_to_expiry: float) -> tuple[float, int]:
        """``(elasticity, samples)`` of the bucket holding the point; ``(nan, 0)`` outside the grid."""
        i = _bucket(self.moneyness_edges, moneyness)
        j = _bucket(self.dte_edges, days_to_expiry)
        if i is None or j is None:
            return math.nan, 0
        return float(self.values[i, j]), int(self.samples[i, j])


def _bucket(edges: F64, x: float) -> int | None:
    if not math.isfinite(x) or not edges[0] <= x < edges[-1]:
        return None
    return int(np.searchsorted(edges, x, side="right")) - 1


def log_moneyness(strike: ArrayLike, underlying: ArrayLike, is_call: ArrayLike) -> F64:
    """``ln(S / K)`` for calls, ``ln(K / S)`` for puts (positive in the money); NaN for prices <= 0."""
    k, s = np.asarray(strike, dtype=np.float64), np.asarray(underlying, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.log(np.where((s > 0) & (k > 0), s / k, np.nan))
    return np.asarray(np.where(np.asarray(is_call, dtype=bool), m, -m), dtype=np.float64)


def _column(table: Any, name: str, dtype: type) -> NDArray[Any]:
    """One column of a numpy mapping or a pyarrow table, as a numpy array."""
    return np.asarray(table[name], dtype=dtype).reshape(-1)


def _price_at(ts: I64, price: F64, at: I64, max_age_ns: int) -> F64:
    """Last price at or before each of ``at`` (``ts`` ascending), NaN when none is that recent."""
    i = np.searchsorted(ts, at, side="right") - 1
    ok = i >= 0
    j = np.maximum(i, 0)
    fresh = ok & (at - ts[j] <= max_age_ns) if ts.size else np.zeros(at.shape, dtype=bool)
    return np.where(fresh, price[j] if ts.size else np.nan, np.nan)


def elasticity_from_ticks(
    option_ticks: Any,
    underlying_ticks: Any,
    strikes: Mapping[int, float],
    expiries: Mapping[int, dt.date],
    option_types: Mapping[int, str],
    *,
    horizon_s: float = 3600.0,
    max_staleness_s: float = 60.0,
    min_underlying_move_pct: float = 0.05,
    moneyness_edges: ArrayLike = DEFAULT_MONEYNESS_EDGES,
    dte_edges: ArrayLike = DEFAULT_DTE_EDGES,
) -> ElasticityTable:
    """Measure an :class:`ElasticityTable` from recorded ticks of one underlying and its options.

    Args:
        option_ticks: columns ``token`` (int), ``ts_ns`` (UTC epoch ns) and ``last_price``
            (rupees), as a mapping of numpy arrays or a pyarrow table; any row order.
        underlying_ticks: columns ``ts_ns`` and ``last_price`` of the underlying (spot).
        strikes, expiries, option_types: per option token, its strike (rupees), expiry date and
            type ("CE"/"PE"); tokens missing from any of them are ignored.
        horizon_s: length of one measured window, seconds (match the exit method's holding time).
        max_staleness_s: a price at a window's end is the last tick at most this old, else the
            window is dropped (so windows across the overnight gap or a quiet contract drop out).
        min_underlying_move_pct: windows where the underlying moved less (in percent) are dropped:
            dividing by a tiny move measures noise.
        moneyness_edges, dte_edges: bucket edges (ascending), as in the module docstring.

    Windows: per option, back-to-back windows ``[t0, t0 + horizon]`` from its first tick to its
    last; each gives ``sign * (P1/P0 - 1) / (S1/S0 - 1)`` (sign +1 for calls, -1 for puts), bucketed
    by the moneyness and days to expiry at ``t0``. A bucket's value is the median of its windows.
    """
    m_edges = np.asarray(moneyness_edges, dtype=np.float64)
    d_edges = np.asarray(dte_edges, dtype=np.float64)
    for name, edges in (("moneyness_edges", m_edges), ("dte_edges", d_edges)):
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
            raise ValueError(f"{name} must be at least two ascending values")
    if not horizon_s > 0:
        raise ValueError(f"horizon_s must be positive, got {horizon_s}")
    horizon_ns, max_age_ns = int(horizon_s * NS_PER_SECOND), int(max_staleness_s * NS_PER_SECOND)
    und_ts = _column(underlying_ticks, "ts_ns", np.int64)
    und_px = _column(underlying_ticks, "last_price", np.float64)
    order = np.argsort(und_ts, kind="stable")
    und_ts, und_px = und_ts[order], und_px[order]
    tokens = _column(option_ticks, "token", np.int64)
    opt_ts = _column(option_ticks, "ts_ns", np.int64)
    opt_px = _column(option_ticks, "last_price", np.float64)
    order = np.lexsort((opt_ts, tokens))
    tokens, opt_ts, opt_px = tokens[order], opt_ts[order], opt_px[order]
    bounds = np.flatnonzero(np.diff(tokens)) + 1
    samples_m: list[F64] = []
    samples_d: list[F64] = []
    samples_e: list[F64] = []
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, tokens.size], strict=True):
        if hi <= lo:
            continue
        token = int(tokens[lo])
        if token not in strikes or token not in expiries or token not in option_types:
            continue
        is_call = str(option_types[token]).upper() in ("CE", "C", "CALL")
        ts, px = opt_ts[lo:hi], opt_px[lo:hi]
        starts = np.arange(ts[0], ts[-1] - horizon_ns + 1, horizon_ns, dtype=np.int64)
        if starts.size == 0:
            continue
        ends = starts + horizon_ns
        p0, p1 = _price_at(ts, px, starts, max_age_ns), _price_at(ts, px, ends, max_age_ns)
        s0, s1 = _price_at(und_ts, und_px, starts, max_age_ns), _price_at(und_ts, und_px, ends, max_age_ns)
        with np.errstate(invalid="ignore", divide="ignore"):
            move = s1 / s0 - 1.0
            e = (1.0 if is_call else -1.0) * (p1 / p0 - 1.0) / move
            keep = (
                (p0 > 0) & (p1 > 0) & (s0 > 0) & (s1 > 0) & (np.abs(move) * 100.0 >= min_underlying_move_pct)
            )
        keep &= np.isfinite(e)
        samples_m.append(log_moneyness(float(strikes[token]), s0[keep], is_call))
        samples_d.append((expiry_ns(expiries[token]) - starts[keep]) / DAY_NS)
        samples_e.append(e[keep])
    shape = (m_edges.size - 1, d_edges.size - 1)
    values, counts = np.full(shape, np.nan), np.zeros(shape, dtype=np.int64)
    if samples_e:
        m, d, e = np.concatenate(samples_m), np.concatenate(samples_d), np.concatenate(samples_e)
        i = np.searchsorted(m_edges, m, side="right") - 1
        j = np.searchsorted(d_edges, d, side="right") - 1
        inside = (i >= 0) & (i < shape[0]) & (j >= 0) & (j < shape[1])
        cell = i[inside] * shape[1] + j[inside]
        e = e[inside]
        for c in np.unique(cell):
            chosen = e[cell == c]
            values.flat[c] = float(np.median(chosen))
            counts.flat[c] = chosen.size
    return ElasticityTable(m_edges, d_edges, values, counts)


__all__ = [
    "DEFAULT_DTE_EDGES",
    "DEFAULT_MONEYNESS_EDGES",
    "ElasticityLookup",
    "ElasticityTable",
    "elasticity_from_ticks",
    "log_moneyness",
]
