"""The OMS's order record and the risk approval it needs: :class:`ManagedOrder`, :class:`Approval`, keys.

Idempotency keys travel in Kite's ``tag`` (≤ 20 characters; Kite has no client order
id): ``"AS"`` + 11 hex digits of the creation time in ms + a 4-hex-digit counter + 2
hex digits drawn at random once per process (19 characters): unique within a process
(up to 65536 orders per ms) and, by the time, the counter's random start and the
process's random digits, across restarts. (Not ``os.urandom`` per key: the call
releases the GIL on the hot path.)
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Any

from alphastock._core import OrderIntent, RiskDecision
from alphastock.errors import AlphaStockError
from alphastock.events import OrderSnapshot
from alphastock.execution.transitions import OrderState
from alphastock.models import OrderRequest
from alphastock.risk import RiskAction
from alphastock.store.records import OrderRecord

_counter = itertools.count(int.from_bytes(os.urandom(2), "big"))
_PROCESS_SALT = os.urandom(1).hex()


def new_order_key(now_ns: int | None = None) -> str:
    """A new idempotency key (19 characters, see the module docstring)."""
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    return f"AS{ms & 0xFFFFFFFFFFF:011x}{next(_counter) & 0xFFFF:04x}{_PROCESS_SALT}"


class NotApprovedError(AlphaStockError, ValueError):
    """An order without an approving :class:`RiskDecision` (nothing reaches a broker without one)."""


@dataclass(frozen=True, slots=True)
class Approval:
    """Proof that :meth:`RiskEngine.check` approved an intent: only :meth:`from_decision` makes one.

    ``quantity`` (units) is the most the OMS may send for it.
    """

    intent: OrderIntent
    decision: RiskDecision
    quantity: int
    checked_ns: int

    @classmethod
    def from_decision(cls, intent: OrderIntent, decision: RiskDecision, checked_ns: int) -> Approval:
        """The approval of ``decision`` (APPROVE or REDUCE_SIZE); else :class:`NotApprovedError`."""
        if (
            decision.action not in (RiskAction.APPROVE, RiskAction.REDUCE_SIZE)
            or decision.approved_quantity < 1
        ):
            raise NotApprovedError(
                f"risk answered {decision.action} ({', '.join(decision.codes)}) for {intent.symbol}"
            )
        return cls(intent, decision, int(decision.approved_quantity), checked_ns)

    def covers(self, request: OrderRequest) -> bool:
        """True when ``request`` is the approved order: same token, side, product, at most the quantity."""
        return (
            request.instrument_token == self.intent.token
            and request.transaction_type.value == self.intent.side
            and request.product.value == self.intent.product
            and request.quantity <= self.quantity
        )

    def covers_modification(self, request: OrderRequest, filled_quantity: int) -> bool:
        """True when ``request`` (an open order's terms after a modification, ``quantity`` the order's
        new total as Kite counts it) is approved: same token, side and product, the units that may still
        trade (``request.quantity - filled_quantity``) at most :attr:`quantity`, and the limit price the
        risk check measured (its collar) the one sent."""
        price = self.intent.price
        if price is not None and request.price is not None and abs(price - request.price) > 1e-9:
            return False
        return (
            request.instrument_token == self.intent.token
            and request.transaction_type.value == self.intent.side
            and request.product.value == self.intent.product
            and request.quantity - filled_quantity <= self.quantity
        )


@dataclass(slots=True)
class ManagedOrder:
    """An order the OMS tracks (prices rupees, quantities units, times UTC epoch ns)."""

    key: str
    request: OrderRequest
    state: OrderState
    created_ns: int
    updated_ns: int
    signal_id: str | None = None
    parent_key: str | None = None
    purpose: str = "entry"
    """``entry``, ``exit``, ``square_off``, or (resting protection) ``stop`` and ``target``."""
    broker_order_id: str | None = None
    filled_quantity: int = 0
    average_price: float | None = None
    message: str | None = None
    fill_quantity: int = 0
    """Units already emitted as FILL events."""
    derived_quantity: int = 0
    """Units emitted as derived fills (order_trades failed); real trades covering them are skipped."""
    trade_ids: set[str] = field(default_factory=set)
    submit_recorded: bool = False
    """SUBMITTED is set before the broker call and recorded (journal, store, event) right after it."""
    unknown_since: int = 0
    """Engine-clock UTC epoch ns when the broker call's outcome became ambiguous (UNKNOWN)."""
    absent_reads: int = 0
    """Broker order-book reads, after the OMS's ``unknown_timeout_s``, that lacked this UNKNOWN order."""
    modifying: OrderRequest | None = None
    """The terms asked for by a modification not yet confirmed by the broker (None: none in flight).
    Until then the order rests at the exchange on :attr:`request`'s terms, and may fill on them."""
    modifications: int = 0
    """Modifications asked for by the OMS (Kite allows 25 per order)."""

    @property
    def symbol(self) -> str:
        """Kite tradingsymbol."""
        return self.request.tradingsymbol

    @property
    def token(self) -> int:
        """Kite instrument token."""
        return self.request.instrument_token

    def to_record(self) -> OrderRecord:
        """The row of the store's ``orders`` table."""
        return OrderRecord(**self.journal_record())

    def snapshot(self) -> OrderSnapshot:
        """The :class:`OrderSnapshot` event payload."""
        r = self.request
        return OrderSnapshot(
            key=self.key,
            symbol=r.tradingsymbol,
            exchange=r.exchange.value,
            side=r.transaction_type.value,
            quantity=r.quantity,
            state=self.state.value,
            order_type=r.order_type.value,
            product=r.product.value,
            token=r.instrument_token,
            price=r.price,
            trigger_price=r.trigger_price,
            broker_order_id=self.broker_order_id,
            filled_quantity=self.filled_quantity,
            average_price=self.average_price,
            message=self.message,
            signal_id=self.signal_id,
            parent_key=self.parent_key,
            ts_ns=self.updated_ns,
        )

    def journal_record(self) -> dict[str, Any]:
        """The journal's ``order`` data: the fields of an :class:`OrderRecord`, as a dict."""
        r = self.request
        return {
            "idempotency_key": self.key,
            "symbol": r.tradingsymbol,
            "exchange": r.exchange.value,
            "product": r.product.value,
            "side": r.transaction_type.value,
            "order_type": r.order_type.value,
            "variety": r.variety.value,
            "quantity": r.quantity,
            "state": self.state.value,
            "created_ns": self.created_ns,
            "token": r.instrument_token,
            "validity": r.validity.value,
            "price": r.price,
            "trigger_price": r.trigger_price,
            "parent_id": self.parent_key,
            "signal_id": self.signal_id,
            "broker_order_id": self.broker_order_id,
            "filled_quantity": self.filled_quantity,
            "average_price": self.average_price,
            "status_message": self.message,
            "updated_ns": self.updated_ns,
        }


__all__ = ["Approval", "ManagedOrder", "NotApprovedError", "new_order_key"]
