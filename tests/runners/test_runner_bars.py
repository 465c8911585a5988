"""BarBuilder: bars equal to a direct BarAggregator run, on time by flush, MCX session, BAR events."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest

from alphastock.bars import BarAggregator
from alphastock.events import Bar, Event, EventType, TickBatch
from alphastock.models import Instrument
from alphastock.runners.bars import BarBuilder
from alphastock.ticks import TickStore
from tests._data import NSE_MINUTE

SBIN, RELIANCE, CRUDE = 779521, 738561, 102400007
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
NS = 1_000_000_000


def _instrument(token: int, symbol: str, exchange: str) -> Instrument:
    return Instrument.from_kite(
        {"instrument_token": token, "exchange_token": token >> 8, "tradingsymbol": symbol, "name": symbol,
         "last_price": 0.0, "expiry": None, "strike": 0.0, "tick_size": 0.05, "lot_size": 1,
         "instrument_type": "EQ", "segment": exchange, "exchange": exchange}
    )  # fmt: skip


INSTRUMENTS = {
    SBIN: _instrument(SBIN, "SBIN", "NSE"),
    RELIANCE: _instrument(RELIANCE, "RELIANCE", "NSE"),
    CRUDE: _instrument(CRUDE, "CRUDEOIL26JANFUT", "MCX"),
}


def _minute_ticks(path: Path, token: int, minutes: int) -> list[tuple[int, int, float, int]]:
    """Four ticks per real minute bar (open, high, low, close at +0/15/30/45 s), cumulative volume."""
    out: list[tuple[int, int, float, int]] = []
    cumulative = 0
    with path.open() as handle:
        for row in list(csv.DictReader(handle))[:minutes]:
            start = int(dt.datetime.fromisoformat(row["ts"]).timestamp()) * NS
            volume = int(float(row["volume"]))
            for i, key in enumerate(("open", "high", "low", "close")):
                cumulative += volume // 4 if i < 3 else volume - 3 * (volume // 4)
                out.append((token, start + i * 15 * NS, float(row[key]), cumulative))
    return out


def test_bars_equal_a_direct_aggregator_run() -> None:
    ticks = sorted(
        _minute_ticks(NSE_MINUTE / "SBIN_2021-04_1m.csv", SBIN, 30)
        + _minute_ticks(NSE_MINUTE / "RELIANCE_2021-04_1m.csv", RELIANCE, 30),
        key=lambda r: (r[1], r[0]),
    )
    store, events = TickStore(256), []
    builder = BarBuilder(store, events.append, intervals=["1m", "5m"], describe=INSTRUMENTS.get)
    direct = {i: BarAggregator(i) for i in ("1m", "5m")}
    expected: dict[str, list[tuple[int, int, float, float, float, float, float]]] = {"1m": [], "5m": []}
    # Batches of 7 ticks: a token often appears twice in one batch.
    for i in range(0, len(ticks), 7):
        chunk = ticks[i : i + 7]
        tok, ts, px, vol = (np.array(c) for c in zip(*chunk, strict=True))
        assert store.push_batch(tok, ts, px, volume=vol) == len(chunk)
        builder.on_ticks(TickBatch(tokens=tok.astype(np.int64), recv_ns=1234 + i))
        for name, agg in direct.items():
            bars = agg.update(tok, ts, px, vol)
            expected[name] += list(
                zip(
                    *(
                        bars[c].tolist()
                        for c in ("token", "start_ns", "open", "high", "low", "close", "volume")
                    ),
                    strict=False,
                )
            )
    got: dict[str, list[tuple[int, int, float, float, float, float, float]]] = {"1m": [], "5m": []}
    for event in events:
        bar = event.payload
        assert event.type is EventType.BAR
        assert isinstance(bar, Bar)
        got[bar.interval].append(
            (bar.token, bar.start_ns, bar.open, bar.high, bar.low, bar.close, bar.volume)
        )
        assert bar.symbol == INSTRUMENTS[bar.token].tradingsymbol
        assert bar.exchange == "NSE"
        assert bar.recv_ns >= 1234
    # Bars closed by one batch come out in token order of the batch, the direct run's in tick order.
    assert {k: sorted(v, key=lambda b: (b[1], b[0])) for k, v in got.items()} == {
        k: sorted(v, key=lambda b: (b[1], b[0])) for k, v in expected.items()
    }
    assert len(got["1m"]) == 2 * 29  # the 30th minute is still open
    # The OHLC are the real minute bars'.
    with (NSE_MINUTE / "SBIN_2021-04_1m.csv").open() as handle:
        first = next(csv.DictReader(handle))
    sbin_first = next(b for b in got["1m"] if b[0] == SBIN)
    assert sbin_first[2:6] == tuple(float(first[k]) for k in ("open", "high", "low", "close"))
    assert builder.stats()["ticks"] == len(ticks)


def test_flush_closes_bars_on_time_without_a_new_tick() -> None:
    store, events = TickStore(16), []
    builder = BarBuilder(store, events.append, describe=INSTRUMENTS.get)
    start = int(dt.datetime(2026, 1, 12, 9, 15, tzinfo=IST).timestamp()) * NS
    store.push_batch([SBIN, SBIN], [start + 5 * NS, start + 40 * NS], [850.0, 852.5], volume=[100, 300])
    builder.on_ticks(TickBatch(tokens=np.array([SBIN, SBIN], dtype=np.int64), recv_ns=7))
    assert events == []
    assert builder.flush(start + 59 * NS) == []
    before = time.time_ns()
    bars = builder.flush(start + 60 * NS)
    after = time.time_ns()
    assert [(b.start_ns, b.open, b.high, b.close, b.volume, b.ticks) for b in bars] == [
        (start, 850.0, 852.5, 852.5, 200.0, 2)
    ]
    assert events[0].ts_event == start + 60 * NS  # a bar event happens at its close
    # The clock closed it: its trigger time (for latency tracing) is the wall time of the flush.
    assert before <= events[0].payload.recv_ns <= after


def test_mcx_tokens_use_the_mcx_session() -> None:
    store, events = TickStore(16), []
    builder = BarBuilder(store, events.append, describe=INSTRUMENTS.get)
    t = int(dt.datetime(2026, 1, 12, 21, 0, tzinfo=IST).timestamp()) * NS  # evening: MCX only
    store.push_batch([CRUDE, SBIN], [t, t], [5600.0, 850.0], volume=[10, 10])
    store.push_batch([CRUDE, SBIN], [t + 70 * NS, t + 70 * NS], [5605.0, 851.0], volume=[20, 20])
    builder.on_ticks(TickBatch(tokens=np.array([CRUDE, SBIN, CRUDE, SBIN], dtype=np.int64)))
    assert [(b.symbol, b.exchange, b.open, b.close) for b in [e.payload for e in events]] == [
        ("CRUDEOIL26JANFUT", "MCX", 5600.0, 5600.0)
    ]
    stats = builder.stats()["aggregators"]
    assert stats["NSE:1m"]["off_session"] == 2
    assert stats["MCX:1m"]["accepted"] == 2


class Sink:
    def __init__(self) -> None:
        self.batches: list[tuple[int, str]] = []

    def append_bars(self, bars: object, interval: str, *, timeout: float | None = None) -> bool:
        self.batches.append((len(bars["token"]), interval))  # type: ignore[index]
        return True


def test_bars_go_to_the_store_writer_too() -> None:
    store, sink = TickStore(16), Sink()
    published: list[Event[object]] = []
    builder = BarBuilder(store, published.append, describe=INSTRUMENTS.get, sink=sink)
    start = int(dt.datetime(2026, 1, 12, 9, 15, tzinfo=IST).timestamp()) * NS
    store.push_batch([SBIN, RELIANCE], [start, start], [850.0, 1450.0])
    builder.on_ticks(TickBatch(tokens=np.array([SBIN, RELIANCE], dtype=np.int64)))
    builder.flush_all()
    assert sink.batches == [(2, "1m")]
    assert len(published) == 2
    assert builder.stats()["bars"] == 2


def test_unknown_tokens_get_an_empty_symbol_and_the_nse_session() -> None:
    store, events = TickStore(16), []
    builder = BarBuilder(store, events.append)
    start = int(dt.datetime(2026, 1, 12, 9, 15, tzinfo=IST).timestamp()) * NS
    store.push(42, start, 10.0)
    builder.on_ticks(TickBatch(tokens=np.array([42], dtype=np.int64)))
    (bar,) = builder.flush_all()
    assert (bar.symbol, bar.exchange, bar.close) == ("", "", pytest.approx(10.0))
