"""Risk limits: one frozen pydantic model, converted to the Rust engine once (not per order).

Units: rupees for money, units (not lots) for quantities, seconds for time.
``None`` switches a limit off. The defaults are conservative for a small retail
account and follow Kite/SEBI order rates (10 per second, 400 per minute, 5000
per day) and NSE limit-price protection (options ±₹20 up to a ₹50 reference,
else ±40 %; futures ±3 %).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from alphastock.config_model import ConfigModel
from alphastock.risk.enums import Exchange, Product, StaleDataAction

_DEFAULT_PRODUCTS = frozenset({Product.CNC, Product.MIS, Product.NRML})
_ALL_EXCHANGES = frozenset(Exchange)


class Limits(ConfigModel):
    """Every limit :class:`~alphastock.risk.RiskEngine` enforces. Field descriptions give units; a
    quantity is as Kite counts it ("units": shares, or lots x lot size on NFO; on MCX, lots of the
    contract, whose rupee value the multiplier gives)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Order size.
    max_order_quantity: int | None = Field(
        None,
        ge=1,
        description="largest quantity of one order, units (not lots); larger orders are reduced to it in "
        "whole lots. The exchange freeze quantity is per instrument, on the OrderIntent.",
    )
    max_order_notional: float | None = Field(
        500_000.0,
        gt=0.0,
        allow_inf_nan=False,
        description="largest value of one order, rupees: quantity * limit price (* reference price for "
        "market orders) * contract multiplier (MCX); larger orders are reduced to fit, in whole lots",
    )

    # Exposure.
    max_position_quantity: int | None = Field(
        None,
        ge=1,
        description="largest absolute net position in one instrument after the order, units",
    )
    max_underlying_quantity: int | None = Field(
        None,
        ge=1,
        description="largest gross position on one underlying after the order, units: the sum over its "
        "instruments of |net position| (a long call and a short put both count)",
    )
    max_open_positions: int | None = Field(
        10, ge=1, description="most instruments with a non-zero position at once"
    )

    # Loss.
    max_daily_loss: float | None = Field(
        10_000.0,
        gt=0.0,
        allow_inf_nan=False,
        description="day loss (realised + unrealised at the last marks, less charges), rupees, at which "
        "the engine enters REDUCING",
    )
    max_drawdown: float | None = Field(
        15_000.0,
        gt=0.0,
        allow_inf_nan=False,
        description="fall of the day's P&L from the day's peak (the peak starts at 0), rupees, at which "
        "the engine enters REDUCING",
    )
    max_trades_per_day: int | None = Field(
        100,
        ge=1,
        description="fills reported through on_fill (each partial fill is one exchange trade) after which "
        "only exposure-reducing orders pass",
    )

    # Order rates (approved orders; Kite and SEBI's retail-algo limits by default).
    max_orders_per_second: int | None = Field(10, ge=1, description="approved orders in any rolling 1 s")
    max_orders_per_minute: int | None = Field(400, ge=1, description="approved orders in any rolling 60 s")
    max_orders_per_day: int | None = Field(5000, ge=1, description="approved orders since reset_day")

    # Price collars (NSE limit-price protection) around the intent's reference price.
    option_collar_pct: float | None = Field(
        40.0,
        gt=0.0,
        allow_inf_nan=False,
        description="options above option_collar_threshold: ± this percentage of the reference price; "
        "None switches the options collar off",
    )
    option_collar_rupees: float = Field(
        20.0,
        gt=0.0,
        allow_inf_nan=False,
        description="options at or below option_collar_threshold: ± this many rupees",
    )
    option_collar_threshold: float = Field(
        50.0,
        gt=0.0,
        allow_inf_nan=False,
        description="reference price, rupees, up to which the band is absolute",
    )
    future_collar_pct: float | None = Field(
        3.0, gt=0.0, allow_inf_nan=False, description="futures: ± this percentage of the reference price"
    )
    equity_collar_pct: float | None = Field(
        None,
        gt=0.0,
        allow_inf_nan=False,
        description="equities: ± this percentage of the reference price; off by default (circuit limits "
        "bound equities)",
    )

    # Market data.
    max_data_age_s: float | None = Field(
        10.0,
        gt=0.0,
        allow_inf_nan=False,
        description="seconds since the instrument's last tick or mark after which its data is stale "
        "(an instrument never ticked is stale too)",
    )
    stale_data_action: StaleDataAction = Field(
        StaleDataAction.REJECT, description="REJECT or REQUIRE_APPROVAL an order on stale data"
    )

    # Cash.
    min_cash_reserve: float | None = Field(
        0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="rupees that must remain after an exposure-increasing order's margin; while no cash "
        "figure has been set (set_cash) such orders are cut to their reducing part. None switches the "
        "cash rule off",
    )

    # Human approval.
    approval_notional: float | None = Field(
        None,
        gt=0.0,
        allow_inf_nan=False,
        description="exposure-increasing orders worth more than this, rupees, need a human's approval",
    )

    # What may be traded.
    allow_market_orders: bool = Field(True, description="accept orders without a limit price")
    allowed_products: frozenset[Product] = Field(_DEFAULT_PRODUCTS, min_length=1)
    allowed_exchanges: frozenset[Exchange] = Field(_ALL_EXCHANGES, min_length=1)

    def to_core(self) -> dict[str, Any]:
        """The limits as the Rust engine takes them (plain values, sorted name lists)."""
        data = self.model_dump()
        data["stale_data_action"] = self.stale_data_action.value
        data["allowed_products"] = sorted(p.value for p in self.allowed_products)
        data["allowed_exchanges"] = sorted(e.value for e in self.allowed_exchanges)
        return data


__all__ = ["Limits"]
