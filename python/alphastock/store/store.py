"""The :class:`Store`: one DuckDB database file, migrated on open, with durable writes, a batch writer,
readers and Parquet export."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Final

import duckdb
import platformdirs

from alphastock.private import private_dir, private_file, private_umask
from alphastock.store.durable import DurableWrites
from alphastock.store.errors import StoreError
from alphastock.store.export import export_parquet
from alphastock.store.health import (
    damaged_error,
    directory_error,
    looks_damaged,
    open_error,
    scan_problem,
    size_problem,
)
from alphastock.store.migrations import SCHEMA_VERSION, current_version, migrate
from alphastock.store.readers import Readers
from alphastock.store.writer import BatchWriter

DB_FILENAME: Final[str] = "alphastock.duckdb"
DATA_DIR_ENV: Final[str] = "ALPHASTOCK_DATA_DIR"


def default_data_dir() -> Path:
    """``$ALPHASTOCK_DATA_DIR`` if set, else the user data dir (``~/.local/share/alphastock`` on Linux)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("alphastock", appauthor=False))


def default_path(data_dir: str | Path | None = None) -> Path:
    """The database file in ``data_dir`` (default :func:`default_data_dir`)."""
    return (Path(data_dir).expanduser() if data_dir is not None else default_data_dir()) / DB_FILENAME


def wal_path(file: Path) -> Path:
    """DuckDB's write-ahead log of the database ``file`` (``<file>.wal``)."""
    return file.with_name(file.name + ".wal")


def prepare_data_dir(data_dir: str | Path, *, private: bool = True) -> Path:
    """Create ``data_dir`` if missing, make it private (0700, see :mod:`alphastock.private`) and check
    that this user can write in it; returns it as a :class:`~pathlib.Path`.

    With ``private=False`` (a database path given explicitly, whose directory may be anyone's) the
    directory is only created, not tightened.

    Raises:
        StoreError: ``data_dir`` is a file, lies under a file, or is not writable; the message names
            the path and the fix.
    """
    directory = Path(data_dir).expanduser()
    try:
        if private:
            private_dir(directory, markers=(DB_FILENAME, "journal", "logs"))
        else:
            with private_umask():
                directory.mkdir(parents=True, exist_ok=True)
        # Why a probe: a read-only directory would otherwise fail later, in DuckDB, the journal or
        # the log handler, each with its own traceback.
        fd, probe = tempfile.mkstemp(prefix=".alphastock-write-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise directory_error(directory, exc) from None
    return directory


class Store(DurableWrites, Readers):
    """AlphaStock's database: open it with :meth:`open`, close it with :meth:`close` (or ``with``).

    DuckDB lets one process open a database file for writing. Within the process,
    each thread gets its own connection (:meth:`cursor`); durable writes are
    serialised by a lock, and the :class:`BatchWriter` threads append ticks and
    bars on their own connections alongside them.
    """

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        data_dir: str | Path | None = None,
        read_only: bool = False,
    ) -> Store:
        """Open (creating and migrating as needed) the database at ``path``.

        Without ``path``: ``alphastock.duckdb`` in ``data_dir``, else in ``$ALPHASTOCK_DATA_DIR``,
        else in the user data dir. ``":memory:"`` opens a private in-memory database. A
        read-only store is not migrated; it must already be at the current schema version.

        Files are private: the data directory is made 0700 (:func:`prepare_data_dir`; a directory
        holding an explicit ``path`` is only created), the database and its write-ahead log 0600,
        looser existing modes tightened. A file shorter than its blocks is refused as damaged
        (see :mod:`alphastock.store.health`).

        Raises:
            StoreError: the directory or file cannot be used, or the file is damaged; the message
                names the path and the fix (``alphastock db rebuild`` for a damaged file).
        """
        if path is not None and data_dir is not None:
            raise ValueError("give either path or data_dir, not both")
        if path is not None and str(path) == ":memory:":
            con = duckdb.connect(":memory:")
            try:
                migrate(con)
            except BaseException:
                con.close()
                raise
            return cls(con, None)
        file = Path(path).expanduser() if path is not None else default_path(data_dir)
        if not read_only:
            prepare_data_dir(file.parent, private=path is None)
        if file.exists() and not file.is_file():
            raise StoreError(
                f"the database path {file} is not a file; move it away or pass --data-dir another directory"
            )
        try:
            with private_umask():  # a new database (and the WAL DuckDB may write now) start out 0600
                con = duckdb.connect(str(file), read_only=read_only)
        except duckdb.Error as exc:
            raise open_error(file, exc) from exc
        try:
            with private_umask():
                problem = size_problem(con, file)
                if problem is not None:
                    raise damaged_error(file, problem)
                if read_only:
                    version = current_version(con)
                    if version != SCHEMA_VERSION:
                        raise StoreError(
                            f"the store at {file} is at schema version {version}, this AlphaStock "
                            f"reads {SCHEMA_VERSION}; open it read-write once to migrate it"
                        )
                else:
                    migrate(con)
        except BaseException as exc:
            con.close()
            if isinstance(exc, duckdb.Error | StoreError) and looks_damaged(exc):
                raise damaged_error(file, str(exc).splitlines()[0]) from exc
            if isinstance(exc, duckdb.Error):
                raise open_error(file, exc) from exc
            raise
        if not read_only:
            private_file(file)
            private_file(wal_path(file))
        return cls(con, file)

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        """Wrap an open, migrated connection; use :meth:`open` instead."""
        super().__init__(con, path)
        self._writers: list[BatchWriter] = []

    @property
    def schema_version(self) -> int:
        """The database's schema version (the last migration applied)."""
        return current_version(self.cursor())

    def check(self, *, full: bool = False) -> str | None:
        """What is wrong with the database file, or None: its size against its blocks, and with
        ``full`` every column of every row read back (a full read of the file). In-memory: None."""
        if self.path is None:
            return None
        cur = self.cursor()
        problem = size_problem(cur, self.path)
        if problem is None and full:
            problem = scan_problem(cur)
        return problem

    def writer(self, **options: Any) -> BatchWriter:
        """Start a background :class:`BatchWriter` for ticks and bars (options as its constructor's).

        The store closes it (flushing) when the store is closed.
        """
        if self.closed:
            raise StoreError("the store is closed")
        batch_writer = BatchWriter(self, **options)
        self._writers.append(batch_writer)
        return batch_writer

    def export_parquet(
        self, table: str, path: str | Path, *, compression: str = "zstd", order_by: str | None = None
    ) -> int:
        """Write ``table`` to a Parquet file; returns rows (see :func:`alphastock.store.export_parquet`)."""
        return export_parquet(self, table, path, compression=compression, order_by=order_by)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (DuckDB also does this on its own)."""
        with self._write_lock:
            self.cursor().execute("CHECKPOINT")

    def close(self) -> None:
        """Close the writers (flushing them), then the database; idempotent."""
        if self.closed:
            return
        errors: list[BaseException] = []
        for batch_writer in self._writers:
            try:
                batch_writer.close()
            except StoreError as exc:
                errors.append(exc)
        self._writers.clear()
        super().close()
        if errors:
            raise errors[0]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.path is None else str(self.path)
        state = "closed" if self.closed else "open"
        return f"Store({where!r}, {state})"
