"""Position sizing by risk: how much quantity so that hitting the stop loses ``risk_pct`` of capital.

Units: ``capital`` and prices rupees, ``risk_pct`` percent (1.0 means 1 %), ``lot_size`` and the
result in Kite's quantity (units; lots on MCX), always a whole number of lots. ``multiplier`` is
rupees per (price x quantity): 1, or the contract multiplier where Kite's quantity counts lots
(MCX CRUDEOIL: 100 barrels per lot, so a ₹10 stop distance risks ₹1,000 per lot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class OptionSize:
    """Lots of an option trade and how they were found (rupees; ``reason`` when ``lots`` is 0)."""

    lots: int
    quantity: int
    """Units: lots x lot size."""
    budget: float
    """Capital x risk % / 100: the rupees the trade may lose at its stop."""
    risk_per_lot: float
    """(Entry premium - stop premium) x lot size."""
    premium: float
    """Entry premium x quantity: what the trade costs."""
    capped_by: str | None
    """``max_premium`` or ``max_lots`` when a cap cut the risk-sized lots; None otherwise."""
    reason: str | None


def size_option_lots(
    capital: float,
    risk_pct: float,
    entry_premium: float,
    stop_premium: float,
    lot_size: int,
    *,
    max_premium: float | None = None,
    max_lots: int | None = None,
) -> OptionSize:
    """Whole lots of a long option so that its stop loses at most ``risk_pct`` of ``capital``:
    lots = floor(capital x risk_pct / 100 / ((entry - stop) x lot_size)), then capped so that
    lots x lot_size x entry <= ``max_premium`` rupees and lots <= ``max_lots``.

    If one lot risks more than the budget (or costs more than the cap), the trade is skipped with
    the reason: never rounded up to one lot."""
    ok_prices = 0 < capital < _INF and 0 < risk_pct < _INF and 0 < stop_premium < entry_premium < _INF
    budget = capital * risk_pct / 100.0 if ok_prices else 0.0
    risk_per_lot = (entry_premium - stop_premium) * lot_size if ok_prices and lot_size >= 1 else 0.0
    if risk_per_lot <= 0:
        reason = (
            f"cannot size: capital {capital}, risk {risk_pct}%, entry {entry_premium}, stop {stop_premium}, "
            f"lot {lot_size}"
        )
        return OptionSize(0, 0, budget, risk_per_lot, 0.0, None, reason)
    lots = math.floor(budget / risk_per_lot + 1e-9)
    if lots < 1:
        reason = f"one lot risks ₹{risk_per_lot:,.2f}, more than the budget ₹{budget:,.2f}"
        return OptionSize(0, 0, budget, risk_per_lot, 0.0, None, reason)
    capped_by = None
    if max_premium is not None:
        affordable = math.floor(max_premium / (entry_premium * lot_size) + 1e-9)
        if affordable < lots:
            lots, capped_by = affordable, "max_premium"
        if lots < 1:
            cost = entry_premium * lot_size
            reason = f"one lot costs ₹{cost:,.2f}, more than max premium ₹{max_premium:,.2f}"
            return OptionSize(0, 0, budget, risk_per_lot, 0.0, capped_by, reason)
    if max_lots is not None and lots > max_lots:
        lots, capped_by = max_lots, "max_lots"
    quantity = lots * lot_size
    return OptionSize(lots, quantity, budget, risk_per_lot, quantity * entry_premium, capped_by, None)


__all__ = ["OptionSize", "size_by_risk", "size_option_lots"]
