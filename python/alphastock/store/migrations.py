"""Versioned schema migrations, applied in order when a store is opened.

Each :class:`Migration` has a version (1, 2, ...), a name and a step: SQL text
(one or more statements) or a Python function given the connection. Opening a
store runs :func:`migrate`, which applies every migration newer than the
database's version, each in its own transaction together with its row in
``schema_migrations`` (``version, name, applied_ns``): a failing step leaves the
database at the previous version, and re-opening an up-to-date database
changes nothing. A database newer than this code is refused (an older
AlphaStock must not write into a schema it does not know).

To change the schema, append a migration; never edit one that has shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import duckdb

from alphastock.store._base import first_row
from alphastock.store.errors import StoreError
from alphastock.store.schema import (
    FILLS_KEYED_BY_ORDER_DDL,
    INITIAL_DDL,
    OPTION_TRADES_DDL,
    POSITIONS_MULTIPLIER_DDL,
    QUERY_INDEXES_DDL,
)


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: ``version`` (1, 2, ... without gaps), ``name`` and SQL text or a function."""

    version: int
    name: str
    step: str | Callable[[duckdb.DuckDBPyConnection], None]

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        """Run the step on ``con`` (inside the caller's transaction)."""
        if isinstance(self.step, str):
            con.execute(self.step)
        else:
            self.step(con)


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "001_initial", INITIAL_DDL),
    Migration(2, "002_query_indexes", QUERY_INDEXES_DDL),
    Migration(3, "003_fills_keyed_by_order", FILLS_KEYED_BY_ORDER_DDL),
    Migration(4, "004_positions_multiplier", POSITIONS_MULTIPLIER_DDL),
    Migration(5, "005_option_trades", OPTION_TRADES_DDL),
)
"""Every migration, oldest first; the last one's version is the current schema version."""

SCHEMA_VERSION: Final[int] = MIGRATIONS[-1].version
"""The schema version this code writes."""

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_ns BIGINT  NOT NULL
)
"""


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration version recorded in ``con``'s database (0 for a new database)."""
    con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'schema_migrations'"
    )
    exists = first_row(con)
    if exists is None or exists[0] == 0:
        return 0
    con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
    row = first_row(con)
    return 0 if row is None else int(row[0])


def _check_sequence(migrations: Sequence[Migration]) -> None:
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(
                f"migration versions must be 1, 2, ... without gaps; "
                f"found {migration.version} ({migration.name}) at position {expected}"
            )


def migrate(
    con: duckdb.DuckDBPyConnection,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    target: int | None = None,
) -> list[int]:
    """Apply the migrations newer than the database's version, up to ``target`` (default: all).

    Each runs in its own transaction with its ``schema_migrations`` row. Returns the
    versions applied (empty when the database was up to date). Raises
    :class:`~alphastock.store.StoreError` if the database is newer than ``migrations``
    or a step fails (that step is rolled back; earlier ones stay applied).
    """
    _check_sequence(migrations)
    last = migrations[-1].version if migrations else 0
    target = last if target is None else target
    if not 0 <= target <= last:
        raise ValueError(f"target version {target} is outside 0..{last}")
    con.execute(_BOOKKEEPING)
    version = current_version(con)
    if version > last:
        raise StoreError(
            f"the database is at schema version {version}, newer than this AlphaStock's {last}; "
            "upgrade AlphaStock to open it"
        )
    applied: list[int] = []
    for migration in migrations[version:target]:
        con.execute("BEGIN TRANSACTION")
        try:
            migration.apply(con)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [migration.version, migration.name, time.time_ns()],
            )
            con.execute("COMMIT")
        except Exception as exc:
            con.execute("ROLLBACK")
            raise StoreError(f"migration {migration.name} failed: {exc}") from exc
        applied.append(migration.version)
    return applied
