"""The OMS's explicit order-state table (as nautilus_trader keeps one), and Kite status mapping.

States: NEW (journaled, not sent) → SUBMITTED (``place_order`` called) → OPEN /
TRIGGER_PENDING → PARTIALLY_FILLED → FILLED; CANCEL_PENDING → CANCELLED; REJECTED
(by risk or the broker); UNKNOWN (the broker call's outcome is ambiguous) until
reconciliation finds the order by its tag. FILLED, CANCELLED and REJECTED are terminal.
A change outside :data:`ORDER_TRANSITIONS` is refused (:class:`IllegalTransitionError`).

CANCEL_PENDING is a resting order with a cancel asked. At the exchange a cancel is a
message of its own: until it is processed the order rests (on its latest terms, a
modification processed before the cancel included) and may trade. So a broker report
of the order resting (OPEN, TRIGGER PENDING, OPEN with fills), read from the book
before the exchange processed the cancel, or a modification's acknowledgement that
Kite delivers after our cancel request, does not end the cancel: the order stays
CANCEL_PENDING, takes the report's terms and fills (:func:`reported_state`). It
ends CANCELLED (the unfilled rest cancelled; units filled stay filled) or FILLED (it
filled before the cancel arrived, and the cancel is refused). It goes back to a
resting state only when the broker did not take the cancel request (refused, outcome
unknown, or asked by an earlier session): then the broker's next report of the order
resting says in which.
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
    # The cancel ends it (CANCELLED) or loses the race (FILLED); back to resting only when the broker
    # did not take the cancel request (see the module docstring and reported_state).
    _S.CANCEL_PENDING: frozenset({_S.CANCELLED, _S.FILLED, _S.OPEN, _S.TRIGGER_PENDING, _S.PARTIALLY_FILLED}),
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


RESTING: Final = frozenset({_S.OPEN, _S.TRIGGER_PENDING, _S.PARTIALLY_FILLED})
"""States of an order resting at the exchange, which a cancel may be asked of."""


def reported_state(
    current: OrderState, reported: OrderState | None, *, cancel_taken: bool
) -> OrderState | None:
    """The state a broker report of an order in ``current`` (mapped by :func:`state_from_kite`)
    moves it to (None: the report's status is transient). A CANCEL_PENDING order reported resting
    stays CANCEL_PENDING while its cancel request stands (``cancel_taken``: the broker took it, or
    the call is not answered yet), as the exchange has not processed the cancel yet; see the module
    docstring."""
    if current is _S.CANCEL_PENDING and reported in RESTING and cancel_taken:
        return _S.CANCEL_PENDING
    return reported


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


__all__ = [
    "ORDER_TRANSITIONS",
    "RESTING",
    "IllegalTransitionError",
    "OrderState",
    "check_transition",
    "reported_state",
    "state_from_kite",
]
