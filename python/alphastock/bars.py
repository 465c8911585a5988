"""Tick-to-bar aggregation in the Rust core, aligned to the IST trading session.

:class:`BarAggregator` turns ticks (token, UTC epoch-ns timestamp, price,
volume) of many instruments into OHLCV bars of one interval and hands closed
bars back as columns (:class:`Bars`). Rules:

* **Alignment.** Bars start at the session start (09:15:00 IST for NSE) and are
  labelled by their start, as Kite labels its candles: 1m bars are
  [09:15, 09:16), ..., 1h bars [09:15, 10:15), ..., and the last bar of the day is
  clipped at the session end (the 1h bar [15:15, 15:30)). Day bars (``"1d"``) are
  labelled 00:00 IST of the trading date and hold that date's session.
  IST is UTC+05:30 with no DST; timestamps stay UTC epoch ns throughout.
* **Closing.** A token's bar is emitted when that token's first tick of a later
  bar arrives (ticks of other tokens never close it), when :meth:`~BarAggregator.flush`
  is given a time at or after the bar's end, or by :meth:`~BarAggregator.flush_all`
  at session end.
* **Off-session ticks** (pre-open 09:00-09:15, post-close 15:30 onward, nights)
  are not aggregated by default; they are counted in ``counters.off_session``.
  In cumulative-volume mode they still move the volume baseline, so pre-open
  auction volume is not charged to the 09:15 bar. For other sessions (MCX trades
  09:00-23:30, or 23:55 in US daylight time) pass ``session=("09:00", "23:30")``;
  the session end is exclusive.
* **Late ticks**: a tick earlier than the token's last accepted (or off-session)
  tick, or inside a bar already emitted for it (e.g. by ``flush``), is rejected and
  counted in ``counters.late``, never merged.
* **Invalid ticks** (non-finite price, price <= 0 unless ``allow_nonpositive_prices``,
  non-finite or negative volume, absurd timestamps) are rejected and counted.
* **Gaps**: no empty bar is invented unless ``fill_gaps=True``; then every interval
  of a session after the token's first bar of that session gets a bar, flat at the
  previous close with zero volume and zero ticks, up to the session end (emitted
  as later ticks, ``flush(now)`` or ``flush_all()`` reach them). Intervals before a
  token's first trade of the day and nights are never filled; day bars cannot be
  filled (that needs a trading calendar).
* **Volume.** ``volume="cumulative"`` (the default) reads each tick's volume as the
  day's cumulative traded volume, Kite's ``volume_traded``: a tick adds the increase
  since the token's previous tick that IST day, so a bar's volume is the difference
  of cumulative volume across it. The first reading of a day only sets the
  baseline (it includes everything traded before, such as the pre-open auction or
  the morning before a restart), so subscribe before 09:15 to count the first trade.
  A decrease within a day (a feed reset) adds nothing, re-bases, and is counted in
  ``counters.volume_resets``. ``volume="quantity"`` reads it as the tick's own traded
  quantity (Kite's ``last_traded_quantity``, or a replayed bar's volume).

Volumes are in units (shares, or contracts' units, not lots), prices in rupees.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any, Literal, NamedTuple, TypedDict, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alphastock import _core

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
IST_OFFSET_NS = 19_800 * NS_PER_SECOND
"""India Standard Time is UTC+05:30 all year (no DST)."""
IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")

_UNIT_NS = {"s": NS_PER_SECOND, "m": 60 * NS_PER_SECOND, "h": 3600 * NS_PER_SECOND}
KITE_INTERVALS: dict[str, str] = {
    "minute": "1m",
    "3minute": "3m",
    "5minute": "5m",
    "10minute": "10m",
    "15minute": "15m",
    "30minute": "30m",
    "60minute": "1h",
    "day": "1d",
}
"""Kite Connect's historical-candle interval names -> ours (``minute`` -> ``1m``, ``60minute`` -> ``1h``)."""
_INTERVAL = re.compile(r"(\d+)([smhd])")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Bars(TypedDict):
    """Closed bars as columns, one row per bar (rows are in the order the bars closed)."""

    token: NDArray[np.int64]
    """Instrument token."""
    start_ns: NDArray[np.int64]
    """Bar label = bar start, UTC epoch ns (``.astype("datetime64[ns]")`` to view)."""
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    """Prices in rupees."""
    volume: NDArray[np.float64]
    """Traded quantity in the bar, in units."""
    ticks: NDArray[np.int64]
    """Ticks aggregated into the bar (0 for a gap-filling bar)."""


class BarCounters(NamedTuple):
    """What happened to every tick fed so far (see the module docstring)."""

    accepted: int
    off_session: int
    late: int
    invalid: int
    volume_resets: int


