"""MarketCalendar: NSE holidays from the library, overrides, special sessions, phases at boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from alphastock.calendar import CalendarConfig, MarketCalendar, SessionHours, SpecialSession
from alphastock.clock import ist, ist_ns
from alphastock.config import load_config
from alphastock.events import SessionPhase

D = dt.date
T = dt.time
CAL = MarketCalendar()

# NSE's published 2026 trading holidays that fall on weekdays (NSE circular, checked against the library)
NSE_2026_WEEKDAY_HOLIDAYS = [
    D(2026, 1, 26),  # Republic Day
    D(2026, 3, 3),  # Holi
    D(2026, 3, 26),  # Ram Navami
    D(2026, 3, 31),  # Mahavir Jayanti
    D(2026, 4, 3),  # Good Friday
    D(2026, 4, 14),  # Ambedkar Jayanti
    D(2026, 5, 1),  # Maharashtra Day
    D(2026, 10, 2),  # Gandhi Jayanti
    D(2026, 11, 10),  # Diwali Balipratipada
    D(2026, 11, 24),  # Guru Nanak Jayanti
    D(2026, 12, 25),  # Christmas
]


@pytest.mark.parametrize("day", NSE_2026_WEEKDAY_HOLIDAYS)
def test_known_2026_nse_holidays_are_closed(day: dt.date) -> None:
    assert day.weekday() < 5
    assert not CAL.is_trading_day(day, "NSE")
    assert not CAL.is_trading_day(day, "MCX")  # MCX follows the NSE list (documented simplification)
    assert CAL.session(day, "NSE") is None
    assert CAL.phase_at(ist_ns(day, T(10, 0)), "NSE") is SessionPhase.CLOSED


def test_weekends_and_ordinary_days() -> None:
    assert CAL.is_trading_day(D(2026, 1, 27))
    assert not CAL.is_trading_day(D(2026, 8, 15))  # Independence Day 2026 is a Saturday
    assert not CAL.is_trading_day(D(2026, 11, 8))  # Diwali Sunday: no regular session
    assert CAL.next_trading_day(D(2026, 1, 23)) == D(2026, 1, 27)  # over the weekend and Republic Day
    assert CAL.previous_trading_day(D(2026, 1, 27)) == D(2026, 1, 23)
    assert CAL.next_trading_day(D(2026, 4, 2)) == D(2026, 4, 6)  # Good Friday + weekend
    assert len(CAL.trading_days(D(2026, 3, 30), D(2026, 4, 5))) == 3  # Mar 31 and Apr 3 closed


def test_regular_session_times_in_ist() -> None:
    nse = CAL.session(D(2026, 1, 12), "NSE")
    assert nse is not None
    assert ist(nse.pre_open or 0).time() == T(9, 0)
    assert ist(nse.open).time() == T(9, 15)
    assert ist(nse.square_off or 0).time() == T(15, 20)
    assert ist(nse.close).time() == T(15, 30)
    nfo = CAL.session(D(2026, 1, 12), "nfo")
    assert nfo is not None
    assert ist(nfo.square_off or 0).time() == T(15, 25)
    mcx = CAL.session(D(2026, 1, 12), "MCX")
    assert mcx is not None
    assert mcx.pre_open is None
    assert (ist(mcx.open).time(), ist(mcx.close).time()) == (T(9, 0), T(23, 30))


@pytest.mark.parametrize(
    ("at", "phase"),
    [
        (T(0, 0), SessionPhase.CLOSED),
        (T(8, 59, 59, 999999), SessionPhase.CLOSED),
        (T(9, 0), SessionPhase.PRE_OPEN),
        (T(9, 14, 59), SessionPhase.PRE_OPEN),
        (T(9, 15), SessionPhase.OPEN),
        (T(15, 19, 59), SessionPhase.OPEN),
        (T(15, 20), SessionPhase.SQUARE_OFF),
        (T(15, 29, 59), SessionPhase.SQUARE_OFF),
        (T(15, 30), SessionPhase.POST_CLOSE),
        (T(23, 59, 59), SessionPhase.POST_CLOSE),
    ],
)
def test_nse_phases_at_boundary_instants(at: dt.time, phase: SessionPhase) -> None:
    assert CAL.phase_at(ist_ns(D(2026, 1, 12), at), "NSE") is phase


def test_mcx_evening_and_next_phase_change() -> None:
    day = D(2026, 1, 12)
    assert CAL.phase_at(ist_ns(day, T(20, 0)), "MCX") is SessionPhase.OPEN
    assert CAL.phase_at(ist_ns(day, T(23, 25)), "MCX") is SessionPhase.SQUARE_OFF
    assert CAL.phase_at(ist_ns(day, T(23, 30)), "MCX") is SessionPhase.POST_CLOSE
    assert CAL.phase_at(ist_ns(day, T(20, 0)), "NSE") is SessionPhase.POST_CLOSE
    # Friday 2026-01-23 after the close: midnight -> CLOSED, then Tuesday's pre-open (Monday is a holiday)
    change = CAL.next_phase_change(ist_ns(D(2026, 1, 23), T(16, 0)), "NSE")
    assert change == (ist_ns(D(2026, 1, 24), T(0, 0)), SessionPhase.CLOSED)
    change = CAL.next_phase_change(change[0], "NSE")
    assert change == (ist_ns(D(2026, 1, 27), T(9, 0)), SessionPhase.PRE_OPEN)


def test_library_muhurat_session_2025() -> None:
    # NSE's Muhurat trading 2025-10-21 (a weekday holiday otherwise): 13:45-14:45 IST
    session = CAL.session(D(2025, 10, 21), "NSE")
    assert session is not None
    assert session.special
    assert (ist(session.open).time(), ist(session.close).time()) == (T(13, 45), T(14, 45))
    assert ist(session.pre_open or 0).time() == T(13, 30)
    assert CAL.phase_at(ist_ns(D(2025, 10, 21), T(10, 0))) is SessionPhase.CLOSED
    assert CAL.phase_at(ist_ns(D(2025, 10, 21), T(14, 0))) is SessionPhase.OPEN


def test_overrides_and_special_sessions_from_config() -> None:
    cfg = CalendarConfig(
        holidays_add={"ALL": [D(2026, 1, 27)], "MCX": [D(2026, 1, 28)]},
        holidays_remove={"NSE": [D(2026, 3, 3)]},
        special_sessions=[
            SpecialSession(
                date=D(2026, 11, 8), exchanges=["NSE", "MCX"], open=T(18, 0), close=T(19, 0), name="muhurat"
            )
        ],
        sessions={
            "NSE": SessionHours(pre_open=T(9, 0), open=T(9, 15), square_off=T(15, 20), close=T(15, 30)),
            "MCX": SessionHours(open=T(9, 0), square_off=T(23, 50), close=T(23, 55)),
        },
    )
    cal = MarketCalendar.from_config(cfg)
    assert not cal.is_trading_day(D(2026, 1, 27), "NSE")
    assert not cal.is_trading_day(D(2026, 1, 27), "MCX")
    assert cal.is_trading_day(D(2026, 1, 28), "NSE")
    assert not cal.is_trading_day(D(2026, 1, 28), "MCX")
    assert cal.is_trading_day(D(2026, 3, 3), "NSE")
    assert not cal.is_trading_day(D(2026, 3, 3), "MCX")
    sunday = cal.session(D(2026, 11, 8), "NSE")
    assert sunday is not None
    assert sunday.special == "muhurat"
    assert cal.phase_at(ist_ns(D(2026, 11, 8), T(18, 30))) is SessionPhase.OPEN
    assert cal.phase_at(ist_ns(D(2026, 11, 8), T(19, 0))) is SessionPhase.POST_CLOSE
    mcx = cal.session(D(2026, 1, 12), "MCX")
    assert mcx is not None
    assert ist(mcx.close).time() == T(23, 55)
    with pytest.raises(KeyError, match="NFO"):
        cal.session(D(2026, 1, 12), "NFO")


def test_calendar_section_of_the_config() -> None:
    cfg = load_config(
        environ={},
        overrides={"calendar": {"holidays_add": {"ALL": ["2026-01-12"]}}},
    )
    assert cfg.calendar.holidays_add == {"ALL": [D(2026, 1, 12)]}
    cal = MarketCalendar.from_config(cfg)
    assert not cal.is_trading_day(D(2026, 1, 12))
    assert MarketCalendar.from_config(None).is_trading_day(D(2026, 1, 12))
