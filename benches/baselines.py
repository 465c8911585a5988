"""Vectorised numpy/scipy reference implementations the Rust core is benchmarked against.

These are written the way a careful numpy user would write them (one pass of
array expressions, each transcendental computed once, scalar inputs left as
scalars so numpy broadcasts them), so the ratios in BENCHMARKS.md compare the
core with a fair baseline, not with a strawman.

Conventions match :mod:`alphastock.options.math`: ``t`` in years, ``r``/``q``
continuously compounded annualised decimals, theta per calendar day, vega and
rho per percentage point. Only the BSM model (spot ``S``, yield ``q``) is
implemented; Black-76 on a forward ``F`` is BSM with ``S = F`` and ``q = r``,
which is how :func:`black76_greeks` and friends are built.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

FloatArray = NDArray[np.float64]

_FRAC_1_SQRT_2PI = 0.3989422804014327
DAYS_PER_YEAR = 365.0
PER_PERCENT_POINT = 0.01


def _sign(is_call: ArrayLike) -> FloatArray:
    return np.where(np.asarray(is_call, dtype=bool), 1.0, -1.0)


def bsm_greeks(
    is_call: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    t: ArrayLike,
    r: ArrayLike,
    sigma: ArrayLike,
    q: ArrayLike = 0.0,
) -> dict[str, FloatArray]:
    """Textbook closed-form BSM price and greeks (price, delta, gamma, theta/day, vega/1%, rho/1%).

    Assumes ``t > 0`` and ``sigma > 0`` (the benchmark data has both); no domain checks.
    """
    S, K, t, r, sigma, q = (np.asarray(x, dtype=np.float64) for x in (S, K, t, r, sigma, q))
    sign = _sign(is_call)
    with np.errstate(all="ignore"):
        sqrt_t = np.sqrt(t)
        total_vol = sigma * sqrt_t
        d1 = (np.log(S / K) + (r - q) * t) / total_vol + 0.5 * total_vol
        d2 = d1 - total_vol
        spot_df = S * np.exp(-q * t)
        strike_df = K * np.exp(-r * t)
        n_d1 = ndtr(sign * d1)  # N(d1) for calls, N(-d1) for puts
        n_d2 = ndtr(sign * d2)
        density = _FRAC_1_SQRT_2PI * np.exp(-0.5 * d1 * d1)
        spot_df_density = spot_df * density
        delta_abs = spot_df * n_d1  # S e^{-qt} N(±d1): reused by price, delta and theta
        strike_term = strike_df * n_d2  # K e^{-rt} N(±d2): reused by price, theta and rho
        price = sign * (delta_abs - strike_term)
        theta = (
            -spot_df_density * sigma / (2.0 * sqrt_t) + sign * (q * delta_abs - r * strike_term)
        ) / DAYS_PER_YEAR
        return {
            "price": price,
            "delta": sign * delta_abs / S,
            "gamma": spot_df_density / (S * S * total_vol),
            "theta": theta,
            "vega": spot_df_density * sqrt_t * PER_PERCENT_POINT,
            "rho": sign * strike_term * t * PER_PERCENT_POINT,
        }


def black_price_vega(
    sign: FloatArray, F: FloatArray, K: FloatArray, t: FloatArray, df: FloatArray, sigma: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Discounted Black price and vega (per unit of vol) on forward ``F``; textbook formula."""
    sqrt_t = np.sqrt(t)
    total_vol = sigma * sqrt_t
    d1 = np.log(F / K) / total_vol + 0.5 * total_vol
    d2 = d1 - total_vol
    price = df * sign * (F * ndtr(sign * d1) - K * ndtr(sign * d2))
    vega = df * F * _FRAC_1_SQRT_2PI * np.exp(-0.5 * d1 * d1) * sqrt_t
    return price, vega


