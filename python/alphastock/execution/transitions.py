"""The OMS's explicit order-state table (as nautilus_trader keeps one), and Kite status mapping.

States: NEW (journaled, not sent) → SUBMITTED (``place_order`` called) → OPEN /
TRIGGER_PENDING → PARTIALLY_FILLED → FILLED; CANCEL_PENDING → CANCELLED; REJECTED
(by risk or the broker); UNKNOWN (the broker call's outcome is ambiguous) until
reconciliation finds the order by its tag. FILLED, CANCELLED and REJECTED are terminal.
A change outside :data:`ORDER_TRANSITIONS` is refused (:class:`IllegalTransitionError`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from alphastock.errors import AlphaStockError
from alphastock.models import OrderStatus


class OrderState(StrEnum):
    """OMS order states (see the module docstring)."""

    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    OPEN = "OPEN"
    TRIGGER_PENDING = "TRIGGER_PENDING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCEL_PENDING = "CANCEL_PENDING"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """True for FILLED, CANCELLED, REJECTED."""
        return not ORDER_TRANSITIONS[self]

    @property
    def is_open(self) -> bool:
        """True while the order may still trade (every non-terminal state except NEW)."""
        return not self.is_terminal and self is not OrderState.NEW


_S = OrderState
_AT_BROKER: Final = frozenset(
    {_S.OPEN, _S.TRIGGER_PENDING, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCEL_PENDING, _S.CANCELLED}
)

ORDER_TRANSITIONS: Final[dict[OrderState, frozenset[OrderState]]] = {
    _S.NEW: frozenset({_S.SUBMITTED, _S.REJECTED}),
    _S.SUBMITTED: _AT_BROKER | {_S.REJECTED, _S.UNKNOWN},
    _S.UNKNOWN: (_AT_BROKER - {_S.CANCEL_PENDING}) | {_S.REJECTED},
    _S.OPEN: frozenset({_S.TRIGGER_PENDING, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCEL_PENDING, _S.CANCELLED}),
    _S.TRIGGER_PENDING: frozenset(
        {_S.OPEN, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCEL_PENDING, _S.CANCELLED, _S.REJECTED}
    ),
    _S.PARTIALLY_FILLED: frozenset({_S.FILLED, _S.CANCEL_PENDING, _S.CANCELLED}),
    # A cancel may lose the race: the order fills (partly) or stays open.
    _S.CANCEL_PENDING: frozenset({_S.CANCELLED, _S.FILLED, _S.PARTIALLY_FILLED, _S.OPEN}),
    _S.FILLED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.REJECTED: frozenset(),
}
"""Allowed changes of state; terminal states have none. Staying in a state (more fills) is not a change."""


class IllegalTransitionError(AlphaStockError, ValueError):
    """An order state change :data:`ORDER_TRANSITIONS` does not allow."""


def check_transition(key: str, current: OrderState, new: OrderState) -> None:
    """Raise :class:`IllegalTransitionError` unless ``current → new`` is allowed (or ``current == new``)."""
    if new is not current and new not in ORDER_TRANSITIONS[current]:
        raise IllegalTransitionError(f"order {key}: {current} -> {new} is not allowed")


_KITE: Final[dict[str, OrderState]] = {
    OrderStatus.OPEN: _S.OPEN,
    OrderStatus.TRIGGER_PENDING: _S.TRIGGER_PENDING,
    OrderStatus.COMPLETE: _S.FILLED,
    OrderStatus.CANCELLED: _S.CANCELLED,
    OrderStatus.CANCELLED_AMO: _S.CANCELLED,
    OrderStatus.REJECTED: _S.REJECTED,
    OrderStatus.CANCEL_PENDING: _S.CANCEL_PENDING,
}


def state_from_kite(status: str, filled_quantity: int, quantity: int) -> OrderState | None:
    """The OMS state a Kite status means, or None for transient statuses (``PUT ORDER REQ RECEIVED``,
    ``VALIDATION PENDING``, ``MODIFY ...``) that change nothing. An OPEN order with fills is
    PARTIALLY_FILLED."""
    state = _KITE.get(status)
    if state is _S.OPEN and 0 < filled_quantity < quantity:
        return _S.PARTIALLY_FILLED
    return state


__all__ = ["ORDER_TRANSITIONS", "IllegalTransitionError", "OrderState", "check_transition", "state_from_kite"]
