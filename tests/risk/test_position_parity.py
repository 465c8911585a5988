"""One position rule in two languages: the Python rule (:mod:`alphastock.risk.position`, through the
Portfolio as the engine wires it) and the Rust risk engine's book give the same quantity, average
price, realised and unrealised P&L on the same random fills and marks, with contract multipliers.

The Portfolio forwards every fill (with its charges and multiplier) and every mark to the risk engine,
exactly as in a live session, so this compares the two implementations on identical inputs.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphastock.events import Event, FillInfo
from alphastock.execution.portfolio import Portfolio
from alphastock.risk import Limits, RiskEngine
from alphastock.risk.position import apply_fill, unrealised

MULTIPLIERS = [1.0, 5.0, 10.0, 100.0, 1250.0]
TOKENS = [101, 202, 303]


class _Bus:
    def publish_nowait(self, event: Event[Any]) -> bool:
        return True


def _tick(ticks: int) -> float:
    return round(ticks * 0.05, 2)


fill_op = st.tuples(
    st.just("fill"),
    st.sampled_from(TOKENS),
    st.sampled_from(["BUY", "SELL"]),
    st.integers(1, 40),
    st.integers(20, 200_000).map(_tick),
    st.sampled_from([0.0, 0.0, 20.0, 37.25]),
)
mark_op = st.tuples(st.just("mark"), st.sampled_from(TOKENS), st.integers(20, 200_000).map(_tick))


def _run(ops: list[tuple[Any, ...]], multipliers: dict[int, float]) -> tuple[Portfolio, RiskEngine]:
    by_symbol = {f"S{t}": m for t, m in multipliers.items()}
    risk = RiskEngine(Limits(max_daily_loss=None, max_drawdown=None, max_trades_per_day=None))
    portfolio = Portfolio(_Bus(), risk=risk, multipliers=lambda _exchange, symbol: by_symbol[symbol])
    for n, op in enumerate(ops):
        if op[0] == "fill":
            _, token, side, qty, price, charges = op
            portfolio.on_fill(
                FillInfo(
                    f"t{n}", f"o{n}", None, token, f"S{token}", "MCX", side, qty, price, n, "NRML", charges
                )
            )
        else:
            _, token, price = op
            portfolio.mark(token, price, n)
    return portfolio, risk


@settings(max_examples=300, deadline=None)
@given(
    ops=st.lists(st.one_of(fill_op, fill_op, mark_op), min_size=1, max_size=60),
    mults=st.lists(st.sampled_from(MULTIPLIERS), min_size=len(TOKENS), max_size=len(TOKENS)),
)
def test_python_rule_and_rust_book_agree(ops: list[tuple[Any, ...]], mults: list[float]) -> None:
    multipliers = dict(zip(TOKENS, mults, strict=True))
    portfolio, risk = _run(ops, multipliers)
    for token in TOKENS:
        held = portfolio.position(token, "NRML")
        seen = risk.position(token)
        if held is None or held.quantity == 0:
            assert seen is None
            continue
        assert seen is not None
        # Same expressions in the same order: equal to the bit, position by position.
        assert (seen.quantity, seen.avg_price, seen.multiplier) == (
            held.quantity,
            held.average_price,
            multipliers[token],
        )
        assert seen.unrealised_pnl == held.unrealised
    # Totals are sums over positions in different orders (Rust: open order; Python: first trade).
    assert risk.realised_pnl == pytest.approx(portfolio.realised, rel=1e-12, abs=1e-6)
    assert risk.unrealised_pnl == pytest.approx(portfolio.unrealised, rel=1e-12, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(st.one_of(fill_op, mark_op), min_size=1, max_size=60), mult=st.sampled_from(MULTIPLIERS))
def test_one_instrument_agrees_to_the_bit(ops: list[tuple[Any, ...]], mult: float) -> None:
    ops = [(*op[:1], TOKENS[0], *op[2:]) for op in ops]
    portfolio, risk = _run(ops, dict.fromkeys(TOKENS, mult))
    assert (risk.realised_pnl, risk.unrealised_pnl) == (portfolio.realised, portfolio.unrealised)


def test_the_rule_by_value_with_a_multiplier() -> None:
    # CRUDEOIL, 100 barrels per lot: buy 2 lots at 5600, buy 1 at 5630 (avg 5610), sell 2 at 5650
    # (realise 2 x 40 x 100 = 8,000), sell 3 at 5600 (realise 1 x -10 x 100 = -1,000, short 2 at 5600).
    q, avg, r = apply_fill(0, 0.0, 2, 5600.0, 100.0)
    q, avg, r = apply_fill(q, avg, 1, 5630.0, 100.0)
    assert (q, avg, r) == (3, 5610.0, 0.0)
    q, avg, r = apply_fill(q, avg, -2, 5650.0, 100.0)
    assert (q, avg, r) == (1, 5610.0, 8000.0)
    q, avg, r = apply_fill(q, avg, -3, 5600.0, 100.0)
    assert (q, avg, r) == (-2, 5600.0, -1000.0)
    assert unrealised(q, avg, 5590.0, 100.0) == 2000.0  # short 2 lots, 10 rupees a barrel lower
    assert unrealised(0, 0.0, 5590.0, 100.0) == 0.0
    assert unrealised(q, avg, 0.0, 100.0) == 0.0  # never marked
