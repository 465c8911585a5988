"""Properties over random engines, books and intents (hypothesis).

- REDUCE_SIZE approves a positive whole number of lots, strictly fewer than requested;
- APPROVE approves exactly the request, REJECT nothing, REQUIRE_APPROVAL at most the request;
- HALTED approves nothing;
- the same calls give the same decisions (determinism).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alphastock.risk import OrderIntent, RiskDecision, RiskEngine
from tests.risk._intents import SECOND, T0, limits

LOTS = [1, 15, 25, 30, 65, 75, 120]
TOKENS = [11, 12, 13]


@st.composite
def limit_sets(draw: st.DrawFn) -> dict[str, Any]:
    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | strategy)

    return {
        "max_order_quantity": maybe(st.integers(1, 5000)),
        "max_order_notional": maybe(st.floats(100.0, 2e6)),
        "max_position_quantity": maybe(st.integers(1, 5000)),
        "max_underlying_quantity": maybe(st.integers(1, 8000)),
        "max_open_positions": maybe(st.integers(1, 3)),
        "max_trades_per_day": maybe(st.integers(1, 10)),
        "min_cash_reserve": maybe(st.floats(0.0, 50_000.0)),
        "approval_notional": maybe(st.floats(1000.0, 1e6)),
        "max_orders_per_second": maybe(st.integers(1, 5)),
    }


@dataclass(frozen=True)
class Step:
    token: int
    side: str
    lots: int
    lot: int
    price: float
    fill: bool


steps = st.builds(
    Step,
    token=st.sampled_from(TOKENS),
    side=st.sampled_from(["BUY", "SELL"]),
    lots=st.integers(1, 40),
    lot=st.sampled_from(LOTS),
    price=st.integers(1, 4000).map(lambda ticks: ticks * 0.05),
    fill=st.booleans(),
)


def intent(step: Step, quantity: int | None = None) -> OrderIntent:
    return OrderIntent(
        token=step.token,
        symbol=f"SYM{step.token}",
        exchange="NFO",
        product="NRML",
        side=step.side,
        quantity=step.lots * step.lot if quantity is None else quantity,
        price=step.price,
        reference_price=step.price,
        lot_size=step.lot,
        kind="FUT",
        underlying="NIFTY" if step.token != 13 else "BANKNIFTY",
    )


def run(
    limit_set: dict[str, Any], cash: float | None, book: list[Step], orders: list[Step]
) -> list[RiskDecision]:
    e = RiskEngine(limits(**limit_set))
    if cash is not None:
        e.set_cash(cash)
    for i, s in enumerate(book):
        e.on_fill(s.token, s.side, s.lots * s.lot, s.price, T0 + i, underlying="NIFTY")
    out = []
    for i, s in enumerate(orders):
        now = T0 + (i + 1) * SECOND // 3
        d = e.check(intent(s), now)
        out.append(d)
        if s.fill and d.approved:
            e.on_fill(s.token, s.side, d.approved_quantity, s.price, now)
    return out


@settings(max_examples=150, deadline=None)
@given(
    limit_set=limit_sets(),
    cash=st.none() | st.floats(0.0, 5e6),
    book=st.lists(steps, max_size=4),
    orders=st.lists(steps, min_size=1, max_size=12),
)
def test_approved_quantity_is_never_more_than_requested_and_whole_lots(
    limit_set: dict[str, Any], cash: float | None, book: list[Step], orders: list[Step]
) -> None:
    for s, d in zip(orders, run(limit_set, cash, book, orders), strict=True):
        requested = s.lots * s.lot
        assert d.requested_quantity == requested
        assert d.approved_quantity % s.lot == 0
        if d.action == "REDUCE_SIZE":
            assert 0 < d.approved_quantity < requested
            assert d.violations
        elif d.action == "APPROVE":
            assert (d.approved_quantity, d.violations) == (requested, [])
        elif d.action == "REJECT":
            assert (d.approved_quantity, d.approved) == (0, False)
            assert d.violations
        else:
            assert 0 < d.approved_quantity <= requested
            assert "NOTIONAL_NEEDS_APPROVAL" in d.codes


@settings(max_examples=100, deadline=None)
@given(
    limit_set=limit_sets(),
    book=st.lists(steps, max_size=4),
    orders=st.lists(steps, min_size=1, max_size=8),
    odd_quantity=st.integers(-100, 10_000),
)
def test_halted_approves_nothing(
    limit_set: dict[str, Any], book: list[Step], orders: list[Step], odd_quantity: int
) -> None:
    e = RiskEngine(limits(**limit_set))
    e.set_cash(1e9)
    for i, s in enumerate(book):
        e.on_fill(s.token, s.side, s.lots * s.lot, s.price, T0 + i, underlying="NIFTY")
    e.kill("property test", T0)
    for i, s in enumerate(orders):
        for quantity in (None, odd_quantity):
            d = e.check(intent(s, quantity), T0 + i, human_approved=True)
            assert (d.action, d.approved, d.approved_quantity) == ("REJECT", False, 0)
            assert "STATE_HALTED" in d.codes
    assert e.orders_today == 0


@settings(max_examples=50, deadline=None)
@given(
    limit_set=limit_sets(),
    cash=st.none() | st.floats(0.0, 5e6),
    book=st.lists(steps, max_size=4),
    orders=st.lists(steps, min_size=1, max_size=12),
)
def test_same_calls_same_decisions(
    limit_set: dict[str, Any], cash: float | None, book: list[Step], orders: list[Step]
) -> None:
    first = run(limit_set, cash, book, orders)
    second = run(limit_set, cash, book, orders)
    assert [repr(d) for d in first] == [repr(d) for d in second]
