"""Historical candles: chunking into Kite's spans, fetching through the KiteBroker, storage in bars,
and ``alphastock data fetch`` against the simulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alphastock.brokers.kite import KiteBroker, chunk_range, fetch_candles, store_candles
from alphastock.cli import app
from alphastock.models import IST, Candle, datetime_to_ns
from alphastock.sim import SimServer
from alphastock.store import Store

SECOND = dt.timedelta(seconds=1)


def test_chunks_follow_kite_spans() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=IST)
    end = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=IST)
    minute = chunk_range(start, end, "minute")
    assert len(minute) == 7  # 365 days in 60-day requests
    assert minute[0] == (start, start + dt.timedelta(days=60) - SECOND)
    assert all(b[0] - a[1] == SECOND for a, b in itertools.pairwise(minute))
    assert minute[-1][1] == end
    counts = {i: len(chunk_range(start, end, i)) for i in ("5minute", "15minute", "60minute", "day")}  # type: ignore[arg-type]
    assert counts == {"5minute": 4, "15minute": 2, "60minute": 1, "day": 1}
    assert chunk_range(start, start, "minute") == [(start, start)]
    with pytest.raises(ValueError, match="ends before"):
        chunk_range(end, start, "minute")


class _Recorder:
    """A broker stand-in recording historical requests; one candle at each request's start and end."""

    def __init__(self) -> None:
        self.calls: list[tuple[dt.datetime, dt.datetime]] = []

    async def historical(
        self, token: int, lo: dt.datetime, hi: dt.datetime, interval: str, **kw: Any
    ) -> list[Candle]:
        self.calls.append((lo, hi))
        return [
            Candle(ts=datetime_to_ns(t), open=1.0, high=2.0, low=0.5, close=1.5, volume=10) for t in (lo, hi)
        ]


def test_fetch_candles_requests_each_chunk_once_in_order() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=IST)
    end = dt.datetime(2025, 6, 30, 15, 30, tzinfo=IST)
    recorder = _Recorder()
    seen: list[tuple[int, int]] = []
    result = asyncio.run(
        fetch_candles(recorder, 1, start, end, "minute", progress=lambda d, t: seen.append((d, t)))  # type: ignore[arg-type]
    )
    assert result.requests == 4  # 181 days
    assert recorder.calls == chunk_range(start, end, "minute")
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert len(result.candles) == 8
    assert [c.ts for c in result.candles] == sorted(c.ts for c in result.candles)


def test_fetch_and_store_from_the_sim_is_idempotent(kite_sim: SimServer) -> None:
    broker = KiteBroker(kite_sim.api_key, kite_sim.access_token, root=kite_sim.rest_url)
    start = dt.datetime(2026, 1, 5, tzinfo=IST)
    end = dt.datetime(2026, 1, 9, 23, 59, 59, tzinfo=IST)
    result = asyncio.run(fetch_candles(broker, 779521, start, end, "minute"))
    broker.close()
    assert result.requests == 1
    assert len(result.candles) == 5 * 375  # five sessions of 375 minutes
    first = result.candles[0]
    assert first.ts == datetime_to_ns(dt.datetime(2026, 1, 5, 9, 15, tzinfo=IST))
    assert broker.limiter.acquired["historical"] == 1
    with Store.open(":memory:") as store:
        assert store_candles(store, 779521, "minute", start, end, result.candles) == 1875
        assert store_candles(store, 779521, "minute", start, end, result.candles) == 1875
        bars = store.bars(779521, "1m").to_pylist()
        assert len(bars) == 1875
        assert bars[0] == {
            "token": 779521, "interval": "1m", "start_ns": first.ts, "open": first.open, "high": first.high,
            "low": first.low, "close": first.close, "volume": first.volume, "ticks": 0,
        }  # fmt: skip


def test_cli_data_fetch_against_the_sim(kite_sim: SimServer, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["data", "fetch", "SBIN", "--exchange", "NSE", "--interval", "15minute", "--from", "2026-01-06",
            "--to", "2026-01-08", "--data-dir", str(tmp_path), "--root", kite_sim.rest_url]  # fmt: skip
    env = {"ALPHASTOCK_KITE_API_KEY": kite_sim.api_key, "ALPHASTOCK_KITE_ACCESS_TOKEN": kite_sim.access_token}
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "stored 75 15minute bars of NSE:SBIN (token 779521)" in result.output
    assert kite_sim.access_token not in result.output
    with Store.open(data_dir=tmp_path) as store:
        assert len(store.bars(779521, "15m").to_pylist()) == 75  # 3 days x 25 bars
        assert store.count("instruments") > 1000


def test_cli_data_fetch_needs_credentials(tmp_path: Path) -> None:
    args = [
        "data",
        "fetch",
        "SBIN",
        "--from",
        "2026-01-06",
        "--to",
        "2026-01-08",
        "--data-dir",
        str(tmp_path),
    ]
    env = {"ALPHASTOCK_KITE_API_KEY": "", "ALPHASTOCK_KITE_ACCESS_TOKEN": ""}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert "alphastock login" in result.output


class _HistoryClient:
    """A kiteconnect stand-in recording historical_data requests."""

    def __init__(self) -> None:
        self.calls: list[tuple[dt.datetime, dt.datetime, str]] = []

    def historical_data(
        self, token: int, lo: dt.datetime, hi: dt.datetime, interval: str, **kw: Any
    ) -> list[Any]:
        self.calls.append((lo, hi, interval))
        return [{"date": lo.replace(tzinfo=IST), "open": 1, "high": 2, "low": 1, "close": 2, "volume": 5}]


def test_broker_historical_chunks_long_ranges_and_sends_ist() -> None:
    client = _HistoryClient()
    broker = KiteBroker("key", client=client)
    start = dt.datetime(2025, 9, 1, 3, 45, tzinfo=dt.UTC)  # 09:15 IST
    end = dt.datetime(2025, 12, 31, 10, 0, tzinfo=dt.UTC)
    candles = asyncio.run(broker.historical(408065, start, end, "5minute"))
    broker.close()
    assert [(lo, hi) for lo, hi, _ in client.calls] == [
        (dt.datetime(2025, 9, 1, 9, 15), dt.datetime(2025, 12, 10, 9, 14, 59)),
        (dt.datetime(2025, 12, 10, 9, 15), dt.datetime(2025, 12, 31, 15, 30)),
    ]
    assert broker.limiter.acquired["historical"] == 2
    assert [c.ts for c in candles] == [
        datetime_to_ns(start),
        datetime_to_ns(dt.datetime(2025, 12, 10, 9, 15)),
    ]