@functools.lru_cache(maxsize=128)
def parse_interval(interval: str | dt.timedelta) -> int | None:
    """Bar length in ns, or None for day bars (memoised: every signal and bar asks it, and parsing
    runs a regular expression; a bad interval raises every time, it is not cached).

    Accepts ``"<N>s"``, ``"<N>m"``, ``"<N>h"``, ``"1d"``, Kite's names (``"minute"``,
    ``"3minute"``, ..., ``"60minute"``, ``"day"``) or a :class:`datetime.timedelta`
    shorter than a day (or exactly one day, for day bars).
    """
    if isinstance(interval, dt.timedelta):
        ns = (interval // dt.timedelta(microseconds=1)) * 1000
        if ns == NS_PER_DAY:
            return None
        if not 0 < ns < NS_PER_DAY:
            raise ValueError(f"interval must be positive and shorter than a day (or one day), got {interval}")
        return ns
    text = KITE_INTERVALS.get(str(interval).strip(), str(interval).strip())
    match = _INTERVAL.fullmatch(text)
    if match is None:
        raise ValueError(
            "interval must look like '30s', '1m', '5m', '1h', '1d' or a Kite name like '5minute', "
            f"got {interval!r}"
        )
    count, unit = int(match.group(1)), match.group(2)
    if unit == "d":
        if count != 1:
            raise ValueError(f"interval: only one-day bars are supported, got {interval!r}")
        return None
    ns = count * _UNIT_NS[unit]
    if not 0 < ns < NS_PER_DAY:
        raise ValueError(f"interval must be positive and shorter than a day, got {interval!r}")
    return ns


def _time_of_day_ns(value: str | dt.time, name: str) -> int:
    if isinstance(value, dt.time):
        return (
            value.hour * 3600 + value.minute * 60 + value.second
        ) * NS_PER_SECOND + value.microsecond * 1000
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", str(value).strip())
    if match is None:
        raise ValueError(f"session {name} must be 'HH:MM', 'HH:MM:SS' or a datetime.time, got {value!r}")
    h, m, s = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if m > 59 or s > 59 or h * 3600 + m * 60 + s > 86_400:
        raise ValueError(f"session {name} is not a time of day: {value!r}")
    return (h * 3600 + m * 60 + s) * NS_PER_SECOND


def _to_ns(value: int | np.integer[Any] | np.datetime64 | dt.datetime, name: str) -> int:
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[ns]").astype(np.int64))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (a naive datetime is ambiguous), got {value}")
        return ((value - _EPOCH) // dt.timedelta(microseconds=1)) * 1000
    if isinstance(value, bool):
        raise TypeError(f"{name} must be epoch ns, a datetime64 or an aware datetime, got a bool")
    return int(value)


def _timestamps(ts_ns: ArrayLike) -> NDArray[np.int64]:
    array = np.asarray(ts_ns)
    if array.dtype.kind == "M":
        return array.astype("datetime64[ns]").view(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"ts_ns must be int64 epoch ns or datetime64, got dtype {array.dtype}")
    return array.astype(np.int64, casting="same_kind")


def _tokens(token: ArrayLike) -> NDArray[np.int64]:
    array = np.asarray(token)
    if array.dtype.kind not in "iu":
        raise TypeError(f"token must be integers, got dtype {array.dtype}")
    if array.dtype == np.uint64 and array.size and int(array.max()) > np.iinfo(np.int64).max:
        raise ValueError("token values must fit in int64")
    return array.astype(np.int64)


def ist_day(ts_ns: ArrayLike) -> NDArray[np.int64]:
    """IST calendar day (days since 1970-01-01 in IST) of UTC epoch-ns timestamps.

    One id per trading day: use it as ``session_id`` for :func:`alphastock.indicators.vwap`.
    """
    return (_timestamps(ts_ns) + IST_OFFSET_NS) // NS_PER_DAY


class BarAggregator:
    """Aggregates ticks of many tokens into closed OHLCV bars of one interval.

    Args:
        interval: ``"1s"``, ``"1m"``, ``"3m"``, ``"5m"``, ``"15m"``, ``"1h"``, ``"1d"`` (any
            ``<N>s/m/h`` shorter than a day works, as do Kite's ``"5minute"``-style names).
        session: (start, end) in IST, ``"HH:MM"`` or :class:`datetime.time`; end exclusive.
            Defaults to NSE's 09:15-15:30.
        volume: ``"cumulative"`` (Kite's ``volume_traded``) or ``"quantity"`` (per tick).
        fill_gaps: emit flat zero-volume bars for intervals without ticks, within a session.
        allow_nonpositive_prices: accept prices <= 0 (by default they are invalid:
            Kite sends 0 for "no trade yet"; MCX crude did trade below zero in April 2020).

    Example::

        agg = BarAggregator("5m")
        bars = agg.update(tokens, ts_ns, last_price, volume_traded)   # closed bars, as columns
        bars = agg.flush(now_ns)                                       # bars whose 5 minutes are up
    """

    def __init__(
        self,
        interval: str | dt.timedelta,
        *,
        session: tuple[str | dt.time, str | dt.time] = ("09:15", "15:30"),
        volume: Literal["cumulative", "quantity"] = "cumulative",
        fill_gaps: bool = False,
        allow_nonpositive_prices: bool = False,
    ) -> None:
        if volume not in ("cumulative", "quantity"):
            raise ValueError(f"volume must be 'cumulative' or 'quantity', got {volume!r}")
        self._interval_ns = parse_interval(interval)
        self._interval = interval
        start, end = (_time_of_day_ns(t, name) for t, name in zip(session, ("start", "end"), strict=True))
        self._session = (start, end)
        self._volume = volume
        self._core = _core.BarAggregator(
            self._interval_ns,
            start,
            end,
            cumulative_volume=volume == "cumulative",
            fill_gaps=bool(fill_gaps),
            allow_nonpositive_prices=bool(allow_nonpositive_prices),
        )

    @property
    def interval_ns(self) -> int | None:
        """Bar length in ns; None for day bars."""
        return self._interval_ns

    @property
    def session(self) -> tuple[dt.time, dt.time]:
        """Session (start, end) in IST; end exclusive (24:00 shows as 00:00)."""
        start, end = (
            (dt.datetime.min + dt.timedelta(microseconds=ns // 1000)).time() for ns in self._session
        )
        return start, end

    @property
    def volume_mode(self) -> Literal["cumulative", "quantity"]:
        """How tick volumes are read."""
        return self._volume

    def update(self, token: ArrayLike, ts_ns: ArrayLike, price: ArrayLike, volume: ArrayLike) -> Bars:
        """Feed ticks in arrival order; returns the bars they closed.

        Args:
            token: instrument token per tick (or one for all ticks).
            ts_ns: exchange timestamp per tick, UTC epoch ns (int64) or datetime64 (read as UTC).
            price: last traded price per tick, in rupees.
            volume: cumulative day volume or per-tick quantity (see ``volume``), in units.

        Raises:
            ValueError: the columns cannot be broadcast to one length (nothing is processed).
        """
        columns = (_tokens(token), _timestamps(ts_ns), np.asarray(price, dtype=np.float64))
        try:
            t, ts, p, v = np.broadcast_arrays(*columns, np.asarray(volume, dtype=np.float64))
        except ValueError:
            raise ValueError("token, ts_ns, price and volume must have equal lengths (or length 1)") from None
        if t.ndim != 1:
            t, ts, p, v = (a.reshape(-1) for a in (t, ts, p, v))
        return self._bars(
            self._core.update(
                np.ascontiguousarray(t),
                np.ascontiguousarray(ts),
                np.ascontiguousarray(p),
                np.ascontiguousarray(v),
            )
        )

    def flush(self, now_ns: int | np.integer[Any] | np.datetime64 | dt.datetime) -> Bars:
        """Emit every bar whose interval ended at or before ``now_ns`` (UTC epoch ns or a datetime).

        With ``fill_gaps``, also the flat bars of intervals that have ended since each token's last bar.
        """
        return self._bars(self._core.flush(_to_ns(now_ns, "now_ns")))

    def flush_all(self) -> Bars:
        """Emit every open bar (at session end or shutdown); with ``fill_gaps``, fill to the session end."""
        return self._bars(self._core.flush_all())

    def open_bars(self) -> Bars:
        """The bars still forming, one per token that has one; they stay open."""
        return self._bars(self._core.open_bars())

    @property
    def counters(self) -> BarCounters:
        """Counts of accepted, off-session, late and invalid ticks, and cumulative-volume resets."""
        return BarCounters(**dict(self._core.counters()))

    @property
    def token_count(self) -> int:
        """Tokens seen so far."""
        return self._core.token_count

    def reset(self) -> None:
        """Forget every token (open bars are dropped, not emitted) and zero the counters."""
        self._core.reset()

    @staticmethod
    def _bars(columns: dict[str, NDArray[Any]]) -> Bars:
        return cast(Bars, columns)

    def __repr__(self) -> str:
        start, end = self.session
        return (
            f"BarAggregator({self._interval!r}, session=({start:%H:%M:%S}, {end:%H:%M:%S}), "
            f"volume={self._volume!r}, tokens={self.token_count})"
        )


__all__ = [
    "IST",
    "IST_OFFSET_NS",
    "NS_PER_DAY",
    "NS_PER_SECOND",
    "BarAggregator",
    "BarCounters",
    "Bars",
    "ist_day",
    "parse_interval",
]
