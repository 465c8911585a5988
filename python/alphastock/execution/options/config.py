"""The ``option_trading`` configuration section: how a signal on an underlying becomes an options trade.

Units: rupees for money, percent for ``*_pct``, seconds for ``*_s``, minutes for ``*_minutes``,
IST wall times for ``*_time``. The underlyings traded through options are ``runners.options.underlyings``
(the chains come from that runner).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from alphastock.config_model import ConfigModel
from alphastock.execution.config import ProtectionConfig
from alphastock.options.selector import SelectionConfig
from alphastock.options.targets import ExitMethodConfig


class _Section(ConfigModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EntryConfig(_Section):
    """The entry order."""

    order_type: Literal["LIMIT", "MARKET"] = Field(
        "LIMIT", description="LIMIT at the touch (chased), or MARKET with market_protection"
    )
    chase_ticks: int = Field(
        1, ge=1, description="LIMIT: ticks the price moves toward the far side per chase"
    )
    max_chases: int = Field(3, ge=0, description="LIMIT: chases before the unfilled rest is cancelled")
    chase_interval_s: float = Field(2.0, gt=0, description="LIMIT: seconds (engine clock) between chases")
    market_protection: float = Field(
        2.0, description="MARKET: protection percent in (0, 100], or -1 for the broker's automatic"
    )


class ExitRulesConfig(_Section):
    """Exits beyond the resting stop and target."""

    trail_activation_pct: float | None = Field(
        20.0, gt=0, description="premium gain over the entry, percent, after which the stop trails; null: off"
    )
    trail_pct: float = Field(
        15.0,
        gt=0,
        lt=100,
        description="the trailing stop sits this percent below the best premium since entry",
    )
    trail_step_pct: float = Field(
        5.0,
        ge=0,
        description="the trailing stop moves only by at least this percent of the entry premium (Kite "
        "allows 25 modifications of one order)",
    )
    stop_gap_exit_s: float = Field(
        5.0,
        gt=0,
        description="a triggered stop whose limit the bid stays below this long is replaced by a "
        "market-protected exit, engine seconds (the stop was gapped through)",
    )
    max_holding_minutes: float | None = Field(None, gt=0, description="exit after this long in the trade")
    expiry_exit_minutes: float = Field(
        30.0, ge=0, description="on the contract's expiry day, exit this many minutes before 15:30 IST"
    )
    square_off_time: dt.time = Field(
        dt.time(15, 15), description="MIS: exit at this IST time (before the broker's own 15:25 square-off)"
    )
    exit_on_reversal: bool = Field(True, description="exit when the strategy signals the other way")


class OptionTradingConfig(_Section):
    """The options executor (see :mod:`alphastock.execution.options`)."""

    enabled: bool = Field(True, description="trade signals on options underlyings through options")
    product: Literal["MIS", "NRML"] = Field(
        "MIS",
        description="MIS: resting SL + LIMIT, exited the same day; NRML: carried, protected by a GTT OCO",
    )
    capital: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="rupees; null = the broker's available margin"
    )
    risk_per_trade_pct: float = Field(
        0.5,
        gt=0,
        le=100,
        description="capital lost at the premium stop, percent (half the direct executor's 1%: an option's "
        "premium stop is hit more often, and one stop should not take the day's loss limit)",
    )
    max_premium_per_trade: float = Field(
        100_000.0, gt=0, description="largest premium paid for one trade, rupees (lots are cut to it)"
    )
    max_lots: int = Field(20, ge=1, description="most lots in one trade")
    max_open_positions: int = Field(2, ge=1, description="option trades open (or opening) at once, at most")
    max_signal_age_s: float = Field(60.0, gt=0, description="a signal older than this is not traded, seconds")
    max_signal_age_by_strategy: dict[str, float] = Field(
        default_factory=dict, description="per-strategy override of max_signal_age_s, seconds"
    )
    chain_max_age_s: float = Field(
        10.0,
        gt=0,
        description="a chain snapshot older than this is rebuilt from the TickStore's quotes first",
    )
    gtt_poll_interval_s: float = Field(
        5.0, gt=0, description="NRML: seconds (engine clock) between reads of the trades' GTTs"
    )
    selection: SelectionConfig = SelectionConfig()
    levels: ExitMethodConfig = ExitMethodConfig()
    entry: EntryConfig = EntryConfig()
    exits: ExitRulesConfig = ExitRulesConfig()
    protection: ProtectionConfig = ProtectionConfig()


__all__ = ["EntryConfig", "ExitRulesConfig", "OptionTradingConfig"]
