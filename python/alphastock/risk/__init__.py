"""Pre-trade risk: every order passes :meth:`RiskEngine.check` before it may reach a broker.

The engine is in the Rust core (about 0.3 µs per check called from Python,
see ``benches/test_bench_risk.py``). It answers an :class:`OrderIntent` with a :class:`RiskDecision`:
``action`` (a :class:`RiskAction` value), ``approved_quantity`` and every failed
rule as a :class:`Violation` (``code``, ``message``), e.g.
``QTY_EXCEEDS_FREEZE: 1950 > 1800 (freeze quantity, units); slice the order``.

Rules, in the order they are evaluated (units: rupees, units not lots, seconds):

- quantity > 0 and a whole number of lots; at most the freeze quantity (else
  REJECT: the caller slices the order); product and exchange allowed;
- prices: reference price valid; a limit price valid, on the tick grid, inside
  the collar (options ±₹20 up to a ₹50 reference else ±40 %, futures ±3 %,
  equities off by default) and inside the circuit limits when known;
- state: HALTED rejects everything;
- market data: the instrument's last tick or mark at most ``max_data_age_s``
  old (REJECT or REQUIRE_APPROVAL);
- order rates: approved orders in the last 1 s / 60 s / today below the limits;
- caps, which REDUCE_SIZE to the largest whole number of lots they allow (REJECT
  when none fits): ``max_order_quantity`` and ``max_order_notional`` for every
  order; and for the part of an order that increases exposure only: REDUCING
  state, day loss, drawdown, trades per day, open positions, position per
  instrument, gross position per underlying, cash reserve. So an order that only
  reduces a position always passes the exposure caps, and in REDUCING a flip
  is cut back to the closing quantity;
- approval: an exposure-increasing order worth more than ``approval_notional``
  gets REQUIRE_APPROVAL; ``check(..., human_approved=True)`` waives it.

A violation's message ends with ``; at most N units`` for caps; messages are
built when read, so a rejection costs about as much as an approval. The action is
REJECT when any hard rule fails or no lot is left, else REQUIRE_APPROVAL when a
soft rule fails, else REDUCE_SIZE when a cap bit, else APPROVE.
"""

from alphastock._core import OrderIntent, RiskDecision, RiskPosition, Violation
from alphastock.risk.engine import RiskEngine
from alphastock.risk.enums import (
    Exchange,
    InstrumentKind,
    Product,
    RiskAction,
    RiskCode,
    Side,
    StaleDataAction,
    TradingState,
)
from alphastock.risk.limits import Limits

__all__ = [
    "Exchange",
    "InstrumentKind",
    "Limits",
    "OrderIntent",
    "Product",
    "RiskAction",
    "RiskCode",
    "RiskDecision",
    "RiskEngine",
    "RiskPosition",
    "Side",
    "StaleDataAction",
    "TradingState",
    "Violation",
]
