"""AlphaStock's domain models: pydantic, frozen, in Kite's field names and spellings.

Every model parsed from Kite has a ``from_kite(dict)`` classmethod accepting the
REST JSON shape (Kite's samples: ``tests/data/kite-mocks`` in the checkout) and the
kiteconnect SDK's (which turns timestamps into naive IST datetimes). Conventions:

- timestamps are UTC epoch nanoseconds (``int``); Kite's IST strings are
  converted on parsing (:func:`kite_ts_to_ns`, back with :func:`ns_to_datetime`);
- prices and money are rupees (``float``); quantities are units (MCX: lots, as Kite);
- enums are :class:`~enum.StrEnum` members equal to Kite's exact strings.
"""

from alphastock.models._time import IST, datetime_to_ns, kite_ts_to_ns, ns_to_datetime
from alphastock.models.charges import ChargeBreakdown, ChargeOrder, ContractNote, Gst
from alphastock.models.enums import (
    Exchange,
    InstrumentType,
    OrderStatus,
    OrderType,
    Product,
    TransactionType,
    Validity,
    Variety,
)
from alphastock.models.gtt import (
    Gtt,
    GttLeg,
    GttLegResult,
    GttOrder,
    GttOrderResult,
    GttRequest,
    GttStatus,
    GttType,
)
from alphastock.models.instruments import Instrument
from alphastock.models.market import Candle, Depth, DepthLevel, Ltp, Ohlc, OhlcValues, Quote
from alphastock.models.orders import TAG_MAX_LENGTH, Fill, Order, OrderRequest, OrderUpdate, Trade
from alphastock.models.portfolio import (
    AvailableMargin,
    Holding,
    HoldingMtf,
    MarginPnl,
    Margins,
    OrderMargin,
    Position,
    PositionsBook,
    SegmentMargin,
    UtilisedMargin,
)

__all__ = [
    "IST",
    "TAG_MAX_LENGTH",
    "AvailableMargin",
    "Candle",
    "ChargeBreakdown",
    "ChargeOrder",
    "ContractNote",
    "Depth",
    "DepthLevel",
    "Exchange",
    "Fill",
    "Gst",
    "Gtt",
    "GttLeg",
    "GttLegResult",
    "GttOrder",
    "GttOrderResult",
    "GttRequest",
    "GttStatus",
    "GttType",
    "Holding",
    "HoldingMtf",
    "Instrument",
    "InstrumentType",
    "Ltp",
    "MarginPnl",
    "Margins",
    "Ohlc",
    "OhlcValues",
    "Order",
    "OrderMargin",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "Position",
    "PositionsBook",
    "Product",
    "Quote",
    "SegmentMargin",
    "Trade",
    "TransactionType",
    "UtilisedMargin",
    "Validity",
    "Variety",
    "datetime_to_ns",
    "kite_ts_to_ns",
    "ns_to_datetime",
]
