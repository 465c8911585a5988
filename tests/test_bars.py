"""alphastock.bars.BarAggregator on real NSE minute bars, against an independent numpy resampler."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import alphastock
from alphastock.bars import BarAggregator, BarCounters, Bars, ist_day, parse_interval
from tests._market_data import (
    IST_SECONDS,
    NS,
    TOKENS,
    MinuteBars,
    iso_to_ns,
    lean_minute,
    nse_minute,
    nse_off_session,
)

MINUTE = 60 * NS
DAY = 86_400 * NS
SESSION_OPEN_MIN = 9 * 60 + 15
TICK_OFFSETS = np.array([0, 15, 30, 45]) * NS  # O, H, L, C of a minute bar become four ticks


# --------------------------------------------------------------------------- independent references


def ticks_from_minutes(b: MinuteBars) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Each 1m bar as four ticks (open, high, low, close) at +0/15/30/45 s; volume split over them."""
    ts = (b.ts_ns[:, None] + TICK_OFFSETS[None, :]).ravel()
    price = np.stack([b.open, b.high, b.low, b.close], axis=1).ravel()
    quarter = np.floor(b.volume / 4)
    qty = np.stack([b.volume - 3 * quarter, quarter, quarter, quarter], axis=1).ravel()
    return ts, price, qty


def resample(b: MinuteBars, minutes: int | None) -> dict[str, NDArray[Any]]:
    """k-minute bars aligned to 09:15 IST (None: day bars at 00:00 IST), by plain numpy grouping."""
    local = b.ts_ns + IST_SECONDS * NS
    day = local // DAY
    if minutes is None:
        key, label = day, day * DAY - IST_SECONDS * NS
    else:
        slot = ((local % DAY) // MINUTE - SESSION_OPEN_MIN) // minutes
        key = day * 10_000 + slot
        label = day * DAY - IST_SECONDS * NS + (SESSION_OPEN_MIN + slot * minutes) * MINUTE
    starts = np.flatnonzero(np.diff(key, prepend=key[0] - 1))
    ends = np.append(starts[1:], key.size) - 1
    return {
        "start_ns": label[starts],
        "open": b.open[starts],
        "high": np.maximum.reduceat(b.high, starts),
        "low": np.minimum.reduceat(b.low, starts),
        "close": b.close[ends],
        "volume": np.add.reduceat(b.volume, starts),
        "ticks": 4 * (ends - starts + 1),
    }


def concat(parts: list[Bars]) -> dict[str, NDArray[Any]]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}  # type: ignore[literal-required]


def rows_of(bars: dict[str, NDArray[Any]], token: int) -> dict[str, NDArray[Any]]:
    mask = bars["token"] == token
    return {k: v[mask] for k, v in bars.items() if k != "token"}


def assert_bars_equal(got: dict[str, NDArray[Any]], want: dict[str, NDArray[Any]]) -> None:
    assert set(want) <= set(got)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


# --------------------------------------------------------------------------- aggregation on real data


@pytest.mark.parametrize(
    ("interval", "minutes"), [("1m", 1), ("3m", 3), ("5m", 5), ("15m", 15), ("1h", 60), ("1d", None)]
)
def test_four_symbols_interleaved_match_the_numpy_resampler(interval: str, minutes: int | None) -> None:
    columns = []
    for symbol, token in TOKENS.items():
        ts, price, qty = ticks_from_minutes(nse_minute(symbol))
        columns.append((np.full(ts.size, token), ts, price, qty))
    token, ts, price, qty = (np.concatenate(c) for c in zip(*columns, strict=True))
    order = np.argsort(ts, kind="stable")  # one feed: ticks of all four tokens interleaved in time
    agg = BarAggregator(interval, volume="quantity")
    parts = [agg.update(token[s], ts[s], price[s], qty[s]) for s in np.array_split(order, 13)]
    parts.append(agg.flush_all())
    got = concat(parts)
    assert agg.counters == BarCounters(accepted=ts.size, off_session=0, late=0, invalid=0, volume_resets=0)
    for symbol, tok in TOKENS.items():
        mine = rows_of(got, tok)
        assert (np.diff(mine["start_ns"]) > 0).all()  # each token's bars come out in time order
        assert_bars_equal(mine, resample(nse_minute(symbol), minutes))


