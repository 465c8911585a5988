"""Positions and P&L bookkeeping on sequences of fills, with every expected value worked by hand."""

from __future__ import annotations

import re

import pytest

from alphastock.risk import RiskPosition
from tests.risk._intents import INFY, NIFTY_CE, NIFTY_PE, T0, engine


def test_a_day_of_fills_long_reduce_flip_and_close() -> None:
    e = engine()
    e.on_fill(NIFTY_CE, "BUY", 130, 100.0, T0, underlying="NIFTY")
    e.on_fill(NIFTY_CE, "BUY", 65, 106.0, T0 + 1)
    # avg = (130·100 + 65·106) / 195 = 19890 / 195 = 102.0; marked at the last fill, 106.
    p = e.position(NIFTY_CE)
    assert p is not None
    assert (p.quantity, p.avg_price, p.mark, p.unrealised_pnl) == (195, 102.0, 106.0, 780.0)
    assert (e.realised_pnl, e.unrealised_pnl, e.day_pnl, e.peak_pnl) == (0.0, 780.0, 780.0, 780.0)

    e.on_fill(NIFTY_CE, "SELL", 65, 110.0, T0 + 2, charges=20.0)
    # Realise 65 * (110 - 102) = 520, less 20 charges; 130 left at avg 102, marked 110.
    assert (e.position(NIFTY_CE).quantity, e.position(NIFTY_CE).avg_price) == (130, 102.0)  # type: ignore[union-attr]
    assert (e.realised_pnl, e.unrealised_pnl) == (500.0, 1040.0)
    assert e.peak_pnl == 1540.0

    e.on_fill(NIFTY_CE, "SELL", 325, 98.0, T0 + 3)
    # Close 130: realise 130 * (98 - 102) = -520; then short 195 opened at 98.
    p = e.position(NIFTY_CE)
    assert p is not None
    assert (p.quantity, p.avg_price, p.mark, p.unrealised_pnl) == (-195, 98.0, 98.0, 0.0)
    assert (e.realised_pnl, e.day_pnl) == (-20.0, -20.0)
    assert (e.peak_pnl, e.drawdown) == (1540.0, 1560.0)

    assert e.on_mark(NIFTY_CE, 95.5, T0 + 4) is True
    assert e.unrealised_pnl == pytest.approx(487.5)  # -195 * (95.5 - 98)
    assert e.day_pnl == pytest.approx(467.5)

    e.on_fill(NIFTY_CE, "BUY", 195, 96.0, T0 + 5, charges=20.0)
    # Cover: realise -195 * (96 - 98) = +390, less 20.
    assert e.position(NIFTY_CE) is None
    assert (e.realised_pnl, e.unrealised_pnl, e.open_positions, e.trades_today) == (350.0, 0.0, 0, 5)
    assert e.underlying_quantity("NIFTY") == 0


def test_unrealised_pnl_sums_over_instruments() -> None:
    e = engine()
    e.on_fill(NIFTY_CE, "BUY", 65, 120.0, T0, underlying="NIFTY")
    e.on_fill(NIFTY_PE, "SELL", 130, 80.0, T0, underlying="NIFTY")
    e.on_fill(INFY, "BUY", 10, 1500.0, T0)
    e.on_mark(NIFTY_CE, 125.0, T0 + 1)  # +325
    e.on_mark(NIFTY_PE, 75.5, T0 + 1)  # -130 * -4.5 = +585
    e.on_mark(INFY, 1490.0, T0 + 1)  # -100
    assert e.unrealised_pnl == pytest.approx(810.0)
    assert e.open_positions == 3
    assert e.underlying_quantity("NIFTY") == 195
    assert e.underlying_quantity("INFY") == 0  # no check named it: its own group "#408065"
    assert e.underlying_quantity(f"#{INFY}") == 10
    assert [p.token for p in e.positions()] == [NIFTY_CE, NIFTY_PE, INFY]


