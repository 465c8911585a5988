"""The :class:`Signal`: what a strategy proposes — never an order.

A signal names an instrument, a direction, an entry price with its stop loss
and target, a confidence in [0, 1] and the expected move. Its status moves
NEW → ACTIVE (an order was placed for it) → CLOSED (the position it opened is
closed), or NEW → EXPIRED (not acted on in time) / REJECTED (risk or the broker
refused it); ACTIVE may also end REJECTED when every order for it was refused.
:meth:`Signal.with_status` enforces that table.

Units: prices rupees, quantities units, times UTC epoch ns, ``expected_move_pct`` in
percent of ``entry`` (2.5 means 2.5%).
"""

from __future__ import annotations

import itertools
import os
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # the store package opens DuckDB; the model must stay importable without it
    from alphastock.store.records import SignalRecord


class SignalAction(StrEnum):
    """Direction: BUY opens or adds long / closes short; SELL the reverse."""

    BUY = "BUY"
    SELL = "SELL"


class SignalStatus(StrEnum):
    """Lifecycle of a signal (see the module docstring)."""

    NEW = "NEW"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"


SIGNAL_TRANSITIONS: Final[dict[SignalStatus, frozenset[SignalStatus]]] = {
    SignalStatus.NEW: frozenset({SignalStatus.ACTIVE, SignalStatus.EXPIRED, SignalStatus.REJECTED}),
    SignalStatus.ACTIVE: frozenset({SignalStatus.CLOSED, SignalStatus.REJECTED}),
    SignalStatus.CLOSED: frozenset(),
    SignalStatus.EXPIRED: frozenset(),
    SignalStatus.REJECTED: frozenset(),
}
"""Allowed status changes; terminal statuses have none."""

_ID_PREFIX: Final = "S"


_sequence = itertools.count(int.from_bytes(os.urandom(3), "big"))
"""Signal ids' last digits: a counter from a random start (``os.urandom`` once, at import:
per id it would release the GIL on the hot path, where a waiting thread can take it for ms)."""


def new_signal_id(ts_ns: int | None = None) -> str:
    """A unique, time-ordered signal id: ``S`` + 13 hex digits of ms + 6 hex digits of a counter
    that starts at random (20 chars): unique in a process, and across processes by the start."""
    ms = (time.time_ns() if ts_ns is None else ts_ns) // 1_000_000
    return f"{_ID_PREFIX}{ms & 0xFFFFFFFFFFFFF:013x}{next(_sequence) & 0xFFFFFF:06x}"


class SignalTransitionError(ValueError):
    """A status change the lifecycle does not allow (e.g. CLOSED → ACTIVE)."""


class Signal(BaseModel):
    """A trading signal (immutable; status changes make a new copy through :meth:`with_status`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=new_signal_id, min_length=1, max_length=64)
    ts_ns: int = Field(description="when the strategy made it: UTC epoch ns of the engine clock")
    symbol: str = Field(min_length=1, description="Kite tradingsymbol")
    exchange: str = Field("NSE", description="Kite exchange (NSE, NFO, MCX, ...)")
    token: int = Field(0, ge=0, description="Kite instrument_token; 0 when not known")
    strategy: str = Field(min_length=1, description="name of the strategy that made it")
    action: SignalAction
    entry: float = Field(gt=0, description="reference entry price, rupees")
    stop_loss: float = Field(gt=0, description="protective stop, rupees")
    target: float = Field(gt=0, description="profit target, rupees")
    confidence: float = Field(0.5, ge=0, le=1)
    expected_move_pct: float | None = Field(None, description="expected move, percent of entry")
    quantity: int | None = Field(None, ge=1, description="units, once sized; None before sizing")
    asset_type: str = Field("equity", description="equity, futures, options, index or commodity")
    timeframe: str | None = Field(None, description="bar interval the signal was made on (1m, 5m, ...)")
    status: SignalStatus = SignalStatus.NEW
    recv_ns: int = Field(0, ge=0, description="wall time the triggering tick arrived (latency tracing)")
    metadata: dict[str, Any] = Field(default_factory=dict)
    updated_ns: int | None = Field(None, description="last status change; defaults to ts_ns")

    @model_validator(mode="after")
    def _levels_on_the_right_side(self) -> Signal:
        # A stop on the wrong side of the entry would size a position off a negative distance.
        if self.action is SignalAction.BUY and not self.stop_loss < self.entry < self.target:
            raise ValueError(
                f"a BUY needs stop_loss < entry < target, got {self.stop_loss} / {self.entry} / {self.target}"
            )
        if self.action is SignalAction.SELL and not self.target < self.entry < self.stop_loss:
            raise ValueError(
                f"a SELL needs target < entry < stop_loss, got {self.target} / {self.entry} / "
                f"{self.stop_loss}"
            )
        return self

    @property
    def stop_distance(self) -> float:
        """Rupees per unit between entry and stop loss (> 0)."""
        return abs(self.entry - self.stop_loss)

    @property
    def reward_risk(self) -> float:
        """Target distance over stop distance."""
        return abs(self.target - self.entry) / self.stop_distance

    def with_status(self, status: SignalStatus, ts_ns: int, **metadata: Any) -> Signal:
        """A copy in ``status`` (``metadata`` merged in); raises :class:`SignalTransitionError` when the
        lifecycle does not allow the change. The same status returns ``self``."""
        status = SignalStatus(status)
        if status is self.status:
            return self
        if status not in SIGNAL_TRANSITIONS[self.status]:
            raise SignalTransitionError(f"signal {self.id}: {self.status} -> {status} is not allowed")
        return self.model_copy(
            update={"status": status, "updated_ns": ts_ns, "metadata": {**self.metadata, **metadata}}
        )

    def with_quantity(self, quantity: int) -> Signal:
        """A copy sized to ``quantity`` units."""
        return self.model_copy(update={"quantity": quantity})

    def to_record(self) -> SignalRecord:
        """The row for the store's ``signals`` table (``price`` is the entry)."""
        from alphastock.store.records import SignalRecord

        metadata = {**self.metadata, "exchange": self.exchange}
        if self.timeframe is not None:
            metadata["timeframe"] = self.timeframe
        return SignalRecord(
            id=self.id,
            ts_ns=self.ts_ns,
            symbol=self.symbol,
            strategy=self.strategy,
            action=self.action.value,
            status=self.status.value,
            token=self.token or None,
            asset_type=self.asset_type,
            price=self.entry,
            quantity=self.quantity,
            confidence=self.confidence,
            target=self.target,
            stop_loss=self.stop_loss,
            expected_move_pct=self.expected_move_pct,
            metadata=metadata,
            updated_ns=self.updated_ns,
        )


__all__ = [
    "SIGNAL_TRANSITIONS",
    "Signal",
    "SignalAction",
    "SignalStatus",
    "SignalTransitionError",
    "new_signal_id",
]