def implied_vol_newton(
    price: ArrayLike,
    is_call: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    t: ArrayLike,
    r: ArrayLike,
    q: ArrayLike = 0.0,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
    return_info: bool = False,
) -> Any:
    """Vectorised Newton-bisection implied volatility (BSM; annualised decimal).

    Per option: a bracket [lo, hi] with price(lo) <= target <= price(hi)
    (lo = 0, hi doubled from 4 until it brackets); start at the
    Manaster-Koehler point sqrt(2|ln(F/K)|/t) (clipped into the bracket);
    each iteration narrows the bracket with the sign of the price error and
    takes the Newton step on vega if it lands strictly inside the bracket,
    else bisects. An option is done when the absolute price error is below
    ``tol`` (1e-12, in currency) or after ``max_iter`` (100) iterations.
    Only unfinished options are carried into the next iteration.

    As in the core, a price within rounding (8 ulps of max(F, K)) at or below
    the intrinsic value on the forward gives 0; prices further below it, at or
    above the no-arbitrage maximum, and invalid inputs give NaN.

    Returns the vols, or with ``return_info=True`` ``(vols, converged, iterations)``
    where ``converged`` is a bool array and ``iterations`` the number of loop passes.
    """
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (price, S, K, t, r, q)))
    target, S_, K_, t_, r_, q_ = (np.ascontiguousarray(a).ravel() for a in arrays)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), arrays[0].shape).ravel()
    n = target.size
    vols = np.full(n, np.nan)
    converged = np.zeros(n, dtype=bool)
    with np.errstate(all="ignore"):
        F = S_ * np.exp((r_ - q_) * t_)
        df = np.exp(-r_ * t_)
        sign = np.where(call, 1.0, -1.0)
        # Compare on the forward (undiscounted), as the core does, with the same
        # rounding allowance (8 ulps of max(F, K)) below intrinsic value.
        undiscounted = target / df
        intrinsic = np.maximum(sign * (F - K_), 0.0)
        maximum = np.where(call, F, K_)
        rounding = 8.0 * np.finfo(np.float64).eps * np.maximum(F, K_)
        valid = np.isfinite(target) & np.isfinite(F) & (t_ > 0) & (S_ > 0) & (K_ > 0)
        at_intrinsic = valid & (undiscounted >= intrinsic - rounding) & (undiscounted <= intrinsic)
        vols[at_intrinsic] = 0.0
        converged[at_intrinsic] = True
        idx = np.flatnonzero(valid & (undiscounted > intrinsic) & (undiscounted < maximum))

        sg, f, k, tt, d, p = (a[idx] for a in (sign, F, K_, t_, df, target))
        lo = np.zeros(idx.size)
        hi = np.full(idx.size, 4.0)
        for _ in range(10):  # 4 * 2**10 = 4096 = 409,600% vol: plenty
            short = black_price_vega(sg, f, k, tt, d, hi)[0] < p
            if not short.any():
                break
            hi[short] *= 2.0
        sigma = np.clip(np.sqrt(2.0 * np.abs(np.log(f / k)) / tt), 1e-3, 0.5 * hi)

        iterations = 0
        while idx.size and iterations < max_iter:
            iterations += 1
            model, vega = black_price_vega(sg, f, k, tt, d, sigma)
            error = model - p
            done = np.abs(error) < tol
            vols[idx] = sigma  # best so far; overwritten while still iterating
            converged[idx[done]] = True
            hi = np.where(error > 0.0, sigma, hi)
            lo = np.where(error < 0.0, sigma, lo)
            newton = sigma - error / vega
            inside = (newton > lo) & (newton < hi)  # False for NaN/inf steps too
            sigma = np.where(inside, newton, 0.5 * (lo + hi))
            keep = ~done
            if not keep.all():
                idx, sg, f, k, tt, d, p, lo, hi, sigma = (
                    a[keep] for a in (idx, sg, f, k, tt, d, p, lo, hi, sigma)
                )
    if return_info:
        return vols, converged, iterations
    return vols


def parity_forward(
    calls: FloatArray, puts: FloatArray, strikes: FloatArray, t: float, r: float, n_strikes: int = 5
) -> float:
    """Put-call-parity forward: median of K + (C - P)e^{rt} over the n strikes with the smallest |C - P|."""
    usable = np.isfinite(calls) & np.isfinite(puts) & (calls >= 0) & (puts >= 0) & (strikes > 0)
    diff = calls[usable] - puts[usable]
    if diff.size == 0:
        return float("nan")
    nearest = np.argsort(np.abs(diff), kind="stable")[:n_strikes]
    return float(np.median(strikes[usable][nearest] + diff[nearest] * np.exp(r * t)))


