"""A strategy on a timeframe missing from ``runners.bar_intervals`` gets its bars (it used to get none,
silently: ``signals 0``): the configuration adds the interval, the BarBuilder built from it closes those
bars, and the manager routes them to the instance."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np

from alphastock.config import load_config
from alphastock.events import Bar, TickBatch
from alphastock.models import Instrument
from alphastock.runners.bars import BarBuilder
from alphastock.strategies.manager import StrategyManager
from alphastock.ticks import TickStore
from tests._data import NSE_MINUTE

SBIN = 779521
NS = 1_000_000_000
SBIN_NSE = Instrument.from_kite(
    {"instrument_token": SBIN, "exchange_token": SBIN >> 8, "tradingsymbol": "SBIN", "name": "SBIN",
     "last_price": 0.0, "expiry": None, "strike": 0.0, "tick_size": 0.05, "lot_size": 1,
     "instrument_type": "EQ", "segment": "NSE", "exchange": "NSE"}
)  # fmt: skip


def _bars(intervals: list[str], minutes: int) -> list[Bar]:
    """Bars of ``intervals`` from ``minutes`` real SBIN minutes (close of each as one tick)."""
    with (NSE_MINUTE / "SBIN_2021-04_1m.csv").open() as handle:
        rows = list(csv.DictReader(handle))[:minutes]
    store = TickStore(64)
    builder = BarBuilder(store, None, intervals=intervals, describe={SBIN: SBIN_NSE}.get)
    out: list[Bar] = []
    for cumulative, row in enumerate(rows, start=1):
        ts = int(dt.datetime.fromisoformat(row["ts"]).timestamp()) * NS
        token = np.array([SBIN], dtype=np.int64)
        store.push_batch(
            token, np.array([ts]), np.array([float(row["close"])]), volume=np.array([cumulative])
        )
        out += builder.on_ticks(TickBatch(tokens=token, recv_ns=0))
    return out + builder.flush_all()


def test_a_5m_strategy_gets_5m_bars_when_the_runners_list_only_1m() -> None:
    config = load_config(
        environ={},
        overrides={
            "runners": {"bar_intervals": ["1m"]},
            "strategies": {
                "instances": [{"strategy": "ma_crossover", "symbols": ["NSE:SBIN"], "timeframe": "5m"}]
            },
        },
    )
    assert config.runners.bar_intervals == ["1m", "5m"]
    manager = StrategyManager.from_config(config.strategies)
    bars = _bars(config.runners.bar_intervals, minutes=30)
    assert sorted({b.interval for b in bars}) == ["1m", "5m"]
    for bar in bars:
        manager.on_bar(bar)
    assert manager.stats()["instances"]["ma_crossover"]["bars"] == 6  # 30 minutes = six 5m bars
    # What the runners built before: 1m bars only, and the 5m instance saw none of them.
    silent = StrategyManager.from_config(config.strategies)
    for bar in _bars(["1m"], minutes=30):
        silent.on_bar(bar)
    assert silent.stats()["instances"]["ma_crossover"]["bars"] == 0
