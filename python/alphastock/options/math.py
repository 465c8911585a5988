"""European option prices, greeks and implied volatility, computed in the Rust core.

Argument order follows py_vollib: ``flag, S, K, t, r, sigma``. Every function
takes scalars or numpy arrays, broadcasts them together and returns float64
arrays (0-d when every input is a scalar).

Units: prices in rupees (any currency, consistently); ``t`` in years;
``r``, ``q`` and ``sigma`` as annualised decimals (0.065 = 6.5%), ``r`` and
``q`` continuously compounded. ``model="bsm"`` is Black-Scholes-Merton on spot
``S`` with continuous yield ``q``; ``model="black76"`` treats ``S`` as the
forward ``F`` (use it for index options priced off futures or the parity
forward) and ignores ``q``.
"""

from __future__ import annotations

import enum
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alphastock import _core
from alphastock.options._inputs import BoolArray, FloatArray, as_float, contract_columns, model_code

GREEK_NAMES = ("price", "delta", "gamma", "theta", "vega", "rho")


class IvStatus(enum.IntEnum):
    """Per-option outcome codes of :func:`implied_vol` (int8 in the status array)."""

    OK = 0
    """Solved. A price within rounding of intrinsic value gives 0 vol with this status."""
    BELOW_INTRINSIC = 1
    """Price below the intrinsic value on the forward: no volatility produces it."""
    ABOVE_MAXIMUM = 2
    """Price at or above the no-arbitrage bound (discounted forward for calls, discounted strike for puts)."""
    NON_POSITIVE_EXPIRY = 3
    """``t <= 0``."""
    NON_FINITE_INPUT = 4
    """A price, S, K, t, r or q is NaN or infinite."""
    INVALID_INPUT = 5
    """``S <= 0``, ``K <= 0``, or a forward that overflows."""
    SOLVER_FAILED = 6
    """The solver returned no root for an in-range price; reported rather than hidden."""


def price(
    flag: str | bool | ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    t: ArrayLike,
    r: ArrayLike,
    sigma: ArrayLike,
    q: ArrayLike = 0.0,
    model: str = "bsm",
) -> FloatArray:
    """Present value of European options.

    Args:
        flag: "c"/"p" (or "call"/"put", "CE"/"PE"), or a bool array, True = call.
        S: spot price (bsm) or forward price (black76).
        K: strike price.
        t: time to expiry in years.
        r: risk-free rate, continuously compounded, annualised decimal.
        sigma: volatility, annualised decimal.
        q: continuous dividend/carry yield, annualised decimal (bsm only).
        model: "bsm" or "black76".

    Returns:
        Prices in the currency of S and K; NaN where an input is outside the
        model's domain (S or K <= 0, t < 0, sigma < 0, non-finite values).
    """
    code = model_code(model)
    shape, (is_call, s, k, tt, rr, vol, qq) = contract_columns(
        flag, ("S", S), ("K", K), ("t", t), ("r", r), ("sigma", sigma), ("q", q)
    )
    return _core.price(is_call, s, k, tt, rr, vol, qq, code).reshape(shape)


def greeks(
    flag: str | bool | ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    t: ArrayLike,
    r: ArrayLike,
    sigma: ArrayLike,
    q: ArrayLike = 0.0,
    model: str = "bsm",
) -> dict[str, FloatArray]:
    """Price and first-order greeks of European options (arguments as :func:`price`).

    Returns a dict of arrays, keys in this order:

    - ``price``: present value, in currency.
    - ``delta``: d(price)/dS, per unit of S (of F for black76).
    - ``gamma``: d(delta)/dS, per unit of S.
    - ``theta``: change in value as one calendar day passes, in currency per
      day (annual theta / 365; usually negative).
    - ``vega``: change in value for +1 percentage point (0.01) of sigma.
    - ``rho``: change in value for +1 percentage point (0.01) of r; for
      black76 the forward is held fixed, so rho = -t * price / 100.

    At ``t == 0`` or ``sigma == 0`` gamma and vega are 0 and delta is the
    discounted exercise indicator (half of it exactly at the money).
    """
    code = model_code(model)
    shape, (is_call, s, k, tt, rr, vol, qq) = contract_columns(
        flag, ("S", S), ("K", K), ("t", t), ("r", r), ("sigma", sigma), ("q", q)
    )
    values = _core.greeks(is_call, s, k, tt, rr, vol, qq, code)
    return {name: column.reshape(shape) for name, column in zip(GREEK_NAMES, values, strict=True)}


