"""Trading records are private: the data directory 0700, the database, its WAL, the journal and the
logs 0600; looser existing modes are tightened when they are opened."""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.live.logs import log_path, remove_handlers, setup_logging
from alphastock.persistence.journal import Journal
from alphastock.private import private_dir, private_umask
from alphastock.store import Store
from tests.store._store_data import signal


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The usual 022 umask, whatever the caller's: files would be 0644 unless made private."""
    old = os.umask(0o022)
    yield None
    os.umask(old)


def test_a_new_store_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir=data_dir) as store:
        store.insert_signal(signal("s1"))  # a write: DuckDB creates the WAL now
        wal = data_dir / "alphastock.duckdb.wal"
        assert wal.exists()
        assert mode(wal) == 0o600
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "alphastock.duckdb") == 0o600


def test_a_wal_created_again_after_a_checkpoint_is_private(tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        store.checkpoint()  # DuckDB deletes the WAL ...
        store.insert_signal(signal("s2"))  # ... and creates it again with the umask
        assert mode(tmp_path / "alphastock.duckdb.wal") == 0o600


def test_an_existing_loose_store_is_tightened_on_open(tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        store.insert_signal(signal("s1"))
    tmp_path.chmod(0o755)
    (tmp_path / "alphastock.duckdb").chmod(0o644)
    with Store.open(data_dir=tmp_path):
        assert (mode(tmp_path), mode(tmp_path / "alphastock.duckdb")) == (0o700, 0o600)


def test_a_shared_or_foreign_directory_is_not_tightened(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o1777)  # like /tmp
    with Store.open(data_dir=shared):
        pass
    assert mode(shared) == 0o1777
    assert mode(shared / "alphastock.duckdb") == 0o600
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    (home / "notes.txt").write_text("not AlphaStock's")
    with Store.open(data_dir=home):
        pass
    assert mode(home) == 0o755  # someone's directory: only our files in it are private
    assert mode(home / "alphastock.duckdb") == 0o600
    with Store.open(data_dir=home):
        pass
    assert mode(home) == 0o700  # it holds the database now: it is a data directory


def test_a_store_at_an_explicit_path_leaves_its_directory_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    with Store.open(tmp_path / "x.duckdb"):
        pass
    assert (mode(tmp_path), mode(tmp_path / "x.duckdb")) == (0o755, 0o600)


def test_the_journal_is_private_and_tightened(tmp_path: Path) -> None:
    path = tmp_path / "journal" / "journal.jsonl"
    Journal(path).close()
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    path.parent.chmod(0o755)
    path.chmod(0o644)
    Journal(path).close()
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_log_files_are_private_and_older_ones_tightened(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o755)
    older = logs / "live-20260101-091500.log"
    older.write_text("yesterday\n")
    older.chmod(0o644)
    path = log_path(tmp_path, dt.datetime(2026, 1, 2, 9, 15, tzinfo=dt.UTC))
    handlers = setup_logging(path, stderr=False)
    try:
        logging.getLogger("alphastock.test").warning("a line")
    finally:
        remove_handlers(handlers)
    assert "a line" in path.read_text()
    assert (mode(logs), mode(path), mode(older)) == (0o700, 0o600, 0o600)


def test_private_umask_restores_the_old_one() -> None:
    with private_umask():
        assert os.umask(0o077) == 0o077
    assert os.umask(0o022) == 0o022


def test_private_dir_creates_0700(tmp_path: Path) -> None:
    assert mode(private_dir(tmp_path / "a" / "b")) == 0o700


def test_the_cli_makes_what_it_creates_private_and_restores_the_umask(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    out = tmp_path / "exports" / "orders.parquet"
    env = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    result = CliRunner().invoke(
        app, ["db", "export", "orders", str(out), "--data-dir", str(data_dir)], env=env
    )
    assert result.exit_code == 0, result.output
    assert (mode(data_dir), mode(data_dir / "alphastock.duckdb"), mode(out)) == (0o700, 0o600, 0o600)
    assert os.umask(0o022) == 0o022  # the command put the caller's umask back
