"""Schema: tables and columns (names and SQL types) by value; opening paths and the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from alphastock.store import DB_FILENAME, SCHEMA_VERSION, TABLES, Store, StoreError, default_path

EXPECTED_COLUMNS = {
    "instruments": [
        ("dump_date", "DATE"),
        ("instrument_token", "BIGINT"),
        ("exchange_token", "BIGINT"),
        ("tradingsymbol", "VARCHAR"),
        ("name", "VARCHAR"),
        ("last_price", "DOUBLE"),
        ("expiry", "DATE"),
        ("strike", "DOUBLE"),
        ("tick_size", "DOUBLE"),
        ("lot_size", "BIGINT"),
        ("instrument_type", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("exchange", "VARCHAR"),
        ("freeze_quantity", "BIGINT"),
    ],
    "ticks": [
        ("token", "BIGINT"),
        ("ts_ns", "BIGINT"),
        ("last_price", "DOUBLE"),
        ("last_qty", "BIGINT"),
        ("volume", "BIGINT"),
        ("oi", "BIGINT"),
        ("bid", "DOUBLE"),
        ("ask", "DOUBLE"),
        ("bid_qty", "BIGINT"),
        ("ask_qty", "BIGINT"),
    ],
    "bars": [
        ("token", "BIGINT"),
        ("interval", "VARCHAR"),
        ("start_ns", "BIGINT"),
        ("open", "DOUBLE"),
        ("high", "DOUBLE"),
        ("low", "DOUBLE"),
        ("close", "DOUBLE"),
        ("volume", "BIGINT"),
        ("ticks", "BIGINT"),
    ],
    "signals": [
        ("id", "VARCHAR"),
        ("ts_ns", "BIGINT"),
        ("symbol", "VARCHAR"),
        ("token", "BIGINT"),
        ("asset_type", "VARCHAR"),
        ("strategy", "VARCHAR"),
        ("action", "VARCHAR"),
        ("price", "DOUBLE"),
        ("quantity", "BIGINT"),
        ("confidence", "DOUBLE"),
        ("target", "DOUBLE"),
        ("stop_loss", "DOUBLE"),
        ("status", "VARCHAR"),
        ("expected_move_pct", "DOUBLE"),
        ("metadata", "JSON"),
        ("updated_ns", "BIGINT"),
    ],
    "orders": [
        ("idempotency_key", "VARCHAR"),
        ("broker_order_id", "VARCHAR"),
        ("parent_id", "VARCHAR"),
        ("signal_id", "VARCHAR"),
        ("token", "BIGINT"),
        ("symbol", "VARCHAR"),
        ("exchange", "VARCHAR"),
        ("product", "VARCHAR"),
        ("side", "VARCHAR"),
        ("order_type", "VARCHAR"),
        ("variety", "VARCHAR"),
        ("validity", "VARCHAR"),
        ("quantity", "BIGINT"),
        ("price", "DOUBLE"),
        ("trigger_price", "DOUBLE"),
        ("state", "VARCHAR"),
        ("filled_quantity", "BIGINT"),
        ("average_price", "DOUBLE"),
        ("status_message", "VARCHAR"),
        ("created_ns", "BIGINT"),
        ("updated_ns", "BIGINT"),
    ],
    "order_events": [
        ("order_key", "VARCHAR"),
        ("seq", "INTEGER"),
        ("ts_ns", "BIGINT"),
        ("from_state", "VARCHAR"),
        ("to_state", "VARCHAR"),
        ("payload", "JSON"),
    ],
    "fills": [
        ("trade_id", "VARCHAR"),
        ("order_key", "VARCHAR"),
        ("broker_order_id", "VARCHAR"),
        ("token", "BIGINT"),
        ("symbol", "VARCHAR"),
        ("side", "VARCHAR"),
        ("quantity", "BIGINT"),
        ("price", "DOUBLE"),
        ("ts_ns", "BIGINT"),
        ("charges", "DOUBLE"),
    ],
    "positions": [
        ("ts_ns", "BIGINT"),
        ("token", "BIGINT"),
        ("symbol", "VARCHAR"),
        ("product", "VARCHAR"),
        ("quantity", "BIGINT"),
        ("average_price", "DOUBLE"),
        ("realised", "DOUBLE"),
        ("unrealised", "DOUBLE"),
        ("multiplier", "DOUBLE"),
    ],
    "daily_pnl": [
        ("date", "DATE"),
        ("realised", "DOUBLE"),
        ("unrealised", "DOUBLE"),
        ("charges", "DOUBLE"),
        ("gross", "DOUBLE"),
        ("net", "DOUBLE"),
        ("trades", "BIGINT"),
        ("peak", "DOUBLE"),
        ("drawdown", "DOUBLE"),
    ],
    "risk_events": [
        ("id", "BIGINT"),
        ("ts_ns", "BIGINT"),
        ("kind", "VARCHAR"),
        ("code", "VARCHAR"),
        ("message", "VARCHAR"),
        ("state_from", "VARCHAR"),
        ("state_to", "VARCHAR"),
        ("payload", "JSON"),
    ],
    "audit_log": [
        ("id", "BIGINT"),
        ("ts_ns", "BIGINT"),
        ("actor", "VARCHAR"),
        ("action", "VARCHAR"),
        ("detail", "JSON"),
    ],
    "sessions": [
        ("session_id", "VARCHAR"),
        ("started_ns", "BIGINT"),
        ("ended_ns", "BIGINT"),
        ("mode", "VARCHAR"),
        ("config", "JSON"),
        ("version", "VARCHAR"),
    ],
    "option_trades": [
        ("trade_id", "VARCHAR"),
        ("signal_key", "VARCHAR"),
        ("signal_id", "VARCHAR"),
        ("strategy", "VARCHAR"),
        ("underlying", "VARCHAR"),
        ("action", "VARCHAR"),
        ("status", "VARCHAR"),
        ("exchange", "VARCHAR"),
        ("tradingsymbol", "VARCHAR"),
        ("token", "BIGINT"),
        ("expiry", "DATE"),
        ("strike", "DOUBLE"),
        ("option_type", "VARCHAR"),
        ("product", "VARCHAR"),
        ("lot_size", "BIGINT"),
        ("lots", "BIGINT"),
        ("quantity", "BIGINT"),
        ("filled_quantity", "BIGINT"),
        ("entry_premium", "DOUBLE"),
        ("stop", "DOUBLE"),
        ("target", "DOUBLE"),
        ("exit_method", "VARCHAR"),
        ("entry_order_key", "VARCHAR"),
        ("stop_order_key", "VARCHAR"),
        ("target_order_key", "VARCHAR"),
        ("gtt_id", "VARCHAR"),
        ("exit_reason", "VARCHAR"),
        ("opened_ns", "BIGINT"),
        ("updated_ns", "BIGINT"),
        ("choice", "JSON"),
        ("sizing", "JSON"),
        ("levels", "JSON"),
    ],
    "option_trade_events": [
        ("trade_id", "VARCHAR"),
        ("ts_ns", "BIGINT"),
        ("event", "VARCHAR"),
        ("detail", "JSON"),
    ],
}

PRIMARY_KEYS = {
    "instruments": ["dump_date", "instrument_token"],
    "signals": ["id"],
    "orders": ["idempotency_key"],
    "order_events": ["order_key", "seq"],
    "fills": ["order_key", "trade_id"],
    "positions": ["ts_ns", "token", "product"],
    "daily_pnl": ["date"],
    "risk_events": ["id"],
    "audit_log": ["id"],
    "sessions": ["session_id"],
    "option_trades": ["trade_id"],
}


def _columns(store: Store, table: str) -> list[tuple[str, str]]:
    rows = store.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).to_pylist()
    return [(r["column_name"], r["data_type"]) for r in rows]


def test_every_table_has_the_documented_columns_and_types(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.duckdb") as store:
        names = store.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
        ).column("table_name")
        assert sorted(names.to_pylist()) == sorted([*TABLES, "schema_migrations"])
        assert set(EXPECTED_COLUMNS) == set(TABLES)
        for table, expected in EXPECTED_COLUMNS.items():
            assert _columns(store, table) == expected, table


def test_primary_keys(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.duckdb") as store:
        rows = store.query(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE constraint_type = 'PRIMARY KEY' AND schema_name = 'main'"
        ).to_pylist()
        keys = {r["table_name"]: r["constraint_column_names"] for r in rows}
        keys.pop("schema_migrations")
        assert keys == PRIMARY_KEYS


def test_query_indexes_exist(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.duckdb") as store:
        names = store.query("SELECT index_name FROM duckdb_indexes() ORDER BY index_name").column(
            "index_name"
        )
        # fills by order key: its primary key's index (migration 3).
        assert names.to_pylist() == [
            "option_trades_signal_key",
            "orders_broker_order_id",
            "orders_state",
            "signals_status",
        ]


def test_open_with_data_dir_env_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(data_dir=tmp_path / "dd") as store:
        assert store.path == tmp_path / "dd" / DB_FILENAME
        assert store.schema_version == SCHEMA_VERSION
    assert (tmp_path / "dd" / DB_FILENAME).is_file()
    monkeypatch.setenv("ALPHASTOCK_DATA_DIR", str(tmp_path / "env"))
    assert default_path() == tmp_path / "env" / DB_FILENAME
    with Store.open() as store:
        assert store.path == tmp_path / "env" / DB_FILENAME
    monkeypatch.delenv("ALPHASTOCK_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "alphastock" / DB_FILENAME


def test_in_memory_store_and_closed_store(tmp_path: Path) -> None:
    store = Store.open(":memory:")
    assert store.path is None
    assert store.count("orders") == 0
    store.close()
    store.close()  # idempotent
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        store.count("orders")


def test_open_rejects_path_and_data_dir_together(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="either path or data_dir"):
        Store.open(tmp_path / "a.duckdb", data_dir=tmp_path)


def test_read_only_store_reads_but_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    with Store.open(path) as store:
        store.audit(1, "tester", "create")
    with Store.open(path, read_only=True) as ro:
        assert ro.audit_log().column("action").to_pylist() == ["create"]
        with pytest.raises(Exception, match="read-only"):
            ro.audit(2, "tester", "write")
