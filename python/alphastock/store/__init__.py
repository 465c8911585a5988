"""Persistence in DuckDB: one database file holding instruments, market data, signals, orders,
fills, positions, P&L, risk events, the audit log and sessions.

* :class:`Store` opens the file (``alphastock.duckdb`` under ``--data-dir`` /
  ``$ALPHASTOCK_DATA_DIR`` / the user data dir), applying the versioned
  migrations (:mod:`alphastock.store.migrations`); the tables and their units
  are documented in :mod:`alphastock.store.schema` (timestamps are int64 UTC
  epoch ns in ``*_ns`` columns, prices rupees, quantities units).
* Durable writes (:mod:`alphastock.store.durable`: signals, orders and their
  events, fills, risk events, audit) return only after COMMIT, so they survive
  a crash; the engine persists before it publishes or sends.
* :class:`BatchWriter` (:mod:`alphastock.store.writer`) appends ticks and bars
  as Arrow batches from a background thread, flushing on size or time, with
  counted back-pressure.
* Readers return ``pyarrow.Table`` (:func:`to_numpy` for numpy columns);
  :func:`export_parquet` writes any table to Parquet.

Example::

    from alphastock.store import Store

    with Store.open(data_dir="/tmp/alpha") as store, store.writer() as writer:
        writer.append_ticks({"ts_ns": ts, "last_price": px, ...}, token=256265)
"""

from alphastock.store.errors import StoreDamagedError, StoreError
from alphastock.store.export import export_parquet
from alphastock.store.migrations import MIGRATIONS, SCHEMA_VERSION, Migration, migrate
from alphastock.store.readers import to_numpy
from alphastock.store.records import (
    DailyPnlRecord,
    FillRecord,
    OptionTradeRecord,
    OrderRecord,
    PositionRecord,
    SignalRecord,
)
from alphastock.store.schema import BAR_SCHEMA, TABLES, TICK_SCHEMA
from alphastock.store.store import (
    DATA_DIR_ENV,
    DB_FILENAME,
    Store,
    default_data_dir,
    default_path,
    prepare_data_dir,
    wal_path,
)
from alphastock.store.writer import BatchWriter, WriterStats, bars_table, ticks_table

__all__ = [
    "BAR_SCHEMA",
    "DATA_DIR_ENV",
    "DB_FILENAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "TICK_SCHEMA",
    "BatchWriter",
    "DailyPnlRecord",
    "FillRecord",
    "Migration",
    "OptionTradeRecord",
    "OrderRecord",
    "PositionRecord",
    "SignalRecord",
    "Store",
    "StoreDamagedError",
    "StoreError",
    "WriterStats",
    "bars_table",
    "default_data_dir",
    "default_path",
    "export_parquet",
    "migrate",
    "prepare_data_dir",
    "ticks_table",
    "to_numpy",
    "wal_path",
]
