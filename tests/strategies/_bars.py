"""Real minute bars from tests/data/nse-minute as Bar objects and numpy columns."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alphastock.events import Bar
from tests._data import NSE_MINUTE


@dataclass(frozen=True)
class Series:
    """A CSV's bars and their columns."""

    bars: list[Bar]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]


def load(name: str, symbol: str, exchange: str = "NFO", token: int = 1) -> Series:
    """``name`` (e.g. NIFTY_F1_2021-04_1m.csv) as 1m Bars of ``exchange:symbol``."""
    with (NSE_MINUTE / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    bars = []
    for row in rows:
        start = int(dt.datetime.fromisoformat(row["ts"]).timestamp()) * 1_000_000_000
        bars.append(
            Bar(
                token=token,
                symbol=symbol,
                interval="1m",
                start_ns=start,
                open=float(row["open"]),
                high=float(row["high"]),
                low=float(row["low"]),
                close=float(row["close"]),
                volume=float(row["volume"]),
                exchange=exchange,
            )
        )

    def col(key: str) -> NDArray[np.float64]:
        return np.array([float(r[key]) for r in rows], dtype=np.float64)

    return Series(bars, col("open"), col("high"), col("low"), col("close"), col("volume"))


def nifty() -> Series:
    """NIFTY near-month futures, April 2021 (has volume)."""
    return load("NIFTY_F1_2021-04_1m.csv", "NIFTY21APRFUT", token=13368834)


def banknifty() -> Series:
    """BANKNIFTY near-month futures, April 2021."""
    return load("BANKNIFTY_F1_2021-04_1m.csv", "BANKNIFTY21APRFUT", token=13368578)


def tick_round(x: float, tick: float = 0.05) -> float:
    """Round like the strategies do (to the tick, then to 4 decimals)."""
    return round(round(x / tick) * tick, 4)
