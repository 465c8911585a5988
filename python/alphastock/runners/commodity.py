"""The commodity runner: MCX futures, nearest month rolled like index futures.

MCX has no spot instrument in the Kite dump, so there is no basis; the runner reports
the last price, days to expiry and rollovers. MCX futures trade 09:00-23:30 IST:
their bars come from the BarBuilder's MCX session (see :mod:`alphastock.runners.bars`),
and their expiry time is taken as 23:30 IST.
"""

from __future__ import annotations

from alphastock.runners.futures import FuturesRunner


class CommodityRunner(FuturesRunner):
    """MCX futures of configured commodities (``CRUDEOIL``, ``GOLDM`` ...)."""

    name = "commodity"
    with_spot = False


__all__ = ["CommodityRunner"]
