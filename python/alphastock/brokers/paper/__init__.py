"""The PaperBroker: simulated fills against the market, Kite-like statuses, positions, P&L, charges.

See :mod:`alphastock.brokers.paper.broker` for the fill rules and
:mod:`alphastock.brokers.paper.settings` for the cash-and-margin model.
"""

from alphastock.brokers.paper.broker import SQUARE_OFF_TAG, PaperBroker
from alphastock.brokers.paper.market import MarketSnapshot, MarketView, StaticMarket, TickRow, TickStoreMarket
from alphastock.brokers.paper.settings import PaperSettings, margin_required

__all__ = [
    "SQUARE_OFF_TAG",
    "MarketSnapshot",
    "MarketView",
    "PaperBroker",
    "PaperSettings",
    "StaticMarket",
    "TickRow",
    "TickStoreMarket",
    "margin_required",
]
