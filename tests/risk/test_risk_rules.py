"""Every rule of RiskEngine.check, by value: action, approved quantity, codes and messages."""

from __future__ import annotations

import pytest

from alphastock.risk import RiskAction, RiskDecision, Violation
from tests.risk._intents import (
    CRUDE_FUT,
    INFY,
    NIFTY_CE,
    NIFTY_FUT,
    SECOND,
    T0,
    engine,
    equity,
    future,
    option,
    put,
)


def pairs(d: RiskDecision) -> list[tuple[str, str]]:
    return [(v.code, v.message) for v in d.violations]


def test_clean_order_is_approved_as_asked() -> None:
    d = engine().check(option(), T0)
    assert d.action == RiskAction.APPROVE
    assert (d.approved, d.requested_quantity, d.approved_quantity, d.violations, d.codes) == (
        True,
        650,
        650,
        [],
        [],
    )
    assert (
        repr(d)
        == "RiskDecision(action='APPROVE', requested_quantity=650, approved_quantity=650, violations=[])"
    )


# ----------------------------------------------------------------------------- quantity


@pytest.mark.parametrize(
    ("quantity", "code", "message"),
    [
        (0, "QTY_NOT_POSITIVE", "quantity 0 must be > 0"),
        (-65, "QTY_NOT_POSITIVE", "quantity -65 must be > 0"),
        (100, "QTY_NOT_LOT_MULTIPLE", "100 is not a multiple of lot size 65"),
    ],
)
def test_quantity_must_be_a_positive_whole_number_of_lots(quantity: int, code: str, message: str) -> None:
    d = engine().check(option(quantity=quantity), T0)
    assert (d.action, d.approved_quantity) == (RiskAction.REJECT, 0)
    assert pairs(d) == [(code, message)]


def test_freeze_quantity_rejects_so_the_caller_slices() -> None:
    d = engine().check(option(quantity=1950), T0)
    assert (d.action, d.approved_quantity) == ("REJECT", 0)
    assert [str(v) for v in d.violations] == [
        "QTY_EXCEEDS_FREEZE: 1950 > 1800 (freeze quantity, units); slice the order"
    ]
    assert engine().check(option(quantity=1755), T0).action == "APPROVE"  # 27 lots, under 1800


def test_max_order_quantity_reduces_to_whole_lots() -> None:
    d = engine(max_order_quantity=1000).check(option(quantity=1300), T0)
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 975)  # 15 lots of 65
    assert pairs(d) == [
        ("QTY_EXCEEDS_MAX_ORDER", "1300 > 1000 (max order quantity, units); at most 975 units")
    ]


def test_max_order_quantity_below_one_lot_rejects() -> None:
    d = engine(max_order_quantity=50).check(option(), T0)
    assert (d.action, d.approved_quantity) == ("REJECT", 0)
    assert pairs(d) == [("QTY_EXCEEDS_MAX_ORDER", "650 > 50 (max order quantity, units); at most 0 units")]


def test_max_order_notional_reduces_to_whole_lots() -> None:
    # 1300 * 120.05 = 156065; floor(100000 / 120.05) = 832 units → 12 lots = 780.
    d = engine(max_order_notional=100_000.0).check(option(quantity=1300), T0)
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 780)
    assert pairs(d) == [
        (
            "NOTIONAL_EXCEEDS_MAX_ORDER",
            "156065.00 > 100000.00 rupees (max order notional at price 120.05); at most 780 units",
        )
    ]


def test_market_orders_are_valued_at_the_reference_price() -> None:
    d = engine(max_order_notional=10_000.0).check(equity(price=None, quantity=10), T0)
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 6)  # floor(10000 / 1500)
    assert (
        d.violations[0].message
        == "15000.00 > 10000.00 rupees (max order notional at price 1500.00); at most 6 units"
    )


def test_the_smallest_cap_wins_and_every_cap_is_reported() -> None:
    d = engine(max_order_quantity=1000, max_order_notional=100_000.0).check(option(quantity=1300), T0)
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 780)
    assert d.codes == ["QTY_EXCEEDS_MAX_ORDER", "NOTIONAL_EXCEEDS_MAX_ORDER"]


# ----------------------------------------------------------------------------- what may be traded


