"""Option chain snapshots: one expiry's strikes with quotes, the parity forward, IV and greeks.

:func:`build_chain` turns quotes into a :class:`ChainSnapshot` with three Rust calls per
expiry: the put-call-parity forward (:func:`~alphastock.options.implied_forward` on mid
prices), implied volatility of every call and put (Black-76 on that forward) and
their greeks, each vectorised over the whole ladder.

Units: prices rupees; ``time_to_expiry_years`` is calendar time to 15:30 IST on the
expiry date over 365 days; IV annualised decimal; greeks as
:func:`~alphastock.options.greeks` gives them (theta per calendar day, vega per IV
point); ``ts_ns`` UTC epoch ns; volume (traded today, cumulative) and open interest in units
(NaN when not given).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alphastock.options.math import IvStatus, greeks, implied_forward, implied_vol

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
NS_PER_SECOND = 1_000_000_000
YEAR_NS = 365 * 86_400 * NS_PER_SECOND
IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
EXPIRY_TIME = dt.time(15, 30)
"""NSE/BSE options expire at the close, 15:30 IST."""

NO_PRICE: int = 100
"""Status code (beyond :class:`IvStatus`) of an option with no usable quote (no mid, no last price)."""


def expiry_ns(expiry: dt.date, at: dt.time = EXPIRY_TIME) -> int:
    """UTC epoch ns of ``at`` IST on ``expiry``."""
    return int(dt.datetime.combine(expiry, at, IST).timestamp()) * NS_PER_SECOND


def years_to_expiry(expiry: dt.date, now_ns: int, at: dt.time = EXPIRY_TIME) -> float:
    """Calendar years (365 days) from ``now_ns`` to ``at`` IST on ``expiry`` (negative once past)."""
    return (expiry_ns(expiry, at) - now_ns) / YEAR_NS


def mid_prices(bid: ArrayLike, ask: ArrayLike, ltp: ArrayLike) -> F64:
    """Mid of a two-sided positive quote, else the last price if positive, else NaN (rupees)."""
    b, a, last = (np.asarray(x, dtype=np.float64) for x in (bid, ask, ltp))
    two_sided = (b > 0) & (a > 0) & (a >= b)
    with np.errstate(invalid="ignore"):
        mid = np.where(two_sided, 0.5 * (b + a), np.where(last > 0, last, np.nan))
    return np.asarray(mid, dtype=np.float64)


_ROW_COLUMNS = (
    "token", "bid", "ask", "ltp", "iv", "delta", "gamma", "theta", "vega", "status", "volume", "oi",
)  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class ChainSnapshot:
    """One expiry's chain at ``ts_ns``: per strike (ascending) the call and put quotes, IV and greeks.

    Status arrays hold :class:`~alphastock.options.IvStatus` codes, or :data:`NO_PRICE`.
    """

    underlying: str
    expiry: dt.date
    ts_ns: int
    spot: float
    forward: float
    time_to_expiry_years: float
    rate: float
    forward_source: str
    """``parity`` (from the chain) or ``carry`` (spot carried at ``rate`` when parity had no quotes)."""
    strike: F64
    call_token: I64
    put_token: I64
    call_bid: F64
    call_ask: F64
    call_ltp: F64
    call_iv: F64
    call_delta: F64
    call_gamma: F64
    call_theta: F64
    call_vega: F64
    call_status: I8
    call_volume: F64
    """Units traded today (cumulative, as Kite sends it); NaN when not given."""
    call_oi: F64
    """Open interest in units; NaN when not given."""
    put_bid: F64
    put_ask: F64
    put_ltp: F64
    put_iv: F64
    put_delta: F64
    put_gamma: F64
    put_theta: F64
    put_vega: F64
    put_status: I8
    put_volume: F64
    """Units traded today (cumulative); NaN when not given."""
    put_oi: F64
    """Open interest in units; NaN when not given."""

    def __len__(self) -> int:
        return int(self.strike.shape[0])

    @property
    def atm_strike(self) -> float:
        """The listed strike nearest the forward (the spot when the forward is unknown); NaN if empty."""
        if len(self) == 0:
            return math.nan
        ref = self.forward if math.isfinite(self.forward) else self.spot
        return float(self.strike[int(np.argmin(np.abs(self.strike - ref)))])

    def row(self, strike: float) -> dict[str, Any]:
        """Every column at ``strike`` as plain Python values (KeyError when not in the snapshot)."""
        hits = np.flatnonzero(np.isclose(self.strike, strike, rtol=0.0, atol=1e-6))
        if hits.size == 0:
            raise KeyError(f"strike {strike} not in the {self.underlying} {self.expiry} snapshot")
        i = int(hits[0])
        out: dict[str, Any] = {"strike": float(self.strike[i])}
        for side in ("call", "put"):
            for col in _ROW_COLUMNS:
                value = getattr(self, f"{side}_{col}")[i]
                out[f"{side}_{col}"] = int(value) if col in ("token", "status") else float(value)
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-friendly header (no arrays) plus ATM IVs and the window's total volume and OI (units)."""
        atm = self.atm_strike
        row = self.row(atm) if math.isfinite(atm) else {}
        return {
            "underlying": self.underlying,
            "expiry": self.expiry.isoformat(),
            "ts_ns": self.ts_ns,
            "spot": self.spot,
            "forward": self.forward,
            "forward_source": self.forward_source,
            "t_years": self.time_to_expiry_years,
            "strikes": len(self),
            "atm_strike": atm,
            "atm_call_iv": row.get("call_iv", math.nan),
            "atm_put_iv": row.get("put_iv", math.nan),
            "volume": _nansum(self.call_volume, self.put_volume),
            "oi": _nansum(self.call_oi, self.put_oi),
        }


