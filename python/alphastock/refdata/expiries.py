"""Expiry rules, read from the listed expiries of the instruments dump and never from weekday rules
(DESIGN.md §4: expiries come from the daily dump; exchanges move expiry days).

The *weekly* expiry of an underlying on a date is its nearest listed option expiry on or after it
(where no weeklies are listed that is the nearest monthly, as the data says); its *monthly* expiries
are the last listed expiry of each calendar month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from alphastock.models import IST


def today_ist() -> dt.date:
    """Today's date in India (the date of the day's instruments dump)."""
    return dt.datetime.now(IST).date()


def nearest_on_or_after(expiries: Iterable[dt.date], day: dt.date) -> dt.date | None:
    """The earliest of ``expiries`` on or after ``day`` (None when every one is before it)."""
    return min((e for e in expiries if e >= day), default=None)


def monthly(expiries: Iterable[dt.date]) -> list[dt.date]:
    """The last of ``expiries`` in each calendar month, ascending."""
    last: dict[tuple[int, int], dt.date] = {}
    for expiry in sorted(expiries):
        last[(expiry.year, expiry.month)] = expiry
    return sorted(last.values())


__all__ = ["monthly", "nearest_on_or_after", "today_ist"]