def score_strikes(
    strike: FloatArray,
    is_call: NDArray[np.bool_],
    ltp: FloatArray,
    bid: FloatArray,
    ask: FloatArray,
    volume: FloatArray,
    oi: FloatArray,
    delta: FloatArray,
    iv: FloatArray,
    underlying: float,
    *,
    weights: tuple[float, float, float, float, float] = (0.30, 0.30, 0.15, 0.15, 0.10),
    min_volume: float = 0.0,
    min_oi: float = 0.0,
    max_spread_pct: float = float("inf"),
    atm_window: int | None = None,
    option_type: bool | None = None,
    target_delta: float = 0.5,
) -> tuple[FloatArray, int | None]:
    """The strike score of :mod:`alphastock.options.strikes`, in numpy.

    ``weights`` are (liquidity, delta, iv, moneyness, spread); the filters are those of ``StrikeFilters``.
    """
    with np.errstate(all="ignore"):
        spread_pct = (ask - bid) / (0.5 * (ask + bid)) * 100.0
        quotable = (
            np.isfinite(strike)
            & (strike > 0)
            & (ltp > 0)
            & (bid > 0)
            & (ask >= bid)
            & np.isfinite(ask)
            & np.isfinite(delta)
            & np.isfinite(iv)
            & (iv > 0)
            & np.isfinite(volume)
            & np.isfinite(oi)
        )
        if option_type is not None:
            quotable &= is_call == option_type
        keep = quotable & (volume >= min_volume) & (oi >= min_oi) & (spread_pct <= max_spread_pct)
        if atm_window is not None:
            ladder = np.unique(strike[quotable])
            if ladder.size:
                atm = int(np.argmin(np.abs(ladder - underlying)))
                rank = np.searchsorted(ladder, strike)
                listed = (rank < ladder.size) & (ladder[np.minimum(rank, ladder.size - 1)] == strike)
                keep &= listed & (np.abs(rank - atm) <= atm_window)
        scores = np.full(strike.size, np.nan)
        rows = np.flatnonzero(keep)
        if rows.size == 0:
            return scores, None
        k, vol, o, d, v, sp = strike[rows], volume[rows], oi[rows], delta[rows], iv[rows], spread_pct[rows]
        log_vol, log_oi = np.log1p(np.maximum(vol, 0.0)), np.log1p(np.maximum(o, 0.0))
        max_lv, max_lo = log_vol.max(), log_oi.max()
        liquidity = 0.5 * (
            (log_vol / max_lv if max_lv > 0 else 0.0) + (log_oi / max_lo if max_lo > 0 else 0.0)
        )
        d_term = np.clip(
            1.0 - np.abs(np.abs(d) - target_delta) / max(target_delta, 1.0 - target_delta), 0.0, 1.0
        )
        iv_span = v.max() - v.min()
        iv_term = (v.max() - v) / iv_span if iv_span > 0 else np.ones_like(v)
        distance = np.abs(k - underlying)
        max_distance = distance.max()
        money = 1.0 - (distance / max_distance if max_distance > 0 else 1.0)
        cap = max_spread_pct if np.isfinite(max_spread_pct) else sp.max()
        spread = np.clip(1.0 - (sp / cap if cap > 0 else 1.0), 0.0, 1.0)
        w = np.asarray(weights, dtype=np.float64)
        scores[rows] = (
            w[0] * liquidity + w[1] * d_term + w[2] * iv_term + w[3] * money + w[4] * spread
        ) / w.sum()
        # Best: highest score, then nearest the money, then the earliest row.
        order = np.lexsort((rows, distance, -scores[rows]))
        return scores, int(rows[order[0]])


def black76_greeks(
    is_call: ArrayLike, F: float, K: ArrayLike, t: float, r: float, sigma: ArrayLike
) -> dict[str, FloatArray]:
    """Black-76 greeks as BSM with S = F and q = r, except rho, which holds F fixed: -t·price/100."""
    g = bsm_greeks(is_call, F, K, t, r, sigma, q=r)
    g["rho"] = -t * g["price"] * PER_PERCENT_POINT
    return g
