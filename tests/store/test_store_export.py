"""Parquet export: every table round-trips through pyarrow equal to the query result."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from alphastock.store import TABLES, Store, export_parquet
from tests.store._store_data import order, signal, tick_columns


def test_export_round_trip_for_every_table(tmp_path: Path) -> None:
    with Store.open(tmp_path / "e.duckdb") as store:
        store.insert_signal(signal())
        store.insert_order(order())
        store.transition_order("AS0001", "OPEN", 5, payload={"k": [1, 2]})
        store.audit(1, "me", "export", {"n": 1})
        store.record_risk_event(2, "rejection", code="X")
        with store.writer() as writer:
            writer.append_ticks(tick_columns(3_000))
            writer.flush()
        for table in TABLES:
            path = tmp_path / "out" / f"{table}.parquet"
            rows = store.export_parquet(table, path)
            expected = store.query(f"SELECT * FROM {table}")
            assert rows == expected.num_rows, table
            back = pq.read_table(path)
            assert back.column_names == expected.column_names, table
            assert back.to_pylist() == expected.to_pylist(), table
        assert pq.read_table(tmp_path / "out" / "ticks.parquet").num_rows == 3_000


def test_export_ordered_and_options(tmp_path: Path) -> None:
    with Store.open(tmp_path / "e.duckdb") as store:
        with store.writer() as writer:
            writer.append_ticks(tick_columns(500, tokens=5))
            writer.flush()
        path = tmp_path / "it's.parquet"  # a quote in the path is escaped
        assert export_parquet(store, "ticks", path, compression="snappy", order_by="token, ts_ns") == 500
        back = pq.read_table(path)
        assert back.to_pylist() == store.query("SELECT * FROM ticks ORDER BY token, ts_ns").to_pylist()
        with pytest.raises(ValueError, match="unknown table"):
            store.export_parquet("nope", path)
        with pytest.raises(ValueError, match="compression"):
            store.export_parquet("ticks", path, compression="brotli9")
        with pytest.raises(ValueError, match="order_by"):
            store.export_parquet("ticks", path, order_by="ts_ns; DROP TABLE ticks")
