"""Configuration: defaults agree with config/default.yaml, layering, and errors that name the setting."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from alphastock import AlphaStockError, ConfigError
from alphastock.config import ENV_PREFIX, AlphaStockConfig, OptionsConfig, as_plain_data, load_config
from alphastock.options import StrikeFilters, StrikeWeights

DEFAULT_YAML = Path(__file__).resolve().parents[1] / "config" / "default.yaml"


def _default_file() -> dict:
    return yaml.safe_load(DEFAULT_YAML.read_text(encoding="utf-8"))


def test_defaults_equal_the_reference_file() -> None:
    reference = _default_file()
    # PyYAML reads `.inf` as float('inf'), which compares equal to the model's math.inf.
    assert reference["options"]["strike_filters"]["max_spread_pct"] == math.inf
    assert as_plain_data(load_config(environ={})) == reference
    assert as_plain_data(AlphaStockConfig()) == reference


def test_reference_file_loaded_as_a_config_file_changes_nothing() -> None:
    assert load_config([DEFAULT_YAML], environ={}) == load_config(environ={})


def test_defaults_by_value() -> None:
    options = load_config(environ={}).options
    assert options.threads == 0
    assert options.forward_strikes == 5
    assert options.strike_weights == StrikeWeights(
        liquidity=0.3, delta=0.3, iv=0.15, moneyness=0.15, spread=0.1
    )
    assert options.strike_filters == StrikeFilters()
    assert options.strike_filters.max_spread_pct == math.inf
    assert options.strike_filters.atm_window is None


def test_environment_overrides() -> None:
    config = load_config(environ={"ALPHASTOCK__OPTIONS__THREADS": "3", "UNRELATED": "x"})
    assert config.options.threads == 3
    assert config.options.forward_strikes == 5
    nested = load_config(
        environ={
            "ALPHASTOCK__OPTIONS__STRIKE_FILTERS__MAX_SPREAD_PCT": "2.5",
            "ALPHASTOCK__OPTIONS__STRIKE_FILTERS__ATM_WINDOW": "4",
            "ALPHASTOCK__OPTIONS__STRIKE_FILTERS__OPTION_TYPE": "p",
            "ALPHASTOCK__OPTIONS__STRIKE_WEIGHTS__IV": "0",
        }
    )
    filters = nested.options.strike_filters
    assert (filters.max_spread_pct, filters.atm_window, filters.option_type) == (2.5, 4, "p")
    assert nested.options.strike_weights.iv == 0.0
    assert nested.options.strike_weights.delta == 0.3
    assert (
        load_config(environ={"ALPHASTOCK__OPTIONS__STRIKE_FILTERS__ATM_WINDOW": "null"}).options
        == OptionsConfig()
    )
    assert ENV_PREFIX == "ALPHASTOCK__"


def test_layering_files_then_environment_then_overrides(tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text("options:\n  threads: 2\n  forward_strikes: 7\n", encoding="utf-8")
    second = tmp_path / "second.yaml"
    second.write_text("options:\n  threads: 4\n  strike_filters:\n    min_oi: 1000\n", encoding="utf-8")
    config = load_config([first, second], environ={})
    assert (config.options.threads, config.options.forward_strikes) == (4, 7)
    assert config.options.strike_filters.min_oi == 1000.0
    assert config.options.strike_filters.target_delta == 0.5  # untouched siblings survive the merge
    env = {"ALPHASTOCK__OPTIONS__THREADS": "6"}
    assert load_config([first, second], environ=env).options.threads == 6
    overridden = load_config([first, second], environ=env, overrides={"options": {"threads": 8}})
    assert overridden.options.threads == 8
    assert overridden.options.forward_strikes == 7


def test_empty_file_is_the_defaults(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n", encoding="utf-8")
    assert load_config([empty], environ={}) == load_config(environ={})


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"ALPHASTOCK__OPTIONS__THREADS": "-1"}, "options.threads"),
        ({"ALPHASTOCK__OPTIONS__THREADS": "many"}, "options.threads"),
        ({"ALPHASTOCK__OPTIONS__FORWARD_STRIKES": "0"}, "options.forward_strikes"),
        ({"ALPHASTOCK__OPTIONS__STRIKE_WEIGHTS__DELTA": "-0.5"}, "options.strike_weights.delta"),
        ({"ALPHASTOCK__OPTIONS__STRIKE_FILTERS__TARGET_DELTA": "1.5"}, "options.strike_filters.target_delta"),
        ({"ALPHASTOCK__OPTIONS__STRIKE_FILTERS__OPTION_TYPE": "x"}, "options.strike_filters.option_type"),
    ],
)
def test_bad_value_raises_config_error_naming_the_setting(environ: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError, match=rf"invalid configuration: {setting}: ") as info:
        load_config(environ=environ)
    assert isinstance(info.value, AlphaStockError)
    assert isinstance(info.value, ValueError)


def test_all_zero_weights_raise_config_error(tmp_path: Path) -> None:
    path = tmp_path / "zero.yaml"
    weights = {name: 0 for name in ("liquidity", "delta", "iv", "moneyness", "spread")}
    path.write_text(yaml.safe_dump({"options": {"strike_weights": weights}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"options\.strike_weights: .*at least one strike-score weight"):
        load_config([path], environ={})


def test_bad_value_in_a_file_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("options:\n  strike_filters:\n    max_spread_pct: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"options\.strike_filters\.max_spread_pct"):
        load_config([path], environ={})


@pytest.mark.parametrize("content", ["- a\n- b\n", "just a string\n", "42\n"])
def test_yaml_that_is_not_a_mapping_raises_config_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="must hold a mapping at the top level"):
        load_config([path], environ={})


def test_invalid_yaml_raises_config_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("options: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_config([path], environ={})


def test_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*missing\.yaml"):
        load_config([tmp_path / "missing.yaml"], environ={})


def test_invalid_environment_yaml_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="ALPHASTOCK__OPTIONS__THREADS"):
        load_config(environ={"ALPHASTOCK__OPTIONS__THREADS": "[1"})


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ({"ALPHASTOCK__OPTIONS__THREAD": "2"}, "options.thread"),
        ({"ALPHASTOCK__BROKER__KEY": "x"}, "broker"),
        ({"ALPHASTOCK__OPTIONS__STRIKE_WEIGHTS__VOLUME": "1"}, "options.strike_weights.volume"),
    ],
)
def test_unknown_keys_are_rejected(source: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=rf"{key}: Extra inputs are not permitted"):
        load_config(environ=source)


def test_unknown_key_in_a_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("options:\n  strike_filter:\n    min_oi: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"options\.strike_filter: Extra inputs"):
        load_config([path], environ={})


def test_config_is_frozen() -> None:
    config = load_config(environ={})
    with pytest.raises(ValueError, match="frozen"):
        config.options.threads = 2  # type: ignore[misc]


def test_paper_section_defaults_layering_and_charges(tmp_path: Path) -> None:
    import datetime as dt

    from alphastock.brokers.charges import ChargeRates
    from alphastock.brokers.paper import PaperSettings

    default = load_config(environ={})
    assert default.paper == PaperSettings()
    assert default.paper.square_off_equity == dt.time(15, 20)
    assert as_plain_data(default)["paper"]["square_off_commodity"] == "23:25"
    file = tmp_path / "paper.yaml"
    file.write_text("paper:\n  starting_cash: 250000\n  square_off_equity: '15:10'\n", encoding="utf-8")
    env = {"ALPHASTOCK__PAPER__SLIPPAGE_BPS": "2.5", "ALPHASTOCK__CHARGES__GST_PCT": "12"}
    config = load_config([file], environ=env)
    paper = config.paper_settings()
    assert (paper.starting_cash, paper.slippage_bps, paper.square_off_equity) == (
        250000.0,
        2.5,
        dt.time(15, 10),
    )
    assert paper.charge_rates.gst_pct == 12.0  # the charges section is filled in
    assert default.paper.charge_rates == ChargeRates()
    own = load_config(overrides={"paper": {"charges": {"gst_pct": 5}}}, environ=env).paper_settings()
    assert own.charge_rates.gst_pct == 5.0
    with pytest.raises(ConfigError, match=r"paper\.futures_pct"):
        load_config(environ={"ALPHASTOCK__PAPER__FUTURES_PCT": "150"})
