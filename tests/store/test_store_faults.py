"""Storage faults end in one clear line naming the path and the fix, exit code 2, never a traceback:
a truncated database, a read-only data directory, a regular file given as the data directory.

Read-only without root's bypass: tests run as root, where permission bits block nothing. A data
directory under a regular file (which nobody can create) and ``/sys`` (sysfs refuses new files
even to root) stand in for it; as another user a ``chmod 0500`` directory is used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.store import Store, StoreDamagedError, StoreError, prepare_data_dir
from tests.store._store_data import order, signal, tick_columns

ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "80"}  # narrow: messages must still be one line


def _cli(*args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPHASTOCK")}
    result = CliRunner().invoke(app, list(args), env={**env, **ENV})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _store_with_data(data_dir: Path) -> Path:
    with Store.open(data_dir=data_dir) as store, store.writer() as writer:
        writer.append_ticks(tick_columns(50_000))
        writer.flush()
        for i in range(20):
            store.insert_signal(signal(f"sig-{i}"))
            store.insert_order(order(f"AS{i:04d}", signal_id=f"sig-{i}"))
        store.checkpoint()
        assert store.path is not None
        return store.path


def _truncate_to_half(file: Path) -> tuple[int, int]:
    size = file.stat().st_size
    os.truncate(file, size // 2)
    return size, size // 2


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """An existing directory this process cannot create files in, root or not."""
    if os.geteuid() != 0:
        directory = tmp_path / "read-only"
        directory.mkdir()
        directory.chmod(0o500)
        yield directory
        directory.chmod(0o700)
        return
    directory = Path("/sys")
    try:
        fd, probe = tempfile.mkstemp(dir=directory)
    except OSError:
        yield directory
        return
    os.close(fd)
    os.unlink(probe)
    pytest.skip("no directory here refuses root's writes")


# ------------------------------------------------------------------ a truncated database


def test_an_empty_store_truncated_to_half_is_refused_on_open(tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        store.checkpoint()
    file = tmp_path / "alphastock.duckdb"
    whole, half = _truncate_to_half(file)
    with pytest.raises(StoreDamagedError) as err:
        Store.open(data_dir=tmp_path)
    assert err.value.detail == f"the file is {half:,} bytes, its {whole:,} bytes of blocks are not all there"
    assert str(err.value) == (
        f"the database {file} is damaged ({err.value.detail}); the journal is the source of truth: run "
        f"`alphastock db rebuild --data-dir {tmp_path}` to move it aside and rebuild signals, orders "
        "and fills from the journal"
    )


def test_db_info_detects_a_store_with_data_truncated_to_half(tmp_path: Path) -> None:
    file = _store_with_data(tmp_path)
    _truncate_to_half(file)
    code, out, err = _cli("db", "info", "--data-dir", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"error: the database {file} is damaged (")
    assert err.endswith(
        f"run `alphastock db rebuild --data-dir {tmp_path}` to move it aside and rebuild signals, "
        "orders and fills from the journal\n"
    )


def test_a_file_that_is_no_database_is_damaged(tmp_path: Path) -> None:
    file = tmp_path / "alphastock.duckdb"
    file.write_bytes(b"not a database" * 1000)
    with pytest.raises(StoreDamagedError, match=r"is damaged \(IO Error: .*not a valid DuckDB database file"):
        Store.open(data_dir=tmp_path)


def test_db_info_check_reads_every_row_of_a_whole_store(tmp_path: Path) -> None:
    _store_with_data(tmp_path)
    code, out, err = _cli("db", "info", "--check", "--data-dir", str(tmp_path))
    assert (code, err) == (0, "")
    assert "check: every row of every table read back" in out
    with Store.open(data_dir=tmp_path) as store:
        assert store.check(full=True) is None
        assert store.count("orders") == 20


def test_live_refuses_a_truncated_store_before_connecting(tmp_path: Path) -> None:
    file = _store_with_data(tmp_path)
    _truncate_to_half(file)
    code, out, err = _cli("live", "--headless", "--duration", "1", "--data-dir", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith(f"alphastock live: the database {file} is damaged (")
    assert err.endswith(f"`alphastock db rebuild --data-dir {tmp_path}` to move it aside and rebuild "
                        "signals, orders and fills from the journal\n")  # fmt: skip
    assert err.count("\n") == 1


# ------------------------------------------------------------------ unusable data directories


def test_a_regular_file_as_the_data_dir(tmp_path: Path) -> None:
    file = tmp_path / "plain-file"
    file.write_text("x")
    message = (
        f"the data directory {file} is a file, not a directory; pass --data-dir a directory "
        "(it is created if missing)"
    )
    with pytest.raises(StoreError) as err:
        Store.open(data_dir=file)
    assert str(err.value) == message
    for command in (
        ["db", "info"],
        ["db", "export", "orders", str(tmp_path / "o.parquet")],
        ["db", "rebuild"],
    ):
        assert _cli(*command, "--data-dir", str(file)) == (2, "", f"error: {message}\n")
    assert _cli("live", "--headless", "--data-dir", str(file)) == (2, "", f"alphastock live: {message}\n")


def test_a_data_dir_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("x")
    target = tmp_path / "plain-file" / "data"
    message = (
        f"cannot create the data directory {target}: {tmp_path / 'plain-file'} is a file, not a "
        "directory; pass --data-dir a directory path"
    )
    assert _cli("db", "info", "--data-dir", str(target)) == (2, "", f"error: {message}\n")
    assert _cli("live", "--headless", "--data-dir", str(target)) == (2, "", f"alphastock live: {message}\n")


def test_a_read_only_data_dir(unwritable_dir: Path) -> None:
    message = (
        f"the data directory {unwritable_dir} is not writable (Permission denied); make it writable by "
        "this user (chmod u+rwx) or pass --data-dir a writable directory"
    )
    with pytest.raises(StoreError) as err:
        prepare_data_dir(unwritable_dir)
    assert str(err.value) == message
    assert _cli("db", "info", "--data-dir", str(unwritable_dir)) == (2, "", f"error: {message}\n")
    assert _cli("live", "--headless", "--data-dir", str(unwritable_dir)) == (
        2,
        "",
        f"alphastock live: {message}\n",
    )


def test_a_directory_where_the_database_file_belongs(tmp_path: Path) -> None:
    (tmp_path / "alphastock.duckdb").mkdir()
    assert _cli("db", "info", "--data-dir", str(tmp_path)) == (
        2,
        "",
        f"error: the database path {tmp_path / 'alphastock.duckdb'} is not a file; move it away or pass "
        "--data-dir another directory\n",
    )


def test_db_export_to_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("x")
    target = tmp_path / "plain-file" / "orders.parquet"
    code, out, err = _cli("db", "export", "orders", str(target), "--data-dir", str(tmp_path / "d"))
    assert (code, out) == (2, "")
    assert err == f"error: cannot write {target}: its directory cannot be created (File exists)\n"


def test_data_fetch_into_a_regular_file_is_exit_2_before_any_request(tmp_path: Path) -> None:
    file = tmp_path / "plain-file"
    file.write_text("x")
    code, out, err = _cli(
        "data", "fetch", "SBIN", "--from", "2026-01-01", "--to", "2026-01-02", "--api-key", "k",
        "--access-token", "t", "--root", "http://127.0.0.1:9", "--data-dir", str(file),
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err.endswith(
        f"error: the data directory {file} is a file, not a directory; pass --data-dir a directory "
        "(it is created if missing)\n"
    )
