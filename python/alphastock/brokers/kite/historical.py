"""Historical candles: a long range cut into Kite's per-request spans, fetched within the
historical rate limit (3 requests/s, through the broker's shared limiter) and stored as bars.

Kite serves at most 60 days of minute candles per request, 100 days of 3/5/10-minute, 200 of
15/30-minute, 400 of 60-minute and 2000 of daily candles. :func:`chunk_range` cuts
``[from, to]`` (both inclusive, as Kite reads them) into consecutive requests that do not
overlap: each ends one second before the next begins.

Storage (:func:`store_candles`) is idempotent by replacement: the bars of the token and
interval inside the fetched range are deleted and the fetched ones inserted in one
transaction, so fetching a range again never duplicates bars. Bars are stored with the
store's interval names (``minute`` -> ``1m``, ``60minute`` -> ``1h``, ``day`` -> ``1d``),
``start_ns`` = the candle's start (UTC ns) and ``ticks`` = 0 (a broker candle does not say
how many ticks it aggregated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from alphastock.bars import KITE_INTERVALS
from alphastock.models import Candle, datetime_to_ns
from alphastock.ports import CandleInterval, HistoricalSource
from alphastock.store import BAR_SCHEMA, Store

MAX_SPAN_DAYS: dict[str, int] = {
    "minute": 60, "3minute": 100, "5minute": 100, "10minute": 100,
    "15minute": 200, "30minute": 200, "60minute": 400, "day": 2000,
}  # fmt: skip
"""Kite's longest range of one historical request, days, per interval."""

BAR_INTERVALS: dict[str, str] = KITE_INTERVALS
"""Kite's interval names -> the ``bars`` table's (:data:`alphastock.bars.KITE_INTERVALS`)."""

_ONE_SECOND = dt.timedelta(seconds=1)


def chunk_range(
    start: dt.datetime, end: dt.datetime, interval: CandleInterval
) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[start, end]`` as consecutive inclusive request ranges of at most Kite's span for ``interval``."""
    if interval not in MAX_SPAN_DAYS:
        raise ValueError(f"unknown interval {interval!r}")
    if end < start:
        raise ValueError("the range ends before it starts")
    span = dt.timedelta(days=MAX_SPAN_DAYS[interval])
    chunks: list[tuple[dt.datetime, dt.datetime]] = []
    cursor = start
    while cursor <= end:
        stop = min(cursor + span - _ONE_SECOND, end)
        chunks.append((cursor, stop))
        cursor = stop + _ONE_SECOND
    return chunks


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_candles` did: candles fetched, requests sent, bars stored."""

    candles: list[Candle]
    requests: int
    stored: int = 0


Progress = Callable[[int, int], None]
"""Called after each request with (requests done, requests in all)."""


async def fetch_candles(
    broker: HistoricalSource,
    instrument_token: int,
    start: dt.datetime,
    end: dt.datetime,
    interval: CandleInterval,
    *,
    oi: bool = False,
    continuous: bool = False,
    progress: Progress | None = None,
) -> FetchResult:
    """Candles of ``[start, end]`` in as many requests as Kite's spans need, oldest first, without
    duplicates at chunk edges. Naive datetimes are IST."""
    chunks = chunk_range(start, end, interval)
    seen: set[int] = set()
    candles: list[Candle] = []
    for done, (lo, hi) in enumerate(chunks, start=1):
        for candle in await broker.historical(
            instrument_token, lo, hi, interval, continuous=continuous, oi=oi
        ):
            if candle.ts not in seen:
                seen.add(candle.ts)
                candles.append(candle)
        if progress is not None:
            progress(done, len(chunks))
    candles.sort(key=lambda c: c.ts)
    return FetchResult(candles, len(chunks))


def bars_from_candles(instrument_token: int, interval: CandleInterval, candles: Sequence[Candle]) -> pa.Table:
    """A :data:`~alphastock.store.BAR_SCHEMA` batch of ``candles``."""
    rows = len(candles)
    return pa.table(
        {
            "token": pa.array([instrument_token] * rows, pa.int64()),
            "interval": pa.array([BAR_INTERVALS[interval]] * rows, pa.string()),
            "start_ns": pa.array([c.ts for c in candles], pa.int64()),
            "open": pa.array([c.open for c in candles], pa.float64()),
            "high": pa.array([c.high for c in candles], pa.float64()),
            "low": pa.array([c.low for c in candles], pa.float64()),
            "close": pa.array([c.close for c in candles], pa.float64()),
            "volume": pa.array([c.volume for c in candles], pa.int64()),
            "ticks": pa.array([0] * rows, pa.int64()),
        },
        schema=BAR_SCHEMA,
    )


def store_candles(
    store: Store,
    instrument_token: int,
    interval: CandleInterval,
    start: dt.datetime,
    end: dt.datetime,
    candles: Sequence[Candle],
) -> int:
    """Replace the stored bars of ``instrument_token``/``interval`` starting in ``[start, end]`` with
    ``candles`` in one transaction; returns the bars written."""
    batch = bars_from_candles(instrument_token, interval, candles)
    with store.transaction() as cur:
        cur.execute(
            "DELETE FROM bars WHERE token = ? AND interval = ? AND start_ns BETWEEN ? AND ?",
            [instrument_token, BAR_INTERVALS[interval], datetime_to_ns(start), datetime_to_ns(end)],
        )
        cur.register("_candle_batch", batch)
        try:
            cur.execute(f"INSERT INTO bars ({', '.join(BAR_SCHEMA.names)}) SELECT * FROM _candle_batch")
        finally:
            cur.unregister("_candle_batch")
    return len(candles)


__all__ = [
    "BAR_INTERVALS",
    "MAX_SPAN_DAYS",
    "FetchResult",
    "Progress",
    "bars_from_candles",
    "chunk_range",
    "fetch_candles",
    "store_candles",
]
