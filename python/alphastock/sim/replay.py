"""Replay of recorded minute bars as the path of the simulator's underlyings.

Reads CSV files named ``SYMBOL_..._1m.csv`` with columns
``ts,open,high,low,close,volume[,oi]`` (``ts`` ISO 8601 with offset), as in
``shared/data/nse-minute``. ``SYMBOL`` is an underlying name of the simulator
(NIFTY, BANKNIFTY, INDIAVIX, RELIANCE, ...); files of futures (``SYMBOL_F1_...``)
and unknown symbols are skipped, since futures and options are priced from the
replayed underlying. Within a minute the price walks open -> high -> low -> close
(open -> low -> high -> close on a down bar) in equal quarters. Parquet and
DuckDB sources are not supported yet.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
from pathlib import Path

from alphastock.sim.config import IST

NS = 1_000_000_000


class ReplaySource:
    """Minute bars per underlying for one trading date."""

    def __init__(self, bars: dict[str, list[tuple[int, float, float, float, float]]], day: dt.date,
                 previous: dict[str, float]) -> None:  # fmt: skip
        self.day = day
        self._bars = bars
        self._starts = {name: [b[0] for b in rows] for name, rows in bars.items()}
        self._previous = previous

    @classmethod
    def load(cls, path: Path, names: list[str], day: dt.date | None = None) -> ReplaySource:
        """Load every ``*_1m.csv`` under ``path`` (a directory or one file) for ``day``.

        ``day`` defaults to the first date in the data. Raises ValueError when
        nothing usable is found or the format is not supported.
        """
        files = sorted(path.glob("*_1m.csv")) if path.is_dir() else [path]
        if any(f.suffix.lower() in (".parquet", ".duckdb", ".db") for f in files):
            raise ValueError("replay reads CSV minute bars only; Parquet/DuckDB are not supported yet")
        per_symbol: dict[str, list[tuple[int, float, float, float, float]]] = {}
        for file in files:
            parts = file.stem.split("_")
            if len(parts) < 2 or parts[0] not in names or (len(parts) > 2 and parts[1].startswith("F")):
                continue
            rows = per_symbol.setdefault(parts[0], [])
            with file.open(newline="", encoding="utf-8") as handle:
                for rec in csv.DictReader(handle):
                    ts = dt.datetime.fromisoformat(rec["ts"])
                    rows.append((int(ts.timestamp()), float(rec["open"]), float(rec["high"]),
                                 float(rec["low"]), float(rec["close"])))  # fmt: skip
        if not per_symbol:
            raise ValueError(f"no minute-bar CSV for {', '.join(names)} under {path}")
        for rows in per_symbol.values():
            rows.sort()
        first_day = min(dt.datetime.fromtimestamp(r[0][0], IST).date() for r in per_symbol.values() if r)
        day = day or first_day
        start = int(dt.datetime.combine(day, dt.time(0), IST).timestamp())
        bars: dict[str, list[tuple[int, float, float, float, float]]] = {}
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