def test_products_and_exchanges_must_be_allowed() -> None:
    e = engine(allowed_products={"MIS", "NRML"}, allowed_exchanges={"NSE", "NFO"})
    d = e.check(equity(product="CNC", exchange="BSE"), T0)
    assert (d.action, d.approved_quantity) == ("REJECT", 0)
    assert pairs(d) == [
        ("PRODUCT_NOT_ALLOWED", "CNC is not an allowed product (MIS, NRML)"),
        ("EXCHANGE_NOT_ALLOWED", "BSE is not an allowed exchange (NSE, NFO)"),
    ]
    assert e.check(equity(product="MIS"), T0).action == "APPROVE"


def test_market_orders_can_be_forbidden() -> None:
    d = engine(allow_market_orders=False).check(option(price=None), T0)
    assert pairs(d) == [("MARKET_ORDER_NOT_ALLOWED", "market orders are not allowed; give a limit price")]
    assert engine().check(option(price=None), T0).action == "APPROVE"


# ----------------------------------------------------------------------------- prices


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (float("nan"), "limit price NaN must be > 0 and finite"),
        (-5.0, "limit price -5 must be > 0 and finite"),
    ],
)
def test_limit_price_must_be_positive_and_finite(price: float, message: str) -> None:
    d = engine().check(option(price=price), T0)
    assert (d.action, pairs(d)) == ("REJECT", [("PRICE_INVALID", message)])


def test_reference_price_must_be_positive_and_finite() -> None:
    d = engine().check(option(reference_price=0.0, price=None), T0)
    assert (d.action, pairs(d)) == (
        "REJECT",
        [("REFERENCE_PRICE_INVALID", "reference price 0 must be > 0 and finite")],
    )


@pytest.mark.parametrize(
    ("price", "tick", "ok"),
    [
        (120.05, 0.05, True),
        (120.03, 0.05, False),
        (24350.05, 0.05, True),
        (0.05, 0.05, True),
        (83.2525, 0.0025, True),
        (83.2526, 0.0025, False),
        (6120.0, 1.0, True),
        (6120.5, 1.0, False),
    ],
)
def test_tick_size_is_checked_on_an_integer_grid(price: float, tick: float, ok: bool) -> None:
    d = engine().check(future(token=CRUDE_FUT, price=price, reference_price=price, tick_size=tick), T0)
    if ok:
        assert d.action == "APPROVE"
    else:
        assert pairs(d) == [("TICK_SIZE_INVALID", f"price {price} is not a multiple of tick size {tick:g}")]


def test_option_collar_is_40_percent_above_a_50_rupee_reference() -> None:
    e = engine(option_collar_pct=40.0)
    assert e.check(option(price=168.0), T0).action == "APPROVE"  # 120 + 48
    assert e.check(option(price=72.0), T0).action == "APPROVE"  # 120 - 48
    d = e.check(option(price=168.05), T0)
    assert pairs(d) == [
        ("PRICE_OUTSIDE_COLLAR", "price 168.05 outside 72.00..168.00 (±40% of reference 120.00)")
    ]
    assert e.check(option(price=71.95), T0).codes == ["PRICE_OUTSIDE_COLLAR"]


def test_option_collar_is_20_rupees_up_to_a_50_rupee_reference() -> None:
    e = engine(option_collar_pct=40.0)
    assert e.check(option(price=70.0, reference_price=50.0), T0).action == "APPROVE"
    d = e.check(option(price=50.05, reference_price=30.0), T0)
    assert pairs(d) == [
        ("PRICE_OUTSIDE_COLLAR", "price 50.05 outside 10.00..50.00 (±₹20.00 of reference 30.00)")
    ]
    # The band is clipped at zero below the reference.
    assert e.check(put(price=0.05, reference_price=12.0), T0).action == "APPROVE"
    assert e.check(put(price=32.05, reference_price=12.0), T0).violations[0].message == (
        "price 32.05 outside 0.00..32.00 (±₹20.00 of reference 12.00)"
    )


def test_option_collar_edges_are_inclusive() -> None:
    e = engine(option_collar_pct=40.0)  # reference 101.25: 60.75 .. 141.75
    assert e.check(option(price=141.75, reference_price=101.25), T0).action == "APPROVE"
    assert e.check(option(price=60.75, reference_price=101.25), T0).action == "APPROVE"
    assert e.check(option(price=141.8, reference_price=101.25), T0).codes == ["PRICE_OUTSIDE_COLLAR"]
    assert e.check(option(price=60.7, reference_price=101.25), T0).codes == ["PRICE_OUTSIDE_COLLAR"]


