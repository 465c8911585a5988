"""The README's Python tour runs as written."""

import re
from pathlib import Path

import numpy as np
import pytest

import alphastock.options as opt

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(autouse=True)
def _from_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tour reads ``tests/data`` relative to the checkout root, as a user running it there would."""
    monkeypatch.chdir(README.parent)


def test_readme_tour_runs_and_picks_the_top_score_within_the_window() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    try:
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    finally:
        opt.set_num_threads(0)
    picked = namespace["picked"]
    assert isinstance(picked, opt.StrikeScores)
    assert picked.best is not None
    in_window = np.isfinite(picked.scores)
    assert in_window.sum() == 11  # ATM +- 5 strikes
    assert picked.best == int(np.nanargmax(picked.scores))
    assert 0.0 <= np.nanmin(picked.scores) <= np.nanmax(picked.scores) <= 1.0


def test_readme_market_data_and_risk_tour_values() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(blocks[1], str(README), "exec"), namespace)
    bars = namespace["bars"]
    assert bars["start_ns"][0] == namespace["start"]  # type: ignore[index]
    assert bars["ticks"][0] == 60  # type: ignore[index]
    assert namespace["ticks"]["last_price"][0] == 1573.7  # type: ignore[index]
    assert namespace["store"].latest(408065).bid == 1573.4  # type: ignore[attr-defined]
    decision = namespace["decision"]
    assert decision.action == "REJECT"  # type: ignore[attr-defined]
    codes = [v.code for v in decision.violations]  # type: ignore[attr-defined]
    assert codes == ["QTY_EXCEEDS_FREEZE", "NOTIONAL_EXCEEDS_MAX_ORDER", "CASH_RESERVE"]
