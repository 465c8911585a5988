"""Every bar interval an enabled strategy needs is built; one Kite cannot serve history for is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from alphastock import ConfigError
from alphastock.cli import app
from alphastock.config import load_config
from alphastock.runners.config import RunnersConfig, interval_name
from alphastock.strategies.config import TIMEFRAMES, StrategyInstanceConfig

ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}


def _instances(*specs: dict[str, object]) -> dict[str, object]:
    return {"strategies": {"instances": list(specs)}}


def test_timeframes_are_the_kite_historical_intervals() -> None:
    # https://kite.trade/docs/connect/v3/historical: minute, 3minute, 5minute, 10minute, 15minute,
    # 30minute, 60minute, day.
    assert TIMEFRAMES == ("1m", "3m", "5m", "10m", "15m", "30m", "1h", "1d")


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("5m", "5m"),
        ("5minute", "5m"),
        ("300s", "5m"),
        ("60m", "1h"),
        ("60minute", "1h"),
        ("day", "1d"),
        ("minute", "1m"),
        ("90m", "90m"),
        ("120m", "2h"),
        ("30s", "30s"),
    ],
)
def test_interval_names_are_canonical(given: str, name: str) -> None:
    assert interval_name(given) == name


def test_a_strategy_timeframe_missing_from_the_runners_is_added() -> None:
    config = load_config(
        environ={},
        overrides={
            "runners": {"bar_intervals": ["1m"]},
            **_instances(
                {"strategy": "ma_crossover", "symbols": ["INFY"], "timeframe": "5m"},
                {"strategy": "breakout", "symbols": ["SBIN"], "timeframe": "15minute"},
                {"strategy": "mean_reversion", "symbols": ["TCS"], "timeframe": "1h", "enabled": False},
            ),
        },
    )
    assert config.runners.bar_intervals == ["1m", "5m", "15m"]
    assert [i.timeframe for i in config.strategies.instances] == ["5m", "15m", "1h"]


def test_runner_intervals_are_canonical_and_unique() -> None:
    assert RunnersConfig(bar_intervals=["minute", "1m", "60minute", "1h", "30s"]).bar_intervals == [
        "1m",
        "1h",
        "30s",
    ]


def test_a_runner_interval_that_is_no_interval_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(environ={}, overrides={"runners": {"bar_intervals": ["1m", "fast"]}})
    assert "runners.bar_intervals: Value error, interval must look like" in str(err.value)
    assert "got 'fast'" in str(err.value)


@pytest.mark.parametrize("timeframe", ["7m", "2h", "30s", "90m"])
def test_a_timeframe_kite_has_no_candles_for_is_refused_naming_the_strategy(timeframe: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(
            environ={},
            overrides=_instances(
                {"strategy": "ma_crossover", "symbols": ["INFY"]},
                {
                    "strategy": "breakout",
                    "name": "slow_breakout",
                    "symbols": ["SBIN"],
                    "timeframe": timeframe,
                },
            ),
        )
    assert str(err.value) == (
        "invalid configuration: strategies.instances.1.timeframe: Value error, strategy instance "
        f"'slow_breakout': timeframe '{timeframe}' cannot be warmed up from Kite's historical candles, "
        "which come in 1m, 3m, 5m, 10m, 15m, 30m, 1h, 1d only; use one of those"
    )


def test_an_unnamed_instance_is_named_by_its_strategy() -> None:
    with pytest.raises(ValueError, match="strategy instance 'breakout': timeframe '7m'"):
        StrategyInstanceConfig(strategy="breakout", timeframe="7m")


def test_a_timeframe_that_is_no_interval_names_the_strategy() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(environ={}, overrides=_instances({"strategy": "breakout", "timeframe": "90minute"}))
    assert str(err.value) == (
        "invalid configuration: strategies.instances.0.timeframe: Value error, strategy instance 'breakout': "
        "interval must look like '30s', '1m', '5m', '1h', '1d' or a Kite name like '5minute', got '90minute'"
    )


def _show(tmp_path: Path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "show", "--config", str(path)], env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_config_show_lists_the_added_interval(tmp_path: Path) -> None:
    code, out, _ = _show(
        tmp_path,
        "runners:\n  bar_intervals: [1m]\nstrategies:\n  instances:\n"
        "    - {strategy: ma_crossover, symbols: [INFY], timeframe: 5m}\n",
    )
    assert code == 0
    assert yaml.safe_load(out)["runners"]["bar_intervals"] == ["1m", "5m"]


def test_config_show_refuses_an_unsupported_timeframe_like_live(tmp_path: Path) -> None:
    code, out, err = _show(
        tmp_path,
        "strategies:\n  instances:\n    - {strategy: ma_crossover, symbols: [INFY], timeframe: 7m}\n",
    )
    assert (code, out) == (2, "")
    assert err == (
        "error: invalid configuration: strategies.instances.0.timeframe: Value error, strategy instance "
        "'ma_crossover': timeframe '7m' cannot be warmed up from Kite's historical candles, which come in "
        "1m, 3m, 5m, 10m, 15m, 30m, 1h, 1d only; use one of those\n"
    )


def test_config_show_checks_strategy_names_and_params_like_live(tmp_path: Path) -> None:
    code, _, err = _show(tmp_path, "strategies:\n  instances:\n    - {strategy: no_such_strategy}\n")
    assert code == 2
    assert err.startswith("error: strategies.instances[0]: unknown strategy 'no_such_strategy'; registered: ")
    code, _, err = _show(
        tmp_path, "strategies:\n  instances:\n    - {strategy: ma_crossover, name: mac, params: {fast: 0}}\n"
    )
    assert code == 2
    assert err.startswith("error: strategies.instances[0] (mac): ")
    assert "fast" in err
