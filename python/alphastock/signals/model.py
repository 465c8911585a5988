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

from alphastock.errors import AlphaStockError
from alphastock.signals.assets import AssetType

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


class SignalTransitionError(AlphaStockError, ValueError):
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
    asset_type: AssetType = Field(
        AssetType.EQUITY,
        description="what the signal is traded through (asset_type_of, set when it is made); routes it",
    )
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

    @classmethod
    def fast(
        cls,
        *,
        ts_ns: int,
        symbol: str,
        strategy: str,
        action: SignalAction,
        entry: float,
        stop_loss: float,
        target: float,
        exchange: str = "NSE",
        token: int = 0,
        confidence: float = 0.5,
        expected_move_pct: float | None = None,
        quantity: int | None = None,
        asset_type: AssetType = AssetType.EQUITY,
        timeframe: str | None = None,
        recv_ns: int = 0,
        metadata: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> Signal:
        """A NEW signal accepted exactly when ``Signal(...)`` would accept it, but checked in plain Python.

        Why: on the bar → order path, validating cost ~6 µs warm and ~86 µs with the CPU caches
        evicted (as when the code runs once a minute); this path ~5 and ~54 (timed on 2026-11-21,
        medians of single calls; the live effect is in BENCHMARKS.md's live row).
        When every argument already has its field's exact type (``str``, ``int``, ``float``,
        :class:`SignalAction`, a ``dict`` with ``str`` keys) the field constraints and the levels check
        are evaluated here and the model is built without validation; anything else (another type, a
        value out of range) goes through :meth:`model_validate`, so conversions and errors (a
        ``pydantic.ValidationError``, a ``ValueError``) are pydantic's own. Units as on the fields.
        """
        if id is None:
            id = new_signal_id()  # the field's default_factory
        # The field constraints and _levels_on_the_right_side, for exact types only: a subclass or
        # another type may be converted by pydantic, so it takes the validated path below. NaN fails
        # every comparison here, as it fails pydantic's gt/ge/le.
        plain = (
            type(entry) is float
            and type(stop_loss) is float
            and type(target) is float
            and entry > 0
            and stop_loss > 0
            and target > 0
            and (
                (action is SignalAction.BUY and stop_loss < entry < target)
                or (action is SignalAction.SELL and target < entry < stop_loss)
            )
            and type(confidence) is float
            and 0 <= confidence <= 1
            and type(id) is str
            and 1 <= len(id) <= 64
            and type(symbol) is str
            and symbol
            and type(strategy) is str
            and strategy
            and type(ts_ns) is int
            and type(token) is int
            and token >= 0
            and type(recv_ns) is int
            and recv_ns >= 0
            and type(exchange) is str
            and type(asset_type) is AssetType
            and (timeframe is None or type(timeframe) is str)
            and (expected_move_pct is None or type(expected_move_pct) is float)
            and (quantity is None or (type(quantity) is int and quantity >= 1))
            and (metadata is None or type(metadata) is dict)
        )
        if plain and metadata:
            for key in metadata:
                if type(key) is not str:
                    plain = False
                    break
        values = {
            "id": id,
            "ts_ns": ts_ns,
            "symbol": symbol,
            "exchange": exchange,
            "token": token,
            "strategy": strategy,
            "action": action,
            "entry": entry,
            "stop_loss": stop_loss,
            "target": target,
            "confidence": confidence,
            "expected_move_pct": expected_move_pct,
            "quantity": quantity,
            "asset_type": asset_type,
            "timeframe": timeframe,
            "status": SignalStatus.NEW,
            "recv_ns": recv_ns,
            "metadata": metadata,
            "updated_ns": None,
        }
        if not plain:
            if metadata is None:
                values["metadata"] = {}
            return cls.model_validate(values)
        # A new dict, as pydantic makes one: the caller's stays its own.
        values["metadata"] = {} if metadata is None else dict(metadata)
        signal = cls.__new__(cls)
        # What model_construct does for this model (no aliases, private attributes or post-init),
        # without its per-field loop, which costs more than validating.
        _setattr(signal, "__dict__", values)
        _setattr(signal, "__pydantic_fields_set__", _FIELDS_SET.copy())
        _setattr(signal, "__pydantic_extra__", None)
        _setattr(signal, "__pydantic_private__", None)
        return signal

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
        from alphastock.store.records import signal_record

        return signal_record(vars(self))


# pydantic's frozen __setattr__ refuses; this is how pydantic itself sets a model's slots.
_setattr: Final = object.__setattr__
_FIELDS_SET: Final = set(Signal.model_fields)
"""What :meth:`Signal.fast` marks as set: every field (it is given a value for each)."""


__all__ = [
    "SIGNAL_TRANSITIONS",
    "AssetType",
    "Signal",
    "SignalAction",
    "SignalStatus",
    "SignalTransitionError",
    "new_signal_id",
]
