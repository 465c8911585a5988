"""Benchmarks of the indicators and the BarAggregator against numpy/scipy and pandas baselines.

Run with ``.venv/bin/python -m pytest benches/test_bench_indicators.py -q -s`` (or ``make bench``).
Each indicator runs over the same 1M float64 values as its baselines: a vectorised
numpy version (scipy's ``lfilter`` for the recursive ones and ``maximum_filter1d``
for rolling extremes, since numpy alone has no O(N) form of those) and the pandas
idiom (``rolling``/``ewm``). Baselines are timed in the same test with the same
number of rounds, half before and half after the subject; each test prints one line
with the medians and ratios and stores them in ``benchmark.extra_info``. Results
are checked for agreement; wall-clock time is never asserted.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import maximum_filter1d, minimum_filter1d
from scipy.signal import lfilter

import alphastock.indicators as ind
from alphastock.bars import BarAggregator

SEED = 20210401
N_VALUES = 1_000_000
ROUNDS = 15


@pytest.fixture(scope="module")
def series() -> dict[str, np.ndarray]:
    """A NIFTY-like 1M-step random walk with bar highs/lows, volumes and ~375-value sessions."""
    rng = np.random.default_rng(SEED)
    close = 14_800.0 + np.cumsum(rng.normal(0.0, 3.0, N_VALUES))
    spread = np.abs(rng.normal(0.0, 2.0, N_VALUES))
    return {
        "close": close,
        "high": close + spread,
        "low": close - spread,
        "volume": rng.integers(1, 5_000, N_VALUES).astype(np.float64),
        "session": np.arange(N_VALUES, dtype=np.int64) // 375,
    }


# --------------------------------------------------------------------------- timing


def _time(fn: Callable[[], Any], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def compare(
    benchmark: Any,
    label: str,
    subject: Callable[[], Any],
    baselines: dict[str, Callable[[], Any]],
    *,
    per: int,
    unit: str = "ns/value",
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    """Time `subject` with pytest-benchmark and each baseline by hand; print and record the ratios."""
    scale = 1e9 / per
    results = {name: fn() for name, fn in baselines.items()}  # warm-up, and the values to check
    before = {name: _time(fn, rounds // 2) for name, fn in baselines.items()}
    subject_result = benchmark.pedantic(subject, rounds=rounds, iterations=1, warmup_rounds=1)
    after = {name: _time(fn, rounds - rounds // 2) for name, fn in baselines.items()}
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is None:  # --benchmark-disable: time the subject by hand instead
        times = _time(subject, rounds)
        subject_median, subject_min = statistics.median(times), min(times)
    else:
        subject_median, subject_min = stats.median, stats.min
    parts = [f"{label}: alphastock {subject_median * scale:.2f} {unit} (min {subject_min * scale:.2f})"]
    benchmark.extra_info.update(
        {"unit": unit, "median": round(subject_median * scale, 3), "min": round(subject_min * scale, 3)}
    )
    for name in baselines:
        times = before[name] + after[name]
        median, minimum = statistics.median(times), min(times)
        ratio = median / subject_median
        verdict = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x SLOWER"
        parts.append(f"{name} {median * scale:.2f} (min {minimum * scale:.2f}): {verdict}")
        benchmark.extra_info[f"{name}_median"] = round(median * scale, 3)
        benchmark.extra_info[f"{name}_min"] = round(minimum * scale, 3)
        benchmark.extra_info[f"{name}_ratio"] = round(ratio, 3)
        benchmark.extra_info[f"{name}_ratio_of_minima"] = round(minimum / subject_min, 3)
    print("\n" + "; ".join(parts) + f" [medians of {rounds} rounds, ratio of medians]")
    return {"subject": subject_result, **results}


def _valid(a: np.ndarray, b: np.ndarray, skip: int) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(a)[skip:], np.asarray(b)[skip:]


# --------------------------------------------------------------------------- baselines


def numpy_sma(x: np.ndarray, n: int) -> np.ndarray:
    """O(N) cumulative-sum SMA: the fast numpy idiom (it drifts on long series; ours does not)."""
    c = np.cumsum(np.concatenate([[0.0], x]))
    out = np.full(x.size, np.nan)
    out[n - 1 :] = (c[n:] - c[:-n]) / n
    return out


def numpy_ema(x: np.ndarray, n: int) -> np.ndarray:
    """EMA seeded with the first SMA, via scipy's IIR filter (numpy has no vectorised recursion)."""
    alpha = 2.0 / (n + 1)
    out = np.full(x.size, np.nan)
    seed = x[:n].mean()
    out[n - 1] = seed
    out[n:], _ = lfilter([alpha], [1.0, alpha - 1.0], x[n:], zi=[(1.0 - alpha) * seed])
    return out


