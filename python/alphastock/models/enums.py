"""Kite's vocabulary as string enums: every member equals Kite's exact string.

Members compare equal to plain strings (``OrderStatus.TRIGGER_PENDING == "TRIGGER PENDING"``),
so values read from Kite, the simulator or the store can be used directly.
"""

from __future__ import annotations

from enum import StrEnum


class Exchange(StrEnum):
    """Kite exchange: NSE/BSE cash, NFO/BFO equity derivatives, MCX/NCO commodities, CDS/BCD currency."""

    NSE = "NSE"
    BSE = "BSE"
    NFO = "NFO"
    BFO = "BFO"
    MCX = "MCX"
    NCO = "NCO"
    CDS = "CDS"
    BCD = "BCD"


class Product(StrEnum):
    """Kite product: CNC delivery, MIS intraday, NRML overnight derivatives; MTF, CO, BO as reported."""

    CNC = "CNC"
    MIS = "MIS"
    NRML = "NRML"
    MTF = "MTF"
    CO = "CO"
    BO = "BO"


class OrderType(StrEnum):
    """Kite order type: MARKET, LIMIT, SL (stop-loss limit) and SL-M (stop-loss market)."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SLM = "SL-M"


class Variety(StrEnum):
    """Kite order variety (the URL segment of ``/orders/{variety}``)."""

    REGULAR = "regular"
    AMO = "amo"
    CO = "co"
    ICEBERG = "iceberg"
    AUCTION = "auction"


class TransactionType(StrEnum):
    """Direction of an order or a trade."""

    BUY = "BUY"
    SELL = "SELL"


class Validity(StrEnum):
    """Kite order validity: DAY, IOC (immediate or cancel), TTL (minutes, with ``validity_ttl``)."""

    DAY = "DAY"
    IOC = "IOC"
    TTL = "TTL"


class OrderStatus(StrEnum):
    """Kite order status, exact strings (with spaces) as in the order book, history and postbacks.

    Terminal: COMPLETE, CANCELLED, REJECTED (and CANCELLED AMO). The others are
    transient: an order passes through them on its way to OPEN / TRIGGER PENDING.
    """

    OPEN = "OPEN"
    COMPLETE = "COMPLETE"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    TRIGGER_PENDING = "TRIGGER PENDING"
    PUT_ORDER_REQ_RECEIVED = "PUT ORDER REQ RECEIVED"
    VALIDATION_PENDING = "VALIDATION PENDING"
    OPEN_PENDING = "OPEN PENDING"
    MODIFY_VALIDATION_PENDING = "MODIFY VALIDATION PENDING"
    MODIFY_PENDING = "MODIFY PENDING"
    MODIFIED = "MODIFIED"
    CANCEL_PENDING = "CANCEL PENDING"
    AMO_REQ_RECEIVED = "AMO REQ RECEIVED"
    MODIFY_AMO_REQ_RECEIVED = "MODIFY AMO REQ RECEIVED"
    CANCELLED_AMO = "CANCELLED AMO"
    UPDATE = "UPDATE"

    @property
    def is_terminal(self) -> bool:
        """True when the order can change no more (filled, cancelled or rejected)."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {OrderStatus.COMPLETE, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.CANCELLED_AMO}
)


class InstrumentType(StrEnum):
    """Kite instruments-dump ``instrument_type``: equity, future, call or put option."""

    EQ = "EQ"
    FUT = "FUT"
    CE = "CE"
    PE = "PE"


__all__ = [
    "Exchange",
    "InstrumentType",
    "OrderStatus",
    "OrderType",
    "Product",
    "TransactionType",
    "Validity",
    "Variety",
]
