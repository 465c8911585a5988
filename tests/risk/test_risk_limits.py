"""Limits: defaults, validation, the one-time conversion to the Rust engine, and the code and state names."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alphastock import _core
from alphastock.risk import (
    Exchange,
    Limits,
    Product,
    RiskAction,
    RiskCode,
    RiskEngine,
    StaleDataAction,
    TradingState,
)
from tests.risk._intents import NIFTY_CE, T0, engine, option


def _normalised(core: dict[str, Any]) -> dict[str, Any]:
    return {
        **core,
        "allowed_products": sorted(core["allowed_products"]),
        "allowed_exchanges": sorted(core["allowed_exchanges"]),
    }


def test_documented_defaults() -> None:
    d = Limits()
    assert (
        d.max_order_quantity,
        d.max_order_notional,
        d.max_position_quantity,
        d.max_underlying_quantity,
    ) == (
        None,
        500_000.0,
        None,
        None,
    )
    assert (d.max_open_positions, d.max_daily_loss, d.max_drawdown, d.max_trades_per_day) == (
        10,
        10_000.0,
        15_000.0,
        100,
    )
    assert (d.option_collar_pct, d.option_collar_rupees, d.option_collar_threshold) == (40.0, 20.0, 50.0)
    assert (d.future_collar_pct, d.equity_collar_pct) == (3.0, None)
    assert (d.max_data_age_s, d.stale_data_action, d.min_cash_reserve, d.approval_notional) == (
        10.0,
        StaleDataAction.REJECT,
        0.0,
        None,
    )
    assert d.allow_market_orders is True
    assert d.allowed_products == {Product.CNC, Product.MIS, Product.NRML}
    assert d.allowed_exchanges == set(Exchange)


def test_python_and_rust_defaults_agree() -> None:
    rust_defaults = _core.RiskEngine().core_limits()
    assert _normalised(rust_defaults) == Limits().to_core()
    assert _normalised(RiskEngine().core_limits()) == Limits().to_core()


def test_every_field_reaches_the_engine() -> None:
    custom = Limits(
        max_order_quantity=1755,
        max_order_notional=250_000.5,
        max_position_quantity=3600,
        max_underlying_quantity=5400,
        max_open_positions=4,
        max_daily_loss=2500.0,
        max_drawdown=4000.0,
        max_trades_per_day=30,
        max_orders_per_second=5,
        max_orders_per_minute=200,
        max_orders_per_day=1000,
        option_collar_pct=30.0,
        option_collar_rupees=15.0,
        option_collar_threshold=40.0,
        future_collar_pct=2.5,
        equity_collar_pct=10.0,
        max_data_age_s=2.5,
        stale_data_action="REQUIRE_APPROVAL",
        min_cash_reserve=5000.0,
        approval_notional=100_000.0,
        allow_market_orders=False,
        allowed_products={"MIS"},
        allowed_exchanges={"NFO", "BFO"},
    )
    assert _normalised(RiskEngine(custom).core_limits()) == custom.to_core()
    assert custom.to_core()["allowed_exchanges"] == ["BFO", "NFO"]


def test_none_switches_limits_off() -> None:
    off = Limits(
        max_order_notional=None, max_orders_per_second=None, max_data_age_s=None, min_cash_reserve=None
    )
    core = RiskEngine(off).core_limits()
    assert (
        core["max_order_notional"],
        core["max_orders_per_second"],
        core["max_data_age_s"],
        core["min_cash_reserve"],
    ) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_order_quantity": 0}, "max_order_quantity"),
        ({"max_order_notional": -1.0}, "max_order_notional"),
        ({"max_daily_loss": float("inf")}, "max_daily_loss"),
        ({"max_orders_per_second": 0}, "max_orders_per_second"),
        ({"max_data_age_s": 0.0}, "max_data_age_s"),
        ({"min_cash_reserve": -0.01}, "min_cash_reserve"),
        ({"allowed_products": set()}, "allowed_products"),
        ({"allowed_exchanges": {"NYSE"}}, "allowed_exchanges"),
        ({"stale_data_action": "IGNORE"}, "stale_data_action"),
        ({"max_loss": 5.0}, "max_loss"),
    ],
)
def test_invalid_limits_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Limits(**changes)
    assert [e["loc"][0] for e in info.value.errors()] == [field]


def test_limits_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Limits().max_daily_loss = 1.0  # type: ignore[misc]


def test_the_core_refuses_unknown_or_invalid_entries() -> None:
    with pytest.raises(ValueError, match=r"^unknown risk limit 'max_loss'$"):
        _core.RiskEngine({"max_loss": 1.0})
    with pytest.raises(ValueError, match=r"^max_order_quantity must be >= 1 or None, got 0$"):
        _core.RiskEngine({"max_order_quantity": 0})
    with pytest.raises(ValueError, match=r"^allowed_products must be a collection of names, not a string$"):
        _core.RiskEngine({"allowed_products": "MIS"})
    with pytest.raises(ValueError, match=r"^unknown allowed_exchanges entry 'NYSE'$"):
        _core.RiskEngine({"allowed_exchanges": ["NYSE"]})


def test_set_limits_replaces_limits_and_keeps_the_book() -> None:
    e = engine(max_order_quantity=650)
    e.on_fill(NIFTY_CE, "BUY", 650, 120.0, T0, underlying="NIFTY")
    assert e.check(option(quantity=1300), T0).action == "REDUCE_SIZE"
    tighter = e.limits.model_copy(update={"max_order_quantity": 130})
    e.set_limits(Limits.model_validate(tighter.model_dump()))
    assert e.limits.max_order_quantity == 130
    assert e.check(option(quantity=1300), T0).approved_quantity == 130
    assert e.position(NIFTY_CE).quantity == 650  # type: ignore[union-attr]
    assert e.orders_today == 2


def test_engine_keeps_the_limits_model() -> None:
    limits = Limits(max_daily_loss=1234.0)
    e = RiskEngine(limits)
    assert e.limits is limits
    assert repr(e) == "RiskEngine(state='ACTIVE', day_pnl=0.00, open_positions=0, orders_today=0)"


def test_codes_actions_and_states_match_the_core() -> None:
    assert [c.value for c in RiskCode] == _core.RISK_CODES
    assert [a.value for a in RiskAction] == ["APPROVE", "REJECT", "REDUCE_SIZE", "REQUIRE_APPROVAL"]
    assert [s.value for s in TradingState] == ["ACTIVE", "REDUCING", "HALTED"]