def _wilder(values: np.ndarray, n: int) -> np.ndarray:
    """Wilder smoothing seeded with the mean of the first n values; output aligned with `values`."""
    out = np.full(values.size, np.nan)
    seed = values[:n].mean()
    out[n - 1] = seed
    out[n:], _ = lfilter([1.0 / n], [1.0, 1.0 / n - 1.0], values[n:], zi=[(1.0 - 1.0 / n) * seed])
    return out


def numpy_rsi(x: np.ndarray, n: int) -> np.ndarray:
    change = np.diff(x)
    gain, loss = _wilder(np.maximum(change, 0.0), n), _wilder(np.maximum(-change, 0.0), n)
    return np.concatenate([[np.nan], 100.0 * gain / (gain + loss)])


def numpy_atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> np.ndarray:
    prev = close[:-1]
    tr = np.maximum(high[1:] - low[1:], np.maximum(np.abs(high[1:] - prev), np.abs(low[1:] - prev)))
    return np.concatenate([[np.nan], _wilder(tr, n)])


def numpy_bollinger(x: np.ndarray, n: int, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-pass mean/std over window views: accurate like ours, O(N·n)."""
    windows = sliding_window_view(x, n)
    mean, std = np.full(x.size, np.nan), np.full(x.size, np.nan)
    mean[n - 1 :] = windows.mean(axis=1)
    std[n - 1 :] = windows.std(axis=1)
    return mean, mean + k * std, mean - k * std


def numpy_vwap(price: np.ndarray, volume: np.ndarray, session: np.ndarray) -> np.ndarray:
    """Cumulative sums restarted at each session start, vectorised."""
    pv, v = np.cumsum(price * volume), np.cumsum(volume)
    start = np.flatnonzero(np.diff(session, prepend=session[0] - 1))
    first = np.repeat(start, np.diff(np.append(start, session.size)))
    pv0 = np.where(first > 0, pv[first - 1], 0.0)
    v0 = np.where(first > 0, v[first - 1], 0.0)
    return (pv - pv0) / (v - v0)


def scipy_rolling(x: np.ndarray, n: int, fn: Callable[..., np.ndarray]) -> np.ndarray:
    """O(N) rolling extreme (van Herk/Gil-Werman in scipy.ndimage), trailing window."""
    out = np.full(x.size, np.nan)
    out[n - 1 :] = fn(x, n, origin=(n - 1) // 2)[n - 1 :]
    return out


# --------------------------------------------------------------------------- indicators


def test_sma(benchmark: Any, series: dict[str, np.ndarray]) -> None:
    x, s = series["close"], pd.Series(series["close"])
    r = compare(
        benchmark,
        "sma(20) over 1M",
        lambda: ind.sma(x, 20),
        {"numpy": lambda: numpy_sma(x, 20), "pandas": lambda: s.rolling(20).mean().to_numpy()},
        per=x.size,
    )
    np.testing.assert_allclose(*_valid(r["subject"], r["pandas"], 19), rtol=1e-11)
    np.testing.assert_allclose(*_valid(r["subject"], r["numpy"], 19), rtol=1e-9)


def test_ema(benchmark: Any, series: dict[str, np.ndarray]) -> None:
    x, s = series["close"], pd.Series(series["close"])
    r = compare(
        benchmark,
        "ema(20) over 1M",
        lambda: ind.ema(x, 20),
        {
            "numpy+scipy": lambda: numpy_ema(x, 20),
            "pandas": lambda: s.ewm(span=20, adjust=False).mean().to_numpy(),
        },
        per=x.size,
    )
    np.testing.assert_allclose(*_valid(r["subject"], r["numpy+scipy"], 19), rtol=1e-11)
    # pandas seeds with the first value instead of the first SMA; the difference decays away.
    np.testing.assert_allclose(*_valid(r["subject"], r["pandas"], 2000), rtol=1e-11)


def test_rsi(benchmark: Any, series: dict[str, np.ndarray]) -> None:
    x, s = series["close"], pd.Series(series["close"])

    def pandas_rsi() -> np.ndarray:
        change = s.diff()
        gain = change.clip(lower=0.0).ewm(alpha=1 / 14, adjust=False).mean()
        loss = (-change).clip(lower=0.0).ewm(alpha=1 / 14, adjust=False).mean()
        return (100.0 * gain / (gain + loss)).to_numpy()

    r = compare(
        benchmark,
        "rsi(14) over 1M",
        lambda: ind.rsi(x, 14),
        {"numpy+scipy": lambda: numpy_rsi(x, 14), "pandas": pandas_rsi},
        per=x.size,
    )
    np.testing.assert_allclose(*_valid(r["subject"], r["numpy+scipy"], 14), rtol=1e-9)
    np.testing.assert_allclose(*_valid(r["subject"], r["pandas"], 2000), rtol=1e-9)


def test_atr(benchmark: Any, series: dict[str, np.ndarray]) -> None:
    h, lo, c = series["high"], series["low"], series["close"]
    frame = pd.DataFrame({"h": h, "l": lo, "c": c})

    def pandas_atr() -> np.ndarray:
        prev = frame["c"].shift()
        tr = pd.concat(
            [frame["h"] - frame["l"], (frame["h"] - prev).abs(), (frame["l"] - prev).abs()], axis=1
        )
        return tr.max(axis=1, skipna=False).ewm(alpha=1 / 14, adjust=False).mean().to_numpy()

    r = compare(
        benchmark,
        "atr(14) over 1M",
        lambda: ind.atr(h, lo, c, 14),
        {"numpy+scipy": lambda: numpy_atr(h, lo, c, 14), "pandas": pandas_atr},
        per=c.size,
    )
    np.testing.assert_allclose(*_valid(r["subject"], r["numpy+scipy"], 14), rtol=1e-10)
    np.testing.assert_allclose(*_valid(r["subject"], r["pandas"], 2000), rtol=1e-9)


def test_bollinger(benchmark: Any, series: dict[str, np.ndarray]) -> None:
    x, s = series["close"], pd.Series(series["close"])

    def pandas_bands() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rolling = s.rolling(20)
        mean, std = rolling.mean(), rolling.std(ddof=0)
        return mean.to_numpy(), (mean + 2 * std).to_numpy(), (mean - 2 * std).to_numpy()

    r = compare(
        benchmark,
        "bollinger(20, 2) over 1M",
        lambda: ind.bollinger(x, 20, 2.0),
        {"numpy": lambda: numpy_bollinger(x, 20, 2.0), "pandas": pandas_bands},
        per=x.size,
    )
    for ours, numpy_band, pandas_band in zip(r["subject"], r["numpy"], r["pandas"], strict=True):
        np.testing.assert_allclose(*_valid(ours, numpy_band, 19), rtol=1e-13)
        np.testing.assert_allclose(*_valid(ours, pandas_band, 19), rtol=1e-9)


def test_vwap(benchmark: Any, series: dict[str, np.ndarray]) -> None:
    p, v, sid = series["close"], series["volume"], series["session"]
    frame = pd.DataFrame({"pv": p * v, "v": v, "s": sid})

    def pandas_vwap() -> np.ndarray:
        sums = frame.groupby("s")[["pv", "v"]].cumsum()
        return (sums["pv"] / sums["v"]).to_numpy()

    r = compare(
        benchmark,
        "vwap (375-value sessions) over 1M",
        lambda: ind.vwap(p, v, sid),
        {"numpy": lambda: numpy_vwap(p, v, sid), "pandas": pandas_vwap},
        per=p.size,
    )
    np.testing.assert_allclose(r["subject"], r["pandas"], rtol=1e-12)
    # The global-cumsum idiom subtracts totals of ~1e13 to get each session's: it keeps only ~7 digits.
    np.testing.assert_allclose(r["subject"], r["numpy"], rtol=1e-6)


@pytest.mark.parametrize("which", ["max", "min"])
def test_rolling_extreme(benchmark: Any, series: dict[str, np.ndarray], which: str) -> None:
    x, s = series["close"], pd.Series(series["close"])
    ours = ind.rolling_max if which == "max" else ind.rolling_min
    filt = maximum_filter1d if which == "max" else minimum_filter1d
    r = compare(
        benchmark,
        f"rolling_{which}(20) over 1M",
        lambda: ours(x, 20),
        {
            "numpy+scipy": lambda: scipy_rolling(x, 20, filt),
            "pandas": lambda: getattr(s.rolling(20), which)().to_numpy(),
        },
        per=x.size,
    )
    np.testing.assert_array_equal(r["subject"], r["numpy+scipy"])
    np.testing.assert_array_equal(r["subject"], r["pandas"])


# --------------------------------------------------------------------------- bar aggregation

N_TICKS = 500_000
N_TOKENS = 200
IST_0915_NS = 1_617_248_700 * 1_000_000_000  # 2021-04-01 09:15:00 IST


@pytest.fixture(scope="module")
def ticks() -> dict[str, np.ndarray]:
    """500k ticks of 200 tokens spread over the 375-minute session, in time order."""
    rng = np.random.default_rng(SEED)
    ts = IST_0915_NS + np.sort(rng.integers(0, 375 * 60 * 1_000_000_000, N_TICKS))
    token = rng.integers(0, N_TOKENS, N_TICKS) * 1_000 + 256_265
    price = 1_000.0 + rng.normal(0.0, 1.0, N_TICKS).cumsum() * 0.05
    volume = rng.integers(1, 100, N_TICKS).astype(np.float64)
    return {"token": token, "ts": ts, "price": price, "volume": volume}


def python_bars(token: np.ndarray, ts: np.ndarray, price: np.ndarray, volume: np.ndarray) -> list[tuple]:
    """Pure-Python per-tick aggregation into 1m bars (aligned at 09:15 IST, session-only), per token."""
    minute = 60_000_000_000
    open_bars: dict[int, list] = {}
    closed: list[tuple] = []
    for tok, t, p, v in zip(token.tolist(), ts.tolist(), price.tolist(), volume.tolist(), strict=True):
        start = IST_0915_NS + (t - IST_0915_NS) // minute * minute
        bar = open_bars.get(tok)
        if bar is not None and bar[0] == start:
            bar[2] = max(bar[2], p)
            bar[3] = min(bar[3], p)
            bar[4] = p
            bar[5] += v
            bar[6] += 1
            continue
        if bar is not None:
            closed.append((tok, *bar))
        open_bars[tok] = [start, p, p, p, p, v, 1]
    closed.extend((tok, *bar) for tok, bar in open_bars.items())
    return closed


def pandas_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Batch (not incremental) 1m bars with a pandas groupby: the usual research-notebook way."""
    minute = 60_000_000_000
    keys = [frame["token"], IST_0915_NS + (frame["ts"] - IST_0915_NS) // minute * minute]
    return frame.groupby(keys, sort=False).agg(
        open=("price", "first"),
        high=("price", "max"),
        low=("price", "min"),
        close=("price", "last"),
        volume=("volume", "sum"),
        ticks=("price", "size"),
    )


def test_bar_aggregator_throughput(benchmark: Any, ticks: dict[str, np.ndarray]) -> None:
    t = ticks
    frame = pd.DataFrame(t)

    def ours() -> dict[str, np.ndarray]:
        agg = BarAggregator("1m", volume="quantity")
        closed = agg.update(t["token"], t["ts"], t["price"], t["volume"])
        rest = agg.flush_all()
        return {k: np.concatenate([closed[k], rest[k]]) for k in closed}  # type: ignore[literal-required]

    r = compare(
        benchmark,
        "BarAggregator 1m, 500k ticks x 200 tokens",
        ours,
        {
            "pure-Python": lambda: python_bars(t["token"], t["ts"], t["price"], t["volume"]),
            "pandas-groupby(batch)": lambda: pandas_bars(frame),
        },
        per=N_TICKS,
        unit="ns/tick",
        rounds=6,
    )
    ns, python_ns = benchmark.extra_info["median"], benchmark.extra_info["pure-Python_median"]
    print(f"  = {1e3 / ns:.1f} M ticks/s (pure Python: {1e3 / python_ns:.2f} M ticks/s)")
    benchmark.extra_info["ticks_per_s"] = round(1e9 / ns)
    got, reference = r["subject"], r["pure-Python"]
    assert got["token"].size == len(reference)
    ref = sorted(reference)
    mine = sorted(
        zip(
            *(
                got[k].tolist()
                for k in ("token", "start_ns", "open", "high", "low", "close", "volume", "ticks")
            ),
            strict=True,
        )
    )
    assert mine == ref
    assert int(got["ticks"].sum()) == N_TICKS
