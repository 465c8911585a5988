"""Position sizing by risk: how much quantity so that hitting the stop loses ``risk_pct`` of capital.

Units: ``capital`` and prices rupees, ``risk_pct`` percent (1.0 means 1 %), ``lot_size`` and the
result in Kite's quantity (units; lots on MCX), always a whole number of lots. ``multiplier`` is
rupees per (price x quantity): 1, or the contract multiplier where Kite's quantity counts lots
(MCX CRUDEOIL: 100 barrels per lot, so a ₹10 stop distance risks ₹1,000 per lot).
"""

from __future__ import annotations

import math

_INF = math.inf


def size_by_risk(
    capital: float,
    risk_pct: float,
    entry: float,
    stop: float,
    lot_size: int,
    *,
    max_position_value: float | None = None,
    multiplier: float = 1.0,
) -> int:
    """Quantity = floor(capital * risk_pct / 100 / (|entry - stop| * multiplier) / lot_size) * lot_size,
    then capped so that quantity * entry * multiplier <= ``max_position_value`` rupees (in whole lots).
    0 means "do not trade".

    Invalid inputs (non-finite or non-positive capital, risk, prices, lot size, multiplier, or
    entry == stop) give 0 rather than raising: a bad signal must not become an order.
    """
    # ``0 < v < inf`` is False for NaN and infinities: the same test as isfinite and > 0, without
    # a generator on the order path.
    if not (0 < capital < _INF and 0 < risk_pct < _INF and 0 < entry < _INF and 0 < stop < _INF):
        return 0
    if lot_size < 1 or not 0 < multiplier < _INF:
        return 0
    distance = abs(entry - stop) * multiplier
    if distance == 0:
        return 0
    # A small epsilon keeps exact ratios (e.g. 2000 / 10 / 1) from flooring to one lot less.
    lots = math.floor(capital * risk_pct / 100.0 / distance / lot_size + 1e-9)
    if max_position_value is not None:
        if not math.isfinite(max_position_value) or max_position_value <= 0:
            return 0
        lots = min(lots, math.floor(max_position_value / (entry * multiplier * lot_size) + 1e-9))
    return max(lots, 0) * lot_size


__all__ = ["size_by_risk"]