def test_future_collar_is_3_percent() -> None:
    e = engine(future_collar_pct=3.0)
    assert e.check(future(price=25235.0), T0).action == "APPROVE"  # 24500 * 1.03
    d = e.check(future(price=23764.95), T0)
    assert pairs(d) == [
        ("PRICE_OUTSIDE_COLLAR", "price 23764.95 outside 23765.00..25235.00 (±3% of reference 24500.00)")
    ]


def test_equity_collar_is_off_by_default_and_configurable() -> None:
    assert engine().check(equity(price=3000.0), T0).action == "APPROVE"
    d = engine(equity_collar_pct=5.0).check(equity(price=1575.05), T0)
    assert pairs(d) == [
        ("PRICE_OUTSIDE_COLLAR", "price 1575.05 outside 1425.00..1575.00 (±5% of reference 1500.00)")
    ]


def test_market_orders_skip_the_collar() -> None:
    assert (
        engine(option_collar_pct=40.0).check(option(price=None, reference_price=120.0), T0).action
        == "APPROVE"
    )


def test_circuit_limits_from_the_intent_or_set_per_token() -> None:
    e = engine()
    d = e.check(equity(price=1650.05, lower_circuit=1350.0, upper_circuit=1650.0), T0)
    assert pairs(d) == [("PRICE_OUTSIDE_CIRCUIT", "price 1650.05 outside circuit 1350.00..1650.00")]
    assert e.check(equity(price=1650.0, lower_circuit=1350.0, upper_circuit=1650.0), T0).action == "APPROVE"
    e.set_circuit(INFY, 1400.0, 1600.0)
    assert (
        e.check(equity(price=1349.95), T0).violations[0].message
        == "price 1349.95 outside circuit 1400.00..1600.00"
    )
    # The intent's limits override the token's; one side given keeps the other from set_circuit.
    assert e.check(equity(price=1700.0, upper_circuit=1800.0), T0).action == "APPROVE"
    assert e.check(equity(price=1399.0, upper_circuit=1800.0), T0).codes == ["PRICE_OUTSIDE_CIRCUIT"]
    e.set_circuit(INFY, None, None)
    assert e.check(equity(price=1349.95), T0).action == "APPROVE"


def test_set_circuit_validates() -> None:
    e = engine()
    with pytest.raises(ValueError, match=r"^circuit limits must satisfy 0 < lower <= upper, got 10\.\.5$"):
        e.set_circuit(INFY, 10.0, 5.0)
    with pytest.raises(ValueError, match=r"^give both circuit limits, or neither to forget them$"):
        e.set_circuit(INFY, 10.0, None)


# ----------------------------------------------------------------------------- market data


def test_stale_data_rejects_after_max_age() -> None:
    e = engine(max_data_age_s=10.0)
    assert e.check(option(), T0 + 10 * SECOND).action == "APPROVE"  # exactly 10 s old: fresh
    d = e.check(option(), T0 + 10 * SECOND + 1_000_000)
    assert pairs(d) == [("STALE_MARKET_DATA", "last tick 10.001 s ago > 10.000 s")]
    e.on_mark(NIFTY_CE, 121.0, T0 + 11 * SECOND)
    assert e.check(option(), T0 + 12 * SECOND).action == "APPROVE"


def test_an_instrument_never_ticked_is_stale() -> None:
    d = engine(max_data_age_s=10.0).check(option(token=12_345), T0)
    assert pairs(d) == [("STALE_MARKET_DATA", "no tick or mark received for token 12345")]


def test_stale_data_can_require_approval_instead() -> None:
    e = engine(max_data_age_s=1.0, stale_data_action="REQUIRE_APPROVAL")
    d = e.check(option(), T0 + 5 * SECOND)
    assert (d.action, d.approved, d.approved_quantity) == ("REQUIRE_APPROVAL", False, 650)
    assert d.codes == ["STALE_MARKET_DATA"]
    assert e.orders_today == 0
    approved = e.check(option(), T0 + 5 * SECOND, human_approved=True)
    assert (approved.action, approved.violations) == ("APPROVE", [])
    assert e.orders_today == 1


# ----------------------------------------------------------------------------- exposure


def test_max_open_positions_blocks_a_new_instrument_only() -> None:
    e = engine(max_open_positions=2)
    e.on_fill(NIFTY_CE, "BUY", 65, 120.0, T0, underlying="NIFTY")
    e.on_fill(INFY, "BUY", 10, 1500.0, T0)
    d = e.check(future(), T0)
    assert (d.action, d.approved_quantity) == ("REJECT", 0)
    assert pairs(d) == [
        ("MAX_OPEN_POSITIONS", "2 open positions >= max 2; this order would open another; at most 0 units")
    ]
    assert e.check(option(), T0).action == "APPROVE"  # adds to an open position
    assert e.check(equity(side="SELL", quantity=10), T0).action == "APPROVE"


