"""Migrations: an old database is migrated on open, re-opening is a no-op, failures roll back."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from alphastock.store import MIGRATIONS, SCHEMA_VERSION, Migration, Store, StoreError, migrate
from alphastock.store.migrations import current_version


def _versions(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, int]]:
    return con.execute("SELECT version, name, applied_ns FROM schema_migrations ORDER BY version").fetchall()


def test_new_database_gets_every_migration_once(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    assert current_version(con) == 0
    assert migrate(con) == [1, 2]
    rows = _versions(con)
    assert [(v, n) for v, n, _ in rows] == [(1, "001_initial"), (2, "002_query_indexes")]
    assert migrate(con) == []
    assert _versions(con) == rows  # untouched, applied_ns included
    con.close()
    assert SCHEMA_VERSION == MIGRATIONS[-1].version == 2


def test_opening_a_version_1_database_migrates_it_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == [1]
    con.execute("INSERT INTO audit_log (ts_ns, actor, action) VALUES (5, 'old', 'written at v1')")
    assert con.execute("SELECT count(*) FROM duckdb_indexes()").fetchall() == [(0,)]
    con.close()

    with Store.open(path) as store:
        assert store.schema_version == 2
        assert store.audit_log().select(["id", "ts_ns", "actor", "action"]).to_pylist() == [
            {"id": 1, "ts_ns": 5, "actor": "old", "action": "written at v1"}
        ]
        assert store.query("SELECT count(*) AS n FROM duckdb_indexes()").column("n")[0].as_py() == 4
        first = store.query("SELECT * FROM schema_migrations ORDER BY version").to_pylist()
    with Store.open(path) as store:  # no-op
        assert store.query("SELECT * FROM schema_migrations ORDER BY version").to_pylist() == first


def test_read_only_open_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=1)
    con.close()
    with pytest.raises(StoreError, match="schema version 1"):
        Store.open(path, read_only=True)


def test_a_failing_migration_rolls_back_and_earlier_ones_stay(tmp_path: Path) -> None:
    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE half_done (x INTEGER)")
        con.execute("SELECT * FROM no_such_table")

    steps = (
        Migration(1, "001_one", "CREATE TABLE one (x INTEGER)"),
        Migration(2, "002_broken", broken),
    )
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    with pytest.raises(StoreError, match="002_broken failed"):
        migrate(con, steps)
    assert current_version(con) == 1
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == {"one", "schema_migrations"}
    con.close()


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with Store.open(path) as store, store.transaction() as cur:
        cur.execute("INSERT INTO schema_migrations VALUES (3, '003_future', 0)")
    with pytest.raises(StoreError, match="version 3, newer than this AlphaStock's 2"):
        Store.open(path)


def test_migration_versions_must_be_contiguous() -> None:
    con = duckdb.connect(":memory:")
    with pytest.raises(ValueError, match="without gaps"):
        migrate(con, (Migration(1, "a", "SELECT 1"), Migration(3, "c", "SELECT 1")))
    with pytest.raises(ValueError, match=r"outside 0\.\.2"):
        migrate(con, target=5)
    con.close()
