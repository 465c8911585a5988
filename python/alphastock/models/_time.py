"""Kite timestamps to UTC epoch nanoseconds (int), the project's one internal time unit.

Kite writes IST wall-clock strings (``"2021-05-31 09:18:57"``), ISO strings with an
offset in candles (``"2017-12-15T09:15:00+0530"``), and the kiteconnect SDK hands
back naive IST ``datetime`` objects for the same fields. Naive values are IST.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NS_PER_SECOND = 1_000_000_000


def datetime_to_ns(value: dt.datetime) -> int:
    """UTC epoch nanoseconds of ``value``; a naive datetime is read as IST."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=IST)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1_000


def ns_to_datetime(ns: int) -> dt.datetime:
    """The IST datetime of UTC epoch nanoseconds ``ns`` (microsecond precision)."""
    return (_EPOCH + dt.timedelta(microseconds=ns // 1_000)).astimezone(IST)


def kite_ts_to_ns(value: Any) -> int | None:
    """Parse a Kite timestamp (IST string, ISO string with offset, datetime, date or int ns) to UTC ns.

    ``None`` and the empty string give ``None``; an int is taken as nanoseconds already.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError(f"not a timestamp: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return datetime_to_ns(value)
    if isinstance(value, dt.date):
        return datetime_to_ns(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, str):
        return datetime_to_ns(dt.datetime.fromisoformat(value.strip()))
    raise TypeError(f"not a timestamp: {value!r}")


def kite_date(value: Any) -> dt.date | None:
    """Parse an instruments-dump date (``"2024-06-27"``, a date or a datetime); empty gives ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip()[:10])
    raise TypeError(f"not a date: {value!r}")


def ts_fields_to_ns(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """A copy of ``data`` with the named timestamp fields (when present) converted to UTC ns."""
    out = dict(data)
    for name in names:
        if name in out:
            out[name] = kite_ts_to_ns(out[name])
    return out


__all__ = ["IST", "NS_PER_SECOND", "datetime_to_ns", "kite_date", "kite_ts_to_ns", "ns_to_datetime"]