def test_position_limit_reduces_to_what_fits() -> None:
    e = engine(max_position_quantity=1000)
    e.on_fill(NIFTY_CE, "BUY", 650, 120.0, T0, underlying="NIFTY")
    d = e.check(option(quantity=650), T0)  # 1300 > 1000: 350 fit → 5 lots = 325
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 325)
    assert pairs(d) == [("POSITION_LIMIT", "resulting position 1300 exceeds ±1000 units; at most 325 units")]


def test_position_limit_applies_to_shorts_and_flips() -> None:
    e = engine(max_position_quantity=1000)
    e.on_fill(NIFTY_CE, "BUY", 650, 120.0, T0, underlying="NIFTY")
    # Sell 1755: long 650 → short 1105; the limit allows 650 + 1000 = 1650 → 25 lots = 1625.
    d = e.check(option(side="SELL", quantity=1755), T0)
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 1625)
    assert pairs(d) == [
        ("POSITION_LIMIT", "resulting position -1105 exceeds ±1000 units; at most 1625 units")
    ]


def test_reducing_orders_always_pass_position_limits() -> None:
    e = engine(max_position_quantity=1000)
    e.on_fill(NIFTY_CE, "BUY", 1300, 120.0, T0, underlying="NIFTY")  # over the limit already
    assert e.check(option(side="SELL", quantity=65), T0).action == "APPROVE"
    assert e.check(option(side="BUY", quantity=65), T0).action == "REJECT"


def test_underlying_limit_counts_gross_units_across_instruments() -> None:
    e = engine(max_underlying_quantity=1300)
    e.on_fill(NIFTY_CE, "BUY", 650, 120.0, T0, underlying="NIFTY")
    e.on_fill(256_521, "SELL", 390, 80.0, T0, underlying="NIFTY")  # short puts add to the gross
    assert e.underlying_quantity("NIFTY") == 1040
    d = e.check(future(quantity=650), T0)  # 1040 + 650 = 1690 > 1300: 260 fit
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 260)
    assert pairs(d) == [
        ("UNDERLYING_LIMIT", "gross position on NIFTY would be 1690 > max 1300 units; at most 260 units")
    ]
    # Closing the puts frees gross; a flip counts only what it opens beyond the close.
    d = e.check(put(quantity=1040), T0)  # buy back 390, then long 650: gross 650 + 650 = 1300
    assert d.action == "APPROVE"
    assert e.check(equity(quantity=1300), T0).action == "APPROVE"  # INFY is its own underlying
    assert e.check(equity(quantity=1310), T0).codes == ["UNDERLYING_LIMIT"]


def test_underlying_limit_lets_a_reduction_through_when_over() -> None:
    e = engine(max_underlying_quantity=500)
    e.on_fill(NIFTY_CE, "BUY", 650, 120.0, T0, underlying="NIFTY")
    assert e.check(option(side="SELL", quantity=65), T0).action == "APPROVE"
    # Sell 1040: close 650 then short 390: gross 390 ≤ 500.
    assert e.check(option(side="SELL", quantity=1040), T0).action == "APPROVE"
    d = e.check(option(side="SELL", quantity=1300), T0)  # would leave short 650
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 1105)  # 650 + 500 → 17 lots


# ----------------------------------------------------------------------------- cash


def test_cash_unknown_allows_only_reductions() -> None:
    e = engine(min_cash_reserve=0.0)
    d = e.check(option(), T0)
    assert (d.action, pairs(d)) == (
        "REJECT",
        [("CASH_UNKNOWN", "available cash is unknown (set_cash); at most 0 units")],
    )
    e.on_fill(NIFTY_CE, "BUY", 130, 120.0, T0, underlying="NIFTY")
    d = e.check(option(side="SELL", quantity=650), T0)  # flip cut to the close
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 130)


def test_cash_reserve_reduces_and_approvals_spend_cash() -> None:
    e = engine(min_cash_reserve=10_000.0)
    e.set_cash(60_000.0)
    # 650 * 120.05 = 78032.50 > 60000 - 10000: floor(50000 / 120.05) = 416 → 6 lots = 390.
    d = e.check(option(), T0)
    assert (d.action, d.approved_quantity) == ("REDUCE_SIZE", 390)
    assert pairs(d) == [
        (
            "CASH_RESERVE",
            "cash 60000.00 - margin 78032.50 = -18032.50 < reserve 10000.00 rupees; at most 390 units",
        )
    ]
    assert e.cash == pytest.approx(60_000.0 - 390 * 120.05)
    e.set_cash(100_000.0)
    assert e.cash == 100_000.0


