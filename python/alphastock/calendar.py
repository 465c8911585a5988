"""Market calendar: trading days, session times and session phases per exchange (IST).

Holidays come from the NSE calendar of ``pandas_market_calendars`` (curated from
NSE circulars; it also models Muhurat sessions as special sessions) plus the
``calendar`` section of the configuration: holidays added or removed per
exchange (or for all, key ``ALL``), special sessions (a Muhurat evening on a
Sunday, a Saturday trial session) and the session times of each exchange.

Simplification: every exchange (BSE, NFO, BFO, CDS, MCX) uses the NSE holiday
list. In practice BSE/BFO share NSE's list exactly; MCX closes its morning
session on NSE holidays but often trades its evening session (17:00 onward) on
them — this calendar treats such a day as closed for MCX; add the day to
``special_sessions`` for MCX to trade it. Library special sessions (Muhurat) are
applied to every exchange with a 15-minute pre-open and no square-off window.

Phases of a trading day: CLOSED until pre-open, PRE_OPEN until open, OPEN until the
MIS square-off time, SQUARE_OFF until close, POST_CLOSE until midnight IST, then
CLOSED. A non-trading day is CLOSED throughout. Times are UTC epoch ns at the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from alphastock.clock import ist, ist_ns
from alphastock.config_model import ConfigModel
from alphastock.events import SessionPhase

ALL = "ALL"
"""Key of holidays that apply to every exchange."""
_MAX_SCAN_DAYS = 400


class SessionHours(ConfigModel):
    """One exchange's regular session (IST wall times); ``None`` pre-open/square-off = no such phase."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pre_open: dt.time | None = Field(None, description="IST; start of the pre-open call auction")
    open: dt.time = Field(..., description="IST; continuous trading starts")
    square_off: dt.time | None = Field(None, description="IST; broker MIS square-off, no new intraday risk")
    close: dt.time = Field(..., description="IST; continuous trading ends")


class SpecialSession(ConfigModel):
    """A session on a day that would otherwise be closed or has other hours (e.g. Muhurat trading)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    exchanges: list[str] = Field(default_factory=lambda: [ALL], description="exchanges, or ALL")
    pre_open: dt.time | None = None
    open: dt.time
    square_off: dt.time | None = None
    close: dt.time
    name: str = ""


def _default_sessions() -> dict[str, SessionHours]:
    t = dt.time
    nse = SessionHours(pre_open=t(9, 0), open=t(9, 15), square_off=t(15, 20), close=t(15, 30))
    fno = SessionHours(pre_open=t(9, 0), open=t(9, 15), square_off=t(15, 25), close=t(15, 30))
    return {
        "NSE": nse,
        "BSE": nse,
        "NFO": fno,
        "BFO": fno,
        "CDS": SessionHours(pre_open=None, open=t(9, 0), square_off=t(16, 45), close=t(17, 0)),
        "MCX": SessionHours(pre_open=None, open=t(9, 0), square_off=t(23, 25), close=t(23, 30)),
    }


class CalendarConfig(ConfigModel):
    """The ``calendar`` section: holiday overrides, special sessions and session hours (IST)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    library_calendar: str = Field("NSE", description="pandas_market_calendars calendar of the holidays")
    holidays_add: dict[str, list[dt.date]] = Field(
        default_factory=dict, description="extra closed days by exchange, or ALL"
    )
    holidays_remove: dict[str, list[dt.date]] = Field(
        default_factory=dict,
        description="library holidays that are trading days after all, by exchange or ALL",
    )
    special_sessions: list[SpecialSession] = Field(default_factory=list)
    sessions: dict[str, SessionHours] = Field(default_factory=_default_sessions)


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """One exchange's session on one day; instants are UTC epoch ns (``None``: no such phase)."""

    date: dt.date
    exchange: str
    pre_open: int | None
    open: int
    square_off: int | None
    close: int
    special: str | None = None
    """The special session's name when the day has one."""

    def boundaries(self) -> list[tuple[int, SessionPhase]]:
        """(instant, phase starting then) in time order, ending with POST_CLOSE."""
        out: list[tuple[int, SessionPhase]] = []
        if self.pre_open is not None:
            out.append((self.pre_open, SessionPhase.PRE_OPEN))
        out.append((self.open, SessionPhase.OPEN))
        if self.square_off is not None and self.open <= self.square_off < self.close:
            out.append((self.square_off, SessionPhase.SQUARE_OFF))
        out.append((self.close, SessionPhase.POST_CLOSE))
        return out


