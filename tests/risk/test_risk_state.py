"""Trading states: ACTIVE / REDUCING / HALTED, manual and automatic transitions, history and reset_day."""

from __future__ import annotations

import time

import pytest

from alphastock.risk import TradingState
from tests.risk._intents import NIFTY_CE, SECOND, T0, engine, option


def test_new_engine_is_active_with_no_history() -> None:
    e = engine()
    assert (e.state, e.state_reason, e.state_history()) == ("ACTIVE", "engine created", [])


def test_kill_resume_and_set_state_are_recorded_with_reasons() -> None:
    e = engine()
    assert e.kill("operator pressed kill", T0) is True
    assert e.kill("again", T0 + 1) is False  # already HALTED: nothing recorded
    assert e.set_state(TradingState.REDUCING, "winding down", T0 + 2) is True
    assert e.resume("all clear", T0 + 3) is True
    assert e.state == TradingState.ACTIVE
    assert e.state_history() == [
        (T0, "ACTIVE", "HALTED", "operator pressed kill"),
        (T0 + 2, "HALTED", "REDUCING", "winding down"),
        (T0 + 3, "REDUCING", "ACTIVE", "all clear"),
    ]
    assert e.state_reason == "all clear"


def test_state_changes_need_a_reason_and_a_known_state() -> None:
    e = engine()
    with pytest.raises(ValueError, match=r"^a state change needs a reason$"):
        e.kill("  ", T0)
    with pytest.raises(ValueError, match=r"^state must be one of ACTIVE, REDUCING, HALTED, got 'PAUSED'$"):
        e.set_state("PAUSED", "x", T0)
    assert e.state_history() == []


def test_halted_approves_nothing_not_even_a_reduction() -> None:
    e = engine()
    e.on_fill(NIFTY_CE, "BUY", 650, 120.0, T0, underlying="NIFTY")
    e.kill("operator", T0)
    for intent in (option(), option(side="SELL", quantity=650)):
        d = e.check(intent, T0)
        assert (d.action, d.approved_quantity) == ("REJECT", 0)
        assert [str(v) for v in d.violations] == ["STATE_HALTED: trading is HALTED (operator)"]
    assert e.orders_today == 0


def test_reducing_passes_only_reductions_and_cuts_flips() -> None:
    e = engine()
    e.on_fill(NIFTY_CE, "BUY", 130, 120.0, T0, underlying="NIFTY")
    e.set_state("REDUCING", "manual", T0)
    d = e.check(option(quantity=65), T0)
    assert (d.action, d.approved_quantity) == ("REJECT", 0)
    assert [(v.code, v.message) for v in d.violations] == [
        ("STATE_REDUCING", "only exposure-reducing orders pass while REDUCING (manual); at most 0 units")
    ]
    assert e.check(option(side="SELL", quantity=65), T0).action == "APPROVE"
    d = e.check(option(side="SELL", quantity=325), T0)
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 130)


def test_daily_loss_moves_active_to_reducing_automatically() -> None:
    e = engine(max_daily_loss=5000.0)
    e.on_fill(NIFTY_CE, "BUY", 650, 100.0, T0, underlying="NIFTY")
    assert e.on_mark(NIFTY_CE, 93.0, T0 + SECOND) is True  # -4550
    assert e.state == "ACTIVE"
    e.on_mark(NIFTY_CE, 92.0, T0 + 2 * SECOND)  # -5200
    assert e.state == "REDUCING"
    assert e.state_history() == [
        (T0 + 2 * SECOND, "ACTIVE", "REDUCING", "daily loss 5200.00 >= max 5000.00 rupees")
    ]
    d = e.check(option(quantity=65, price=92.0, reference_price=92.0), T0 + 3 * SECOND)
    assert d.codes == ["STATE_REDUCING", "DAILY_LOSS_LIMIT"]
    assert d.violations[1].message == "day loss 5200.00 >= max 5000.00 rupees; at most 0 units"
    assert (
        e.check(option(side="SELL", quantity=650, price=92.0, reference_price=92.0), T0).action == "APPROVE"
    )


