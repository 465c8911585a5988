"""``alphastock db info`` / ``alphastock db export`` with ``--data-dir``."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.store import SCHEMA_VERSION, Store

ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}


def test_db_info_and_export_use_the_data_dir(tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        store.audit(1, "cli-test", "one")
        store.audit(2, "cli-test", "two")
    runner = CliRunner()
    result = runner.invoke(app, ["db", "info", "--data-dir", str(tmp_path)], env=ENV)
    assert result.exit_code == 0, result.output
    assert f"database: {tmp_path / 'alphastock.duckdb'}" in result.output
    assert f"schema version: {SCHEMA_VERSION}" in result.output
    assert re.search(r"audit_log\s*│?\s*2\b", result.output)
    assert re.search(r"orders\s*│?\s*0\b", result.output)

    out = tmp_path / "audit.parquet"
    result = runner.invoke(app, ["db", "export", "audit_log", str(out), "--data-dir", str(tmp_path)], env=ENV)
    assert result.exit_code == 0, result.output
    assert "exported 2 rows of audit_log" in result.output
    assert pq.read_table(out).column("action").to_pylist() == ["one", "two"]

    result = runner.invoke(app, ["db", "export", "nope", str(out), "--data-dir", str(tmp_path)], env=ENV)
    assert result.exit_code == 2
    assert "unknown table" in result.output


def test_db_info_honours_the_environment(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["db", "info"], env={**ENV, "ALPHASTOCK_DATA_DIR": str(tmp_path / "env")}
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env" / "alphastock.duckdb").is_file()