def test_positions_are_readable_records() -> None:
    e = engine()
    e.on_fill(NIFTY_PE, "SELL", 130, 80.0, T0, underlying="NIFTY")
    [p] = e.positions()
    assert isinstance(p, RiskPosition)
    assert (p.token, p.quantity, p.avg_price, p.mark, p.unrealised_pnl, p.underlying) == (
        NIFTY_PE,
        -130,
        80.0,
        80.0,
        0.0,
        "NIFTY",
    )
    assert repr(p) == (
        "RiskPosition(token=256521, quantity=-130, avg_price=80.0, mark=80.0, unrealised_pnl=0.0, "
        "multiplier=1.0, underlying='NIFTY')"
    )
    assert e.position(123) is None


def test_check_binds_the_underlying_for_later_fills() -> None:
    from tests.risk._intents import option

    e = engine()
    e.check(option(), T0)
    e.on_fill(NIFTY_CE, "BUY", 650, 120.05, T0)
    assert e.underlying_quantity("NIFTY") == 650


def test_marks_without_a_position_move_nothing_and_bad_marks_are_ignored() -> None:
    e = engine()
    assert e.on_mark(NIFTY_CE, 120.0, T0) is True
    assert (e.day_pnl, e.peak_pnl) == (0.0, 0.0)
    e.on_fill(NIFTY_CE, "BUY", 65, 120.0, T0, underlying="NIFTY")
    assert e.on_mark(NIFTY_CE, float("nan"), T0 + 1) is False
    assert e.on_mark(NIFTY_CE, 0.0, T0 + 1) is False
    assert e.position(NIFTY_CE).mark == 120.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((NIFTY_CE, "BUY", 0, 120.0, T0), {}, "fill quantity must be >= 1, got 0"),
        ((NIFTY_CE, "BUY", 65, float("nan"), T0), {}, "fill price must be > 0 and finite, got NaN"),
        ((NIFTY_CE, "BUY", 65, 120.0, T0), {"charges": -1.0}, "charges must be >= 0 and finite, got -1"),
        ((NIFTY_CE, "BUY", 65, 120.0, T0), {"underlying": ""}, "underlying must not be empty"),
        ((NIFTY_CE, "LONG", 65, 120.0, T0), {}, "side must be one of BUY, SELL, got 'LONG'"),
    ],
)
def test_malformed_fills_raise(
    args: tuple[int, str, int, float, int], kwargs: dict[str, object], message: str
) -> None:
    e = engine()
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        e.on_fill(*args, **kwargs)  # type: ignore[arg-type]
    assert e.trades_today == 0


def test_reset_day_rebases_carried_positions_at_their_mark() -> None:
    e = engine()
    e.on_fill(NIFTY_CE, "BUY", 65, 120.0, T0, underlying="NIFTY")
    e.on_fill(INFY, "BUY", 10, 1500.0, T0)
    e.on_fill(INFY, "SELL", 5, 1510.0, T0)
    e.on_mark(NIFTY_CE, 110.0, T0 + 1)
    assert (e.realised_pnl, e.unrealised_pnl) == (50.0, -650.0 + 50.0)
    e.reset_day(T0 + 100)
    assert (e.realised_pnl, e.unrealised_pnl, e.day_pnl, e.peak_pnl, e.trades_today) == (
        0.0,
        0.0,
        0.0,
        0.0,
        0,
    )
    assert e.position(NIFTY_CE).avg_price == 110.0  # type: ignore[union-attr]
    assert e.position(INFY).avg_price == 1510.0  # type: ignore[union-attr]
    e.on_mark(NIFTY_CE, 111.0, T0 + 101)
    assert e.day_pnl == 65.0


def test_peak_never_falls_and_starts_at_zero() -> None:
    e = engine()
    e.on_fill(NIFTY_CE, "BUY", 65, 120.0, T0, underlying="NIFTY")
    e.on_mark(NIFTY_CE, 119.0, T0 + 1)
    assert (e.peak_pnl, e.drawdown) == (0.0, 65.0)
    e.on_mark(NIFTY_CE, 121.0, T0 + 2)
    e.on_mark(NIFTY_CE, 120.5, T0 + 3)
    assert (e.peak_pnl, e.drawdown) == (65.0, 32.5)
