"""Replay of recorded minute bars as the path of the simulator's underlyings.

Sources (chosen by :meth:`ReplaySource.load` from the path):

* CSV files named ``SYMBOL_..._1m.csv`` with columns ``ts,open,high,low,close,volume[,oi]``
  (``ts`` ISO 8601 with offset), as in the checkout's ``tests/data/nse-minute``;
* Parquet files named ``SYMBOL_..._1m.parquet`` with the same columns (``ts`` an ISO 8601
  string or a timestamp column); a directory may mix CSV and Parquet files;
* a DuckDB store (a ``.duckdb``/``.db`` file, :class:`alphastock.store.Store`): its
  ``bars`` table, interval ``"1m"``, read per underlying by the Kite instrument token
  of the index or stock (``index_token``/``equity_token`` of the simulator's config).

``SYMBOL`` is an underlying name of the simulator (NIFTY, BANKNIFTY, INDIAVIX,
RELIANCE, ...); files of futures (``SYMBOL_F1_...``) and unknown symbols are skipped,
since futures and options are priced from the replayed underlying. Within a minute
the price walks open -> high -> low -> close (open -> low -> high -> close on a down
bar) in equal quarters. Prices are rupees, bar times UTC epoch seconds internally.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from alphastock.sim.config import IST

NS = 1_000_000_000
DB_SUFFIXES = (".duckdb", ".db")
Bar = tuple[int, float, float, float, float]  # start (UTC epoch s), open, high, low, close (rupees)


def _wanted(file: Path, names: list[str]) -> str | None:
    """The underlying a ``SYMBOL_..._1m.*`` file holds, or None (futures, unknown symbols)."""
    parts = file.stem.split("_")
    if len(parts) < 2 or parts[0] not in names or (len(parts) > 2 and parts[1].startswith("F")):
        return None
    return parts[0]


def _csv_rows(file: Path) -> list[Bar]:
    with file.open(newline="", encoding="utf-8") as handle:
        return [
            (int(dt.datetime.fromisoformat(rec["ts"]).timestamp()), float(rec["open"]), float(rec["high"]),
             float(rec["low"]), float(rec["close"]))
            for rec in csv.DictReader(handle)
        ]  # fmt: skip


def _parquet_rows(file: Path) -> list[Bar]:
    table = pq.read_table(file, columns=["ts", "open", "high", "low", "close"])
    ts_col = table.column("ts")
    if pa.types.is_timestamp(ts_col.type):
        unit = ts_col.type.unit
        per_s = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": NS}[unit]
        starts = [v // per_s for v in ts_col.cast(pa.int64()).to_pylist()]
    else:
        starts = [int(dt.datetime.fromisoformat(str(v)).timestamp()) for v in ts_col.to_pylist()]
    cols = [table.column(c).cast(pa.float64()).to_pylist() for c in ("open", "high", "low", "close")]
    return [(s, o, h, lo, c) for s, o, h, lo, c in zip(starts, *cols, strict=True)]


def _day_start(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(0), IST).timestamp())


class ReplaySource:
    """Minute bars per underlying for one trading date."""

    def __init__(self, bars: dict[str, list[Bar]], day: dt.date, previous: dict[str, float]) -> None:
        self.day = day
        self._bars = bars
        self._starts = {name: [b[0] for b in rows] for name, rows in bars.items()}
        self._previous = previous

    @classmethod
    def load(
        cls, path: Path, names: list[str], day: dt.date | None = None, tokens: Mapping[str, int] | None = None
    ) -> ReplaySource:
        """Load the minute bars under ``path`` for ``day`` (see the module docstring for the sources).

        ``path`` is a directory of ``*_1m.csv``/``*_1m.parquet`` files, one such file, or a DuckDB
        store file (``.duckdb``/``.db``), which needs ``tokens`` (underlying name -> Kite
        instrument token). ``day`` defaults to the first date in the data. Raises ValueError
        when nothing usable is found or the format is not supported.
        """
        if path.suffix.lower() in DB_SUFFIXES:
            return cls._from_store(path, names, day, tokens or {})
        files = sorted([*path.glob("*_1m.csv"), *path.glob("*_1m.parquet")]) if path.is_dir() else [path]
        per_symbol: dict[str, list[Bar]] = {}
        for file in files:
            suffix = file.suffix.lower()
            if suffix not in (".csv", ".parquet"):
                raise ValueError(f"replay reads CSV, Parquet or a DuckDB store, not {file.name}")
            name = _wanted(file, names)
            if name is None:
                continue
            per_symbol.setdefault(name, []).extend(
                _csv_rows(file) if suffix == ".csv" else _parquet_rows(file)
            )
        if not per_symbol:
            raise ValueError(f"no minute bars (CSV/Parquet) for {', '.join(names)} under {path}")
        for rows in per_symbol.values():
            rows.sort()
        first_day = min(dt.datetime.fromtimestamp(r[0][0], IST).date() for r in per_symbol.values() if r)
        day = day or first_day
        start = _day_start(day)
        bars: dict[str, list[Bar]] = {}
        previous: dict[str, float] = {}
        for name, rows in per_symbol.items():
            todays = [r for r in rows if start <= r[0] < start + 86400]
            before = [r for r in rows if r[0] < start]
            if not todays:
                continue
            bars[name] = todays
            previous[name] = before[-1][4] if before else todays[0][1]
        if not bars:
            raise ValueError(f"no bars on {day} under {path}")
        return cls(bars, day, previous)

    @classmethod
    def _from_store(
        cls, path: Path, names: list[str], day: dt.date | None, tokens: Mapping[str, int]
    ) -> ReplaySource:
        """The ``bars`` table of a DuckDB store, interval "1m", filtered by token and day."""
        from alphastock.store import Store  # the store pulls in duckdb: import it only when used

        if not path.is_file():
            raise ValueError(f"no DuckDB store at {path}")
        wanted = {n: int(tokens[n]) for n in names if n in tokens}
        if not wanted:
            raise ValueError(f"no instrument token for any of {', '.join(names)} to read from {path}")
        with Store.open(path, read_only=True) as store:
            if day is None:
                first = (
                    store.query(
                        "SELECT min(start_ns) AS first FROM bars WHERE interval = '1m' AND token IN "
                        f"({', '.join('?' * len(wanted))})",
                        list(wanted.values()),
                    )
                    .column("first")[0]
                    .as_py()
                )
                if first is None:
                    raise ValueError(f"no 1m bars for {', '.join(wanted)} in {path}")
                day = dt.datetime.fromtimestamp(first / NS, IST).date()
            start_ns = _day_start(day) * NS
            bars: dict[str, list[Bar]] = {}
            previous: dict[str, float] = {}
            for name, token in wanted.items():
                table = store.bars(token, "1m", start_ns, start_ns + 86400 * NS)
                if table.num_rows == 0:
                    continue
                cols = [table.column(c).to_pylist() for c in ("start_ns", "open", "high", "low", "close")]
                bars[name] = [(s // NS, o, h, lo, c) for s, o, h, lo, c in zip(*cols, strict=True)]
                before = store.query(
                    "SELECT close FROM bars WHERE token = ? AND interval = '1m' AND start_ns < ? "
                    "ORDER BY start_ns DESC LIMIT 1",
                    [token, start_ns],
                )
                previous[name] = before.column("close")[0].as_py() if before.num_rows else bars[name][0][1]
        if not bars:
            raise ValueError(f"no 1m bars on {day} in {path}")
        return cls(bars, day, previous)

    @property
    def names(self) -> list[str]:
        """Underlyings with bars on the replay date."""
        return sorted(self._bars)

    def previous_close(self, name: str) -> float | None:
        """Close before the replay date (the first open when the data starts that day), rupees."""
        return self._previous.get(name)

    def price_at(self, name: str, now_ns: int) -> float | None:
        """Replayed price at ``now_ns`` (UTC epoch ns); None outside the recorded minutes."""
        starts = self._starts.get(name)
        if not starts:
            return None
        now_s = now_ns / NS
        i = bisect.bisect_right(starts, now_s) - 1
        if i < 0 or now_s >= starts[i] + 60:
            return None
        _, o, h, lo, c = self._bars[name][i]
        path = (o, h, lo, c) if c >= o else (o, lo, h, c)
        x = (now_s - starts[i]) / 60.0 * 3
        j = min(int(x), 2)
        return path[j] + (path[j + 1] - path[j]) * (x - j)


__all__ = ["ReplaySource"]
