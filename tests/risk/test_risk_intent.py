"""OrderIntent: keyword-only construction, validation of malformed intents, attributes and repr."""

from __future__ import annotations

import re

import pytest

from alphastock.risk import Exchange, InstrumentKind, OrderIntent, Product, Side
from tests.risk._intents import NIFTY_CE, equity, option


def test_attributes_read_back_as_given() -> None:
    i = option(lower_circuit=60.0, upper_circuit=180.0, margin=1234.5)
    assert (i.token, i.symbol, i.exchange, i.product, i.side) == (
        NIFTY_CE,
        "NIFTY26JAN24500CE",
        "NFO",
        "NRML",
        "BUY",
    )
    assert (i.quantity, i.price, i.reference_price, i.lot_size, i.tick_size) == (650, 120.05, 120.0, 65, 0.05)
    assert (i.freeze_quantity, i.underlying, i.kind) == (1800, "NIFTY", "CE")
    assert (i.lower_circuit, i.upper_circuit, i.margin) == (60.0, 180.0, 1234.5)


def test_defaults_market_order_lot_one_equity_underlying_is_the_symbol() -> None:
    i = OrderIntent(
        token=1, symbol="INFY", exchange="NSE", product="CNC", side="SELL", quantity=3, reference_price=1500.0
    )
    assert (i.price, i.lot_size, i.tick_size, i.freeze_quantity, i.kind) == (None, 1, 0.05, None, "EQ")
    assert i.underlying == "INFY"
    assert (i.lower_circuit, i.upper_circuit, i.margin) == (None, None, None)


def test_string_enums_are_accepted_and_compare_equal() -> None:
    i = equity(exchange=Exchange.BSE, product=Product.MIS, side=Side.SELL, kind=InstrumentKind.EQ)
    assert i.exchange == Exchange.BSE
    assert i.side == Side.SELL
    assert Side(i.side) is Side.SELL


def test_constructor_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        OrderIntent(1, "INFY", "NSE", "CNC", "BUY", 1, 1500.0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"side": "buy"}, "side must be one of BUY, SELL, got 'buy'"),
        ({"exchange": "NYSE"}, "exchange must be one of NSE, BSE, NFO, BFO, MCX, CDS, got 'NYSE'"),
        ({"product": "MTF"}, "product must be one of CNC, MIS, NRML, got 'MTF'"),
        ({"kind": "OPT"}, "kind must be one of EQ, FUT, CE, PE, got 'OPT'"),
        ({"token": -1}, "token must be in 0..=4294967295, got -1"),
        ({"token": 2**32}, "token must be in 0..=4294967295, got 4294967296"),
        ({"symbol": ""}, "symbol must not be empty"),
        ({"lot_size": 0}, "lot_size must be >= 1, got 0"),
        ({"tick_size": 0.0}, "tick_size must be a positive multiple of 0.0001 rupees, got 0"),
        ({"tick_size": 0.00005}, "tick_size must be a positive multiple of 0.0001 rupees, got 0.00005"),
        ({"freeze_quantity": 0}, "freeze_quantity must be >= 1 or None, got 0"),
        ({"underlying": ""}, "underlying must not be empty (None means the symbol itself)"),
        ({"kind": "EQ"}, "kind EQ is not traded on NFO; give kind FUT, CE or PE"),
        ({"lower_circuit": 0.0}, "lower_circuit must be > 0 and finite or None, got 0"),
        ({"lower_circuit": 130.0, "upper_circuit": 110.0}, "lower_circuit 130 is above upper_circuit 110"),
        ({"margin": -1.0}, "margin must be >= 0 and finite or None, got -1"),
    ],
)
def test_malformed_intents_raise_value_error_naming_the_field(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        option(**changes)


def test_equity_kind_needs_a_cash_exchange() -> None:
    with pytest.raises(ValueError, match=r"^kind CE is not traded on NSE$"):
        equity(kind="CE")


def test_bad_quantities_and_prices_are_rule_violations_not_errors() -> None:
    i = option(quantity=-65, price=float("nan"), reference_price=0.0)
    assert i.quantity == -65
    assert i.reference_price == 0.0


def test_with_quantity_changes_only_the_quantity() -> None:
    i = option()
    j = i.with_quantity(1300)
    assert j.quantity == 1300
    assert j == option(quantity=1300)
    assert i.quantity == 650
    assert i != j


def test_repr_round_trips_through_eval() -> None:
    i = option(margin=5000.0)
    assert repr(i) == (
        "OrderIntent(token=256265, symbol='NIFTY26JAN24500CE', exchange='NFO', product='NRML', side='BUY', "
        "quantity=650, price=120.05, reference_price=120.0, lot_size=65, tick_size=0.05, "
        "freeze_quantity=1800, "
        "underlying='NIFTY', kind='CE', lower_circuit=None, upper_circuit=None, margin=5000.0, "
        "multiplier=1.0)"
    )
    assert eval(repr(i), {"OrderIntent": OrderIntent}) == i


def test_intents_are_frozen() -> None:
    i = option()
    with pytest.raises(AttributeError):
        i.quantity = 65  # type: ignore[misc]
