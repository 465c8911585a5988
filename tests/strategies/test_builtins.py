"""The four built-ins on real NIFTY/BANKNIFTY futures minute bars, against an independent
numpy computation of the documented rules (signal bars, levels, confidence)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from alphastock import indicators as ind
from alphastock.signals.model import Signal, SignalAction
from alphastock.strategies.breakout import Breakout
from alphastock.strategies.ma_crossover import MaCrossover
from alphastock.strategies.mean_reversion import MeanReversion
from alphastock.strategies.rsi_divergence import RsiDivergence
from tests.strategies._bars import Series, banknifty, nifty, tick_round

NS_MIN = 60_000_000_000


def run(strategy: Any, series: Series) -> dict[int, Signal]:
    out: dict[int, Signal] = {}
    for i, bar in enumerate(series.bars):
        sig = strategy.on_bar(bar)
        if sig is not None:
            out[i] = sig
    return out


def check_common(sigs: dict[int, Signal], series: Series, name: str) -> None:
    assert sigs, f"{name} made no signal"
    for i, s in sigs.items():
        bar = series.bars[i]
        assert s.ts_ns == bar.start_ns + NS_MIN
        assert s.symbol == bar.symbol
        assert s.exchange == "NFO"
        assert s.token == bar.token
        assert s.strategy == name
        assert s.timeframe == "1m"
        assert 0.0 <= s.confidence <= 1.0
        assert s.expected_move_pct == pytest.approx(abs(s.target - s.entry) / s.entry * 100)
        for level in (s.entry, s.stop_loss, s.target):
            assert abs(level / 0.05 - round(level / 0.05)) < 1e-6


@pytest.mark.parametrize("loader", [nifty, banknifty])
def test_ma_crossover_matches_numpy(loader: Any) -> None:
    series = loader()
    sigs = run(MaCrossover(), series)
    check_common(sigs, series, "ma_crossover")
    fast, slow = ind.ema(series.close, 9), ind.ema(series.close, 21)
    atr = ind.atr(series.high, series.low, series.close, 14)
    diff = fast - slow
    expected: dict[int, int] = {}
    side = 0
    for i in range(len(diff)):
        if math.isnan(slow[i]) or math.isnan(atr[i]):
            continue
        new = 1 if diff[i] > 0 else -1 if diff[i] < 0 else side
        if side != 0 and new != side:
            expected[i] = new
        side = new
    assert sorted(sigs) == sorted(expected)
    assert len(sigs) > 20
    for i, s in sigs.items():
        d = max(atr[i] * 2.0, 0.05)
        assert s.action is (SignalAction.BUY if expected[i] > 0 else SignalAction.SELL)
        assert s.entry == tick_round(series.close[i])
        assert s.stop_loss == tick_round(series.close[i] - expected[i] * d)
        assert s.target == tick_round(series.close[i] + expected[i] * 2.0 * d)
        spread = min(1.0, abs(diff[i]) / (0.25 * atr[i]))
        slope = min(1.0, max(0.0, expected[i] * (fast[i] - fast[i - 1])) / (0.25 * atr[i]))
        assert s.confidence == pytest.approx(0.5 * spread + 0.5 * slope)


def test_ma_crossover_sma_percent_stop() -> None:
    series = nifty()
    sigs = run(MaCrossover({"fast": 5, "slow": 20, "kind": "sma", "stop_pct": 0.5}), series)
    fast, slow = ind.sma(series.close, 5), ind.sma(series.close, 20)
    sides = np.sign(fast - slow)
    valid = ~np.isnan(slow)
    first = int(np.argmax(valid))
    expected = [i for i in range(first + 1, len(sides)) if sides[i] != 0 and sides[i] != sides[i - 1]]
    # No exact zero diffs in this data, so a side change is a plain sign change.
    assert not np.any(sides[valid] == 0)
    assert sorted(sigs) == expected
    i, s = next(iter(sigs.items()))
    assert s.stop_distance == pytest.approx(tick_round(series.close[i] * 0.005), abs=0.051)


def test_mean_reversion_matches_numpy() -> None:
    series = banknifty()
    sigs = run(MeanReversion(), series)
    check_common(sigs, series, "mean_reversion")
    mid, up, lo = ind.bollinger(series.close, 20, 2.0)
    rsi = ind.rsi(series.close, 14)
    atr = ind.atr(series.high, series.low, series.close, 14)
    c = series.close
    expected: dict[int, int] = {}
    armed_buy = armed_sell = True
    for i in range(len(c)):
        if c[i] >= lo[i]:
            armed_buy = True
        if c[i] <= up[i]:
            armed_sell = True
        if np.isnan(mid[i]) or np.isnan(rsi[i]) or np.isnan(atr[i]) or abs(mid[i] - c[i]) < 0.05:
            continue
        if c[i] < lo[i] and rsi[i] < 30 and armed_buy:
            armed_buy = False
            expected[i] = 1
        elif c[i] > up[i] and rsi[i] > 70 and armed_sell:
            armed_sell = False
            expected[i] = -1
    assert sorted(sigs) == sorted(expected)
    assert {s.action for s in sigs.values()} == {SignalAction.BUY, SignalAction.SELL}
    for i, s in sigs.items():
        side = expected[i]
        assert s.target == tick_round(mid[i])
        band = lo[i] if side > 0 else up[i]
        edge = min(c[i], band) if side > 0 else max(c[i], band)
        assert s.stop_loss == tick_round(edge - side * atr[i])
        band_score = min(1.0, side * (band - c[i]) / atr[i])
        extreme = min(1.0, (30 - rsi[i]) / 15) if side > 0 else min(1.0, (rsi[i] - 70) / 15)
        assert s.confidence == pytest.approx(0.5 * band_score + 0.5 * extreme)


@pytest.mark.parametrize("loader", [nifty, banknifty])
def test_breakout_matches_numpy(loader: Any) -> None:
    series = loader()
    sigs = run(Breakout(), series)
    check_common(sigs, series, "breakout")
    h, lo, c, v = series.high, series.low, series.close, series.volume
    hh, ll = ind.rolling_max(h, 20), ind.rolling_min(lo, 20)
    avg = ind.sma(v, 20)
    atr = ind.atr(h, lo, c, 14)
    expected: dict[int, int] = {}
    armed_buy = armed_sell = True
    for i in range(1, len(c)):
        if np.isnan(hh[i - 1]) or np.isnan(avg[i - 1]):
            continue
        if c[i] <= hh[i - 1]:
            armed_buy = True
        if c[i] >= ll[i - 1]:
            armed_sell = True
        if np.isnan(atr[i]) or v[i] <= 0 or v[i] <= 1.5 * avg[i - 1]:
            continue
        if c[i] > hh[i - 1] and armed_buy:
            armed_buy, expected[i] = False, 1
        elif c[i] < ll[i - 1] and armed_sell:
            armed_sell, expected[i] = False, -1
    assert sorted(sigs) == sorted(expected)
    for i, s in sigs.items():
        side = expected[i]
        d = atr[i] * 1.5
        assert s.stop_loss == tick_round(c[i] - side * d)
        assert s.target == tick_round(c[i] + side * 2.0 * d)
        size = min(1.0, (c[i] - hh[i - 1]) / atr[i] if side > 0 else (ll[i - 1] - c[i]) / atr[i])
        assert s.confidence == pytest.approx(0.5 * min(1.0, v[i] / avg[i - 1] / 3.0) + 0.5 * size)


def test_breakout_never_fires_on_zero_volume_index_bars() -> None:
    from tests.strategies._bars import load

    series = load("NIFTY_2021-04_1m.csv", "NIFTY 50", exchange="NSE")
    assert float(series.volume.max()) == 0.0
    assert run(Breakout(), series) == {}


@pytest.mark.parametrize("loader", [nifty, banknifty])
def test_rsi_divergence_matches_numpy(loader: Any) -> None:
    series = loader()
    sigs = run(RsiDivergence(), series)
    check_common(sigs, series, "rsi_divergence")
    w = 3
    lo, h, c = series.low, series.high, series.close
    rsi = ind.rsi(c, 14)
    expected: dict[int, tuple[int, float, float]] = {}
    last_low: tuple[int, float, float] | None = None
    last_high: tuple[int, float, float] | None = None
    for j in range(2 * w, len(c)):  # j: the confirming bar, centre k = j - w
        k = j - w
        win_lo, win_hi = lo[k - w : j + 1], h[k - w : j + 1]
        sig = None
        if lo[k] == win_lo.min() and np.all(lo[k + 1 : j + 1] > lo[k]) and not np.isnan(rsi[k]):
            prev, last_low = last_low, (k, lo[k], rsi[k])
            if prev and k - prev[0] <= 40 and lo[k] < prev[1] and rsi[k] > prev[2] and rsi[k] < 40:
                sig = (1, lo[k], rsi[k] - prev[2])
        if h[k] == win_hi.max() and np.all(h[k + 1 : j + 1] < h[k]) and not np.isnan(rsi[k]):
            prev, last_high = last_high, (k, h[k], rsi[k])
            if (
                sig is None
                and prev
                and k - prev[0] <= 40
                and h[k] > prev[1]
                and rsi[k] < prev[2]
                and rsi[k] > 60
            ):
                sig = (-1, h[k], prev[2] - rsi[k])
        if sig is not None and sig[0] * (c[j] - sig[1] * (1 - sig[0] * 0.0005)) >= 0.05:
            expected[j] = sig
    assert sorted(sigs) == sorted(expected)
    for j, s in sigs.items():
        side, extreme, rdiff = expected[j]
        stop = extreme * (1 - side * 0.0005)
        assert s.action is (SignalAction.BUY if side > 0 else SignalAction.SELL)
        assert s.stop_loss == tick_round(stop)
        assert s.target == tick_round(c[j] + side * 2.0 * side * (c[j] - stop))
        assert s.confidence == pytest.approx(min(1.0, rdiff / 10.0))
        assert s.metadata["swing_price"] == extreme


def test_no_signal_during_warm_up() -> None:
    series = nifty()
    sigs = run(MaCrossover({"fast": 10, "slow": 50}), series)
    assert min(sigs) > 50  # slow EMA first value at index 49; that bar only records the side
