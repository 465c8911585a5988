"""The one position rule: average price, realised and unrealised P&L, with a contract multiplier.

Money is ``price x quantity x multiplier`` rupees. ``quantity`` is what Kite counts (signed: negative
= short): units on NSE/BSE/NFO/BFO (multiplier 1), lots on MCX, where the multiplier (CRUDEOIL: 100
barrels per lot, prices per barrel; see :mod:`alphastock.refdata.multipliers`) turns price into rupees.

* A fill that opens or increases a position moves the average price, weighted by quantity.
* One that reduces it realises ``closed x (price - average) x sign x multiplier`` and keeps the average.
* One that flips it realises the whole old position and opens the rest at the fill price.
* Unrealised P&L is ``quantity x (mark - average) x multiplier`` (0 when flat or never marked).

Every Python position uses :func:`apply_fill` and :func:`unrealised`: the
:class:`~alphastock.execution.portfolio.Portfolio`'s holdings and the PaperBroker's ledger
(:class:`~alphastock.brokers.paper.ledger.PositionState`, which keeps Kite's buy/sell values on top).

The risk engine keeps the same rule in Rust (``rust/src/risk/positions.rs``, ``Book::fill`` /
``Book::mark``): it runs on the pre-trade hot path, where every order's check reads positions and the
day's P&L without crossing into Python, so it cannot call this module. Two copies stay one rule
because ``tests/risk/test_position_parity.py`` runs the same random fill and mark sequences through
both and asserts equal quantity, average price, realised and unrealised P&L; the arithmetic here is
written in the Rust code's order of operations so that they agree to the bit on the same inputs.
"""

from __future__ import annotations

from typing import NamedTuple


class FillResult(NamedTuple):
    """A position after one fill: signed ``quantity``, ``average_price`` rupees (0 when flat) and the
    P&L the fill ``realised`` (rupees, before charges; 0 for an increase)."""

    quantity: int
    average_price: float
    realised: float


def apply_fill(
    quantity: int, average_price: float, signed_quantity: int, price: float, multiplier: float = 1.0
) -> FillResult:
    """The position ``(quantity, average_price)`` after a fill of ``signed_quantity`` (+ buy, - sell) at
    ``price`` rupees worth ``price x |signed_quantity| x multiplier`` rupees (module docstring rule)."""
    after = quantity + signed_quantity
    if quantity == 0 or (quantity > 0) == (signed_quantity > 0):
        # Same expression as the Rust Book: (|before| x avg + |fill| x price) / |after|.
        average = (abs(quantity) * average_price + abs(signed_quantity) * price) / abs(after)
        return FillResult(after, average, 0.0)
    closed = min(abs(signed_quantity), abs(quantity))
    sign = 1 if quantity > 0 else -1
    realised = closed * (price - average_price) * sign * multiplier
    if after == 0:
        average_price = 0.0
    elif (after > 0) != (quantity > 0):
        average_price = price  # flipped: the rest opens at the fill price
    return FillResult(after, average_price, realised)


def unrealised(quantity: int, average_price: float, mark: float, multiplier: float = 1.0) -> float:
    """Open P&L of ``quantity`` at ``average_price`` marked at ``mark``, rupees; 0 when flat or unmarked
    (``mark`` <= 0)."""
    if quantity == 0 or mark <= 0:
        return 0.0
    return quantity * (mark - average_price) * multiplier + 0.0


__all__ = ["FillResult", "apply_fill", "unrealised"]