def test_labels_are_ist_0915_aligned_like_kite_candles() -> None:
    b = nse_minute("NIFTY")
    ts, price, qty = ticks_from_minutes(b)
    hourly = concat(
        [(agg := BarAggregator("1h", volume="quantity")).update(1, ts, price, qty), agg.flush_all()]
    )
    first_day = hourly["start_ns"][:7]
    want = [f"2021-04-01T{h}+05:30" for h in ("09:15", "10:15", "11:15", "12:15", "13:15", "14:15", "15:15")]
    assert first_day.tolist() == [iso_to_ns(w) for w in want]
    # The last hour bar is the partial 15:15-15:30: its close is the day's last minute close.
    last_minute = b.ts_ns == iso_to_ns("2021-04-01T15:29:00+05:30")
    assert hourly["close"][6] == b.close[last_minute][0]
    assert hourly["ticks"][6] == 15 * 4
    daily = concat([(d := BarAggregator("day", volume="quantity")).update(1, ts, price, qty), d.flush_all()])
    assert daily["start_ns"][0] == iso_to_ns("2021-04-01T00:00:00+05:30")
    assert (daily["start_ns"].astype("datetime64[ns]") + np.timedelta64(IST_SECONDS, "s")).astype(
        "datetime64[D]"
    ).astype(str).tolist() == ["2021-04-01", "2021-04-05", "2021-04-06", "2021-04-07", "2021-04-08",
                               "2021-04-09", "2021-04-12", "2021-04-13"]  # fmt: skip


def test_cumulative_volume_with_preopen_and_post_close_ticks() -> None:
    """Kite-style cumulative volume: pre-open sets the baseline, post-close ticks are off-session."""
    bars, extra = nse_minute("SBIN"), nse_off_session("SBIN")
    ts, price, qty = ticks_from_minutes(bars)
    all_ts = np.concatenate([ts, extra.ts_ns])
    order = np.argsort(all_ts, kind="stable")
    all_ts, all_price = all_ts[order], np.concatenate([price, extra.close])[order]
    all_qty = np.concatenate([qty, extra.volume])[order]
    day = ist_day(all_ts)
    cumulative = np.zeros_like(all_qty)
    for d in np.unique(day):  # the day's running total, as Kite's volume_traded
        rows = day == d
        cumulative[rows] = np.cumsum(all_qty[rows])
    preopen = extra.ts_ns[(extra.ts_ns + IST_SECONDS * NS) % DAY < SESSION_OPEN_MIN * MINUTE]
    assert np.unique(ist_day(preopen)).size == 8  # every day opens with a pre-open row

    agg = BarAggregator("5m")  # cumulative volume is the default
    got = concat([agg.update(779521, all_ts, all_price, cumulative), agg.flush_all()])
    assert_bars_equal(rows_of(got, 779521), resample(bars, 5))
    c = agg.counters
    assert (c.accepted, c.off_session, c.late, c.invalid, c.volume_resets) == (ts.size, extra.size, 0, 0, 0)


def test_off_session_rows_are_counted_not_aggregated() -> None:
    nifty = lean_minute("nifty50_2019-01-01")  # a 09:07 pre-open bar, 375 regular, 15:30 and 15:31
    agg = BarAggregator("15m", volume="quantity")
    got = concat([agg.update(256265, nifty.ts_ns, nifty.close, nifty.volume), agg.flush_all()])
    assert agg.counters.off_session == 3
    assert agg.counters.accepted == 375
    assert got["start_ns"].size == 25
    assert got["close"][-1] == nifty.close[-3]  # the 15:29 close, not the post-close 15:31 value
    # A wider (MCX-like) session takes them in; bars are then aligned to its start.
    wide = BarAggregator("15m", session=("09:00", "23:30"), volume="quantity")
    got = concat([wide.update(1, nifty.ts_ns, nifty.close, nifty.volume), wide.flush_all()])
    assert wide.counters.off_session == 0
    assert got["start_ns"][0] == iso_to_ns("2019-01-01T09:00:00+05:30")
    assert got["close"][-1] == nifty.close[-1]


