"""Migrations: an old database is migrated on open, re-opening is a no-op, failures roll back."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from alphastock.store import MIGRATIONS, SCHEMA_VERSION, Migration, Store, StoreError, migrate
from alphastock.store.migrations import current_version
from alphastock.store.records import FillRecord


def _versions(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, int]]:
    return con.execute("SELECT version, name, applied_ns FROM schema_migrations ORDER BY version").fetchall()


def test_new_database_gets_every_migration_once(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    assert current_version(con) == 0
    assert migrate(con) == [1, 2, 3, 4, 5]
    rows = _versions(con)
    assert [(v, n) for v, n, _ in rows] == [
        (1, "001_initial"),
        (2, "002_query_indexes"),
        (3, "003_fills_keyed_by_order"),
        (4, "004_positions_multiplier"),
        (5, "005_option_trades"),
    ]
    assert migrate(con) == []
    assert _versions(con) == rows  # untouched, applied_ns included
    con.close()
    assert SCHEMA_VERSION == MIGRATIONS[-1].version == 5


def test_opening_a_version_1_database_migrates_it_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == [1]
    con.execute("INSERT INTO audit_log (ts_ns, actor, action) VALUES (5, 'old', 'written at v1')")
    assert con.execute("SELECT count(*) FROM duckdb_indexes()").fetchall() == [(0,)]
    con.close()

    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.audit_log().select(["id", "ts_ns", "actor", "action"]).to_pylist() == [
            {"id": 1, "ts_ns": 5, "actor": "old", "action": "written at v1"}
        ]
        indexes = store.query("SELECT index_name FROM duckdb_indexes() ORDER BY 1").column(0).to_pylist()
        assert indexes == [
            "option_trades_signal_key",
            "orders_broker_order_id",
            "orders_state",
            "signals_status",
        ]
        first = store.query("SELECT * FROM schema_migrations ORDER BY version").to_pylist()
    with Store.open(path) as store:  # no-op
        assert store.query("SELECT * FROM schema_migrations ORDER BY version").to_pylist() == first


def test_a_version_2_databases_fills_are_kept_and_keyed_by_order(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=2) == [1, 2]
    con.execute(
        "INSERT INTO fills VALUES ('10000001', 'ASold', 'B1', 7, 'SBIN', 'BUY', 10, 800.5, 5, 1.25), "
        "('10000002', NULL, 'B2', 7, 'SBIN', 'SELL', 10, 801.0, 6, NULL)"
    )
    con.close()

    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.query("SELECT * FROM fills ORDER BY trade_id").to_pylist()
        assert [(r["trade_id"], r["order_key"], r["price"], r["charges"]) for r in rows] == [
            ("10000001", "ASold", 800.5, 1.25),
            ("10000002", "unknown:10000002", 801.0, None),
        ]
        # A broker that numbers trades from the same start every session (the simulator, paper):
        # the same trade id for another order is a different execution and is kept; the same
        # (order, trade) again is a redelivery and is not.
        again = FillRecord(trade_id="10000001", symbol="SBIN", side="SELL", quantity=10, price=812.0,
                           ts_ns=9, order_key="ASnew", broker_order_id="B1")  # fmt: skip
        assert store.insert_fill(again)
        assert not store.insert_fill(again)
        assert store.query("SELECT count(*) AS n FROM fills").column("n")[0].as_py() == 3
        orphan = FillRecord(trade_id="1", symbol="SBIN", side="BUY", quantity=1, price=1.0, ts_ns=1)
        with pytest.raises(ValueError, match="no order_key"):
            store.insert_fill(orphan)


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
        cur.execute("INSERT INTO schema_migrations VALUES (6, '006_future', 0)")
    with pytest.raises(StoreError, match="version 6, newer than this AlphaStock's 5"):
        Store.open(path)


def test_migration_versions_must_be_contiguous() -> None:
    con = duckdb.connect(":memory:")
    with pytest.raises(ValueError, match="without gaps"):
        migrate(con, (Migration(1, "a", "SELECT 1"), Migration(3, "c", "SELECT 1")))
    with pytest.raises(ValueError, match=r"outside 0\.\.5"):
        migrate(con, target=6)
    con.close()


def test_a_version_3_database_gets_the_positions_multiplier_and_keeps_its_rows(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "v3.duckdb"))
    assert migrate(con, target=3) == [1, 2, 3]
    con.execute("INSERT INTO positions VALUES (1, 738561, 'RELIANCE', 'MIS', 10, 2500.0, 0.0, 5.0)")
    assert migrate(con) == [4, 5]
    assert con.execute("SELECT symbol, quantity, multiplier FROM positions").fetchall() == [
        ("RELIANCE", 10, 1.0)
    ]
    con.close()


def test_a_version_4_database_gets_the_option_trade_tables(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "v4.duckdb"))
    assert migrate(con, target=4) == [1, 2, 3, 4]
    assert migrate(con) == [5]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"option_trades", "option_trade_events"} <= tables
    con.close()
