"""Replay sources: the same recorded NIFTY minutes from CSV, Parquet and a DuckDB store."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from alphastock.sim.replay import ReplaySource
from alphastock.sim.state import SimState
from alphastock.store import Store
from tests._data import NSE_MINUTE
from tests.sim.conftest import make_config

NIFTY_CSV = NSE_MINUTE / "NIFTY_2021-04_1m.csv"
NIFTY_TOKEN = 256265
NS = 1_000_000_000


def _path_of(replay: Path) -> list[float]:
    """NIFTY 50's opening price and its price at a few later moments of the replayed day, rupees."""
    state = SimState(make_config(replay=replay, date=None))
    m = state.model
    nifty = state.by_key["NSE:NIFTY 50"].index
    assert m.day == dt.date(2021, 4, 1)
    seen = [float(m.open[nifty]), float(m.ltp[nifty])]
    for seconds in (60, 20, 100):
        m.step(seconds)
        seen.append(float(m.ltp[nifty]))
    seen += [float(m.high[nifty]), float(m.low[nifty])]
    return seen


def _first_bars() -> dict[str, list[float]]:
    with NIFTY_CSV.open(newline="") as handle:
        return {
            r["ts"][11:16]: [float(r[k]) for k in ("open", "high", "low", "close")]
            for r in csv.DictReader(handle)
            if r["ts"].startswith("2021-04-01")
        }


def test_csv_replay_opens_at_the_recorded_open(tmp_path: Path) -> None:
    (tmp_path / NIFTY_CSV.name).write_bytes(NIFTY_CSV.read_bytes())
    seen = _path_of(tmp_path)
    bars = _first_bars()
    assert seen[0] == pytest.approx(bars["09:15"][0], abs=0.01)
    assert seen[2] == pytest.approx(bars["09:16"][0], abs=0.01)


@pytest.mark.parametrize("ts_as", ["timestamp", "string"])
def test_parquet_replay_matches_the_csv(tmp_path: Path, ts_as: str) -> None:
    csv_dir, pq_dir = tmp_path / "csv", tmp_path / "parquet"
    csv_dir.mkdir()
    pq_dir.mkdir()
    (csv_dir / NIFTY_CSV.name).write_bytes(NIFTY_CSV.read_bytes())
    if ts_as == "timestamp":
        table = pacsv.read_csv(NIFTY_CSV)
        assert pa.types.is_timestamp(table.column("ts").type)
    else:
        table = pacsv.read_csv(
            NIFTY_CSV, convert_options=pacsv.ConvertOptions(column_types={"ts": pa.string()})
        )
    pq.write_table(table, pq_dir / "NIFTY_2021-04_1m.parquet")
    expected = _path_of(csv_dir)
    assert _path_of(pq_dir) == pytest.approx(expected, abs=1e-9)
    assert _path_of(pq_dir / "NIFTY_2021-04_1m.parquet") == pytest.approx(expected, abs=1e-9)
    assert expected[0] == pytest.approx(_first_bars()["09:15"][0], abs=0.01)


def _write_store(path: Path, token: int) -> None:
    table = pacsv.read_csv(NIFTY_CSV)
    start_ns = table.column("ts").cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
    rows = len(start_ns)
    columns = {"token": np.full(rows, token, dtype=np.int64), "start_ns": start_ns,
               "volume": np.zeros(rows, dtype=np.int64), "ticks": np.ones(rows, dtype=np.int64)}  # fmt: skip
    for name in ("open", "high", "low", "close"):
        columns[name] = table.column(name).cast(pa.float64()).to_numpy()
    with Store.open(path) as store, store.writer() as writer:
        assert writer.append_bars(columns, "1m")
        # another interval and another token must be filtered out
        assert writer.append_bars({**columns, "open": columns["open"] * 2}, "5m")
        assert writer.append_bars({**columns, "token": np.full(rows, 1, dtype=np.int64)}, "1m")


def test_duckdb_store_replay_matches_the_csv(tmp_path: Path) -> None:
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    (csv_dir / NIFTY_CSV.name).write_bytes(NIFTY_CSV.read_bytes())
    db = tmp_path / "bars.duckdb"
    _write_store(db, NIFTY_TOKEN)
    expected = _path_of(csv_dir)
    assert _path_of(db) == pytest.approx(expected, abs=1e-9)
    later = ReplaySource.load(db, ["NIFTY"], dt.date(2021, 4, 5), {"NIFTY": NIFTY_TOKEN})
    april_1_close = [v for k, v in _first_bars().items()][-1][3]
    assert later.day == dt.date(2021, 4, 5)
    assert later.previous_close("NIFTY") == pytest.approx(april_1_close)


def test_replay_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CSV, Parquet or a DuckDB store"):
        ReplaySource.load(tmp_path / "bars.json", ["NIFTY"])
    db = tmp_path / "bars.duckdb"
    _write_store(db, NIFTY_TOKEN)
    with pytest.raises(ValueError, match="no instrument token"):
        ReplaySource.load(db, ["NIFTY"])
    with pytest.raises(ValueError, match="no 1m bars"):
        ReplaySource.load(db, ["NIFTY"], tokens={"NIFTY": 999})
