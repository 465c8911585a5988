"""Order-rate limits: rolling 1 s and 60 s windows and the daily count, with explicit timestamps.

The engine counts the orders it approves (APPROVE and REDUCE_SIZE) at the
``now_ns`` of the check; rejected orders and REQUIRE_APPROVAL are not counted.
"""

from __future__ import annotations

from tests.risk._intents import SECOND, T0, engine, option

MS = 1_000_000


def test_the_eleventh_order_within_a_second_is_rejected() -> None:
    e = engine(max_orders_per_second=10)
    for i in range(10):
        assert e.check(option(), T0 + i * 90 * MS).action == "APPROVE"
    d = e.check(option(), T0 + 999 * MS)
    assert (d.action, [str(v) for v in d.violations]) == (
        "REJECT",
        ["RATE_LIMIT_SECOND: 10 orders in the last second >= max 10"],
    )
    # The window is rolling and half-open: the order at T0 leaves it at exactly T0 + 1 s.
    assert e.check(option(), T0 + SECOND).action == "APPROVE"
    assert e.check(option(), T0 + SECOND + 1).action == "REJECT"
    assert e.orders_today == 11


def test_only_approved_orders_count() -> None:
    e = engine(max_orders_per_second=2, approval_notional=100_000.0)
    for _ in range(3):
        assert e.check(option(quantity=100), T0).action == "REJECT"  # not a lot multiple
        assert e.check(option(quantity=1300), T0).action == "REQUIRE_APPROVAL"
    assert e.orders_today == 0
    assert e.check(option(), T0).action == "APPROVE"
    assert e.check(option(quantity=1300), T0, human_approved=True).action == "APPROVE"
    assert e.orders_today == 2
    assert e.check(option(), T0).codes == ["RATE_LIMIT_SECOND"]


def test_reduce_size_counts_as_sent() -> None:
    e = engine(max_orders_per_second=1, max_order_quantity=65)
    assert e.check(option(), T0).action == "REDUCE_SIZE"
    assert e.check(option(quantity=65), T0).codes == ["RATE_LIMIT_SECOND"]


def test_minute_window_holds_400_orders() -> None:
    e = engine(max_orders_per_second=10, max_orders_per_minute=400)
    for i in range(400):
        assert e.check(option(), T0 + i * 110 * MS).action == "APPROVE"  # 9 per second, 43.89 s in all
    d = e.check(option(), T0 + 59 * SECOND)
    assert [str(v) for v in d.violations] == [
        "RATE_LIMIT_MINUTE: 400 orders in the last 60 seconds >= max 400"
    ]
    assert e.check(option(), T0 + 60 * SECOND).action == "APPROVE"  # the first order has left the window
    assert e.check(option(), T0 + 60 * SECOND + 1).codes == ["RATE_LIMIT_MINUTE"]


def test_daily_count_resets_with_the_day_only() -> None:
    e = engine(max_orders_per_day=3)
    for i in range(3):
        assert e.check(option(), T0 + i * SECOND).action == "APPROVE"
    d = e.check(option(), T0 + 3600 * SECOND)
    assert [str(v) for v in d.violations] == ["RATE_LIMIT_DAY: 3 orders today >= max 3"]
    e.reset_day(T0 + 86_400 * SECOND)
    assert e.orders_today == 0
    assert e.check(option(), T0 + 86_400 * SECOND).action == "APPROVE"


def test_rate_limits_apply_to_reductions_too() -> None:
    e = engine(max_orders_per_second=1)
    e.on_fill(option().token, "BUY", 650, 120.0, T0, underlying="NIFTY")
    assert e.check(option(), T0).action == "APPROVE"
    assert e.check(option(side="SELL"), T0).codes == ["RATE_LIMIT_SECOND"]


def test_default_limits_follow_kite_and_sebi() -> None:
    from alphastock.risk import Limits

    limits = Limits()
    assert (limits.max_orders_per_second, limits.max_orders_per_minute, limits.max_orders_per_day) == (
        10,
        400,
        5000,
    )
