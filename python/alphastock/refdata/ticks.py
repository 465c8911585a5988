"""Prices on an instrument's tick grid: :func:`round_to_tick`, the one rounding rule of the project.

Units: ``price`` and ``tick`` in rupees (the instruments dump's ``tick_size``), the result in rupees.
Ticks seen: 0.05 for NSE equity, NFO futures and options and 1 for MCX SILVER (the sample rows of Kite's
instruments dump, https://kite.trade/docs/connect/v3/market-quotes); 0.0025 (0.25 paise) for NSE
currency futures (https://nseindia.com/products/content/derivatives/curr_der/cd_contract_specifications.htm).

Exactness: the tick is turned into a whole number of units of its last decimal digit (0.05 -> 5
hundredths, 0.0025 -> 25 ten-thousandths) and the price into a count of ticks, which is rounded as an
integer; the result is that integer times the tick, divided by a power of ten once, so it is the float
nearest the decimal price (24500.05 stays 24500.05, never 24500.050000000003). A count of ticks within
a relative 1e-12 (at least 1e-9 of a tick) of a whole number is that whole number when rounding up or
down: ``0.1 + 0.2`` on a 0.1 grid is 0.3 whichever way it is rounded. The Rust core rounds no price; its
risk check ``on_tick`` (rust/src/risk/intent.rs) accepts every price this returns for a tick on its
₹0.0001 grid.
"""

from __future__ import annotations

import enum
import math
from decimal import Decimal
from typing import Final

from alphastock.errors import AlphaStockError

_NOISE: Final = 1e-12
"""Relative float noise in a count of ticks that is still the whole count."""
_MIN_NOISE: Final = 1e-9


class TickRounding(enum.Enum):
    """Which way :func:`round_to_tick` goes from a price between two ticks."""

    NEAREST = "nearest"
    """The tick nearer the (float) price; exactly half way goes to the even count of ticks, as
    Python's ``round`` does, so ties bias levels neither up nor down."""
    UP = "up"
    """The tick at or above the price (a buy limit that must reach the ask, a sell stop's trigger)."""
    DOWN = "down"
    """The tick at or below the price (a sell limit that must reach the bid)."""


class TickRoundingError(AlphaStockError, ValueError):
    """A tick size that is not positive and finite, or a price that is not finite."""


_GRID: dict[float, tuple[int, int]] = {}
"""tick -> (10 ** its decimals, the tick in those units); a few distinct ticks per market."""


def _grid(tick: float) -> tuple[int, int]:
    found = _GRID.get(tick)
    if found is None:
        if not (math.isfinite(tick) and tick > 0):
            raise TickRoundingError(f"tick size must be positive and finite, got {tick!r} rupees")
        # repr is the shortest decimal that reads back as this float: the tick as the dump wrote it.
        exponent = Decimal(repr(tick)).normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # finite, checked above
        scale = 10 ** max(0, -exponent)
        found = (scale, round(tick * scale))
        if len(_GRID) < 256:  # bounded in case a caller (research) sweeps tick sizes
            _GRID[tick] = found
    return found


def round_to_tick(price: float, tick: float, direction: TickRounding) -> float:
    """``price`` (rupees) on the grid of ``tick`` (rupees), rounded in ``direction``.

    Raises:
        TickRoundingError: ``tick`` is not positive and finite, or ``price`` is not finite.
    """
    scale, units = _grid(tick)
    if not math.isfinite(price):
        raise TickRoundingError(f"cannot round a non-finite price {price!r} to a tick")
    steps = price * scale / units
    noise = max(_MIN_NOISE, abs(steps) * _NOISE)
    if direction is TickRounding.UP:
        count = math.ceil(steps - noise)
    elif direction is TickRounding.DOWN:
        count = math.floor(steps + noise)
    else:
        # No noise allowance here: near a tick the nearest one is clear, and half way between two
        # the float price itself says which is nearer (the strategies' levels always rounded so).
        count = round(price / tick)
    # One division of two integers: the float nearest the decimal count * tick.
    return count * units / scale


__all__ = ["TickRounding", "TickRoundingError", "round_to_tick"]
