"""The configuration tree: :class:`AlphaStockConfig` and the sections no other package owns.

Each section's model lives with the package it configures (``risk.limits.Limits``,
``execution.config.ExecutionConfig`` ...) when that package never reads the whole tree; the sections
of the packages that do (``live``, the recorder, and next the kernel) live in this package
(:mod:`alphastock.config.live`, :mod:`alphastock.config.recording`), so it imports none of them.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from alphastock.brokers.charges import ChargeRates
from alphastock.brokers.paper.settings import PaperSettings
from alphastock.calendar import CalendarConfig
from alphastock.config.live import LiveConfig
from alphastock.config.recording import RecordingConfig
from alphastock.config_model import ConfigModel
from alphastock.execution.config import ExecutionConfig
from alphastock.execution.options.config import OptionTradingConfig
from alphastock.options.strikes import StrikeFilters, StrikeWeights
from alphastock.risk.limits import Limits
from alphastock.runners.config import RunnersConfig
from alphastock.sim.config import SimSettings
from alphastock.strategies.config import StrategiesConfig


class OptionsConfig(ConfigModel):
    """Options analytics settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threads: int = Field(0, ge=0, description="threads for large batches; 0 = RAYON_NUM_THREADS or all cores")
    forward_strikes: int = Field(5, ge=1, description="near-the-money strikes voting on the parity forward")
    strike_weights: StrikeWeights = StrikeWeights()
    strike_filters: StrikeFilters = StrikeFilters()


def _default_freeze_quantities() -> dict[str, int]:
    return {"NIFTY": 1800, "BANKNIFTY": 900, "FINNIFTY": 1800, "MIDCPNIFTY": 2800}


class InstrumentsConfig(ConfigModel):
    """Instrument facts the Kite dump lacks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    freeze_quantities: dict[str, int] = Field(
        default_factory=_default_freeze_quantities,
        description="exchange freeze quantity (max units per order) of F&O contracts, by underlying name",
    )


class AlphaStockConfig(ConfigModel):
    """The whole configuration tree."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    options: OptionsConfig = OptionsConfig()
    risk: Limits = Limits()
    charges: ChargeRates = ChargeRates()
    instruments: InstrumentsConfig = InstrumentsConfig()
    paper: PaperSettings = PaperSettings()
    calendar: CalendarConfig = CalendarConfig()
    strategies: StrategiesConfig = StrategiesConfig()
    runners: RunnersConfig = RunnersConfig()
    live: LiveConfig = LiveConfig()
    execution: ExecutionConfig = ExecutionConfig()
    option_trading: OptionTradingConfig = OptionTradingConfig()
    recording: RecordingConfig = RecordingConfig()
    sim: SimSettings = SimSettings()

    @model_validator(mode="after")
    def _build_every_strategy_timeframe(self) -> AlphaStockConfig:
        """Add the timeframes enabled strategy instances need to ``runners.bar_intervals``.

        Why here: a strategy on an interval the runners do not build never sees a bar and never
        signals, silently. Timeframes are canonical names by now (``5minute`` is ``5m``), as are the
        runners' intervals, so bars reach the strategies by name.
        """
        built = list(self.runners.bar_intervals)
        for instance in self.strategies.instances:
            if instance.enabled and instance.timeframe not in built:
                built.append(instance.timeframe)
        if built != self.runners.bar_intervals:
            # The model is frozen; this runs before anyone holds it.
            object.__setattr__(self, "runners", self.runners.model_copy(update={"bar_intervals": built}))
        return self

    def paper_settings(self) -> PaperSettings:
        """The ``paper`` section for a PaperBroker, with the ``charges`` section filled in when
        ``paper.charges`` is null (the default)."""
        if self.paper.charges is not None:
            return self.paper
        return self.paper.model_copy(update={"charges": self.charges})


__all__ = ["AlphaStockConfig", "InstrumentsConfig", "OptionsConfig"]
