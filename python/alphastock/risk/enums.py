"""Names the risk engine speaks in: Kite's spellings, as string enums.

Every member equals its Kite string (``Side.BUY == "BUY"``), so members and
plain strings can be passed interchangeably to :class:`OrderIntent` and the
engine, and the engine's string answers compare equal to members
(``decision.action == RiskAction.REJECT``).
"""

from __future__ import annotations

from enum import StrEnum

from alphastock.models.enums import TransactionType

Side = TransactionType
"""Direction of an order or a fill: the models' :class:`~alphastock.models.TransactionType`.

Product and Exchange below stay separate on purpose: they list only what the
Rust engine accepts, a subset of Kite's vocabulary in :mod:`alphastock.models`.
"""


class Product(StrEnum):
    """Kite product: CNC cash delivery, MIS intraday, NRML overnight F&O and commodities."""

    CNC = "CNC"
    MIS = "MIS"
    NRML = "NRML"


class Exchange(StrEnum):
    """Kite exchange segment: NSE/BSE cash, NFO/BFO equity derivatives, MCX commodities, CDS currency."""

    NSE = "NSE"
    BSE = "BSE"
    NFO = "NFO"
    BFO = "BFO"
    MCX = "MCX"
    CDS = "CDS"


class InstrumentKind(StrEnum):
    """What an instrument is; it selects the price collar. EQ trades on NSE/BSE, the others elsewhere."""

    EQ = "EQ"
    FUT = "FUT"
    CE = "CE"
    PE = "PE"


class RiskAction(StrEnum):
    """The engine's verdict on an order intent."""

    APPROVE = "APPROVE"
    """Send the order as asked."""
    REJECT = "REJECT"
    """Send nothing."""
    REDUCE_SIZE = "REDUCE_SIZE"
    """Send ``approved_quantity`` units instead of the requested quantity."""
    REQUIRE_APPROVAL = "REQUIRE_APPROVAL"
    """A soft limit was crossed: send once a human approves, via ``check(..., human_approved=True)``."""


class TradingState(StrEnum):
    """The kill switch."""

    ACTIVE = "ACTIVE"
    """Orders are checked against every rule."""
    REDUCING = "REDUCING"
    """Only orders (or the part of an order) that reduce an existing position pass."""
    HALTED = "HALTED"
    """Every new order is rejected. Cancels do not go through the engine and are never blocked."""


class StaleDataAction(StrEnum):
    """What an order on an instrument with stale market data gets."""

    REJECT = "REJECT"
    REQUIRE_APPROVAL = "REQUIRE_APPROVAL"


class RiskCode(StrEnum):
    """Codes of :class:`Violation`; the message beside each code carries the numbers."""

    QTY_NOT_POSITIVE = "QTY_NOT_POSITIVE"
    """Quantity ≤ 0 (reject)."""
    QTY_NOT_LOT_MULTIPLE = "QTY_NOT_LOT_MULTIPLE"
    """Quantity is not a whole number of lots (reject)."""
    QTY_EXCEEDS_FREEZE = "QTY_EXCEEDS_FREEZE"
    """Quantity above the exchange freeze quantity: the caller must slice the order (reject)."""
    QTY_EXCEEDS_MAX_ORDER = "QTY_EXCEEDS_MAX_ORDER"
    """Quantity above ``max_order_quantity`` (reduce to whole lots)."""
    NOTIONAL_EXCEEDS_MAX_ORDER = "NOTIONAL_EXCEEDS_MAX_ORDER"
    """Value above ``max_order_notional`` (reduce to whole lots)."""
    PRODUCT_NOT_ALLOWED = "PRODUCT_NOT_ALLOWED"
    """Product not in ``allowed_products`` (reject)."""
    EXCHANGE_NOT_ALLOWED = "EXCHANGE_NOT_ALLOWED"
    """Exchange not in ``allowed_exchanges`` (reject)."""
    MARKET_ORDER_NOT_ALLOWED = "MARKET_ORDER_NOT_ALLOWED"
    """No limit price while ``allow_market_orders`` is false (reject)."""
    PRICE_INVALID = "PRICE_INVALID"
    """Limit price not finite or ≤ 0 (reject)."""
    REFERENCE_PRICE_INVALID = "REFERENCE_PRICE_INVALID"
    """Reference price not finite or ≤ 0 (reject)."""
    TICK_SIZE_INVALID = "TICK_SIZE_INVALID"
    """Limit price not a multiple of the tick size (reject)."""
    PRICE_OUTSIDE_COLLAR = "PRICE_OUTSIDE_COLLAR"
    """Limit price outside the limit-price-protection band around the reference (reject)."""
    PRICE_OUTSIDE_CIRCUIT = "PRICE_OUTSIDE_CIRCUIT"
    """Limit price outside the circuit limits (reject)."""
    STALE_MARKET_DATA = "STALE_MARKET_DATA"
    """No tick or mark for longer than ``max_data_age_s`` (reject, or require approval)."""
    RATE_LIMIT_SECOND = "RATE_LIMIT_SECOND"
    """``max_orders_per_second`` approved orders in the last second (reject)."""
    RATE_LIMIT_MINUTE = "RATE_LIMIT_MINUTE"
    """``max_orders_per_minute`` approved orders in the last 60 seconds (reject)."""
    RATE_LIMIT_DAY = "RATE_LIMIT_DAY"
    """``max_orders_per_day`` approved orders today (reject)."""
    STATE_HALTED = "STATE_HALTED"
    """The kill switch is on (reject)."""
    STATE_REDUCING = "STATE_REDUCING"
    """REDUCING: only the part that reduces a position passes."""
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    """Day loss at ``max_daily_loss``: only the part that reduces a position passes."""
    DRAWDOWN_LIMIT = "DRAWDOWN_LIMIT"
    """Drawdown from the day's peak at ``max_drawdown``: only the part that reduces a position passes."""
    MAX_TRADES_PER_DAY = "MAX_TRADES_PER_DAY"
    """``max_trades_per_day`` fills today: only the part that reduces a position passes."""
    MAX_OPEN_POSITIONS = "MAX_OPEN_POSITIONS"
    """The order would open a position beyond ``max_open_positions`` (reject)."""
    POSITION_LIMIT = "POSITION_LIMIT"
    """The resulting position would exceed ``max_position_quantity`` (reduce)."""
    UNDERLYING_LIMIT = "UNDERLYING_LIMIT"
    """The gross position on the underlying would exceed ``max_underlying_quantity`` (reduce)."""
    CASH_UNKNOWN = "CASH_UNKNOWN"
    """No cash figure yet (``set_cash``) while the cash rule is on: only reductions pass."""
    CASH_RESERVE = "CASH_RESERVE"
    """Cash after the order's margin would fall below ``min_cash_reserve`` (reduce)."""
    NOTIONAL_NEEDS_APPROVAL = "NOTIONAL_NEEDS_APPROVAL"
    """Exposure-increasing order worth more than ``approval_notional`` (require approval)."""


__all__ = [
    "Exchange",
    "InstrumentKind",
    "Product",
    "RiskAction",
    "RiskCode",
    "Side",
    "StaleDataAction",
    "TradingState",
]