def test_fill_gaps_on_an_illiquid_etf() -> None:
    jb = lean_minute("juniorbees_2019-01-04")  # 177 of 375 minutes traded
    ts, price, qty = ticks_from_minutes(jb)
    plain = BarAggregator("1m", volume="quantity")
    got = concat([plain.update(1, ts, price, qty), plain.flush_all()])
    np.testing.assert_array_equal(got["start_ns"], jb.ts_ns)  # no bar invented
    filled_agg = BarAggregator("1m", volume="quantity", fill_gaps=True)
    now = iso_to_ns("2019-01-04T12:15:00+05:30")  # last trade before it: 12:10, next: 12:21
    first = ts < now
    parts = [filled_agg.update(1, ts[first], price[first], qty[first])]
    parts.append(filled_agg.flush(now))  # the clock reaches 12:15: 12:10 closes, 12:11-12:14 are filled
    parts.append(filled_agg.update(1, ts[~first], price[~first], qty[~first]))
    parts.append(filled_agg.flush_all())
    filled = concat(parts)
    assert parts[1]["start_ns"].tolist() == [iso_to_ns(f"2019-01-04T12:1{m}:00+05:30") for m in range(5)]
    assert parts[1]["ticks"].tolist() == [4, 0, 0, 0, 0]
    # Reference: every minute from the first trade to 15:29; untraded minutes are flat at the last close.
    grid = np.arange(jb.ts_ns[0], iso_to_ns("2019-01-04T15:30:00+05:30"), MINUTE)
    traded = np.searchsorted(jb.ts_ns, grid, side="right") - 1
    present = jb.ts_ns[traded] == grid
    np.testing.assert_array_equal(filled["start_ns"], grid)
    for column in ("open", "high", "low", "volume"):
        flat = 0.0 if column == "volume" else jb.close[traded]
        np.testing.assert_array_equal(filled[column], np.where(present, getattr(jb, column)[traded], flat))
    np.testing.assert_array_equal(filled["close"], jb.close[traded])
    np.testing.assert_array_equal(filled["ticks"], np.where(present, 4, 0))
    assert filled_agg.counters.late == 0


def test_flush_emits_only_ended_bars_and_later_ticks_for_them_are_late() -> None:
    b = nse_minute("RELIANCE")
    ts, price, qty = ticks_from_minutes(b)
    before_ten = ts < iso_to_ns("2021-04-01T10:00:00+05:30")
    agg = BarAggregator("15m", volume="quantity")
    got = agg.update(738561, ts[before_ten], price[before_ten], qty[before_ten])
    assert got["start_ns"].size == 2  # 09:15 and 09:30 closed by later ticks
    assert agg.flush(iso_to_ns("2021-04-01T09:59:59+05:30"))["start_ns"].size == 0
    open_bar = agg.open_bars()
    assert open_bar["start_ns"].tolist() == [iso_to_ns("2021-04-01T09:45:00+05:30")]
    flushed = agg.flush(np.datetime64("2021-04-01T04:30:00", "ns"))  # 10:00 IST
    assert_bars_equal(dict(flushed), dict(open_bar))
    assert agg.open_bars()["start_ns"].size == 0
    # A straggler stamped 09:59:59 after the bar was emitted is rejected, not merged.
    late = agg.update(738561, iso_to_ns("2021-04-01T09:59:59+05:30"), 2000.0, 1.0)
    assert late["start_ns"].size == 0
    assert agg.counters.late == 1
    after = agg.update(738561, ts[~before_ten], price[~before_ten], qty[~before_ten])
    assert_bars_equal(concat([got, flushed, after, agg.flush_all()]), resample(b, 15))


def test_out_of_order_ticks_are_rejected_and_counted() -> None:
    b = nse_minute("SBIN")
    ts, price, qty = ticks_from_minutes(b)
    ts, price, qty = ts[:400], price[:400], qty[:400]
    swapped = np.arange(ts.size)
    swapped[[100, 101]] = [101, 100]  # tick 101 arrives before tick 100
    agg = BarAggregator("5m", volume="quantity")
    got = concat([agg.update(7, ts[swapped], price[swapped], qty[swapped]), agg.flush_all()])
    assert agg.counters.late == 1
    assert agg.counters.accepted == 399
    assert got["ticks"].sum() == 399
    assert got["volume"].sum() == qty.sum() - qty[100]


