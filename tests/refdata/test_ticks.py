"""round_to_tick by value: each direction, exact multiples, float noise, the tick sizes of the dump
(0.05 NSE, 1.0 MCX, 0.0025 CDS), and refused ticks and prices."""

from __future__ import annotations

import math

import pytest

from alphastock.errors import AlphaStockError
from alphastock.refdata.ticks import TickRounding, TickRoundingError, round_to_tick
from tests.risk._intents import CRUDE_FUT, T0, future
from tests.risk._intents import engine as risk_engine

NEAREST, UP, DOWN = TickRounding.NEAREST, TickRounding.UP, TickRounding.DOWN


@pytest.mark.parametrize(
    ("price", "tick", "direction", "expected"),
    [
        # between two ticks: each direction
        (800.07, 0.05, UP, 800.1),
        (800.07, 0.05, DOWN, 800.05),
        (800.07, 0.05, NEAREST, 800.05),
        (800.08, 0.05, NEAREST, 800.1),
        (101.3449, 0.05, NEAREST, 101.35),
        # exact multiples stay put whichever way, and print as written (no 24500.050000000003)
        (24500.05, 0.05, UP, 24500.05),
        (24500.05, 0.05, DOWN, 24500.05),
        (24500.05, 0.05, NEAREST, 24500.05),
        (800.05, 0.05, UP, 800.05),
        (101.35, 0.05, NEAREST, 101.35),
        (0.05, 0.05, DOWN, 0.05),
        (0.0, 0.05, UP, 0.0),
        # float noise: 0.1 + 0.2 is 0.30000000000000004, still 0.3 on a 0.1 grid
        (0.1 + 0.2, 0.1, UP, 0.3),
        (0.1 + 0.2, 0.1, DOWN, 0.3),
        (0.1 + 0.2, 0.05, UP, 0.3),
        (3 * 0.1, 0.1, NEAREST, 0.3),
        (0.7 - 0.4, 0.05, DOWN, 0.3),  # 0.29999999999999993
        # exactly half a tick (exact in binary) goes to the even count of ticks
        (5600.5, 1.0, NEAREST, 5600.0),
        (5601.5, 1.0, NEAREST, 5602.0),
        (-2.5, 1.0, NEAREST, -2.0),
        (0.125, 0.25, NEAREST, 0.0),
        (0.375, 0.25, NEAREST, 0.5),
        # a decimal half way is a float just above or below it, which decides (32609.225 is below)
        (32609.225, 0.05, NEAREST, 32609.2),
        # MCX rupee ticks
        (5601.4, 1.0, UP, 5602.0),
        (5601.4, 1.0, DOWN, 5601.0),
        (5601.0, 1.0, UP, 5601.0),
        # CDS currency ticks of 0.0025 rupees
        (83.12345, 0.0025, NEAREST, 83.1225),
        (83.12345, 0.0025, UP, 83.125),
        (83.1225, 0.0025, DOWN, 83.1225),
        # large prices keep the tick (MCX gold, rupees per 10 g)
        (128_000.37, 1.0, DOWN, 128_000.0),
        (1_234_567.05, 0.05, NEAREST, 1_234_567.05),
        # negative prices (a spread) round on the same grid
        (-0.07, 0.05, UP, -0.05),
        (-0.07, 0.05, DOWN, -0.1),
    ],
)
def test_round_to_tick(price: float, tick: float, direction: TickRounding, expected: float) -> None:
    result = round_to_tick(price, tick, direction)
    assert result == expected
    assert repr(result) == repr(expected)


def test_every_cent_of_a_range_lands_on_the_grid_as_its_decimal() -> None:
    for cents in range(2_450_000, 2_450_200):
        price = cents / 100
        up = round_to_tick(price, 0.05, UP)
        down = round_to_tick(price, 0.05, DOWN)
        assert round(up * 100) % 5 == 0
        assert round(down * 100) % 5 == 0
        assert repr(up) == repr(round(up, 2))
        assert down <= price <= up
        assert round((up - down) * 100) in (0, 5)


@pytest.mark.parametrize("tick", [0.0, -0.05, math.nan, math.inf])
def test_a_tick_that_is_not_positive_and_finite_is_refused(tick: float) -> None:
    with pytest.raises(TickRoundingError, match="tick size must be positive and finite"):
        round_to_tick(100.0, tick, NEAREST)


@pytest.mark.parametrize("price", [math.nan, math.inf, -math.inf])
def test_a_price_that_is_not_finite_is_refused(price: float) -> None:
    with pytest.raises(TickRoundingError, match="non-finite price") as info:
        round_to_tick(price, 0.05, UP)
    assert isinstance(info.value, AlphaStockError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("start", "tick"), [(24_499.0, 0.05), (83.1, 0.0025), (6_100.0, 1.0), (0.3, 0.1)])
def test_the_rust_risk_check_accepts_every_rounded_price(start: float, tick: float) -> None:
    # The Rust core rounds nothing; its TICK_SIZE_INVALID check must agree with this rounding.
    engine = risk_engine()
    for step in range(40):
        raw = start + step * tick * 0.37
        for direction in TickRounding:
            price = round_to_tick(raw, tick, direction)
            intent = future(token=CRUDE_FUT, price=price, reference_price=price, tick_size=tick)
            decision = engine.check(intent, T0)
            assert "TICK_SIZE_INVALID" not in [v.code for v in decision.violations], (raw, direction, price)
