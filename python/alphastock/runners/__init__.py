"""Runners: per-asset-class components that follow instruments on the shared feed.

* :class:`EquityRunner` — NSE stocks: last price, day OHLC, volume, change %, top movers.
* :class:`IndexRunner` — index levels and change %, India VIX.
* :class:`FuturesRunner` — basis, cost of carry, days to expiry, rollover near expiry.
* :class:`OptionsRunner` — chain snapshots (IV + greeks) for ATM +- N strikes of the nearest expiries.
* :class:`CommodityRunner` — MCX futures with MCX session hours.
* :class:`BarBuilder` (TICK_BATCH -> BAR), :class:`QuotePoller` (REST fallback),
  :class:`RunnerSet` (all of it from config).

Symbols and aliases become instruments through :class:`alphastock.refdata.SymbolResolver`.

Only :class:`RunnersConfig` is imported eagerly: ``alphastock.config`` needs it, and loading the
configuration must not pull in DuckDB, Arrow and the Kite SDK. The rest loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphastock._lazy import lazy_exports
from alphastock.runners.config import RunnersConfig

if TYPE_CHECKING:
    from alphastock.runners.bars import BarBuilder
    from alphastock.runners.base import FeedHub, Health, Runner
    from alphastock.runners.commodity import CommodityRunner
    from alphastock.runners.equity import EquityRunner, Level
    from alphastock.runners.futures import FuturesRunner, Rollover, trading_days_left
    from alphastock.runners.index import IndexRunner
    from alphastock.runners.options import OptionsRunner
    from alphastock.runners.polling import QuotePoller
    from alphastock.runners.runnerset import RunnerSet

_LAZY = {
    "BarBuilder": "bars",
    "CommodityRunner": "commodity",
    "EquityRunner": "equity",
    "FeedHub": "base",
    "FuturesRunner": "futures",
    "Health": "base",
    "IndexRunner": "index",
    "Level": "equity",
    "OptionsRunner": "options",
    "QuotePoller": "polling",
    "Rollover": "futures",
    "Runner": "base",
    "RunnerSet": "runnerset",
    "trading_days_left": "futures",
}


__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "BarBuilder",
    "CommodityRunner",
    "EquityRunner",
    "FeedHub",
    "FuturesRunner",
    "Health",
    "IndexRunner",
    "Level",
    "OptionsRunner",
    "QuotePoller",
    "Rollover",
    "Runner",
    "RunnerSet",
    "RunnersConfig",
    "trading_days_left",
]
