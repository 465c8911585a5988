"""Export a table (or any query) to a Parquet file with DuckDB's own writer (``COPY ... TO``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from alphastock.store._base import first_row
from alphastock.store.errors import StoreError
from alphastock.store.schema import TABLES

if TYPE_CHECKING:
    from alphastock.store._base import StoreBase

COMPRESSIONS = ("zstd", "snappy", "gzip", "lz4", "uncompressed")

DEFAULT_ORDER: dict[str, str] = {"ticks": "token, ts_ns", "bars": "token, interval, start_ns"}
"""How ``alphastock db export`` sorts recorded market data unless told otherwise (per instrument, in time)."""


def export_parquet(
    store: StoreBase,
    table: str,
    path: str | Path,
    *,
    compression: str = "zstd",
    order_by: str | None = None,
) -> int:
    """Write every row of ``table`` to the Parquet file ``path`` (replaced if it exists); returns rows.

    Raises ValueError for a bad argument, :class:`StoreError` when the file cannot be written.
    Columns keep their SQL types (``*_ns`` stay int64 epoch ns; JSON columns are strings).
    ``order_by`` is a column list such as ``"token, ts_ns"`` (default: storage order). The
    export reads a consistent snapshot, so it can run while writers append.
    """
    if table not in TABLES and table != "schema_migrations":
        raise ValueError(f"unknown table {table!r}; expected one of {TABLES}")
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}")
    if order_by is not None and not all(part.strip().isidentifier() for part in order_by.split(",")):
        raise ValueError(f"order_by must be a comma-separated list of column names, got {order_by!r}")
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot write {target}: its directory cannot be created ({exc.strerror or exc})"
        ) from None
    quoted = str(target).replace("'", "''")  # COPY takes the path as a literal, not a parameter
    order = f" ORDER BY {order_by}" if order_by else ""
    cur = store.cursor()
    try:
        cur.execute(
            f"COPY (SELECT * FROM {table}{order}) TO '{quoted}' (FORMAT parquet, COMPRESSION {compression})"
        )
    except duckdb.IOException as exc:
        raise StoreError(f"cannot write {target}: {str(exc).splitlines()[0]}") from None
    row = first_row(cur)
    return 0 if row is None else int(row[0])
