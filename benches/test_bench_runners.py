"""Engine-side tick processing with 500 subscribed instruments: TickStore + BarBuilder + runners.

Run with ``.venv/bin/python -m pytest benches/test_bench_runners.py -q -s`` (or ``make bench``).

Subject, per batch of 500 ticks (one per instrument, 100 ms apart, so 1-minute bars close
every 600 batches... here every 10 batches of 6 s): ``TickStore.push_batch`` (what the feed
does), then ``RunnerSet.on_ticks`` — the BarBuilder (newest ticks from the store into the
Rust BarAggregator, closed bars into BAR events) and the equity runner's levels (last, day
OHLC, volume). Baseline: a pure-Python loop updating per-token dicts (last, high, low,
volume) and a per-token minute-bar dict, tick by tick, from the same arrays. Reported in
ticks per second with the ratio. Nothing asserts on time.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any, cast

import numpy as np

from alphastock.events import Event, TickBatch
from alphastock.models import Instrument
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.bars import BarBuilder
from alphastock.runners.base import FeedHub
from alphastock.runners.equity import EquityRunner, Level
from alphastock.runners.runnerset import RunnerSet
from alphastock.ticks import TickStore

try:  # the shared bench helpers, when present, repeat each line in the end-of-session summary
    from benchlib import report as _summary_report
except ImportError:  # pragma: no cover - running this file alone
    _summary_report = None

N_TOKENS = 500
N_BATCHES = 120
STEP_NS = 6_000_000_000  # 6 s of market time per batch: a 1m bar closes every 10 batches
START_NS = (
    int(dt.datetime(2026, 1, 12, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))).timestamp())
    * 10**9
)
ROUNDS = 7


class _NullFeed:
    stale = False

    async def subscribe(self, tokens: Any, mode: str = "full") -> None:
        return None

    async def unsubscribe(self, tokens: Any) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {}


def _data() -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(20261121)
    tokens = (np.arange(N_TOKENS, dtype=np.int64) + 1000) << 8 | 1
    base = rng.uniform(100, 5000, N_TOKENS)
    prices = [np.round(base * (1 + 0.001 * rng.standard_normal(N_TOKENS)), 2) for _ in range(N_BATCHES)]
    volumes = [np.full(N_TOKENS, 100 * (i + 1), dtype=np.int64) for i in range(N_BATCHES)]
    stamps = [np.full(N_TOKENS, START_NS + i * STEP_NS, dtype=np.int64) for i in range(N_BATCHES)]
    return tokens, prices, volumes, stamps


def _build(tokens: np.ndarray, capacity: int = 64) -> tuple[TickStore, RunnerSet, list[Event[Any]]]:
    """The engine side, set up outside the timing: a tick store (``capacity`` ticks per instrument),
    bars and one equity runner on 500 tokens."""
    ticks = TickStore(capacity)
    instruments = {
        int(t): Instrument.from_kite(
            {
                "instrument_token": int(t),
                "exchange_token": int(t) >> 8,
                "tradingsymbol": f"S{i}",
                "name": f"S{i}",
                "last_price": 0.0,
                "expiry": None,
                "strike": 0.0,
                "tick_size": 0.05,
                "lot_size": 1,
                "instrument_type": "EQ",
                "segment": "NSE",
                "exchange": "NSE",
            }
        )
        for i, t in enumerate(tokens.tolist())
    }
    published: list[Event[Any]] = []
    hub = FeedHub(_NullFeed())
    runner = EquityRunner(hub, ticks, cast(SymbolResolver, None), [], mode="full")
    for token, inst in instruments.items():
        runner.levels[token] = Level(inst.tradingsymbol, "NSE", token)
        runner.subscribed[token] = "full"
    bars = BarBuilder(ticks, published.append, describe=instruments.get)
    runners = RunnerSet([runner], hub, ticks, cast(SymbolResolver, None), bars)
    runners.reroute()
    return ticks, runners, published


def _subject(
    built: tuple[TickStore, RunnerSet, list[Event[Any]]],
    tokens: np.ndarray,
    prices: list[np.ndarray],
    volumes: list[np.ndarray],
    stamps: list[np.ndarray],
) -> int:
    ticks, runners, published = built
    for i in range(N_BATCHES):
        ticks.push_batch(tokens, stamps[i], prices[i], volume=volumes[i])
        runners.on_ticks(TickBatch(tokens=tokens, recv_ns=i))
    return len(published)


def _baseline(
    tokens: np.ndarray, prices: list[np.ndarray], volumes: list[np.ndarray], stamps: list[np.ndarray]
) -> int:
    state: dict[int, dict[str, float]] = {}
    bars: dict[int, dict[str, float]] = {}
    closed = 0
    token_list = tokens.tolist()
    for i in range(N_BATCHES):
        for token, price, volume, ts in zip(
            token_list, prices[i].tolist(), volumes[i].tolist(), stamps[i].tolist(), strict=True
        ):
            s = state.get(token)
            if s is None:
                state[token] = {"last": price, "open": price, "high": price, "low": price, "volume": volume}
            else:
                s["last"] = price
                s["high"] = max(s["high"], price)
                s["low"] = min(s["low"], price)
                s["volume"] = volume
            minute = ts // 60_000_000_000
            b = bars.get(token)
            if b is None or b["minute"] != minute:
                closed += b is not None
                bars[token] = {"minute": minute, "open": price, "high": price, "low": price, "close": price}
            else:
                b["high"] = max(b["high"], price)
                b["low"] = min(b["low"], price)
                b["close"] = price
    return closed


def _time(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def test_runner_tick_processing_rate(benchmark: Any) -> None:
    data = _data()
    expected_bars = (N_BATCHES * STEP_NS // 60_000_000_000 - 1) * N_TOKENS

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (_build(data[0]), *data), {}

    _baseline(*data)
    before = [_time(_baseline, *data) for _ in range(ROUNDS // 2)]
    subject_bars = benchmark.pedantic(_subject, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    after = [_time(_baseline, *data) for _ in range(ROUNDS - ROUNDS // 2)]
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is not None:
        subject_median = stats.median
    else:  # --benchmark-disable
        subject_median = statistics.median(_time(_subject, _build(data[0]), *data)[0] for _ in range(ROUNDS))
    baseline_median = statistics.median(t for t, _ in before + after)
    n_ticks = N_TOKENS * N_BATCHES
    subject_rate, baseline_rate = n_ticks / subject_median, n_ticks / baseline_median
    ratio = subject_rate / baseline_rate
    line = (
        f"runners on_ticks, {N_TOKENS} instruments (push_batch + BarBuilder + equity runner): "
        f"{subject_rate / 1e6:.2f} M ticks/s; pure-Python dict loop {baseline_rate / 1e6:.2f} M ticks/s; "
        f"ratio {ratio:.2f}x ({'faster' if ratio >= 1 else 'SLOWER'}; medians of {ROUNDS} rounds)"
    )
    if _summary_report is not None:
        _summary_report(line)
    else:
        print(f"\n{line}")
    benchmark.extra_info.update(
        {
            "ticks_per_s": round(subject_rate),
            "baseline_ticks_per_s": round(baseline_rate),
            "ratio": round(ratio, 3),
        }
    )
    assert subject_bars == expected_bars
    assert before[0][1] == expected_bars
