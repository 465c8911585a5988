"""Rows of the durable tables, as the writers take them (units as in :mod:`alphastock.store.schema`).

Timestamps are UTC epoch nanoseconds (int), prices and money rupees (float),
quantities units (int). ``metadata``/``payload``/``detail``/``config`` are
JSON-serialisable dicts (stored as JSON text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal

SignalAction = Literal["BUY", "SELL"]
SignalStatus = Literal["NEW", "ACTIVE", "CLOSED", "EXPIRED", "REJECTED"]
SessionMode = Literal["live", "paper", "sim", "backtest"]

SIGNAL_ACTIONS: Final[frozenset[str]] = frozenset({"BUY", "SELL"})
SIGNAL_STATUSES: Final[frozenset[str]] = frozenset({"NEW", "ACTIVE", "CLOSED", "EXPIRED", "REJECTED"})
SESSION_MODES: Final[frozenset[str]] = frozenset({"live", "paper", "sim", "backtest"})
MAX_KEY_LENGTH: Final[int] = 20
"""Kite's ``tag`` (which carries the order's idempotency key) holds at most 20 characters."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalRecord:
    """A strategy signal: ``price``/``target``/``stop_loss`` in rupees, ``quantity`` in units."""

    id: str
    ts_ns: int
    symbol: str
    strategy: str
    action: SignalAction
    status: SignalStatus = "NEW"
    token: int | None = None
    asset_type: str | None = None
    price: float | None = None
    quantity: int | None = None
    confidence: float | None = None
    """0 to 1."""
    target: float | None = None
    stop_loss: float | None = None
    expected_move_pct: float | None = None
    """Expected move in percent of ``price`` (2.5 means 2.5%)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    updated_ns: int | None = None
    """Defaults to ``ts_ns``."""


def signal_record(values: Mapping[str, Any]) -> SignalRecord:
    """The ``signals`` row of a signal given by its fields: a ``Signal``'s (``vars(signal)``) or its
    journal JSON. ``price`` is the entry; ``exchange`` and ``timeframe`` go into ``metadata``.

    The one mapping for both, so the live write and the journal replay cannot disagree (and the
    persistence layer replays signals without importing the signals package)."""
    metadata = {**(values.get("metadata") or {}), "exchange": values.get("exchange", "NSE")}
    if values.get("timeframe") is not None:
        metadata["timeframe"] = values["timeframe"]
    return SignalRecord(
        id=values["id"],
        ts_ns=int(values["ts_ns"]),
        symbol=values["symbol"],
        strategy=values["strategy"],
        action=str(values["action"]),  # type: ignore[arg-type]  # a SignalAction value
        status=str(values.get("status", "NEW")),  # type: ignore[arg-type]
        token=values.get("token") or None,
        asset_type=values.get("asset_type", "equity"),
        price=values["entry"],
        quantity=values.get("quantity"),
        confidence=values.get("confidence", 0.5),
        target=values["target"],
        stop_loss=values["stop_loss"],
        expected_move_pct=values.get("expected_move_pct"),
        metadata=metadata,
        updated_ns=values.get("updated_ns"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRecord:
    """An order as the OMS creates it, before it is sent (prices in rupees, quantities in units)."""

    idempotency_key: str
    """The Kite ``tag`` (<= 20 characters), unique per order."""
    symbol: str
    exchange: str
    product: str
    side: str
    order_type: str
    variety: str
    quantity: int
    state: str
    created_ns: int
    token: int | None = None
    validity: str | None = None
    price: float | None = None
    trigger_price: float | None = None
    parent_id: str | None = None
    """The parent order's idempotency key, for a slice of a larger order."""
    signal_id: str | None = None
    broker_order_id: str | None = None
    filled_quantity: int = 0
    average_price: float | None = None
    status_message: str | None = None
    updated_ns: int | None = None
    """Defaults to ``created_ns``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FillRecord:
    """One execution (``quantity`` units at ``price`` rupees; ``charges`` in rupees)."""

    trade_id: str
    symbol: str
    side: str
    quantity: int
    price: float
    ts_ns: int
    order_key: str | None = None
    broker_order_id: str | None = None
    token: int | None = None
    charges: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionRecord:
    """A position at ``ts_ns``: signed ``quantity`` as Kite counts it (units; lots on MCX), prices and
    P&L in rupees, ``multiplier`` the contract multiplier (rupees = price x quantity x multiplier)."""

    ts_ns: int
    token: int
    symbol: str
    product: str
    quantity: int
    average_price: float | None = None
    realised: float | None = None
    unrealised: float | None = None
    multiplier: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyPnlRecord:
    """One trading date's P&L in rupees (``trades`` is a count)."""

    date: dt.date
    realised: float
    unrealised: float
    charges: float
    gross: float
    net: float
    trades: int
    peak: float
    drawdown: float


OPTION_TRADE_STATUSES: Final[frozenset[str]] = frozenset(
    {"PENDING", "OPEN", "CLOSING", "CLOSED", "CANCELLED", "FAILED"}
)
"""An option trade's status: PENDING (entry sent, nothing filled), OPEN (a position is held),
CLOSING (an exit is working), CLOSED (flat after a fill), CANCELLED (the entry ended unfilled),
FAILED (the entry was refused)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionTradeRecord:
    """An options executor's trade (table ``option_trades``): premiums rupees, quantities units,
    ``expiry`` the contract's expiry date, times UTC epoch ns; ``choice``/``sizing``/``levels`` JSON."""

    trade_id: str
    signal_key: str
    signal_id: str
    strategy: str
    underlying: str
    action: SignalAction
    status: str
    opened_ns: int
    updated_ns: int
    exchange: str | None = None
    tradingsymbol: str | None = None
    token: int | None = None
    expiry: dt.date | None = None
    strike: float | None = None
    option_type: str | None = None
    product: str | None = None
    lot_size: int | None = None
    lots: int | None = None
    quantity: int | None = None
    filled_quantity: int = 0
    entry_premium: float | None = None
    stop: float | None = None
    target: float | None = None
    exit_method: str | None = None
    entry_order_key: str | None = None
    stop_order_key: str | None = None
    target_order_key: str | None = None
    gtt_id: str | None = None
    exit_reason: str | None = None
    choice: Mapping[str, Any] | None = None
    sizing: Mapping[str, Any] | None = None
    levels: Mapping[str, Any] | None = None


def option_trade_json(trade: OptionTradeRecord) -> dict[str, Any]:
    """``trade`` as the journal's JSON object (the expiry as an ISO date)."""
    data = {f.name: getattr(trade, f.name) for f in fields(trade)}
    if data["expiry"] is not None:
        data["expiry"] = data["expiry"].isoformat()
    return data


def option_trade_record(values: Mapping[str, Any]) -> OptionTradeRecord:
    """The ``option_trades`` row of a journaled trade (:func:`option_trade_json`'s inverse)."""
    data = dict(values)
    if isinstance(data.get("expiry"), str):
        data["expiry"] = dt.date.fromisoformat(data["expiry"])
    return OptionTradeRecord(**data)
