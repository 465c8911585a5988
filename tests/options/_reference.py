"""Independent high-precision references for European option prices and greeks.

Prices are computed with the standard library's ``decimal`` module at
``DIGITS`` significant digits (plus guard digits), from the exact binary value
of every double input, so they are correct to far better than double
precision and share no code with the Rust core. Greeks use textbook closed
forms on ``scipy.special.ndtr``.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

from scipy.special import ndtr

DIGITS = 50


def _pi() -> Decimal:
    """pi to the current context precision (the recipe from the decimal module docs)."""
    with localcontext() as ctx:
        ctx.prec += 2
        lasts, t, s, n, na, d, da = Decimal(0), Decimal(3), Decimal(3), 1, 0, 0, 24
        while s != lasts:
            lasts = s
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            t = (t * n) / d
            s += t
    return +s


def _erfc_continued_fraction(z: Decimal) -> Decimal:
    """erfc(z) for z >= 3 by Laplace's continued fraction, evaluated backwards until it is stable.

    erfc(z) = e^{-z^2}/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))): no cancellation.
    """
    with localcontext() as ctx:
        ctx.prec += 10
        previous = None
        terms = 100
        while True:
            tail = z
            for n in range(terms, 0, -1):
                tail = z + Decimal(n) / 2 / tail
            value = 1 / tail
            if value == previous:
                break
            previous = value
            terms *= 2
        result = (-z * z).exp() / _pi().sqrt() * value
    return +result


def _erf_series(z: Decimal) -> Decimal:
    """erf(z) for 0 <= z < 3: 2/sqrt(pi) e^{-z^2} sum_n (2 z^2)^n z / (2n+1)!!, all terms positive."""
    with localcontext() as ctx:
        ctx.prec += 10
        two_z2 = 2 * z * z
        term = z
        total = z
        n = 0
        cutoff = Decimal(10) ** -(ctx.prec + 2)
        while True:
            n += 1
            term = term * two_z2 / (2 * n + 1)
            total += term
            if n > two_z2 and term <= total * cutoff:
                break
        result = 2 / _pi().sqrt() * (-z * z).exp() * total
    return +result


def norm_cdf(x: Decimal) -> Decimal:
    """Standard normal CDF at x to the caller's precision, relative accuracy also deep in the lower tail."""
    with localcontext() as ctx:
        ctx.prec += 10
        z = abs(x) / Decimal(2).sqrt()
        if z < 3:
            erf = _erf_series(z)  # erfc(3) ~ 2e-5: 1 - erf costs at most 5 digits of the guard digits
            lower = (1 - erf) / 2
        else:
            lower = _erfc_continued_fraction(z) / 2
        result = 1 - lower if x >= 0 else lower
    return +result


def black_price(is_call: bool, F: float, K: float, T: float, r: float, sigma: float) -> Decimal:
    """Discounted Black price e^{-rT} [F N(d1) - K N(d2)] (call) on the exact double inputs."""
    with localcontext() as ctx:
        ctx.prec = DIGITS + 20
        f, k, t, rate, vol = (Decimal(float(v)) for v in (F, K, T, r, sigma))
        discount = (-rate * t).exp()
        total_vol = vol * t.sqrt()
        sign = 1 if is_call else -1
        if total_vol == 0:
            undiscounted = max(sign * (f - k), Decimal(0))
        else:
            d1 = (f / k).ln() / total_vol + total_vol / 2
            d2 = d1 - total_vol
            undiscounted = sign * (f * norm_cdf(sign * d1) - k * norm_cdf(sign * d2))
        result = discount * undiscounted
    return +result


def bsm_price(is_call: bool, S: float, K: float, T: float, r: float, sigma: float, q: float = 0.0) -> Decimal:
    """Black-Scholes-Merton price with continuous yield q: Black on F = S e^{(r-q)T}, F kept exact."""
    with localcontext() as ctx:
        ctx.prec = DIGITS + 20
        s, k, t, rate, vol, yld = (Decimal(float(v)) for v in (S, K, T, r, sigma, q))
        discount = (-rate * t).exp()
        forward = s * ((rate - yld) * t).exp()
        total_vol = vol * t.sqrt()
        sign = 1 if is_call else -1
        if total_vol == 0:
            undiscounted = max(sign * (forward - k), Decimal(0))
        else:
            d1 = (forward / k).ln() / total_vol + total_vol / 2
            d2 = d1 - total_vol
            undiscounted = sign * (forward * norm_cdf(sign * d1) - k * norm_cdf(sign * d2))
        result = discount * undiscounted
    return +result


def closed_form_greeks(
    is_call: bool, S: float, K: float, T: float, r: float, sigma: float, q: float = 0.0, model: str = "bsm"
) -> dict[str, float]:
    """Textbook closed-form price and greeks on scipy's ndtr, in the library's units.

    theta per calendar day (-dV/dT / 365), vega and rho per percentage point;
    Black-76 treats S as the forward, discounts at r and holds F fixed for rho.
    """
    sign = 1.0 if is_call else -1.0
    if model == "bsm":
        carry = q
        forward = S * math.exp((r - q) * T)
    else:
        carry = r
        forward = S
    df_r = math.exp(-r * T)
    df_q = math.exp(-carry * T)
    sqrt_t = math.sqrt(T)
    v = sigma * sqrt_t
    d1 = math.log(forward / K) / v + 0.5 * v
    d2 = d1 - v
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi)
    n1 = float(ndtr(sign * d1))
    n2 = float(ndtr(sign * d2))
    value = sign * (S * df_q * n1 - K * df_r * n2)
    theta_annual = -S * df_q * pdf * sigma / (2.0 * sqrt_t) + sign * (
        carry * S * df_q * n1 - r * K * df_r * n2
    )
    rho_annual = sign * K * T * df_r * n2 if model == "bsm" else -T * value
    return {
        "price": value,
        "delta": sign * df_q * n1,
        "gamma": df_q * pdf / (S * v),
        "theta": theta_annual / 365.0,
        "vega": S * df_q * pdf * sqrt_t * 0.01,
        "rho": rho_annual * 0.01,
    }


__all__ = ["DIGITS", "black_price", "bsm_price", "closed_form_greeks", "norm_cdf"]
