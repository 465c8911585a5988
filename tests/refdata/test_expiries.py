"""Expiry rules over listed dates: the nearest on or after a day, the monthly (last of each month)."""

from __future__ import annotations

import datetime as dt

from alphastock.refdata.expiries import monthly, nearest_on_or_after

D = dt.date
LISTED = [D(2026, 1, 13), D(2026, 1, 20), D(2026, 1, 27), D(2026, 2, 3), D(2026, 2, 24), D(2026, 3, 31)]


def test_nearest_on_or_after() -> None:
    assert nearest_on_or_after(LISTED, D(2026, 1, 12)) == D(2026, 1, 13)
    assert nearest_on_or_after(LISTED, D(2026, 1, 13)) == D(2026, 1, 13)  # expiry day itself
    assert nearest_on_or_after(LISTED, D(2026, 1, 14)) == D(2026, 1, 20)
    assert nearest_on_or_after(reversed(LISTED), D(2026, 2, 4)) == D(2026, 2, 24)  # order does not matter
    assert nearest_on_or_after(LISTED, D(2026, 4, 1)) is None
    assert nearest_on_or_after([], D(2026, 1, 1)) is None


def test_monthly_is_the_last_listed_expiry_of_each_month() -> None:
    assert monthly(LISTED) == [D(2026, 1, 27), D(2026, 2, 24), D(2026, 3, 31)]
    assert monthly(reversed(LISTED)) == [D(2026, 1, 27), D(2026, 2, 24), D(2026, 3, 31)]
    assert monthly([]) == []