def test_cash_reserve_uses_the_given_margin() -> None:
    e = engine(min_cash_reserve=0.0)
    e.set_cash(100_000.0)
    d = e.check(future(quantity=130, margin=300_000.0), T0)  # 150000 per lot of 65
    assert (d.action, d.approved_quantity) == ("REJECT", 0)
    assert (
        d.violations[0].message
        == "cash 100000.00 - margin 300000.00 = -200000.00 < reserve 0.00 rupees; at most 0 units"
    )
    d = e.check(future(quantity=65, margin=90_000.0), T0)
    assert d.action == "APPROVE"
    assert e.cash == 10_000.0


def test_cash_rule_off_ignores_cash() -> None:
    assert engine(min_cash_reserve=None).check(option(), T0).action == "APPROVE"


# ----------------------------------------------------------------------------- approval


def test_notional_above_the_threshold_requires_approval() -> None:
    e = engine(approval_notional=50_000.0)
    d = e.check(option(), T0)
    assert (d.action, d.approved, d.approved_quantity) == ("REQUIRE_APPROVAL", False, 650)
    assert pairs(d) == [("NOTIONAL_NEEDS_APPROVAL", "78032.50 > 50000.00 rupees (approval threshold)")]
    assert e.check(option(quantity=390), T0).action == "APPROVE"  # 46819.50
    assert e.check(option(), T0, human_approved=True).action == "APPROVE"


def test_approval_is_judged_on_the_reduced_quantity_and_not_for_reductions() -> None:
    e = engine(approval_notional=50_000.0, max_order_quantity=390)
    assert e.check(option(), T0).action == "REDUCE_SIZE"  # 390 * 120.05 = 46819.50
    e.on_fill(NIFTY_CE, "BUY", 1300, 120.0, T0, underlying="NIFTY")
    assert (
        e.check(option(side="SELL", quantity=390, price=150.0, reference_price=150.0), T0).action == "APPROVE"
    )


def test_hard_rules_still_reject_an_approved_order() -> None:
    e = engine(approval_notional=50_000.0)
    e.kill("operator", T0)
    assert e.check(option(), T0, human_approved=True).action == "REJECT"


def test_reject_lists_every_failed_rule_in_order() -> None:
    e = engine(max_order_quantity=650, option_collar_pct=40.0, max_data_age_s=1.0)
    e.kill("operator", T0)
    d = e.check(option(quantity=1950, price=200.03, product="CNC"), T0 + 5 * SECOND)
    assert (d.action, d.approved_quantity) == ("REJECT", 0)
    assert d.codes == [
        "QTY_EXCEEDS_FREEZE",
        "TICK_SIZE_INVALID",
        "PRICE_OUTSIDE_COLLAR",
        "STATE_HALTED",
        "STALE_MARKET_DATA",
        "QTY_EXCEEDS_MAX_ORDER",
    ]
    assert d.violations[1] == d.violations[1]
    assert isinstance(d.violations[0], Violation)
    assert repr(d.violations[0]) == (
        "Violation(code='QTY_EXCEEDS_FREEZE', "
        "message='1950 > 1800 (freeze quantity, units); slice the order')"
    )


def test_fut_token_is_independent_of_option_token() -> None:
    e = engine(max_position_quantity=100)
    e.on_fill(NIFTY_FUT, "BUY", 65, 24500.0, T0, underlying="NIFTY")
    assert e.check(option(quantity=65), T0).action == "APPROVE"
    assert e.check(future(quantity=65), T0).action == "REJECT"
    assert NIFTY_CE != NIFTY_FUT


def test_check_takes_an_order_intent_only() -> None:
    with pytest.raises(TypeError):
        engine().check({"token": NIFTY_CE}, T0)  # type: ignore[arg-type]


def test_violations_compare_by_value_and_messages_are_stable() -> None:
    e = engine()
    first, second = e.check(option(quantity=1950), T0), e.check(option(quantity=1950), T0)
    assert first.violations == second.violations
    assert first.violations[0].message == first.violations[0].message
    assert first.violations != e.check(option(quantity=100), T0).violations
