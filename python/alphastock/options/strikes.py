"""Option strike scoring: which contract of a chain to trade, computed in the Rust core.

Formula (every term in [0, 1], 1 = best; the score is their weighted mean, so
it is in [0, 1] too and a weight of 2 counts exactly twice a weight of 1)::

    L (liquidity) = 1/2·ln(1+volume)/ln(1+max volume) + 1/2·ln(1+oi)/ln(1+max oi)
    D (delta)     = 1 - | |delta| - target_delta | / max(target_delta, 1 - target_delta)
    V (iv)        = (max iv - iv) / (max iv - min iv)           cheaper volatility scores higher
    M (moneyness) = 1 - |K - underlying| / max |K - underlying|
    S (spread)    = 1 - spread% / max_spread_pct,  spread% = (ask - bid) / mid * 100
                    (with no cap, max_spread_pct = inf: relative to the widest survivor instead)

Maxima and minima are taken over the candidates that pass the filters; a term
whose denominator is 0 (every survivor ties) is 1 for all. A
candidate is filtered out (score NaN) unless: strike > 0, ltp > 0,
0 < bid ≤ ask, delta finite, iv finite and > 0, it is of the wanted option
type, volume ≥ min_volume, oi ≥ min_oi, spread% ≤ max_spread_pct, and it is
at most ``atm_window`` listed strikes from the at-the-money strike (the
strike nearest the underlying). Ties in score go to the strike nearer the money.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from pydantic import ConfigDict, Field, model_validator

from alphastock import _core
from alphastock.config_model import ConfigModel
from alphastock.options._inputs import FloatArray, as_call_flags, as_float


class StrikeWeights(ConfigModel):
    """Relative weight of each score term (non-negative, not all zero)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    liquidity: float = Field(0.30, ge=0.0, allow_inf_nan=False)
    delta: float = Field(0.30, ge=0.0, allow_inf_nan=False)
    iv: float = Field(0.15, ge=0.0, allow_inf_nan=False)
    moneyness: float = Field(0.15, ge=0.0, allow_inf_nan=False)
    spread: float = Field(0.10, ge=0.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _some_weight_is_positive(self) -> StrikeWeights:
        if self.liquidity + self.delta + self.iv + self.moneyness + self.spread <= 0.0:
            raise ValueError("at least one strike-score weight must be positive")
        return self


class StrikeFilters(ConfigModel):
    """Which candidates may be scored, and the absolute delta the delta term aims for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_volume: float = Field(0.0, ge=0.0, description="minimum traded volume, in units (not lots)")
    min_oi: float = Field(0.0, ge=0.0, description="minimum open interest, in units")
    max_spread_pct: float = Field(
        math.inf, gt=0.0, description="maximum (ask - bid) / mid, in percent; inf for no cap"
    )
    atm_window: int | None = Field(None, ge=0, description="keep strikes within N listed strikes of ATM")
    option_type: Literal["c", "p"] | None = Field(None, description="'c' calls only, 'p' puts only")
    target_delta: float = Field(0.5, gt=0.0, lt=1.0, description="absolute delta the delta term rewards")


class StrikeScores(NamedTuple):
    """Result of :func:`score_strikes`."""

    scores: FloatArray
    """Score per candidate in [0, 1]; NaN for candidates the filters removed."""
    best: int | None
    """Row of the best candidate, or None when every candidate was filtered out."""


def score_strikes(
    strike: ArrayLike,
    option_type: str | ArrayLike,
    ltp: ArrayLike,
    bid: ArrayLike,
    ask: ArrayLike,
    volume: ArrayLike,
    oi: ArrayLike,
    delta: ArrayLike,
    iv: ArrayLike,
    underlying: float,
    *,
    weights: StrikeWeights | None = None,
    filters: StrikeFilters | None = None,
) -> StrikeScores:
    """Score candidate options for an entry; see the module docstring for the formula.

    Args:
        strike, ltp, bid, ask: per candidate, in rupees.
        option_type: "CE"/"PE" (or "c"/"p", "call"/"put") per candidate, or a bool array (True = call).
        volume, oi: per candidate, in units.
        delta: per candidate (signed or absolute; the absolute value is used).
        iv: implied volatility per candidate, annualised decimal.
        underlying: the underlying's price (spot or forward), in rupees.
        weights, filters: defaults as in ``config/default.yaml``.

    Raises:
        ValueError: arrays of different lengths, or an invalid underlying price.
    """
    weights = weights or StrikeWeights()
    filters = filters or StrikeFilters()
    columns = {
        name: np.ascontiguousarray(as_float(values, name).reshape(-1))
        for name, values in (
            ("strike", strike),
            ("ltp", ltp),
            ("bid", bid),
            ("ask", ask),
            ("volume", volume),
            ("oi", oi),
            ("delta", delta),
            ("iv", iv),
        )
    }
    is_call = np.ascontiguousarray(as_call_flags(option_type).reshape(-1))
    if is_call.size == 1 and columns["strike"].size != 1:
        is_call = np.full(columns["strike"].size, bool(is_call[0]))
    scores, best = _core.score_strikes(
        columns["strike"],
        is_call,
        columns["ltp"],
        columns["bid"],
        columns["ask"],
        columns["volume"],
        columns["oi"],
        columns["delta"],
        columns["iv"],
        float(underlying),
        w_liquidity=weights.liquidity,
        w_delta=weights.delta,
        w_iv=weights.iv,
        w_moneyness=weights.moneyness,
        w_spread=weights.spread,
        min_volume=filters.min_volume,
        min_oi=filters.min_oi,
        max_spread_pct=filters.max_spread_pct,
        atm_window=filters.atm_window,
        option_type=None if filters.option_type is None else filters.option_type == "c",
        target_delta=filters.target_delta,
    )
    return StrikeScores(scores, best)


__all__ = ["StrikeFilters", "StrikeScores", "StrikeWeights", "score_strikes"]
