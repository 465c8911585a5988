"""The ``execution`` configuration section: sizing, products, order types, exits, journal, shutdown.

Units: rupees for money, percent for ``*_pct``, seconds for ``*_s``, ticks for offsets.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from alphastock.config_model import ConfigModel


class ExecutionConfig(ConfigModel):
    """How signals become orders (see :mod:`alphastock.execution`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    capital: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="trading capital, rupees; null = the broker's available margin",
    )
    risk_per_trade_pct: float = Field(
        1.0, gt=0, le=100, description="capital put at risk (entry to stop loss) per trade, percent"
    )
    max_position_pct: float = Field(
        20.0, gt=0, le=100, description="largest position value per instrument, percent of capital"
    )
    equity_product: Literal["MIS", "CNC"] = Field("MIS", description="product for NSE/BSE equity signals")
    futures_product: Literal["MIS", "NRML"] = Field(
        "MIS", description="product for NFO/MCX futures signals (MIS: intraday, squared off by the broker)"
    )
    order_type: Literal["MARKET", "LIMIT"] = Field(
        "MARKET", description="entry order type; LIMIT is placed at the touch +/- limit_offset_ticks"
    )
    limit_offset_ticks: int = Field(
        0, ge=0, description="LIMIT orders: ticks beyond the touch (buy at ask + n ticks, sell at bid - n)"
    )
    market_protection: float = Field(
        2.0, description="MARKET orders: protection percent in (0, 100], or -1 for the broker's automatic"
    )
    signal_ttl_s: float = Field(
        60.0,
        gt=0,
        description="a NEW signal no order was sent for within this expires, seconds (one whose order is "
        "in flight, however slow the broker, never does)",
    )
    exits_enabled: bool = Field(
        True, description="exit positions when the signal's stop loss or target trades"
    )
    journal_fsync: bool = Field(
        False, description="fsync every journal record (survives power loss, ~0.3 ms per record)"
    )
    reconcile_interval_s: float = Field(
        5.0, gt=0, description="compare the OMS with the broker's order book every so many seconds"
    )
    unknown_timeout_s: float = Field(
        30.0,
        gt=0,
        description="an order whose placement outcome is unknown is taken as never placed (REJECTED) "
        "when two order-book reads at least this many seconds after the call lack its tag",
    )
    shutdown: Literal["hold", "square_off_mis"] = Field(
        "square_off_mis", description="on stop: keep positions, or square off MIS positions"
    )
    broker_unreachable_after: int = Field(
        3,
        ge=1,
        description="consecutive failed broker calls (orders or reads: network errors, HTTP 5xx, "
        "ambiguous placements) after which the broker is taken as unreachable and new orders halt",
    )
    broker_retry_max_s: float = Field(
        60.0,
        gt=0,
        description="while the broker is unreachable, reads are retried with exponential backoff from "
        "reconcile_interval_s up to this many seconds (engine clock)",
    )

    @field_validator("market_protection")
    @classmethod
    def _protection(cls, value: float) -> float:
        if not (value == -1 or 0 < value <= 100):
            raise ValueError("market_protection must be in (0, 100] percent, or -1 for automatic")
        return value


class ProtectionConfig(ConfigModel):
    """Resting protection (see :mod:`alphastock.execution.protection`). Percent for ``*_pct``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stop_limit_offset_pct: float = Field(
        5.0,
        gt=0,
        lt=40,
        description="SL orders: the limit this percent of the trigger beyond it (below for a SELL stop)",
    )
    stop_limit_offset_ticks: int | None = Field(
        None, ge=1, description="SL orders: the limit this many ticks beyond the trigger (overrides the pct)"
    )
    exit_order_type: Literal["MARKET", "LIMIT"] = Field(
        "MARKET", description="exit_now and crossed positions: MARKET with market_protection, or LIMIT"
    )
    exit_limit_offset_ticks: int = Field(
        2, ge=0, description="LIMIT exits: ticks beyond the touch (sell at bid - n, buy at ask + n)"
    )
    market_protection: float = Field(
        2.0, description="MARKET exits: protection percent in (0, 100], or -1 for the broker's automatic"
    )
    max_attempts: int = Field(
        3,
        ge=1,
        description="placements of one leg refused (risk or broker) before the bracket gives up on it",
    )


__all__ = ["ExecutionConfig", "ProtectionConfig"]