def _to_date(value: Any) -> dt.date:
    """A date from the library's values: numpy datetime64, pandas Timestamp or an ISO string."""
    if isinstance(value, np.datetime64):
        return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@lru_cache(maxsize=4)
def _library_calendar(name: str) -> tuple[frozenset[dt.date], tuple[tuple[dt.date, dt.time, dt.time], ...]]:
    """Holidays and special sessions (date, open, close) of a pandas_market_calendars calendar."""
    import pandas_market_calendars as mcal  # lazily: it imports pandas (~0.5 s) and is needed once

    cal: Any = mcal.get_calendar(name)
    holidays = frozenset(_to_date(d) for d in cal.holidays().holidays)
    opens: dict[dt.date, dt.time] = {}
    closes: dict[dt.date, dt.time] = {}
    for at, days in cal.special_opens_adhoc:
        for day in days:
            opens[_to_date(day)] = at
    for at, days in cal.special_closes_adhoc:
        for day in days:
            closes[_to_date(day)] = at
    # Muhurat-style sessions only: a special open with its own close (the 1990s odd closes are history)
    specials = tuple(sorted((day, opens[day], closes[day]) for day in opens if day in closes))
    return holidays, specials


class MarketCalendar:
    """Trading days and sessions per exchange, from the library's holidays and the config overrides."""

    def __init__(self, config: CalendarConfig | None = None) -> None:
        self.config = config or CalendarConfig()
        holidays, library_specials = _library_calendar(self.config.library_calendar)
        self._holidays = holidays
        self._add = {k.upper(): frozenset(v) for k, v in self.config.holidays_add.items()}
        self._remove = {k.upper(): frozenset(v) for k, v in self.config.holidays_remove.items()}
        self._specials: dict[tuple[dt.date, str], SpecialSession] = {}
        for day, open_, close in library_specials:
            pre = (dt.datetime.combine(day, open_) - dt.timedelta(minutes=15)).time()
            special = SpecialSession(date=day, pre_open=pre, open=open_, close=close, name="library special")
            self._specials[(day, ALL)] = special
        for special in self.config.special_sessions:  # config wins over the library
            for exchange in special.exchanges:
                self._specials[(special.date, exchange.upper())] = special
        # The calendar is immutable once built, and runners ask the same days on every timer pass.
        self._trading: dict[tuple[dt.date, str], bool] = {}

    @classmethod
    def from_config(cls, cfg: Any) -> MarketCalendar:
        """Build from an :class:`~alphastock.config.AlphaStockConfig` (its ``calendar`` section),
        a :class:`CalendarConfig`, or ``None`` for the defaults."""
        if cfg is None or isinstance(cfg, CalendarConfig):
            return cls(cfg)
        return cls(cfg.calendar)

    def exchanges(self) -> list[str]:
        """Exchanges with configured session hours."""
        return sorted(self.config.sessions)

    def hours(self, exchange: str) -> SessionHours:
        """Regular hours of ``exchange``; KeyError names the configured ones when unknown."""
        try:
            return self.config.sessions[exchange.upper()]
        except KeyError:
            raise KeyError(f"no session hours for exchange {exchange!r}; known: {self.exchanges()}") from None

    def _special(self, day: dt.date, exchange: str) -> SpecialSession | None:
        return self._specials.get((day, exchange)) or self._specials.get((day, ALL))

    def is_holiday(self, day: dt.date, exchange: str = "NSE") -> bool:
        """True when ``day`` is a listed holiday of ``exchange`` (weekends are not "holidays" here)."""
        ex = exchange.upper()
        if day in self._add.get(ex, ()) or day in self._add.get(ALL, ()):
            return True
        if day in self._remove.get(ex, ()) or day in self._remove.get(ALL, ()):
            return False
        return day in self._holidays

    def is_trading_day(self, day: dt.date, exchange: str = "NSE") -> bool:
        """True when ``exchange`` trades on ``day`` (a weekday that is no holiday, or a special session)."""
        ex = exchange.upper()
        known = self._trading.get((day, ex))
        if known is not None:
            return known
        self.hours(ex)
        trades = self._special(day, ex) is not None or (day.weekday() < 5 and not self.is_holiday(day, ex))
        self._trading[(day, ex)] = trades
        return trades

    def next_trading_day(self, day: dt.date, exchange: str = "NSE") -> dt.date:
        """The first trading day strictly after ``day``."""
        return self._scan(day, exchange, 1)

    def previous_trading_day(self, day: dt.date, exchange: str = "NSE") -> dt.date:
        """The last trading day strictly before ``day``."""
        return self._scan(day, exchange, -1)

    def _scan(self, day: dt.date, exchange: str, step: int) -> dt.date:
        for n in range(1, _MAX_SCAN_DAYS):
            candidate = day + dt.timedelta(days=n * step)
            if self.is_trading_day(candidate, exchange):
                return candidate
        raise ValueError(f"no trading day of {exchange} within {_MAX_SCAN_DAYS} days of {day}")

    def trading_days(self, start: dt.date, end: dt.date, exchange: str = "NSE") -> list[dt.date]:
        """Trading days from ``start`` to ``end`` inclusive."""
        days = (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
        return [d for d in days if self.is_trading_day(d, exchange)]

    def session(self, day: dt.date, exchange: str = "NSE") -> SessionTimes | None:
        """The session of ``exchange`` on ``day``, or ``None`` when it does not trade that day."""
        ex = exchange.upper()
        if not self.is_trading_day(day, ex):
            return None
        special = self._special(day, ex)
        hours: SessionHours | SpecialSession = special if special is not None else self.hours(ex)

        def at(t: dt.time | None) -> int | None:
            return None if t is None else ist_ns(day, t)

        return SessionTimes(
            date=day,
            exchange=ex,
            pre_open=at(hours.pre_open),
            open=ist_ns(day, hours.open),
            square_off=at(hours.square_off),
            close=ist_ns(day, hours.close),
            special=None if special is None else (special.name or "special"),
        )

    def phase_at(self, ts_ns: int, exchange: str = "NSE") -> SessionPhase:
        """The session phase of ``exchange`` at ``ts_ns`` (UTC epoch ns); a phase starts at its boundary."""
        session = self.session(ist(ts_ns).date(), exchange)
        if session is None:
            return SessionPhase.CLOSED
        phase = SessionPhase.CLOSED
        for start, next_phase in session.boundaries():
            if ts_ns < start:
                break
            phase = next_phase
        return phase

    def next_phase_change(self, ts_ns: int, exchange: str = "NSE") -> tuple[int, SessionPhase] | None:
        """The first instant after ``ts_ns`` at which the phase of ``exchange`` changes, and the new
        phase (UTC epoch ns); ``None`` when nothing changes within ~a year."""
        current = self.phase_at(ts_ns, exchange)
        day = ist(ts_ns).date()
        for n in range(_MAX_SCAN_DAYS):
            d = day + dt.timedelta(days=n)
            for start, phase in self._day_boundaries(d, exchange):
                if start > ts_ns and phase != current:
                    return start, phase
                if start > ts_ns:
                    current = phase
        return None

    def _day_boundaries(self, day: dt.date, exchange: str) -> Iterable[tuple[int, SessionPhase]]:
        session = self.session(day, exchange)
        if session is not None:
            yield from session.boundaries()
        # midnight IST ends the day: whatever the phase, the next day starts CLOSED
        yield ist_ns(day + dt.timedelta(days=1), dt.time(0, 0)), SessionPhase.CLOSED


__all__ = [
    "ALL",
    "CalendarConfig",
    "MarketCalendar",
    "SessionHours",
    "SessionTimes",
    "SpecialSession",
]
