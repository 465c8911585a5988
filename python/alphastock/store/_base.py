"""The database handle shared by the store's write and read helpers (see :class:`alphastock.store.Store`)."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from alphastock.private import FILE_MODE
from alphastock.store.errors import StoreError


def first_row(cur: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of ``cur``'s last result, reading the result to its end (``None`` if empty).

    DuckDB refuses new work on a connection whose result was only partly read
    (``fetchone``), so results are always read whole.
    """
    rows = cur.fetchall()
    return tuple(rows[0]) if rows else None


class StoreBase:
    """One DuckDB database opened by this process, with one cursor per thread and a write lock."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self._con = con
        self._path = path
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        self._wal = None if path is None else path.with_name(path.name + ".wal")

    @property
    def path(self) -> Path | None:
        """The database file (``None`` for an in-memory store)."""
        return self._path

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection to the database (created on first use, closed with the store).

        DuckDB connections must not be shared between threads; every thread gets its own.
        """
        if self._closed:
            raise StoreError("the store is closed")
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            with self._cursors_lock:
                cur = self._con.cursor()
                self._cursors.append(cur)
            self._local.cursor = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run the block in one transaction on this thread's cursor, holding the write lock.

        Commits when the block ends (the data is then in the write-ahead log and
        survives a crash of the process); rolls back and re-raises if it raises.
        """
        cur = self.cursor()
        with self._write_lock:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        self.keep_wal_private()

    def keep_wal_private(self) -> None:
        """Tighten the write-ahead log to 0600 if DuckDB (re)created it looser.

        Why after each write: DuckDB deletes the WAL at a checkpoint and creates it again at the
        next write, with the process umask; a stat (about a microsecond) is nothing next to a commit.
        """
        if self._wal is None:
            return
        try:
            mode = os.stat(self._wal).st_mode
        except FileNotFoundError:
            return
        if stat.S_IMODE(mode) & ~FILE_MODE:
            try:
                os.chmod(self._wal, FILE_MODE)
            except OSError:  # not ours (another user's store opened read-write?): leave it
                return

    def close(self) -> None:
        """Close every cursor and the database (idempotent); stop writers before this."""
        if self._closed:
            return
        self._closed = True
        with self._cursors_lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._con.close()
