"""The ``strategies`` configuration section: which strategy instances run on which symbols.

An instance names a registered strategy (``alphastock strategies list``), an optional
instance name (defaults to the strategy name; must be unique), its symbols
(``EXCHANGE:TRADINGSYMBOL``, or a plain tradingsymbol meaning NSE), the bar timeframe
(one of :data:`TIMEFRAMES`: the candle intervals Kite's historical API serves, so every strategy
can be warmed up), the least engine-clock time between two ``on_tick`` calls for one token
(``min_tick_interval_ms``; only for strategies that define ``on_tick``) and its params,
validated against the strategy's ``Params`` model when the
:class:`~alphastock.strategies.StrategyManager` is built. The runners build every timeframe an
enabled instance needs (``AlphaStockConfig`` adds it to ``runners.bar_intervals``).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from alphastock.bars import KITE_INTERVALS
from alphastock.config_model import ConfigModel
from alphastock.runners.config import interval_name

TIMEFRAMES: Final[tuple[str, ...]] = tuple(KITE_INTERVALS.values())
"""Strategy timeframes: the intervals of Kite's historical candles (``minute`` ... ``60minute``,
``day``; https://kite.trade/docs/connect/v3/historical), in our names ``1m`` ... ``1h``, ``1d``."""


class StrategyInstanceConfig(ConfigModel):
    """One strategy instance: a registered strategy run with ``params`` on ``symbols``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(min_length=1, description="registered strategy name")
    name: str | None = Field(None, description="instance name (signal.strategy); defaults to `strategy`")
    symbols: list[str] = Field(default_factory=list, description="EXCHANGE:TRADINGSYMBOL or plain (NSE)")
    timeframe: str = Field("1m", description="bar interval: 1m, 3m, 5m, 10m, 15m, 30m, 1h or 1d")
    enabled: bool = True
    min_tick_interval_ms: float = Field(
        0.0,
        ge=0.0,
        le=86_400_000.0,
        description="engine-clock ms between two on_tick calls for one token (0: every tick notice); "
        "ticks in between are coalesced: the next call gets the newest tick",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="validated against the strategy's Params"
    )

    @field_validator("timeframe")
    @classmethod
    def _known_interval(cls, value: str, info: ValidationInfo) -> str:
        who = info.data.get("name") or info.data.get("strategy") or "?"
        try:
            name = interval_name(value)
        except ValueError as exc:  # the message gives the accepted forms
            raise ValueError(f"strategy instance {who!r}: {exc}") from None
        if name not in TIMEFRAMES:
            raise ValueError(
                f"strategy instance {who!r}: timeframe {value!r} cannot be warmed up from Kite's historical "
                f"candles, which come in {', '.join(TIMEFRAMES)} only; use one of those"
            )
        return name

    @property
    def min_tick_interval_ns(self) -> int:
        """:attr:`min_tick_interval_ms` in engine-clock nanoseconds."""
        return round(self.min_tick_interval_ms * 1_000_000)

    @property
    def instance_name(self) -> str:
        """``name``, or the strategy name when unset."""
        return self.name or self.strategy


def _equities() -> list[str]:
    return ["NSE:RELIANCE", "NSE:INFY", "NSE:SBIN", "NSE:HDFCBANK", "NSE:TCS"]


def _default_instances() -> list[StrategyInstanceConfig]:
    return [
        StrategyInstanceConfig(strategy="ma_crossover", symbols=_equities(), timeframe="1m"),
        StrategyInstanceConfig(
            strategy="mean_reversion", symbols=["NSE:RELIANCE", "NSE:INFY", "NSE:HDFCBANK"], timeframe="1m"
        ),
        StrategyInstanceConfig(strategy="breakout", symbols=["NSE:SBIN", "NSE:TCS"], timeframe="1m"),
        # Index signals, traded through their options (config/default.yaml says why these).
        StrategyInstanceConfig(
            strategy="ma_crossover",
            name="ma_crossover_index",
            symbols=["NSE:NIFTY 50", "NSE:NIFTY BANK"],
            timeframe="1m",
        ),
    ]


class StrategiesConfig(ConfigModel):
    """Strategy instances and how their signals on one symbol and bar are combined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregation: Literal["first", "majority", "weighted"] = Field(
        "weighted", description="how signals of several instances on one symbol and bar are combined"
    )
    min_confidence: float = Field(0.1, ge=0.0, le=1.0, description="signals below are dropped (counted)")
    weighted_margin: float = Field(
        0.1, ge=0.0, le=0.5, description="weighted: the winning side needs a share >= 0.5 + this"
    )
    max_errors: int = Field(5, ge=1, description="consecutive hook errors before an instance is disabled")
    instances: list[StrategyInstanceConfig] = Field(default_factory=_default_instances)


__all__ = ["TIMEFRAMES", "StrategiesConfig", "StrategyInstanceConfig"]