def test_loss_limit_includes_realised_pnl_and_charges() -> None:
    e = engine(max_daily_loss=1000.0)
    e.on_fill(NIFTY_CE, "BUY", 100, 100.0, T0, underlying="NIFTY")
    e.on_fill(NIFTY_CE, "SELL", 100, 91.0, T0 + 1, charges=99.0)  # -900 - 99
    assert (e.realised_pnl, e.state) == (-999.0, "ACTIVE")
    e.on_fill(NIFTY_CE, "BUY", 1, 100.0, T0 + 2, charges=1.0)
    assert (e.realised_pnl, e.state) == (-1000.0, "REDUCING")
    assert e.state_history()[0][3] == "daily loss 1000.00 >= max 1000.00 rupees"


def test_drawdown_from_the_days_peak_moves_to_reducing() -> None:
    e = engine(max_drawdown=3000.0)
    e.on_fill(NIFTY_CE, "BUY", 650, 100.0, T0, underlying="NIFTY")
    e.on_mark(NIFTY_CE, 110.0, T0 + 1)  # +6500: the peak
    e.on_mark(NIFTY_CE, 106.0, T0 + 2)  # +3900: down 2600
    assert (e.peak_pnl, e.drawdown, e.state) == (6500.0, 2600.0, "ACTIVE")
    e.on_mark(NIFTY_CE, 105.0, T0 + 3)  # +3250: down 3250, still a profit
    assert e.state == "REDUCING"
    assert e.state_history() == [
        (T0 + 3, "ACTIVE", "REDUCING", "drawdown 3250.00 from the day's peak 6500.00 >= max 3000.00 rupees")
    ]
    d = e.check(option(price=105.0, reference_price=105.0), T0 + 4)
    assert d.codes == ["STATE_REDUCING", "DRAWDOWN_LIMIT"]


def test_resume_while_breached_falls_straight_back_to_reducing() -> None:
    e = engine(max_daily_loss=100.0)
    e.on_fill(NIFTY_CE, "BUY", 100, 100.0, T0, underlying="NIFTY")
    e.on_mark(NIFTY_CE, 98.0, T0 + 1)
    e.resume("operator override", T0 + 2)
    d = e.check(option(quantity=65), T0 + 3)
    assert e.state == "REDUCING"
    assert d.action == "REJECT"
    assert [h[1:3] for h in e.state_history()] == [
        ("ACTIVE", "REDUCING"),
        ("REDUCING", "ACTIVE"),
        ("ACTIVE", "REDUCING"),
    ]
    assert e.state_history()[2][0] == T0 + 3


def test_raising_the_limit_allows_a_resume() -> None:
    e = engine(max_daily_loss=100.0)
    e.on_fill(NIFTY_CE, "BUY", 100, 100.0, T0, underlying="NIFTY")
    e.on_mark(NIFTY_CE, 98.0, T0 + 1)
    e.set_limits(e.limits.model_copy(update={"max_daily_loss": 1000.0}))
    e.resume("limit raised", T0 + 2)
    assert e.check(option(quantity=65), T0 + 3).action == "APPROVE"
    assert e.state == "ACTIVE"


def test_reset_day_lifts_an_automatic_state_but_not_the_kill_switch() -> None:
    e = engine(max_daily_loss=100.0)
    e.on_fill(NIFTY_CE, "BUY", 100, 100.0, T0, underlying="NIFTY")
    e.on_mark(NIFTY_CE, 98.0, T0 + 1)
    assert e.state == "REDUCING"
    e.reset_day(T0 + 10)
    assert (e.state, e.state_history()[-1]) == ("ACTIVE", (T0 + 10, "REDUCING", "ACTIVE", "new trading day"))
    e.kill("operator", T0 + 11)
    e.reset_day(T0 + 12)
    assert e.state == "HALTED"
    e.set_state("REDUCING", "manual", T0 + 13)
    e.reset_day(T0 + 14)
    assert e.state == "REDUCING"
    assert len(e.state_history()) == 4


def test_now_defaults_to_the_wall_clock_in_the_binding() -> None:
    e = engine()
    before = time.time_ns()
    e.kill("operator")
    after = time.time_ns()
    assert before <= e.state_history()[0][0] <= after
