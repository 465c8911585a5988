"""Execution: signals to sized, risk-checked orders; the OMS; positions; exits.

Durability lives in :mod:`alphastock.persistence` (the journal, the store writer, replay).
See each module's docstring.

Only :class:`ExecutionConfig` is imported eagerly: ``alphastock.config`` needs it, and loading
the configuration must not open DuckDB or Arrow. The rest loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphastock._lazy import lazy_exports
from alphastock.execution.config import ExecutionConfig

if TYPE_CHECKING:
    from alphastock.execution.direct import DirectExecutor
    from alphastock.execution.exits import ExitMonitor, ExitPlan, ExitPlans
    from alphastock.execution.oms import OMS, Stamps
    from alphastock.execution.orders import Approval, ManagedOrder, NotApprovedError, new_order_key
    from alphastock.execution.portfolio import Holding, Portfolio
    from alphastock.execution.router import SignalRouter
    from alphastock.execution.sizing import size_by_risk
    from alphastock.execution.transitions import ORDER_TRANSITIONS, IllegalTransitionError, OrderState

_LAZY = {
    "OMS": "oms", "ORDER_TRANSITIONS": "transitions", "Approval": "orders", "DirectExecutor": "direct",
    "ExitMonitor": "exits", "ExitPlan": "exits", "ExitPlans": "exits", "Holding": "portfolio",
    "IllegalTransitionError": "transitions",
    "ManagedOrder": "orders", "NotApprovedError": "orders", "OrderState": "transitions",
    "Portfolio": "portfolio", "SignalRouter": "router", "Stamps": "oms",
    "new_order_key": "orders",
    "size_by_risk": "sizing",
}  # fmt: skip


__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "OMS",
    "ORDER_TRANSITIONS",
    "Approval",
    "DirectExecutor",
    "ExecutionConfig",
    "ExitMonitor",
    "ExitPlan",
    "ExitPlans",
    "Holding",
    "IllegalTransitionError",
    "ManagedOrder",
    "NotApprovedError",
    "OrderState",
    "Portfolio",
    "SignalRouter",
    "Stamps",
    "new_order_key",
    "size_by_risk",
]
