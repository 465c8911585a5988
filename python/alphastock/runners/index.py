"""The index runner: index levels and change %, and the India VIX level.

Units: index points (the feed's price unit), change in percent, times UTC epoch ns.
"""

from __future__ import annotations

import math
from typing import Any

from alphastock.models import Instrument
from alphastock.runners.equity import LevelRunner

VIX_SYMBOL = "INDIA VIX"


class IndexRunner(LevelRunner):
    """Indices from the ``INDICES`` segment (NIFTY 50, NIFTY BANK, INDIA VIX ...)."""

    name = "index"
    default_exchange = None

    def accept(self, inst: Instrument) -> str | None:
        """Only rows of the index segment."""
        return None if inst.segment == "INDICES" else "not an index"

    @property
    def vix(self) -> float:
        """India VIX level (NaN when not followed or not yet ticked)."""
        for level in self.levels.values():
            if level.symbol == VIX_SYMBOL:
                return level.last
        return math.nan

    def snapshot(self) -> dict[str, Any]:
        """``rows`` plus ``vix``."""
        return {**super().snapshot(), "vix": self.vix}


__all__ = ["VIX_SYMBOL", "IndexRunner"]
