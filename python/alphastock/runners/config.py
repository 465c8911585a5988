"""Settings of the runners (config section ``runners``): which instruments each runner follows and how.

Units: times in seconds unless the name says otherwise; sessions are IST wall times
``"HH:MM"`` (end exclusive); rates are annualised decimals.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from alphastock.bars import NS_PER_SECOND, parse_interval
from alphastock.config_model import ConfigModel

Mode = Literal["ltp", "quote", "full"]


def _default_aliases() -> dict[str, str]:
    return {
        "NIFTY": "NIFTY 50",
        "NIFTY50": "NIFTY 50",
        "BANKNIFTY": "NIFTY BANK",
        "NIFTYBANK": "NIFTY BANK",
        "FINNIFTY": "NIFTY FIN SERVICE",
        "MIDCPNIFTY": "NIFTY MID SELECT",
        "INDIAVIX": "INDIA VIX",
        "VIX": "INDIA VIX",
    }


def _default_underlying_names() -> dict[str, str]:
    return {
        "NIFTY 50": "NIFTY",
        "NIFTY BANK": "BANKNIFTY",
        "NIFTYBANK": "BANKNIFTY",
        "NIFTY FIN SERVICE": "FINNIFTY",
        "NIFTY MID SELECT": "MIDCPNIFTY",
    }


def interval_name(interval: str) -> str:
    """The canonical name of a bar interval: ``"5minute"``, ``"300s"`` and ``"5m"`` are ``"5m"``,
    ``"60m"`` is ``"1h"``, ``"day"`` is ``"1d"`` (bars are routed to strategies by this name).

    Raises:
        ValueError: ``interval`` is not an interval (the message gives the accepted forms).
    """
    ns = parse_interval(interval)
    if ns is None:
        return "1d"
    seconds = ns // NS_PER_SECOND
    if ns % NS_PER_SECOND:
        raise ValueError(f"interval must be a whole number of seconds, got {interval!r}")
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


class _Section(ConfigModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EquityRunnerConfig(_Section):
    """NSE cash equities: last price, day OHLC, volume, change % and top movers."""

    enabled: bool = True
    symbols: list[str] = Field(default_factory=lambda: ["RELIANCE", "INFY", "SBIN", "HDFCBANK", "TCS"])
    mode: Mode = Field("full", description="feed mode: full carries volume and depth")


class IndexRunnerConfig(_Section):
    """Indices (non-tradable): levels and change %, India VIX."""

    enabled: bool = True
    symbols: list[str] = Field(default_factory=lambda: ["NIFTY 50", "NIFTY BANK", "INDIA VIX"])
    mode: Mode = Field("quote", description="indices carry no depth: quote gives OHLC and change")


class FuturesRunnerConfig(_Section):
    """Nearest-month futures of the underlyings: basis, cost of carry, days to expiry, rollover."""

    enabled: bool = True
    underlyings: list[str] = Field(default_factory=lambda: ["NIFTY", "BANKNIFTY"])
    exchange: str = Field("NFO", description="exchange of the futures")
    mode: Mode = "full"
    spot_mode: Mode = Field("quote", description="mode of the spot (index or stock) used for the basis")
    rollover_days: int = Field(
        2, ge=0, description="roll to the next month when at most this many trading days are left"
    )


class OptionsRunnerConfig(_Section):
    """Option chain snapshots (IV and greeks) for ATM +- N strikes of the nearest expiries."""

    enabled: bool = True
    underlyings: list[str] = Field(default_factory=lambda: ["NIFTY", "BANKNIFTY"])
    exchange: str = Field("NFO", description="exchange of the options")
    strikes_each_side: int = Field(10, ge=1, description="listed strikes above and below the ATM strike")
    expiries: int = Field(2, ge=1, description="nearest expiries followed per underlying")
    snapshot_interval_s: float = Field(5.0, gt=0, description="seconds (engine clock) between snapshots")
    recentre_strikes: int = Field(
        3, ge=1, description="re-centre the window when ATM is more than this many strikes off its centre"
    )
    rate: float = Field(0.065, description="risk-free rate for parity, IV and greeks (continuous)")
    mode: Mode = "full"
    spot_mode: Mode = "quote"


class CommodityRunnerConfig(_Section):
    """MCX futures (nearest month, rolled like futures), with MCX session hours for their bars."""

    enabled: bool = True
    underlyings: list[str] = Field(default_factory=lambda: ["CRUDEOIL", "GOLDM"])
    exchange: str = "MCX"
    mode: Mode = "full"
    rollover_days: int = Field(2, ge=0, description="roll when at most this many trading days are left")


class PollConfig(_Section):
    """REST quote polling while the WebSocket is down or stale (Kite: quotes 1 request/s, 500 per call)."""

    enabled: bool = True
    max_per_request: int = Field(500, ge=1, le=500, description="instruments per /quote call")
    min_interval_s: float = Field(1.0, gt=0, description="seconds between two /quote calls")


class RunnersConfig(_Section):
    """All runners, sharing one feed (config section ``runners``)."""

    equity: EquityRunnerConfig = EquityRunnerConfig()
    index: IndexRunnerConfig = IndexRunnerConfig()
    futures: FuturesRunnerConfig = FuturesRunnerConfig()
    options: OptionsRunnerConfig = OptionsRunnerConfig()
    commodity: CommodityRunnerConfig = CommodityRunnerConfig()
    aliases: dict[str, str] = Field(
        default_factory=_default_aliases, description="symbol -> tradingsymbol, tried after an exact match"
    )
    underlying_names: dict[str, str] = Field(
        default_factory=_default_underlying_names,
        description="index tradingsymbol or alias -> derivative underlying name (NIFTY BANK -> BANKNIFTY)",
    )
    bar_intervals: list[str] = Field(
        default_factory=lambda: ["1m"],
        description="bar intervals built (canonical names); every enabled strategy's timeframe is added",
    )
    nse_session: tuple[str, str] = Field(("09:15", "15:30"), description="NSE/NFO session, IST")
    mcx_session: tuple[str, str] = Field(("09:00", "23:30"), description="MCX session, IST")
    timer_interval_s: float = Field(
        1.0, gt=0, description="seconds between timer passes (bar flush, snapshots, rollover checks)"
    )
    poll: PollConfig = PollConfig()

    @field_validator("bar_intervals")
    @classmethod
    def _canonical_intervals(cls, value: list[str]) -> list[str]:
        names: list[str] = []
        for interval in value:
            name = interval_name(interval)  # raises ValueError naming the accepted forms
            if name not in names:
                names.append(name)
        return names


__all__ = [
    "CommodityRunnerConfig",
    "EquityRunnerConfig",
    "FuturesRunnerConfig",
    "IndexRunnerConfig",
    "Mode",
    "OptionsRunnerConfig",
    "PollConfig",
    "RunnersConfig",
    "interval_name",
]
