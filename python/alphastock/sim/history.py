"""Historical candles (``GET /instruments/historical/{token}/{interval}``).

Today's candles are the minute bars the market model recorded up to now (the
bar in progress included). Earlier days are synthesised deterministically from
the seed and the token: a daily random walk backwards from the previous close,
and within each day a Brownian bridge from open to close sampled per minute, so
the same request always gives the same candles. Weekends are skipped; holidays
are not modelled.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from alphastock.sim.config import IST
from alphastock.sim.errors import input_error
from alphastock.sim.market import KIND_OPTION, MarketModel

INTERVALS = {"minute": 1, "3minute": 3, "5minute": 5, "10minute": 10, "15minute": 15, "30minute": 30,
             "60minute": 60, "day": 0}  # fmt: skip
MAX_DAYS = {1: 60, 3: 100, 5: 100, 10: 100, 15: 200, 30: 200, 60: 400, 0: 2000}
Candle = list[object]


def _parse(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise input_error("Invalid `from` or `to` date.") from None
    return value.replace(tzinfo=IST) if value.tzinfo is None else value


def _stamp(epoch_s: int) -> str:
    return dt.datetime.fromtimestamp(epoch_s, IST).strftime("%Y-%m-%dT%H:%M:%S+0530")


Row = tuple[int, float, float, float, float, int, int]


def _past_minutes(model: MarketModel, i: int, day: dt.date, close: float) -> list[Row]:
    """Synthetic minute bars of a past day closing at ``close``: (epoch s, o, h, l, c, volume, oi)."""
    rng = np.random.Generator(np.random.PCG64([model.config.seed, int(model.token[i]), day.toordinal()]))
    sigma = (1.0 if model.kind[i] == KIND_OPTION else model.vol[model.und[i]]) * 0.6
    step = sigma / np.sqrt(252 * 375)
    walk = np.cumsum(rng.standard_normal(375) * step)
    bridge = walk - np.linspace(0, 1, 375) * walk[-1]  # ends at zero: the last minute closes at `close`
    prices = close * np.exp(bridge - bridge[-1])
    tick = float(model.tick[i])
    prices = np.round(np.maximum(np.round(prices / tick) * tick, tick), 2)
    volume = rng.integers(0, 50, 375) * int(model.lot[i]) * (model.kind[i] != 0)
    start = int(dt.datetime.combine(day, dt.time(9, 15), IST).timestamp())
    oi = int(model.oi[i])
    opens = np.concatenate([[prices[0]], prices[:-1]])
    return [
        (start + 60 * k, float(opens[k]), float(max(opens[k], prices[k])), float(min(opens[k], prices[k])),
         float(prices[k]), int(volume[k]), oi)
        for k in range(375)
    ]  # fmt: skip


def _past_closes(model: MarketModel, i: int, days: list[dt.date]) -> list[float]:
    """Closes of the given past days (most recent last), walking back from the previous close."""
    rng = np.random.Generator(np.random.PCG64([model.config.seed, int(model.token[i]), 7]))
    sigma = (0.5 if model.kind[i] == KIND_OPTION else model.vol[model.und[i]]) / np.sqrt(252)
    returns = rng.standard_normal(len(days)) * sigma
    closes = float(model.close[i]) * np.exp(-np.concatenate([[0.0], np.cumsum(returns[:-1])]))
    return [float(c) for c in closes[::-1]]


def candles(model: MarketModel, i: int, interval: str, start: str, end: str, oi: bool) -> list[Candle]:
    """Kite's ``candles`` rows ``[timestamp, open, high, low, close, volume(, oi)]`` for instrument ``i``."""
    minutes = INTERVALS.get(interval)
    if minutes is None:
        raise input_error("Invalid `interval`.")
    t0, t1 = _parse(start), _parse(end)
    if t1 < t0:
        raise input_error("`from` date must be before `to` date.")
    if (t1 - t0).days > MAX_DAYS[minutes]:
        raise input_error(f"interval exceeds max limit: {MAX_DAYS[minutes]} days")
    today = model.day
    past_days: list[dt.date] = []
    d = max(t0.date(), today - dt.timedelta(days=MAX_DAYS[minutes] + 5))
    while d < today and d <= t1.date():
        if d.weekday() < 5:
            past_days.append(d)
        d += dt.timedelta(days=1)
    # Walk back from today over every weekday so a day's close does not depend on the window asked.
    span: list[dt.date] = []
    d = today - dt.timedelta(days=1)
    while past_days and d >= past_days[0]:
        if d.weekday() < 5:
            span.append(d)
        d -= dt.timedelta(days=1)
    closes = dict(zip(span[::-1], _past_closes(model, i, span[::-1]), strict=True)) if span else {}
    rows: list[Row] = []
    for day in past_days:
        rows.extend(_past_minutes(model, i, day, closes[day]))
    for ts, bar, vol in [*model.minute_bars, model.current_bar()]:
        if ts >= 0 and bar[i, 0] > 0:
            o_, h, lo, c = (round(float(x), 2) for x in bar[i])
            rows.append((int(ts), o_, h, lo, c, int(vol[i]), int(model.oi[i])))
    lo_s, hi_s = int(t0.timestamp()), int(t1.timestamp())
    rows = [r for r in rows if lo_s <= r[0] <= hi_s]
    out: list[Candle] = []
    bucket: list[Row] = []

    def flush() -> None:
        if bucket:
            first, last = bucket[0], bucket[-1]
            row: Candle = [_stamp(first[0] if minutes else _day_start(first[0])), first[1],
                           max(b[2] for b in bucket), min(b[3] for b in bucket), last[4],
                           sum(b[5] for b in bucket)]  # fmt: skip
            if oi:
                row.append(last[6])
            out.append(row)
            bucket.clear()

    key_prev = None
    for r in rows:
        key = _day_start(r[0]) if minutes == 0 else _bucket_start(r[0], minutes)
        if key != key_prev:
            flush()
            key_prev = key
        bucket.append(r)
    flush()
    return out


def _day_start(ts: int) -> int:
    return (ts + 19800) // 86400 * 86400 - 19800


def _bucket_start(ts: int, minutes: int) -> int:
    session_start = _day_start(ts) + 555 * 60
    return session_start + (ts - session_start) // (60 * minutes) * 60 * minutes


__all__ = ["INTERVALS", "candles"]
