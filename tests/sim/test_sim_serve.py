"""`alphastock sim serve`: every fault as a flag, the `sim:` section of --config files, flags winning."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.sim import FaultConfig, SimSettings
from alphastock.sim.serve import describe_faults, serve_config

FLAGS = (
    "--rest-error-rate", "--rate-limit-error-rate", "--rest-delay", "--rest-delay-rate",
    "--order-reject-rate", "--partial-fill-rate", "--partial-fill-fraction", "--ws-drop-interval",
    "--fault-seed", "--no-rate-limits", "--api-secret", "--redirect-url", "--config",
)  # fmt: skip


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sim", "serve", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_help_lists_every_fault_flag() -> None:
    code, out = _run("--help")
    assert code == 0
    assert [flag for flag in FLAGS if flag not in out] == []


def test_config_section_and_flags(tmp_path: Path) -> None:
    config = tmp_path / "faults.yaml"
    config.write_text(
        "sim:\n  faults:\n    rest_error_rate: 0.1\n    order_reject_rate: 0.9\n    ws_drop_interval: 30\n",
        encoding="utf-8",
    )
    code, out = _run("--port", "0", "--duration", "0.2", "-c", str(config), "--order-reject-rate", "0.2")
    assert code == 0, out
    lines = out.splitlines()
    assert "faults: rest_error_rate=0.1, order_reject_rate=0.2, ws_drop_interval=30" in lines
    assert (
        "faults injected: rest_error 0, rate_limited 0, delayed 0, rejected 0, partial_fill 0, ws_drop 0"
        in lines
    )
    assert lines[-1] == "alphastock sim: stopped"


def test_strict_serve_prints_the_login_url() -> None:
    code, out = _run("--port", "0", "--duration", "0.1", "--api-key", "k1", "--api-secret", "s1")
    assert code == 0, out
    login = next(line for line in out.splitlines() if line.startswith("login "))
    assert "/connect/login?v=3&api_key=k1 -> http://127.0.0.1:5123/" in login
    assert "s1" not in out  # the secret is never printed


def test_a_bad_flag_names_the_setting() -> None:
    code, out = _run("--port", "0", "--duration", "0.1", "--partial-fill-rate", "1.5")
    assert code == 2
    assert "partial_fill_rate: Input should be less than or equal to 1" in out


def test_serve_config_layers_flags_over_the_section() -> None:
    settings = SimSettings(faults=FaultConfig(rest_error_rate=0.3, rest_delay=2.0, seed=9))
    config = serve_config(settings, faults={"rest_delay": 0.5}, rate_limits=False, port=0, seed=4)
    assert (config.faults.rest_error_rate, config.faults.rest_delay, config.faults.seed) == (0.3, 0.5, 9)
    assert config.rate_limits.enabled is False
    assert (config.port, config.seed) == (0, 4)
    assert describe_faults(FaultConfig()) == "none"
    assert describe_faults(config.faults) == "rest_error_rate=0.3, rest_delay=0.5, seed=9"
