"""Execution: signals to sized, risk-checked orders; the OMS; positions; exits; persistence.

Durability (why a journal): every signal, order, transition and fill is appended to
the JSON-lines :class:`~alphastock.signals.journal.Journal` before anything acts on
it, and copied to DuckDB by one background :class:`StoreWriter` thread, so the tick
→ broker path never waits for a 1-5 ms DuckDB commit. :func:`replay` fills DuckDB
from the journal at start. See each module's docstring.
"""

from alphastock.execution.config import ExecutionConfig
from alphastock.execution.direct import DirectExecutor, StaticInstruments
from alphastock.execution.exits import ExitMonitor
from alphastock.execution.oms import OMS, Stamps
from alphastock.execution.orders import Approval, ManagedOrder, NotApprovedError, new_order_key
from alphastock.execution.persist import StoreWriter, replay, replay_and_rotate
from alphastock.execution.portfolio import Holding, Portfolio
from alphastock.execution.sizing import size_by_risk
from alphastock.execution.transitions import ORDER_TRANSITIONS, IllegalTransitionError, OrderState

__all__ = [
    "OMS",
    "ORDER_TRANSITIONS",
    "Approval",
    "DirectExecutor",
    "ExecutionConfig",
    "ExitMonitor",
    "Holding",
    "IllegalTransitionError",
    "ManagedOrder",
    "NotApprovedError",
    "OrderState",
    "Portfolio",
    "Stamps",
    "StaticInstruments",
    "StoreWriter",
    "new_order_key",
    "replay",
    "replay_and_rotate",
    "size_by_risk",
]
