"""The engine's typed events: what flows on the :class:`~alphastock.bus.EventBus`.

Every event is an :class:`Event` envelope holding a :class:`EventType`, a typed
payload and two UTC epoch-nanosecond stamps, as nautilus_trader does:
``ts_event`` (when it happened — exchange or simulated time) and ``ts_init``
(when this process created the envelope, wall clock). Payloads are frozen
dataclasses so a handler cannot change what another handler sees.

Units everywhere: prices rupees, quantities units (not lots), times UTC epoch ns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

P = TypeVar("P")


class EventType(StrEnum):
    """Kinds of events; the payload type of each is named in its docstring."""

    TICK_BATCH = "TICK_BATCH"
    """:class:`TickBatch`: tokens just written to the TickStore."""
    BAR = "BAR"
    """:class:`Bar`: one closed bar."""
    CHAIN = "CHAIN"
    """:class:`~alphastock.options.chain.ChainSnapshot`: an option chain with IV and greeks."""
    SIGNAL_GENERATED = "SIGNAL_GENERATED"
    """:class:`~alphastock.signals.Signal`: a new signal, already durable."""
    SIGNAL_UPDATED = "SIGNAL_UPDATED"
    """:class:`~alphastock.signals.Signal`: a signal whose status changed."""
    ORDER_SUBMITTED = "ORDER_SUBMITTED"
    """:class:`OrderSnapshot`: sent to the broker (after the risk check)."""
    ORDER_ACCEPTED = "ORDER_ACCEPTED"
    """:class:`OrderSnapshot`: the broker has it open (or trigger pending)."""
    ORDER_UPDATED = "ORDER_UPDATED"
    """:class:`OrderSnapshot`: any other change (a partial fill, a modification)."""
    ORDER_FILLED = "ORDER_FILLED"
    """:class:`OrderSnapshot`: completely filled."""
    ORDER_CANCELLED = "ORDER_CANCELLED"
    """:class:`OrderSnapshot`: cancelled (possibly after a partial fill)."""
    ORDER_REJECTED = "ORDER_REJECTED"
    """:class:`OrderSnapshot`: refused by the risk engine or the broker."""
    FILL = "FILL"
    """:class:`FillInfo`: one execution."""
    POSITION_OPENED = "POSITION_OPENED"
    """:class:`PositionSnapshot`: a flat instrument got a position."""
    POSITION_CHANGED = "POSITION_CHANGED"
    """:class:`PositionSnapshot`: quantity or average price changed."""
    POSITION_CLOSED = "POSITION_CLOSED"
    """:class:`PositionSnapshot`: back to flat (realised P&L final)."""
    RISK_REJECTED = "RISK_REJECTED"
    """:class:`RiskNotice`: the risk engine refused or cut an order."""
    RISK_STATE = "RISK_STATE"
    """:class:`RiskNotice`: the risk engine's state changed (ACTIVE/REDUCING/HALTED)."""
    SESSION = "SESSION"
    """:class:`SessionPhaseChange`: the market session moved to another phase."""
    FEED_STATUS = "FEED_STATUS"
    """:class:`FeedStatus`: the feed connected, dropped, went stale or fresh."""
    SCHEDULE = "SCHEDULE"
    """:class:`ScheduledJob`: a daily job ran (instruments refresh, token expiry warning, report)."""


class Priority(IntEnum):
    """Delivery order of subscribers for one event: lower values first."""

    CRITICAL = 0
    """Risk and kill switch."""
    HIGH = 10
    """Order management, position tracking."""
    NORMAL = 20
    """Strategies, signal handling, execution."""
    LOW = 30
    """Persistence, views, analytics."""


@dataclass(frozen=True, slots=True)
class Event(Generic[P]):
    """One event: ``type``, ``payload`` and stamps (UTC epoch ns); ``ts_init`` defaults to now."""

    type: EventType
    payload: P
    ts_event: int
    ts_init: int = field(default_factory=time.time_ns)


_NO_TOKENS = np.zeros(0, dtype=np.int64)
_NO_TOKENS.flags.writeable = False


