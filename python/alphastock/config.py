"""AlphaStock configuration: typed, validated, layered.

Load order (later wins): built-in defaults < YAML files (``config/default.yaml``
is the commented reference) < environment variables < CLI flags. An
environment variable ``ALPHASTOCK__OPTIONS__THREADS=2`` sets
``options.threads``: the prefix, then the path in upper case joined by ``__``.
Values from the environment are parsed as YAML scalars (``2``, ``0.5``,
``true``, ``null``).
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alphastock.brokers.charges import ChargeRates
from alphastock.brokers.paper.settings import PaperSettings
from alphastock.calendar import CalendarConfig
from alphastock.config_model import ConfigModel
from alphastock.errors import ConfigError
from alphastock.execution.config import ExecutionConfig
from alphastock.live.config import LiveConfig
from alphastock.live.recorder import RecordingConfig
from alphastock.options.strikes import StrikeFilters, StrikeWeights
from alphastock.risk.limits import Limits
from alphastock.runners.config import RunnersConfig
from alphastock.sim.config import SimSettings
from alphastock.strategies.config import StrategiesConfig

ENV_PREFIX = "ALPHASTOCK__"


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


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return loaded


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        if not path:
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        try:
            node[path[-1]] = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"environment variable {name} is not a valid value: {exc}") from exc
    return tree


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    return value


def as_plain_data(config: BaseModel) -> dict[str, Any]:
    """The configuration as YAML-safe builtins: enums as their values, sets as sorted lists, times of
    day as ``"HH:MM"`` strings, inf kept."""
    plain: dict[str, Any] = _plain(config.model_dump(mode="python"))
    return plain


def load_config(
    files: list[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> AlphaStockConfig:
    """Build the configuration from defaults, YAML files, the environment and CLI overrides.

    Raises:
        ConfigError: a file cannot be read or parsed, or a value fails validation
            (the message names the setting).
    """
    data: dict[str, Any] = {}
    for path in files or []:
        data = _deep_merge(data, _read_yaml(path))
    data = _deep_merge(data, _from_environment(os.environ if environ is None else environ))
    data = _deep_merge(data, overrides or {})
    try:
        return AlphaStockConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


__all__ = [
    "ENV_PREFIX",
    "AlphaStockConfig",
    "InstrumentsConfig",
    "OptionsConfig",
    "as_plain_data",
    "load_config",
]
