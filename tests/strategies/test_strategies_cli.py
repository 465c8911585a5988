"""``alphastock strategies list`` and a third-party plugin installed from a wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from alphastock.cli import app
from tests._data import NSE_MINUTE

BUILTINS = ("ma_crossover", "mean_reversion", "breakout", "rsi_divergence")


def test_list_table_shows_builtins_with_params() -> None:
    result = CliRunner().invoke(app, ["strategies", "list"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    for name in BUILTINS:
        assert name in result.output
    assert "fast: int = 9" in result.output
    assert "volume_mult: float = 1.5" in result.output
    assert "alphastock 0.1.0" in result.output


def test_list_json() -> None:
    result = CliRunner().invoke(app, ["strategies", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {row["name"]: row for row in data["strategies"]}
    assert set(BUILTINS) <= set(rows)
    assert data["errors"] == []
    params = {p["name"]: p for p in rows["mean_reversion"]["params"]}
    assert params["bb_period"]["default"] == 20
    assert params["bb_period"]["type"] == "int"
    assert params["oversold"]["default"] == 30.0
    assert rows["breakout"]["package"] == "alphastock"


PLUGIN = '''
"""A tiny third-party strategy: BUY every bar whose close is above its open by > 0.2%."""
from alphastock.events import Bar
from alphastock.signals.model import Signal
from alphastock.strategies import Strategy, StrategyParams


class UpBarParams(StrategyParams):
    min_pct: float = 0.2


class UpBar(Strategy[UpBarParams]):
    name = "up_bar"
    Params = UpBarParams
    description = "test plugin: strong up bars"

    def on_bar(self, bar: Bar) -> Signal | None:
        if (bar.close - bar.open) / bar.open * 100 <= self.params.min_pct:
            return None
        return self.make_signal(bar, "BUY", entry=bar.close, stop_loss=bar.low - 1,
                                target=bar.close + 2 * (bar.close - bar.low + 1), confidence=0.7)


class NotAStrategy:
    pass
'''

RUN = """
import csv, datetime as dt, json, sys
from alphastock.events import Bar
from alphastock.strategies import StrategiesConfig, StrategyInstanceConfig, StrategyManager
cfg = StrategiesConfig(instances=[StrategyInstanceConfig(strategy="up_bar", symbols=["NFO:NIFTY21APRFUT"],
                                                         params={"min_pct": 0.2})])
m = StrategyManager.from_config(cfg)
m.start()
out = []
with open(sys.argv[1], newline="") as fh:
    for row in csv.DictReader(fh):
        ts = int(dt.datetime.fromisoformat(row["ts"]).timestamp()) * 10**9
        b = Bar(1, "NIFTY21APRFUT", "1m", ts, float(row["open"]), float(row["high"]), float(row["low"]),
                float(row["close"]), float(row["volume"]), exchange="NFO")
        out += [[s.ts_ns, s.strategy, s.entry] for s in m.on_bar(b)]
print(json.dumps(out))
"""


def _wheel(tmp_path: Path) -> Path:
    """A wheel of package ``upbar_plugin`` registering two entry points (one broken)."""
    path = tmp_path / "upbar_plugin-1.2.3-py3-none-any.whl"
    info = "upbar_plugin-1.2.3.dist-info"
    files = {
        "upbar_plugin/__init__.py": textwrap.dedent(PLUGIN),
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: upbar-plugin\nVersion: 1.2.3\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": (
            "[alphastock.strategies]\nup_bar = upbar_plugin:UpBar\nnot_one = upbar_plugin:NotAStrategy\n"
            "missing = upbar_plugin_missing:Thing\n"
        ),
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        zf.writestr(f"{info}/RECORD", record)
    return path


def test_installed_plugin_is_listed_and_runs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(_wheel(tmp_path)),
        ],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "240"}
    listed = subprocess.run(
        [sys.executable, "-m", "alphastock.cli", "strategies", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 1  # the two broken entry points are reported
    data = json.loads(listed.stdout)
    rows = {row["name"]: row for row in data["strategies"]}
    assert set(BUILTINS) | {"up_bar"} == set(rows)
    assert (rows["up_bar"]["package"], rows["up_bar"]["version"]) == ("upbar-plugin", "1.2.3")
    assert rows["up_bar"]["params"][0]["name"] == "min_pct"
    assert any("not_one" in e and "not a Strategy subclass" in e for e in data["errors"])
    assert any("missing" in e and "ModuleNotFoundError" in e for e in data["errors"])

    csv_path = NSE_MINUTE / "NIFTY_F1_2021-04_1m.csv"
    ran = subprocess.run(
        [sys.executable, "-c", RUN, str(csv_path)], env=env, capture_output=True, text=True, check=True
    )
    signals = json.loads(ran.stdout)
    import csv as _csv
    import datetime as dt

    with csv_path.open(newline="") as fh:
        expected = [
            int(dt.datetime.fromisoformat(r["ts"]).timestamp()) * 10**9 + 60 * 10**9
            for r in _csv.DictReader(fh)
            if (float(r["close"]) - float(r["open"])) / float(r["open"]) * 100 > 0.2
        ]
    assert [s[0] for s in signals] == expected
    assert len(expected) > 0
    assert {s[1] for s in signals} == {"up_bar"}
