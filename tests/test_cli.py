"""The ``alphastock`` command line, driven through typer's CliRunner."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from typer.testing import CliRunner

import alphastock
import alphastock.options as opt
from alphastock.cli import app
from alphastock.config import ENV_PREFIX, as_plain_data, load_config

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Plain output whatever the calling terminal: no colour, wide enough that tables never wrap.
ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # `config show` reads the process environment: keep any ALPHASTOCK__ settings of the caller out.
    for name in [n for n in os.environ if n.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)
    return CliRunner()


class Outcome(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Outcome:
    result = runner.invoke(app, list(args), env={**ENV, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, ANSI.sub("", result.stdout), ANSI.sub("", result.stderr))


def _table_value(text: str, measure: str) -> str:
    match = re.search(rf"^\W*{measure}\s*\W\s*(-?\d+\.\d+)\s*\W*$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def test_version(runner: CliRunner) -> None:
    result = invoke(runner, "--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"alphastock {alphastock.__version__}"


def test_help(runner: CliRunner) -> None:
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    for word in ("Usage", "live", "options", "config", "--version", "Zerodha Kite Connect"):
        assert word in result.stdout
    options_help = invoke(runner, "options", "--help")
    assert options_help.exit_code == 0
    assert "greeks" in options_help.stdout
    assert "iv" in options_help.stdout


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = invoke(runner)
    assert result.exit_code == 2
    assert "Usage" in result.stdout


def test_live_refuses_contradictory_flags(runner: CliRunner) -> None:
    both = invoke(runner, "live", "--paper", "--live")
    assert both.exit_code == 2
    assert "--paper and --live exclude each other" in both.stderr
    yes_alone = invoke(runner, "live", "--yes")
    assert yes_alone.exit_code == 2
    assert "--yes only applies to --live" in yes_alone.stderr


def test_live_without_a_kite_session_says_how_to_log_in(runner: CliRunner, tmp_path: Path) -> None:
    # Real orders need a stored session: none here (an empty config dir), so nothing starts.
    result = invoke(runner, "live", "--live", env={"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "alphastock login" in result.stderr


@pytest.mark.parametrize(
    ("flag", "spot", "strike", "days", "vol", "rate", "dividend", "model"),
    [
        ("c", 22_500.0, 22_600.0, 7.0, 0.14, None, None, None),
        ("PE", 22_500.0, 22_300.0, 30.0, 0.16, 0.07, None, "black76"),
        ("call", 1_500.0, 1_450.0, 90.0, 0.3, 0.065, 0.012, "bsm"),
    ],
)
def test_options_greeks_prints_the_library_values(
    runner: CliRunner,
    flag: str,
    spot: float,
    strike: float,
    days: float,
    vol: float,
    rate: float | None,
    dividend: float | None,
    model: str | None,
) -> None:
    args = [
        "options",
        "greeks",
        "-f",
        flag,
        "-s",
        repr(spot),
        "-k",
        repr(strike),
        "-d",
        repr(days),
        "-v",
        repr(vol),
    ]
    if rate is not None:
        args += ["--rate", repr(rate)]
    if dividend is not None:
        args += ["--yield", repr(dividend)]
    if model is not None:
        args += ["--model", model]
    result = invoke(runner, *args)
    assert result.exit_code == 0, result
    expected = opt.greeks(flag, spot, strike, days / 365.0, 0.065 if rate is None else rate, vol,
                          0.0 if dividend is None else dividend, model or "bsm")  # fmt: skip
    price = opt.price(flag, spot, strike, days / 365.0, 0.065 if rate is None else rate, vol,
                      0.0 if dividend is None else dividend, model or "bsm")  # fmt: skip
    assert _table_value(result.stdout, "price") == f"{float(price):.6f}"
    for name in opt.GREEK_NAMES:
        assert _table_value(result.stdout, name) == f"{float(expected[name]):.6f}", name


def test_options_greeks_rejects_a_bad_flag(runner: CliRunner) -> None:
    result = invoke(runner, "options", "greeks", "-f", "x", "-s", "100", "-k", "100", "-d", "30", "-v", "0.2")
    assert result.exit_code == 2
    assert "option type" in result.stderr


GREEKS = ("options", "greeks", "-f", "c", "-s", "22000", "-k", "22000", "-d", "7", "-v", "0.2")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("-v", "-0.2"), "--vol must be a finite number >= 0, got -0.2"),
        (("-v", "nan"), "--vol must be a finite number >= 0, got nan"),
        (("-v", "inf"), "--vol must be a finite number >= 0, got inf"),
        (("-s", "-22000"), "--spot must be a finite number > 0, got -22000"),
        (("-s", "0"), "--spot must be a finite number > 0, got 0"),
        (("-k", "nan"), "--strike must be a finite number > 0, got nan"),
        (("-d", "-1"), "--days must be a finite number >= 0, got -1"),
        (("-r", "nan"), "--rate must be a finite number, got nan"),
        (("-q", "-inf"), "--yield must be a finite number, got -inf"),
    ],
)
def test_options_greeks_refuses_invalid_inputs_naming_them(
    runner: CliRunner, change: tuple[str, str], message: str
) -> None:
    result = invoke(runner, *GREEKS, *change)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_options_greeks_takes_zero_vol_and_days_as_limits(runner: CliRunner) -> None:
    result = invoke(runner, *GREEKS, "-v", "0", "-d", "0")
    assert result.exit_code == 0, result
    assert _table_value(result.stdout, "price") == "0.000000"


IV = ("options", "iv", "-p", "150", "-f", "c", "-s", "22000", "-k", "22000", "-d", "7")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("-p", "-3"), "--price must be a finite number >= 0, got -3"),
        (("-p", "nan"), "--price must be a finite number >= 0, got nan"),
        (("-s", "-22000"), "--spot must be a finite number > 0, got -22000"),
        (("-k", "inf"), "--strike must be a finite number > 0, got inf"),
        (("-d", "nan"), "--days must be a finite number >= 0, got nan"),
        (("-r", "inf"), "--rate must be a finite number, got inf"),
        (("-q", "nan"), "--yield must be a finite number, got nan"),
    ],
)
def test_options_iv_refuses_invalid_inputs_naming_them(
    runner: CliRunner, change: tuple[str, str], message: str
) -> None:
    result = invoke(runner, *IV, *change)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


@pytest.mark.parametrize(
    ("flag", "spot", "strike", "days", "sigma", "model"),
    [
        ("CE", 22_500.0, 22_600.0, 7.0, 0.1234567, "bsm"),
        ("p", 22_500.0, 22_300.0, 30.0, 0.2100001, "black76"),
        ("put", 100.0, 120.0, 365.0, 0.45, "bsm"),
    ],
)
def test_options_iv_round_trips(
    runner: CliRunner, flag: str, spot: float, strike: float, days: float, sigma: float, model: str
) -> None:
    premium = float(opt.price(flag, spot, strike, days / 365.0, 0.065, sigma, model=model))
    result = invoke(
        runner, "options", "iv", "-p", repr(premium), "-f", flag, "-s", repr(spot), "-k", repr(strike),
        "-d", repr(days), "-m", model,
    )  # fmt: skip
    assert result.exit_code == 0, result
    match = re.fullmatch(r"implied volatility: (\d+\.\d{6})%\n", result.stdout)
    assert match, result.stdout
    assert match.group(1) == f"{sigma * 100:.6f}"


def test_options_iv_below_intrinsic_exits_1(runner: CliRunner) -> None:
    result = invoke(runner, "options", "iv", "-p", "1", "-f", "c", "-s", "22500", "-k", "22000", "-d", "7")
    assert result.exit_code == 1
    assert "BELOW_INTRINSIC" in result.stderr
    assert result.stdout == ""


def test_options_iv_above_maximum_exits_1(runner: CliRunner) -> None:
    result = invoke(
        runner, "options", "iv", "-p", "30000", "-f", "c", "-s", "22500", "-k", "22000", "-d", "7"
    )
    assert result.exit_code == 1
    assert "ABOVE_MAXIMUM" in result.stderr


def test_options_iv_bad_model_exits_2(runner: CliRunner) -> None:
    result = invoke(
        runner, "options", "iv", "-p", "100", "-f", "c", "-s", "100", "-k", "100", "-d", "7", "-m", "x"
    )
    assert result.exit_code == 2
    assert "model must be one of" in result.stderr


def test_config_show_prints_the_defaults_as_yaml(runner: CliRunner) -> None:
    result = invoke(runner, "config", "show")
    assert result.exit_code == 0, result
    shown = yaml.safe_load(result.stdout)
    assert shown == as_plain_data(load_config(environ={}))
    assert shown["options"]["strike_filters"]["max_spread_pct"] == math.inf


def test_config_show_applies_files_and_environment(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("options:\n  forward_strikes: 9\n", encoding="utf-8")
    result = invoke(
        runner, "config", "show", "--config", str(path), env={"ALPHASTOCK__OPTIONS__THREADS": "3"}
    )
    assert result.exit_code == 0, result
    shown = yaml.safe_load(result.stdout)
    assert shown["options"]["forward_strikes"] == 9
    assert shown["options"]["threads"] == 3


def test_config_show_reports_errors_with_exit_2(runner: CliRunner) -> None:
    result = invoke(runner, "config", "show", env={"ALPHASTOCK__OPTIONS__THREADS": "-4"})
    assert result.exit_code == 2
    assert "options.threads" in result.stderr