@dataclass(frozen=True, slots=True)
class TickBatch:
    """Tokens whose ticks were just stored, and when the frame arrived (``recv_ns``, UTC epoch ns, wall)."""

    tokens: NDArray[np.int64] = field(default_factory=lambda: _NO_TOKENS)
    recv_ns: int = 0
    source: str = "feed"
    """``feed`` (WebSocket), ``poll`` (REST fallback), ``replay``."""


class Bar(NamedTuple):
    """One closed OHLCV bar of ``interval`` (``"1m"``...), labelled by its start (UTC epoch ns).

    ``recv_ns`` is when the tick that closed the bar was received (wall clock, for latency tracing;
    0 when not known, e.g. in a backtest). A named tuple rather than a frozen dataclass: as
    immutable, and about four times cheaper to create, which matters at one bar per instrument
    per interval.
    """

    token: int
    symbol: str
    interval: str
    start_ns: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    ticks: int = 0
    exchange: str = ""
    recv_ns: int = 0


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as the OMS knows it after a change (prices rupees, quantities units)."""

    key: str
    """Idempotency key (Kite ``tag``)."""
    symbol: str
    exchange: str
    side: str
    quantity: int
    state: str
    """OMS state (see :mod:`alphastock.execution.oms`)."""
    order_type: str = "MARKET"
    product: str = "MIS"
    token: int = 0
    price: float | None = None
    trigger_price: float | None = None
    broker_order_id: str | None = None
    filled_quantity: int = 0
    average_price: float | None = None
    message: str | None = None
    signal_id: str | None = None
    parent_key: str | None = None
    ts_ns: int = 0


@dataclass(frozen=True, slots=True)
class FillInfo:
    """One execution: ``quantity`` units at ``price`` rupees on ``side``."""

    trade_id: str
    order_key: str | None
    broker_order_id: str | None
    token: int
    symbol: str
    exchange: str
    side: str
    quantity: int
    price: float
    ts_ns: int
    product: str = "MIS"
    charges: float = 0.0
    signal_id: str | None = None


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """A position after a fill or a mark: signed ``quantity`` as Kite counts it (units; lots on MCX),
    prices and P&L in rupees, ``multiplier`` the contract multiplier (rupees = price x quantity x
    multiplier)."""

    token: int
    symbol: str
    exchange: str
    product: str
    quantity: int
    average_price: float
    last_price: float
    realised: float
    unrealised: float
    ts_ns: int
    multiplier: float = 1.0


@dataclass(frozen=True, slots=True)
class RiskNotice:
    """A risk decision worth telling (a rejection, a cut) or a state change."""

    code: str
    """A :class:`~alphastock.risk.RiskCode` value, or the new state for RISK_STATE."""
    message: str
    symbol: str | None = None
    order_key: str | None = None
    state_from: str | None = None
    state_to: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class SessionPhase(StrEnum):
    """Phases of a trading day (IST): closed, pre-open, open, square-off window, post-close."""

    CLOSED = "CLOSED"
    PRE_OPEN = "PRE_OPEN"
    OPEN = "OPEN"
    SQUARE_OFF = "SQUARE_OFF"
    """From the broker's MIS square-off time to the close: no new intraday exposure."""
    POST_CLOSE = "POST_CLOSE"


@dataclass(frozen=True, slots=True)
class SessionPhaseChange:
    """The session of ``exchange`` moved from ``previous`` to ``phase`` at ``ts_ns``."""

    exchange: str
    phase: SessionPhase
    previous: SessionPhase | None
    ts_ns: int


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """The feed's state: ``kind`` is ``connected``, ``disconnected``, ``stale``, ``fresh``,
    ``polling`` (REST fallback on) or ``streaming`` (back on the WebSocket)."""

    kind: str
    detail: str = ""
    ts_ns: int = 0


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """A scheduled job that ran: ``name``, when it was due and how it went."""

    name: str
    due_ns: int
    ok: bool
    detail: str = ""


__all__ = [
    "Bar",
    "Event",
    "EventType",
    "FeedStatus",
    "FillInfo",
    "OrderSnapshot",
    "PositionSnapshot",
    "Priority",
    "RiskNotice",
    "ScheduledJob",
    "SessionPhase",
    "SessionPhaseChange",
    "TickBatch",
]
