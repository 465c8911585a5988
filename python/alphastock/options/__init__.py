"""Options analytics: prices, greeks, implied volatility, implied forwards and strike scores.

Everything here is computed in the Rust core, one call per array. See
:mod:`alphastock.options.math` for units and conventions (py_vollib argument
order: ``flag, S, K, t, r, sigma``) and :mod:`alphastock.options.strikes` for
the strike-score formula.
"""

from alphastock.options.math import (
    GREEK_NAMES,
    PARALLEL_THRESHOLD,
    IvStatus,
    get_num_threads,
    greeks,
    implied_forward,
    implied_vol,
    price,
    set_num_threads,
)
from alphastock.options.strikes import StrikeFilters, StrikeScores, StrikeWeights, score_strikes

__all__ = [
    "GREEK_NAMES",
    "PARALLEL_THRESHOLD",
    "IvStatus",
    "StrikeFilters",
    "StrikeScores",
    "StrikeWeights",
    "get_num_threads",
    "greeks",
    "implied_forward",
    "implied_vol",
    "price",
    "score_strikes",
    "set_num_threads",
]
