"""Is the database file whole? Checks run when a store is opened, and the errors that say what to do.

A DuckDB file is three 4 KiB headers followed by ``total_blocks`` blocks of ``block_size`` bytes
(``PRAGMA database_size``). A file shorter than that lost its tail (a truncated copy, a full disk,
a crash of the file system): DuckDB may still open it, count rows from its metadata and fail only
when a query reaches a missing block, so :func:`size_problem` compares the two when a store is
opened. :func:`scan_problem` reads every column of every row, which also finds damage inside the
file (DuckDB checksums each block); it costs a full read, so ``alphastock db info --check`` and
``alphastock db rebuild`` run it, not every open.

The journal is the source of truth for signals, orders and fills, so a damaged database is
moved aside and rebuilt from it (``alphastock db rebuild``): :func:`damaged_error` says so.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Final

import duckdb

from alphastock.store.errors import StoreDamagedError, StoreError
from alphastock.store.schema import TABLES

HEADER_BYTES: Final = 3 * 4096
"""DuckDB's file header and its two database headers, before the first block."""

_DAMAGE_MARKERS: Final = (
    "could not read enough bytes",
    "not a valid duckdb database file",
    "corrupt",
    "checksum",
    "invalid block",
    "failed to read",
)


def expected_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """The smallest size of a whole database file with ``con``'s blocks, in bytes."""
    rows = con.execute(
        "SELECT block_size, total_blocks FROM pragma_database_size() WHERE database_name = current_database()"
    ).fetchall()
    if not rows:
        return 0
    block_size, total_blocks = (int(v) for v in rows[0])
    return HEADER_BYTES + block_size * total_blocks if total_blocks else 0


def size_problem(con: duckdb.DuckDBPyConnection, file: Path) -> str | None:
    """Why ``file`` (open on ``con``) is not whole, or None: it is shorter than its blocks need."""
    expected = expected_bytes(con)
    actual = file.stat().st_size
    if actual < expected:
        return f"the file is {actual:,} bytes, its {expected:,} bytes of blocks are not all there"
    return None


def scan_problem(con: duckdb.DuckDBPyConnection) -> str | None:
    """Read every column of every row of every table; the first read error, or None when all read."""
    for table in TABLES:
        try:
            con.execute(f"SELECT bit_xor(hash(COLUMNS(*))) FROM {table}").fetchall()
        except duckdb.Error as exc:
            return f"table {table} cannot be read: {exc}"
    return None


def looks_damaged(exc: BaseException) -> bool:
    """Whether a DuckDB error (or its cause) says the file itself is damaged."""
    while exc is not None:
        if isinstance(exc, duckdb.Error):
            text = str(exc).lower()
            if any(marker in text for marker in _DAMAGE_MARKERS):
                return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def rebuild_hint(file: Path) -> str:
    """The command that moves ``file`` aside and rebuilds it from the journal."""
    return f"alphastock db rebuild --data-dir {file.parent}"


def damaged_error(file: Path, detail: str) -> StoreDamagedError:
    """The error for a damaged database: what is wrong and the command that repairs it."""
    return StoreDamagedError(
        f"the database {file} is damaged ({detail}); the journal is the source of truth: run "
        f"`{rebuild_hint(file)}` to move it aside and rebuild signals, orders and fills from the journal",
        detail,
    )


def open_error(file: Path, exc: duckdb.Error) -> StoreError:
    """A DuckDB error from opening ``file`` as one clear :class:`StoreError` naming the path and the fix."""
    text = str(exc)
    lower = text.lower()
    if looks_damaged(exc):
        return damaged_error(file, text.splitlines()[0])
    if "permission denied" in lower or "read-only file system" in lower:
        return StoreError(
            f"cannot open the database {file}: permission denied; make it and its directory writable "
            "by this user, or pass --data-dir a writable directory"
        )
    if "could not set lock" in lower or "conflicting lock" in lower:
        return StoreError(
            f"the database {file} is in use by another process (another `alphastock live`?); stop it, "
            "or pass --data-dir another directory"
        )
    return StoreError(f"cannot open the database {file}: {text}")


def directory_error(data_dir: Path, exc: OSError) -> StoreError:
    """An OSError from preparing the data directory as one clear :class:`StoreError` with the fix."""
    if isinstance(exc, FileExistsError | NotADirectoryError) or exc.errno in (errno.EEXIST, errno.ENOTDIR):
        blocker = next((p for p in (data_dir, *data_dir.parents) if p.exists() and not p.is_dir()), data_dir)
        if blocker == data_dir:
            return StoreError(
                f"the data directory {data_dir} is a file, not a directory; pass --data-dir a directory "
                "(it is created if missing)"
            )
        return StoreError(
            f"cannot create the data directory {data_dir}: {blocker} is a file, not a directory; "
            "pass --data-dir a directory path"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(
            f"the data directory {data_dir} is not writable ({exc.strerror}); make it writable by this "
            "user (chmod u+rwx) or pass --data-dir a writable directory"
        )
    return StoreError(f"cannot use the data directory {data_dir}: {exc.strerror or exc}")


__all__ = [
    "HEADER_BYTES",
    "damaged_error",
    "directory_error",
    "expected_bytes",
    "looks_damaged",
    "open_error",
    "rebuild_hint",
    "scan_problem",
    "size_problem",
]
