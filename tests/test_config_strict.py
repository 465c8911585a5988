"""Configuration numbers are strict: a boolean is never taken for a number, in any config model."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from alphastock import ConfigError
from alphastock.config import AlphaStockConfig, load_config
from alphastock.config_model import ConfigModel, boolean_problem
from alphastock.risk.limits import Limits
from alphastock.strategies.base import StrategyParams


def _models(model: type[BaseModel], seen: dict[type[BaseModel], None] | None = None) -> list[type[BaseModel]]:
    """Every model class reachable from ``model``'s fields (containers and unions included)."""
    seen = {} if seen is None else seen
    if model in seen:
        return list(seen)
    seen[model] = None
    for field in model.model_fields.values():
        for kind in _leaves(field.annotation):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                _models(kind, seen)
    return list(seen)


def _leaves(annotation: Any) -> typing.Iterator[Any]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _leaves(arg)


def _numeric_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the fields typed as a plain number (``int``, ``float``, optional or not)."""
    paths: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        if typing.get_origin(field.annotation) in (list, tuple, dict):
            continue  # a container of models: its items are checked by their own tests
        kinds = [k for k in typing.get_args(field.annotation) if k is not type(None)] or [field.annotation]
        if len(kinds) == 1 and kinds[0] in (int, float):
            paths.append((*prefix, name))
        elif len(kinds) == 1 and isinstance(kinds[0], type) and issubclass(kinds[0], BaseModel):
            paths.extend(_numeric_paths(kinds[0], (*prefix, name)))
    return paths


def _nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    tree: dict[str, Any] = {path[-1]: value}
    for part in reversed(path[:-1]):
        tree = {part: tree}
    return tree


def test_every_model_of_the_configuration_tree_is_a_config_model() -> None:
    models = _models(AlphaStockConfig)
    assert len(models) >= 20  # the walk really descends
    outside = sorted(m.__qualname__ for m in models if not issubclass(m, ConfigModel))
    assert outside == []


NUMERIC_PATHS = _numeric_paths(AlphaStockConfig)


def test_the_numeric_fields_found_include_the_reported_one() -> None:
    assert ("risk", "max_trades_per_day") in NUMERIC_PATHS
    assert len(NUMERIC_PATHS) >= 40


@pytest.mark.parametrize("path", NUMERIC_PATHS, ids=".".join)
@pytest.mark.parametrize("flag", [True, False])
def test_a_boolean_is_refused_for_every_numeric_setting(path: tuple[str, ...], flag: bool) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(environ={}, overrides=_nested(path, flag))
    assert str(err.value) == (
        f"invalid configuration: {'.'.join(path)}: Value error, "
        f"a number is required, not the boolean {str(flag).lower()}"
    )


def test_max_trades_per_day_true_in_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("risk:\n  max_trades_per_day: true\n")
    with pytest.raises(ConfigError) as err:
        load_config([file], environ={})
    assert str(err.value) == (
        "invalid configuration: risk.max_trades_per_day: Value error, "
        "a number is required, not the boolean true"
    )


def test_a_boolean_from_the_environment_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(environ={"ALPHASTOCK__STRATEGIES__MAX_ERRORS": "yes"})
    assert "strategies.max_errors: Value error, a number is required, not the boolean true" in str(err.value)


def test_booleans_inside_containers_are_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(environ={}, overrides={"instruments": {"freeze_quantities": {"NIFTY": True}}})
    assert str(err.value) == (
        "invalid configuration: instruments.freeze_quantities: Value error, "
        "NIFTY: a number is required, not the boolean true"
    )


def test_a_boolean_number_in_a_strategy_instance_is_refused() -> None:
    instance = {
        "name": "x",
        "strategy": "ma_crossover",
        "symbols": ["NSE:INFY"],
        "min_tick_interval_ms": True,
    }
    with pytest.raises(ConfigError) as err:
        load_config(environ={}, overrides={"strategies": {"instances": [instance]}})
    assert str(err.value) == (
        "invalid configuration: strategies.instances.0.min_tick_interval_ms: Value error, "
        "a number is required, not the boolean true"
    )


def test_models_built_directly_refuse_booleans_too() -> None:
    with pytest.raises(ValidationError) as err:
        Limits(max_trades_per_day=True)
    assert err.value.errors(include_url=False)[0]["msg"] == (
        "Value error, a number is required, not the boolean true"
    )


def test_strategy_params_refuse_booleans_for_numbers() -> None:
    class Params(StrategyParams):
        fast: int = 9
        enabled_filter: bool = False

    assert Params(fast=5, enabled_filter=True) == Params(fast=5, enabled_filter=True)
    with pytest.raises(ValidationError) as err:
        Params(fast=True)
    assert err.value.errors(include_url=False)[0]["loc"] == ("fast",)


def test_numbers_and_booleans_still_load_where_they_belong() -> None:
    config = load_config(
        environ={},
        overrides={
            "risk": {"max_trades_per_day": 7},
            "options": {"threads": 2},
            "runners": {"equity": {"enabled": False}},
            "execution": {"journal_fsync": True},
        },
    )
    assert config.risk.max_trades_per_day == 7
    assert config.options.threads == 2
    assert config.runners.equity.enabled is False
    assert config.execution.journal_fsync is True


class _Level(enum.Enum):
    LOW = 1
    HIGH = 2


@pytest.mark.parametrize(
    ("value", "annotation", "problem"),
    [
        (True, int, "a number is required, not the boolean true"),
        (False, float | None, "a number is required, not the boolean false"),
        (True, bool, None),
        (True, bool | int, None),
        (True, Any, None),
        (True, str, None),  # pydantic refuses it itself
        (True, _Level, "a number is required, not the boolean true"),
        (1, int, None),
        ({"a": 1, "b": True}, dict[str, int], "b: a number is required, not the boolean true"),
        ([1.0, False], list[float], "[1]: a number is required, not the boolean false"),
        (("x", True), tuple[str, int], "[1]: a number is required, not the boolean true"),
        ((1, True), tuple[int, ...], "[1]: a number is required, not the boolean true"),
        ([True], list[int] | None, "[0]: a number is required, not the boolean true"),
        ({"a": True}, dict[str, bool], None),
        ({"a": True}, dict[str, Any], None),
        (dt.time(9, 15), dt.time, None),
    ],
)
def test_boolean_problem(value: Any, annotation: Any, problem: str | None) -> None:
    assert boolean_problem(value, annotation) == problem


def test_config_show_refuses_a_boolean_number(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from alphastock.cli import app

    file = tmp_path / "c.yaml"
    file.write_text("risk:\n  max_trades_per_day: true\n")
    result = CliRunner().invoke(
        app, ["config", "show", "--config", str(file)], env={"NO_COLOR": "1", "COLUMNS": "80"}
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: invalid configuration: risk.max_trades_per_day: Value error, "
        "a number is required, not the boolean true\n"
    )
