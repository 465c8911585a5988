"""Sizing by risk (exact values) and the portfolio's average price, realised P&L and flips."""

from __future__ import annotations

import math

import pytest

from alphastock.events import EventType, FillInfo
from alphastock.execution import ExecutionConfig, Portfolio, size_by_risk
from alphastock.refdata.ticks import TickRounding, round_to_tick
from alphastock.risk import Limits, RiskEngine
from tests.execution._harness import SBIN, T0, RecordingBus


@pytest.mark.parametrize(
    ("args", "kwargs", "units"),
    [
        ((100_000, 1.0, 800.0, 790.0, 1), {}, 100),  # 1 000 at risk / 10 per unit
        ((100_000, 1.0, 800.0, 790.0, 1), {"max_position_value": 20_000}, 25),  # 20 000 / 800
        ((100_000, 1.0, 800.0, 810.0, 1), {}, 100),  # a short: |entry - stop|
        ((1_000_000, 1.0, 25_000.0, 24_900.0, 65), {}, 65),  # 10 000 / 100 = 100 units -> 1 lot of 65
        ((1_000_000, 0.5, 25_000.0, 24_900.0, 65), {}, 0),  # 50 units: less than a lot
        ((1_000_000, 2.0, 100.0, 90.0, 30), {"max_position_value": 10_000}, 90),  # 2000 -> 3 lots by value
        ((100_000, 1.0, 800.0, 800.0, 1), {}, 0),  # no stop distance
        ((math.nan, 1.0, 800.0, 790.0, 1), {}, 0),
        ((100_000, 1.0, 800.0, 790.0, 0), {}, 0),
        ((100_000, 1.0, 800.0, 790.0, 1), {"max_position_value": 0.0}, 0),
    ],
)
def test_size_by_risk(
    args: tuple[float, float, float, float, int], kwargs: dict[str, float], units: int
) -> None:
    assert size_by_risk(*args, **kwargs) == units


def test_limit_price_rounding_and_config_validation() -> None:
    # the DirectExecutor's limit price: a buy rounds up to the tick, a sell down
    assert round_to_tick(800.07, 0.05, TickRounding.UP) == 800.1
    assert round_to_tick(800.07, 0.05, TickRounding.DOWN) == 800.05
    assert round_to_tick(800.05, 0.05, TickRounding.UP) == 800.05
    with pytest.raises(ValueError, match="market_protection"):
        ExecutionConfig(market_protection=0)
    assert ExecutionConfig(market_protection=-1).market_protection == -1


def fill(trade_id: str, side: str, qty: int, price: float, charges: float = 0.0) -> FillInfo:
    return FillInfo(trade_id, "k", "b", SBIN, "SBIN", "NSE", side, qty, price, T0, charges=charges)


def test_average_realised_flip_and_events() -> None:
    bus = RecordingBus()
    risk = RiskEngine(Limits(max_data_age_s=None, min_cash_reserve=None))
    pf = Portfolio(bus, risk=risk)
    pf.on_fill(fill("1", "BUY", 10, 100.0))
    pf.on_fill(fill("2", "BUY", 10, 110.0))
    pos = pf.position(SBIN, "MIS")
    assert pos is not None
    assert (pos.quantity, pos.average_price) == (20, 105.0)
    pf.on_fill(fill("3", "SELL", 5, 120.0, charges=2.0))  # realise 5 * 15 - 2
    assert (pos.quantity, pos.average_price, pos.realised) == (15, 105.0, 73.0)
    pf.on_fill(fill("4", "SELL", 25, 100.0))  # close 15 at -5 each, open 10 short at 100
    assert (pos.quantity, pos.average_price, pos.realised) == (-10, 100.0, -2.0)
    assert pf.on_fill(fill("4", "SELL", 25, 100.0)) is None
    assert pf.duplicate_fills == 1
    pf.mark(SBIN, 90.0, T0)
    assert pos.unrealised == 100.0
    assert pf.day_pnl == 98.0
    pf.on_fill(fill("5", "BUY", 10, 95.0))
    assert (pos.quantity, pos.realised, pos.unrealised) == (0, 48.0, 0.0)
    kinds = [e.type for e in bus.events]
    assert kinds == [EventType.POSITION_OPENED] + [EventType.POSITION_CHANGED] * 3 + [
        EventType.POSITION_CLOSED
    ]
    assert risk.realised_pnl == pytest.approx(48.0)
    assert pf.positions(open_only=True) == []
    # Trade "4" again, but of another order (a broker that restarts its numbering): a new execution.
    again = FillInfo("4", "k2", "b2", SBIN, "SBIN", "NSE", "BUY", 3, 101.0, T0)
    assert pf.on_fill(again) is not None
    assert pf.duplicate_fills == 1
    assert pf.position(SBIN, "MIS").quantity == 3  # type: ignore[union-attr]