@overload
def implied_vol(
    price: ArrayLike,
    flag: str | bool | ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    t: ArrayLike,
    r: ArrayLike,
    q: ArrayLike = ...,
    model: str = ...,
    return_status: Literal[False] = ...,
) -> FloatArray: ...
@overload
def implied_vol(
    price: ArrayLike,
    flag: str | bool | ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    t: ArrayLike,
    r: ArrayLike,
    q: ArrayLike = ...,
    model: str = ...,
    *,
    return_status: Literal[True],
) -> tuple[FloatArray, NDArray[np.int8]]: ...
def implied_vol(
    price: ArrayLike,
    flag: str | bool | ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    t: ArrayLike,
    r: ArrayLike,
    q: ArrayLike = 0.0,
    model: str = "bsm",
    return_status: bool = False,
) -> FloatArray | tuple[FloatArray, NDArray[np.int8]]:
    """Implied volatility (annualised decimal) of European option prices.

    Uses Jäckel's "Let's Be Rational": ``price(implied_vol(p))`` matches ``p``
    to a few ulps of ``p`` plus the effect of a few ulps of sigma itself
    (``|error| <= 8 * (ulp(p) + vega * sigma * eps)``, the floor set by storing
    sigma in a double), i.e. to machine precision wherever vega is not
    negligible. A price within rounding (8 ulps of max(F, K)) of an in-the-money
    intrinsic value gives 0. Bad elements never raise: they give NaN, and with
    ``return_status=True`` an int8 array of :class:`IvStatus` codes comes back
    as well. Mismatched shapes raise ValueError.

    Args:
        price: option prices (present value), in the currency of S and K.
        flag, S, K, t, r, q, model: as in :func:`price`.
        return_status: also return the status array.
    """
    code = model_code(model)
    shape, (is_call, premium, s, k, tt, rr, qq) = contract_columns(
        flag, ("price", price), ("S", S), ("K", K), ("t", t), ("r", r), ("q", q)
    )
    vols, status = _core.implied_vol(premium, is_call, s, k, tt, rr, qq, code)
    if return_status:
        return vols.reshape(shape), status.reshape(shape)
    return vols.reshape(shape)


def implied_forward(
    call_prices: ArrayLike,
    put_prices: ArrayLike,
    strikes: ArrayLike,
    t: float,
    r: float,
    n_strikes: int = 5,
) -> float:
    """Forward price implied by put-call parity on one expiry's strike ladder.

    ``C - P = exp(-r t) (F - K)`` gives one forward per strike; the
    ``n_strikes`` strikes with the smallest ``|C - P|`` (those nearest the
    money) vote and the median wins, so a single stale quote cannot move it.
    Strikes with a missing (NaN) or negative price are skipped. Returns NaN
    when no strike is usable. Use the result as ``S`` with ``model="black76"``.

    Args:
        call_prices, put_prices: option prices per strike, in currency.
        strikes: the strikes, in currency (any order).
        t: time to expiry in years; r: risk-free rate (decimal, continuous).
        n_strikes: how many near-the-money strikes vote.
    """
    if n_strikes < 1:
        raise ValueError(f"n_strikes must be at least 1, got {n_strikes}")
    columns = [
        np.ascontiguousarray(as_float(values, name).reshape(-1))
        for name, values in (("call_prices", call_prices), ("put_prices", put_prices), ("strikes", strikes))
    ]
    return _core.implied_forward(columns[0], columns[1], columns[2], float(t), float(r), int(n_strikes))


def set_num_threads(n: int) -> None:
    """Threads for large batches (>= ``PARALLEL_THRESHOLD`` options); 0 restores the default.

    The default is the ``RAYON_NUM_THREADS`` environment variable, else the
    number of cores. Results do not depend on the thread count.
    """
    if n < 0:
        raise ValueError(f"thread count must be >= 0, got {n}")
    _core.set_num_threads(int(n))


def get_num_threads() -> int:
    """Threads large batches run on now."""
    return _core.get_num_threads()


PARALLEL_THRESHOLD: int = _core.PARALLEL_THRESHOLD
"""Batches of at least this many options may run on the thread pool; smaller ones run on the caller."""

__all__ = [
    "GREEK_NAMES",
    "PARALLEL_THRESHOLD",
    "BoolArray",
    "FloatArray",
    "IvStatus",
    "get_num_threads",
    "greeks",
    "implied_forward",
    "implied_vol",
    "price",
    "set_num_threads",
]