def _nansum(*columns: F64) -> float:
    """Sum of the known values of ``columns`` (units); NaN when none is known."""
    values = np.concatenate(columns)
    known = values[np.isfinite(values)]
    return float(known.sum()) if known.size else math.nan


def build_chain(
    underlying: str,
    expiry: dt.date,
    ts_ns: int,
    spot: float,
    strikes: ArrayLike,
    call_token: ArrayLike,
    put_token: ArrayLike,
    call_quotes: tuple[ArrayLike, ArrayLike, ArrayLike],
    put_quotes: tuple[ArrayLike, ArrayLike, ArrayLike],
    *,
    rate: float = 0.065,
    forward_strikes: int = 5,
    call_volume: ArrayLike | None = None,
    call_oi: ArrayLike | None = None,
    put_volume: ArrayLike | None = None,
    put_oi: ArrayLike | None = None,
) -> ChainSnapshot:
    """Build a :class:`ChainSnapshot` from per-strike ``(bid, ask, ltp)`` of calls and puts (rupees).

    Prices used: the bid/ask mid, else the last price (:func:`mid_prices`). The forward comes
    from put-call parity; if no strike has both prices it is ``spot * exp(rate * t)``.
    ``call_volume``, ``call_oi``, ``put_volume``, ``put_oi``: per strike, in units (volume traded
    today, open interest), in the order of ``strikes``; NaN columns when not given.
    """
    k = np.ascontiguousarray(strikes, dtype=np.float64)
    order = np.argsort(k, kind="stable")
    k = k[order]
    cb, ca, cl = (np.asarray(x, dtype=np.float64)[order] for x in call_quotes)
    pb, pa, pl = (np.asarray(x, dtype=np.float64)[order] for x in put_quotes)
    t = years_to_expiry(expiry, ts_ns)
    n = k.shape[0]

    def units(values: ArrayLike | None, name: str) -> F64:
        if values is None:
            return np.full(n, math.nan)
        column = np.asarray(values, dtype=np.float64).reshape(-1)
        if column.shape[0] != n:
            raise ValueError(f"{name} has {column.shape[0]} values for {n} strikes")
        return np.ascontiguousarray(column[order])

    call_mid, put_mid = mid_prices(cb, ca, cl), mid_prices(pb, pa, pl)
    forward = math.nan
    if n and t > 0:
        forward = implied_forward(call_mid, put_mid, k, t, rate, forward_strikes)
    source = "parity"
    if not math.isfinite(forward):
        forward, source = spot * math.exp(rate * max(t, 0.0)), "carry"
    flags = np.concatenate([np.ones(n, dtype=bool), np.zeros(n, dtype=bool)])
    both_k = np.concatenate([k, k])
    prices = np.concatenate([call_mid, put_mid])
    iv, status = implied_vol(prices, flags, forward, both_k, t, rate, model="black76", return_status=True)
    status = np.where(np.isnan(prices), np.int8(NO_PRICE), status).astype(np.int8)
    g = greeks(flags, forward, both_k, t, rate, np.where(status == IvStatus.OK, iv, np.nan), model="black76")

    def side(values: F64, call: bool) -> F64:
        return np.ascontiguousarray(values[:n] if call else values[n:])

    return ChainSnapshot(
        underlying=underlying, expiry=expiry, ts_ns=int(ts_ns), spot=float(spot), forward=float(forward),
        time_to_expiry_years=t, rate=rate, forward_source=source, strike=k,
        call_token=np.asarray(call_token, dtype=np.int64)[order],
        put_token=np.asarray(put_token, dtype=np.int64)[order],
        call_bid=cb, call_ask=ca, call_ltp=cl, call_iv=side(iv, True), call_delta=side(g["delta"], True),
        call_gamma=side(g["gamma"], True), call_theta=side(g["theta"], True),
        call_vega=side(g["vega"], True), call_status=side(status, True),  # type: ignore[arg-type]
        call_volume=units(call_volume, "call_volume"), call_oi=units(call_oi, "call_oi"),
        put_bid=pb, put_ask=pa, put_ltp=pl, put_iv=side(iv, False), put_delta=side(g["delta"], False),
        put_gamma=side(g["gamma"], False), put_theta=side(g["theta"], False),
        put_vega=side(g["vega"], False), put_status=side(status, False),  # type: ignore[arg-type]
        put_volume=units(put_volume, "put_volume"), put_oi=units(put_oi, "put_oi"),
    )  # fmt: skip


__all__ = [
    "EXPIRY_TIME",
    "NO_PRICE",
    "ChainSnapshot",
    "build_chain",
    "expiry_ns",
    "mid_prices",
    "years_to_expiry",
]
