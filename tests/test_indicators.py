"""alphastock.indicators against independent numpy references, on real NSE minute data and long walks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

import alphastock.indicators as ind
from alphastock.bars import ist_day
from tests._market_data import MinuteBars, nse_minute

F = NDArray[np.float64]
SYMBOLS = ["NIFTY", "BANKNIFTY", "SBIN", "RELIANCE"]
PERIODS = [1, 2, 5, 14, 20, 50]

# --------------------------------------------------------------------------- references
# Straight from the textbook definitions: window views and plain Python loops, no library code.


def _pad(values: F, n: int) -> F:
    return np.concatenate([np.full(n - 1, np.nan), values])


def ref_sma(x: F, n: int) -> F:
    return _pad(sliding_window_view(x, n).mean(axis=1), n)


def ref_std(x: F, n: int) -> F:
    return _pad(sliding_window_view(x, n).std(axis=1), n)


def ref_rolling(x: F, n: int, fn: Callable[..., F]) -> F:
    return _pad(fn(sliding_window_view(x, n), axis=1), n)


def ref_ema(x: F, n: int) -> F:
    out = np.full(x.size, np.nan)
    alpha = 2.0 / (n + 1)
    value = sum(x[:n]) / n
    out[n - 1] = value
    for i in range(n, x.size):
        value = alpha * x[i] + (1 - alpha) * value
        out[i] = value
    return out


def ref_rsi(x: F, n: int) -> F:
    out = np.full(x.size, np.nan)
    change = np.diff(x)
    gain, loss = np.where(change > 0, change, 0.0), np.where(change < 0, -change, 0.0)
    avg_gain, avg_loss = gain[:n].mean(), loss[:n].mean()
    for i in range(n, x.size):
        if i > n:
            avg_gain = (avg_gain * (n - 1) + gain[i - 1]) / n
            avg_loss = (avg_loss * (n - 1) + loss[i - 1]) / n
        total = avg_gain + avg_loss
        out[i] = 50.0 if total == 0 else 100.0 - 100.0 / (1.0 + avg_gain / avg_loss) if avg_loss else 100.0
    return out


def ref_atr(high: F, low: F, close: F, n: int) -> F:
    prev = close[:-1]
    tr = np.maximum.reduce([high[1:] - low[1:], np.abs(high[1:] - prev), np.abs(low[1:] - prev)])
    out = np.full(high.size, np.nan)
    value = tr[:n].mean()
    out[n] = value
    for i in range(n + 1, high.size):
        value = (value * (n - 1) + tr[i - 1]) / n
        out[i] = value
    return out


def ref_vwap(price: F, volume: F, session: NDArray[np.int64]) -> F:
    out = np.full(price.size, np.nan)
    for s in np.unique(session):
        rows = session == s
        pv, v = np.cumsum(price[rows] * volume[rows]), np.cumsum(volume[rows])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rows] = np.where(v > 0, pv / v, np.nan)
    return out


def assert_close(actual: F, expected: F, rtol: float = 1e-12) -> None:
    assert actual.dtype == np.float64
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0.0)


def assert_same_bits(a: F, b: F) -> None:
    """Bit-for-bit equality (NaN == NaN)."""
    assert a.shape == b.shape
    assert np.array_equal(a.view(np.int64), b.view(np.int64)), "outputs differ in some bit"


# --------------------------------------------------------------------------- real minute data


@pytest.fixture(params=SYMBOLS)
def bars(request: pytest.FixtureRequest) -> MinuteBars:
    return nse_minute(request.param)


@pytest.mark.parametrize("n", PERIODS)
def test_moving_averages_match_references_on_minute_closes(bars: MinuteBars, n: int) -> None:
    assert_close(ind.sma(bars.close, n), ref_sma(bars.close, n))
    assert_close(ind.ema(bars.close, n), ref_ema(bars.close, n))
    assert_close(ind.rsi(bars.close, n), ref_rsi(bars.close, n), rtol=1e-11)
    assert_close(ind.atr(bars.high, bars.low, bars.close, n), ref_atr(bars.high, bars.low, bars.close, n))
    np.testing.assert_array_equal(ind.rolling_max(bars.high, n), ref_rolling(bars.high, n, np.max))
    np.testing.assert_array_equal(ind.rolling_min(bars.low, n), ref_rolling(bars.low, n, np.min))


@pytest.mark.parametrize(("n", "k"), [(20, 2.0), (10, 1.5), (50, 2.5), (1, 2.0)])
def test_bollinger_matches_numpy_std_on_every_window(bars: MinuteBars, n: int, k: float) -> None:
    middle, upper, lower = ind.bollinger(bars.close, n, k)
    mean, std = ref_sma(bars.close, n), ref_std(bars.close, n)
    assert_close(middle, mean)
    assert_close(upper, mean + k * std, rtol=1e-14)
    assert_close(lower, mean - k * std, rtol=1e-14)
    assert_same_bits(middle, ind.sma(bars.close, n))


@pytest.mark.parametrize("symbol", ["SBIN", "RELIANCE"])
def test_session_vwap_on_minute_bars(symbol: str) -> None:
    b = nse_minute(symbol)
    typical = (b.high + b.low + b.close) / 3.0
    day = ist_day(b.ts_ns)
    assert np.unique(day).size == 8
    got = ind.vwap(typical, b.volume, day)
    assert_close(got, ref_vwap(typical, b.volume, day), rtol=1e-13)
    first_bar = np.flatnonzero(np.diff(day, prepend=-1))
    assert_close(got[first_bar], typical[first_bar])  # each day starts afresh
    # Index data has no volume: no VWAP at all.
    nifty = nse_minute("NIFTY")
    assert np.isnan(ind.vwap(nifty.close, nifty.volume, ist_day(nifty.ts_ns))).all()


def test_rsi_on_a_flat_market_is_50_and_extremes_are_exact() -> None:
    assert ind.rsi(np.full(30, 367.2), 14)[14:].tolist() == [50.0] * 16
    assert ind.rsi(np.arange(30.0), 14)[14:].tolist() == [100.0] * 16
    assert ind.rsi(-np.arange(30.0), 14)[14:].tolist() == [0.0] * 16


def test_rsi_matches_wilders_published_example() -> None:
    # The 14-period RSI worked example popularised by StockCharts (closes and RSI to 2 dp).
    closes = [44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826,
              45.8931, 46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439,
              46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672,
              43.4205, 42.6628, 43.1314]  # fmt: skip
    expected = [70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42,
                39.99, 41.46, 41.87, 45.46, 37.30, 33.08, 37.77]  # fmt: skip
    got = ind.rsi(closes, 14)
    assert np.isnan(got[:14]).all()
    np.testing.assert_allclose(got[14:], expected, atol=0.006)


# --------------------------------------------------------------------------- incremental == batch


def _incremental(update: Callable[[float], float], x: F) -> F:
    return np.array([update(v) for v in x])


@pytest.mark.parametrize("n", [1, 3, 14, 20])
def test_incremental_equals_batch_bit_for_bit(n: int) -> None:
    b = nse_minute("SBIN")
    close = b.close.copy()
    close[[100, 101, 700]] = [np.nan, np.inf, np.nan]  # the bad-input paths must agree too
    for cls, fn in [
        (ind.Sma, ind.sma),
        (ind.Ema, ind.ema),
        (ind.Rsi, ind.rsi),
        (ind.RollingMax, ind.rolling_max),
        (ind.RollingMin, ind.rolling_min),
    ]:
        batch = fn(close, n)
        one = cls(n)
        assert_same_bits(_incremental(one.update, close), batch)
        assert one.period == n
        assert one.value == batch[-1]
        assert one.ready
        chunked = cls(n)
        parts = [chunked.update_many(part) for part in np.array_split(close, 7)]
        assert_same_bits(np.concatenate(parts), batch)
        one.reset()
        assert not one.ready
        assert np.isnan(one.value)
        assert_same_bits(_incremental(one.update, close[:50]), batch[:50])

    atr = ind.Atr(n)
    got = np.array([atr.update(h, lo, c) for h, lo, c in zip(b.high, b.low, close, strict=True)])
    assert_same_bits(got, ind.atr(b.high, b.low, close, n))
    assert_same_bits(ind.Atr(n).update_many(b.high, b.low, close), got)

    boll = ind.Bollinger(n, 1.5)
    rows = np.array([boll.update(v) for v in close])
    middle, upper, lower = ind.bollinger(close, n, 1.5)
    for column, batch_column in zip(rows.T, (middle, upper, lower), strict=True):
        assert_same_bits(np.ascontiguousarray(column), batch_column)
    assert boll.value == (middle[-1], upper[-1], lower[-1])
    assert boll.k == 1.5
    for column, chunk_column in zip(rows.T, ind.Bollinger(n, 1.5).update_many(close), strict=True):
        assert_same_bits(chunk_column, np.ascontiguousarray(column))

    day = ist_day(b.ts_ns)
    vw = ind.Vwap()
    got = np.array([vw.update(p, v, int(s)) for p, v, s in zip(close, b.volume, day, strict=True)])
    assert_same_bits(got, ind.vwap(close, b.volume, day))
    assert vw.session_id == int(day[-1])
    assert_same_bits(ind.Vwap().update_many(close, b.volume, day), got)


# --------------------------------------------------------------------------- long series numerics


def _walk(size: int, seed: int) -> F:
    rng = np.random.default_rng(seed)
    return 14_800.0 + np.cumsum(rng.normal(0.0, 3.0, size))  # a NIFTY-like random walk


def test_sma_does_not_drift_over_a_million_values() -> None:
    x = _walk(1_000_000, 1)
    for n in (20, 200):
        got = ind.sma(x, n)
        ref = ref_sma(x, n)
        rel = np.abs(got[n - 1 :] - ref[n - 1 :]) / np.abs(ref[n - 1 :])
        assert rel.max() < 1e-12, (n, rel.max())
        assert rel[-1000:].max() < 1e-14  # the end is as good as the start


@pytest.mark.parametrize("size", [200_000, pytest.param(1_000_000, marks=pytest.mark.slow)])
def test_bollinger_matches_numpy_std_on_every_window_of_a_long_walk(size: int) -> None:
    x = _walk(size, 2)
    for n in (20, 100):
        middle, upper, lower = ind.bollinger(x, n, 2.0)
        mean, std = ref_sma(x, n), ref_std(x, n)
        assert_close(middle, mean)
        # Bands are price-sized, so their rounding is judged against the price: ~1e-16 of it.
        assert_close(upper, mean + 2.0 * std, rtol=1e-14)
        assert_close(lower, mean - 2.0 * std, rtol=1e-14)
        # The width itself (std), relative to the std: 1e-11 covers rounding the bands to price scale.
        assert_close((upper - lower)[n - 1 :] / 4.0, std[n - 1 :], rtol=1e-11)


def test_bollinger_variance_survives_a_level_shift() -> None:
    # A jump of 10^6 then a quiet window: the naive E[x^2]-E[x]^2 loses every digit here.
    x = np.concatenate([np.full(100, 1e6), 1e6 + np.arange(40.0) * 1e-3, np.full(60, 1.0), [1.0, 1.5, 2.0]])
    _, upper, _ = ind.bollinger(x, 3, 1.0)
    middle = ref_sma(x, 3)
    np.testing.assert_allclose(upper - middle, ref_std(x, 3), rtol=1e-9, atol=1e-12 * np.abs(x).max())
    assert (upper[150:200] == 1.0).all()


# --------------------------------------------------------------------------- NaN policy and errors


def test_windowed_indicators_blank_windows_holding_non_finite_values() -> None:
    x = np.arange(1.0, 11.0)
    x[4] = np.nan
    expect_nan = np.zeros(10, dtype=bool)
    expect_nan[:2] = True
    expect_nan[4:7] = True
    for fn in (ind.sma, ind.rolling_max, ind.rolling_min):
        np.testing.assert_array_equal(np.isnan(fn(x, 3)), expect_nan)
    np.testing.assert_array_equal(np.isnan(ind.bollinger(x, 3).middle), expect_nan)
    assert ind.sma(x, 3)[7] == 7.0  # recovered exactly


def test_recursive_indicators_skip_non_finite_values() -> None:
    x = np.array([1.0, 2.0, np.nan, 3.0, 4.0, 5.0])
    clean = np.delete(x, 2)
    for fn in (ind.ema, ind.rsi):
        got = fn(x, 2)
        assert np.isnan(got[2])
        assert_same_bits(np.delete(got, 2), fn(clean, 2))
    got = ind.atr(x + 1, x - 1, x, 2)
    assert_same_bits(np.delete(got, 2), ind.atr(clean + 1, clean - 1, clean, 2))


@pytest.mark.parametrize("fn", [ind.sma, ind.ema, ind.rsi, ind.rolling_max, ind.rolling_min])
def test_bad_periods_raise(fn: Callable[[F, int], F]) -> None:
    x = np.arange(5.0)
    for n in (0, -3):
        with pytest.raises(ValueError, match="n must be >= 1"):
            fn(x, n)
    with pytest.raises(TypeError, match="integer"):
        fn(x, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1-D"):
        fn(np.ones((2, 2)), 2)
    assert fn(x, 10).shape == (5,)
    assert np.isnan(fn(x, 10)).all()
    assert fn(np.array([]), 3).shape == (0,)


def test_constructor_and_shape_errors() -> None:
    for cls in (ind.Sma, ind.Ema, ind.Rsi, ind.Atr, ind.RollingMax, ind.RollingMin):
        with pytest.raises(ValueError, match="n must be >= 1"):
            cls(0)
    with pytest.raises(ValueError, match="k must be"):
        ind.bollinger(np.ones(5), 2, -1.0)
    with pytest.raises(ValueError, match="k must be"):
        ind.Bollinger(2, float("nan"))
    with pytest.raises(ValueError, match="equal lengths"):
        ind.atr(np.ones(3), np.ones(2), np.ones(3), 2)
    with pytest.raises(ValueError, match="equal lengths"):
        ind.vwap(np.ones(3), np.ones(3), np.zeros(2, dtype=np.int64))
    with pytest.raises(TypeError, match="session_id"):
        ind.vwap(np.ones(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="equal lengths"):
        ind.Atr(2).update_many(np.ones(3), np.ones(3), np.ones(1))


def test_vwap_accepts_scalar_and_datetime_sessions() -> None:
    price, volume = np.array([10.0, 20.0, 30.0]), np.array([1.0, 1.0, 2.0])
    np.testing.assert_array_equal(ind.vwap(price, volume, 7), [10.0, 15.0, 22.5])
    days = np.array(["2021-04-01", "2021-04-01", "2021-04-05"], dtype="datetime64[D]")
    np.testing.assert_array_equal(ind.vwap(price, volume, days), [10.0, 15.0, 30.0])