def test_cumulative_first_reading_only_sets_the_baseline() -> None:
    # A restart at 11:00: the first volume_traded includes the whole morning, so it adds nothing.
    t0 = iso_to_ns("2021-04-01T11:00:00+05:30")
    agg = BarAggregator("1m")
    agg.update(5, [t0, t0 + NS, t0 + 2 * NS], [100.0, 101.0, 99.5], [1_000_000, 1_000_050, 1_000_020])
    got = agg.flush_all()
    assert got["volume"].tolist() == [50.0]
    assert got["ticks"].tolist() == [3]
    assert agg.counters.volume_resets == 1
    assert (got["open"][0], got["high"][0], got["low"][0], got["close"][0]) == (100.0, 101.0, 99.5, 99.5)


def test_invalid_ticks_are_counted() -> None:
    t0 = iso_to_ns("2021-04-01T09:20:00+05:30")
    agg = BarAggregator("1m", volume="quantity")
    agg.update(1, t0 + np.arange(5) * NS, [100.0, np.nan, 0.0, -1.0, 101.0], [1.0, 1.0, 1.0, 1.0, -5.0])
    assert agg.counters.invalid == 4
    assert agg.counters.accepted == 1
    neg = BarAggregator("1m", volume="quantity", allow_nonpositive_prices=True)
    neg.update(1, t0 + np.arange(2) * NS, [-37.6, 0.0], [1.0, 1.0])
    assert neg.flush_all()["low"].tolist() == [-37.6]


def test_one_second_bars_and_datetime_inputs() -> None:
    b = nse_minute("BANKNIFTY")
    ts, price, qty = ticks_from_minutes(b)
    agg = BarAggregator(dt.timedelta(seconds=1), volume="quantity")
    got = concat([agg.update(260105, ts.astype("datetime64[ns]"), price, qty), agg.flush_all()])
    np.testing.assert_array_equal(got["start_ns"], ts)
    np.testing.assert_array_equal(got["close"], price)
    when = dt.datetime(2021, 4, 13, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert agg.flush(when)["start_ns"].size == 0


def test_api_validation_and_exports() -> None:
    assert alphastock.BarAggregator is BarAggregator
    assert parse_interval("5minute") == 5 * MINUTE
    assert parse_interval("60minute") == 60 * MINUTE
    assert parse_interval("day") is None
    assert parse_interval(dt.timedelta(days=1)) is None
    for bad in ("2d", "0m", "5x", "24h", "", "1M"):
        with pytest.raises(ValueError, match="interval"):
            BarAggregator(bad)
    with pytest.raises(ValueError, match="session"):
        BarAggregator("1m", session=("15:30", "09:15"))
    with pytest.raises(ValueError, match="session start"):
        BarAggregator("1m", session=("9h15", "15:30"))
    with pytest.raises(ValueError, match="volume"):
        BarAggregator("1m", volume="delta")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trading calendar"):
        BarAggregator("1d", fill_gaps=True)
    agg = BarAggregator("1m", session=(dt.time(9, 0), "23:30"))
    assert agg.session == (dt.time(9, 0), dt.time(23, 30))
    assert agg.interval_ns == MINUTE
    assert agg.volume_mode == "cumulative"
    assert "1m" in repr(agg)
    with pytest.raises(ValueError, match="equal lengths"):
        agg.update([1, 2, 3], [1, 2], 100.0, 1.0)
    with pytest.raises(TypeError, match="token"):
        agg.update([1.5], [1], 100.0, 1.0)
    with pytest.raises(TypeError, match="ts_ns"):
        agg.update([1], [1.5], 100.0, 1.0)
    with pytest.raises(ValueError, match="timezone-aware"):
        agg.flush(dt.datetime(2021, 4, 1, 10, 0))
    assert agg.counters == BarCounters(0, 0, 0, 0, 0)
    assert agg.token_count == 0
    empty = agg.update(np.array([], dtype=np.int64), np.array([], dtype=np.int64), [], [])
    assert all(v.size == 0 for v in empty.values())
    assert empty["token"].dtype == np.int64
    assert empty["ticks"].dtype == np.int64
    agg.update(1, iso_to_ns("2021-04-01T10:00:00+05:30"), 100.0, 1.0)
    assert agg.token_count == 1
    agg.reset()
    assert agg.token_count == 0
    assert agg.open_bars()["token"].size == 0
