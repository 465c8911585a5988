"""Loaders for the real market data in tests/data (see SOURCES.md there), as numpy columns."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tests._data import LEAN_INDIA, NSE_MINUTE

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NS = 1_000_000_000
IST_SECONDS = 5 * 3600 + 30 * 60

# Real Kite instrument tokens, so multi-token tests look like a real subscription.
TOKENS = {"NIFTY": 256265, "BANKNIFTY": 260105, "SBIN": 779521, "RELIANCE": 738561}


def iso_to_ns(text: str) -> int:
    """UTC epoch ns of an ISO-8601 timestamp with an offset, e.g. ``2021-04-01T09:15:00+05:30``."""
    return ((dt.datetime.fromisoformat(text) - _EPOCH) // dt.timedelta(microseconds=1)) * 1000


@dataclass(frozen=True)
class MinuteBars:
    """1-minute OHLCV bars; ``ts_ns`` is the bar start, UTC epoch ns."""

    ts_ns: NDArray[np.int64]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]

    @property
    def size(self) -> int:
        return int(self.ts_ns.size)


def _read(path: Path, symbol: str | None = None) -> MinuteBars:
    with path.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if symbol is None or row["symbol"] == symbol]
    return MinuteBars(
        np.array([iso_to_ns(r["ts"]) for r in rows], dtype=np.int64),
        *(np.array([float(r[c]) for r in rows]) for c in ("open", "high", "low", "close", "volume")),
    )


@cache
def nse_minute(symbol: str) -> MinuteBars:
    """NIFTY, BANKNIFTY, SBIN, RELIANCE, ... 1-minute bars, 8 days of April 2021, 09:15-15:29 starts."""
    return _read(NSE_MINUTE / f"{symbol}_2021-04_1m.csv")


@cache
def nse_off_session(symbol: str) -> MinuteBars:
    """The rows of ``symbol`` dropped from the bar files: pre-open, post-close, after-hours."""
    return _read(NSE_MINUTE / "offsession_2021-04.csv", symbol)


@cache
def lean_minute(name: str) -> MinuteBars:
    """A LEAN India minute file, e.g. ``juniorbees_2019-01-01``."""
    return _read(LEAN_INDIA / f"{name}_1m.csv")
