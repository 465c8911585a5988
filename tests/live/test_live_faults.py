"""Issue 13's first reproduction as a user runs it: ``alphastock live`` on the embedded simulator with 15% of
REST calls failing (HTTP 503). Whatever the faults did, the summary must say what the broker holds at
the end: its "open at the broker" is the broker's own positions (the book stored in the audit log),
every MIS position left open is named, and the exit status is 3 exactly when one is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ALPHASTOCK = Path(sys.executable).with_name("alphastock")


@pytest.mark.slow
def test_under_rest_errors_the_summary_and_exit_status_match_the_broker(tmp_path: Path) -> None:
    config = tmp_path / "faults.yaml"
    config.write_text("sim:\n  faults:\n    rest_error_rate: 0.15\n")
    result = subprocess.run(
        [str(ALPHASTOCK), "live", "--duration", "45", "--speed", "60", "--headless", "-c", str(config),
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=400, check=False,
        env={"PATH": str(ALPHASTOCK.parent), "HOME": str(tmp_path), "COLUMNS": "200", "PYTHONUTF8": "1"},
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    con = duckdb.connect(str(tmp_path / "alphastock.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT action, detail FROM audit_log WHERE action IN ('broker_book', 'session_summary')"
    )
    audit = {action: json.loads(detail) for action, detail in rows.fetchall()}
    con.close()
    summary = audit["session_summary"]
    assert result.returncode == summary["exit_code"], result.stdout[-3000:]
    assert result.returncode in (0, 3), result.stdout[-3000:]  # the broker answered at the end
    held = sorted(
        f"{p['exchange']}:{p['tradingsymbol']} {p['product']} {p['quantity']:+d}"
        for p in audit["broker_book"]["positions"]
        if p["quantity"]
    )
    assert sorted(summary["broker_positions"]) == held
    assert sorted(summary["left_open"]) == [p for p in held if " MIS " in p]
    assert (result.returncode == 3) == bool(summary["left_open"])
    for position in summary["left_open"]:
        assert f"left open at the broker: {position}" in result.stdout
    for order in summary["unresolved_orders"]:
        assert order.split()[0] in result.stdout
    if result.returncode == 0:
        assert "flat at the broker" in summary["shutdown"]
