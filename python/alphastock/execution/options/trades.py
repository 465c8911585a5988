"""Option trades: what the options executor opened for a signal, and the book that keeps them durable.

An :class:`OptionTrade` is one signal acted on: the contract chosen (and why), its size, the premium
stop and target, the entry and protective orders, and how it ended. Every change is written to the
journal first (kind ``option_trade``: the whole trade; ``option_trade_event``: the step) and then to
DuckDB through the store writer (``option_trades``, ``option_trade_events``), so a restart finds every
signal already acted on (:meth:`TradeBook.load`) and every open trade with its protective orders.

Units: premiums rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.store import Store
from alphastock.store.records import OptionTradeRecord, option_trade_json, option_trade_record


class TradeStatus(StrEnum):
    """Where an option trade is (``option_trades.status``)."""

    PENDING = "PENDING"
    """The entry order is working; nothing filled yet."""
    OPEN = "OPEN"
    """A position is held (protected at the broker)."""
    CLOSING = "CLOSING"
    """An exit is working."""
    CLOSED = "CLOSED"
    """Flat again after an exit (``exit_reason`` says which)."""
    CANCELLED = "CANCELLED"
    """The entry ended unfilled (chased out, cancelled)."""
    FAILED = "FAILED"
    """The entry was refused (risk, the broker)."""

    @property
    def live(self) -> bool:
        """True while the trade may still hold or open a position."""
        return self in (TradeStatus.PENDING, TradeStatus.OPEN, TradeStatus.CLOSING)


_sequence = itertools.count(int.from_bytes(os.urandom(2), "big"))


def new_trade_id(now_ns: int) -> str:
    """``OT`` + 13 hex digits of ms + 4 of a counter (19 characters), time-ordered."""
    return f"OT{(now_ns // 1_000_000) & 0xFFFFFFFFFFFFF:013x}{next(_sequence) & 0xFFFF:04x}"


@dataclass(slots=True)
class OptionTrade:
    """One signal acted on through an option (see the module docstring). Mutable: the executor
    changes it on the loop and persists each change through the :class:`TradeBook`."""

    trade_id: str
    signal_key: str
    signal_id: str
    strategy: str
    underlying: str
    action: str
    """The signal's side (BUY: bullish on the underlying); the option is bought either way."""
    opened_ns: int
    status: TradeStatus = TradeStatus.PENDING
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
    updated_ns: int = 0
    choice: dict[str, Any] = field(default_factory=dict)
    sizing: dict[str, Any] = field(default_factory=dict)
    levels: dict[str, Any] = field(default_factory=dict)
    best_premium: float = 0.0
    """Highest premium seen since the entry filled (the trailing stop's reference); not stored."""
    chases: int = 0
    """Times the entry's limit price was moved toward the far side; not stored."""
    next_chase_ns: int = 0
    gapped_since_ns: int = 0
    """Engine time since which a triggered stop's limit has been above the bid (0: it is not); not stored."""

    def record(self) -> OptionTradeRecord:
        """The ``option_trades`` row of this trade (its fields of the same names)."""
        values = {f.name: getattr(self, f.name) for f in fields(OptionTradeRecord)}
        values["status"] = self.status.value
        values["updated_ns"] = self.updated_ns or self.opened_ns
        return OptionTradeRecord(**values)

    @classmethod
    def from_record(cls, row: Mapping[str, Any]) -> OptionTrade:
        """A trade from its stored row (``option_trades`` as a dict; JSON columns as text or dicts)."""
        import json

        data = dict(row)
        for name in ("choice", "sizing", "levels"):
            value = data.get(name)
            data[name] = json.loads(value) if isinstance(value, str) else dict(value or {})
        data["status"] = TradeStatus(data["status"])
        data["filled_quantity"] = int(data.get("filled_quantity") or 0)
        return cls(**data)


def _keys(joined: str | None) -> list[str]:
    """Order keys stored comma-separated (a leg sliced at the freeze quantity has several)."""
    return joined.split(",") if joined else []


class TradeBook:
    """The executor's trades, by id and by signal key, persisted on every change (journal first).

    ``store`` is read once, by :meth:`load`; writes go through ``journal`` and ``writer``."""

    def __init__(self, journal: Journal, writer: StoreWriter) -> None:
        self.journal = journal
        self.writer = writer
        self._trades: dict[str, OptionTrade] = {}
        self._live: dict[str, OptionTrade] = {}
        """The trades that may still hold or open a position (what the executor scans per signal)."""
        self._keys: set[str] = set()

    def load(self, store: Store) -> int:
        """Read every stored trade: their signal keys count as acted on (across restarts), live ones are
        followed again. Returns how many trades were read."""
        rows = store.option_trades().to_pylist()
        for row in rows:
            trade = OptionTrade.from_record(row)
            self._keys.add(trade.signal_key)
            if trade.status.live:
                self._trades[trade.trade_id] = trade
                self._live[trade.trade_id] = trade
        return len(rows)

    def acted_on(self, key: str) -> bool:
        """True when a signal with idempotency ``key`` was acted on (this run or a stored one)."""
        return key in self._keys

    def add(self, trade: OptionTrade, now_ns: int, detail: Mapping[str, Any] | None = None) -> None:
        """Start following ``trade`` and persist it (event ``selected``)."""
        self._trades[trade.trade_id] = trade
        self._live[trade.trade_id] = trade
        self._keys.add(trade.signal_key)
        self.save(trade, now_ns, "selected", detail)

    def save(
        self, trade: OptionTrade, now_ns: int, event: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        """Persist ``trade``'s state and the step ``event`` that changed it (journal, then DuckDB)."""
        trade.updated_ns = now_ns
        if not trade.status.live:
            self._live.pop(trade.trade_id, None)
        record = trade.record()
        step = {"trade_id": trade.trade_id, "ts_ns": now_ns, "event": event, "detail": dict(detail or {})}
        self.journal.append("option_trade", option_trade_json(record), now_ns)
        self.journal.append("option_trade_event", step, now_ns)
        self.writer.submit("upsert_option_trade", record)
        self.writer.submit("record_option_trade_event", trade.trade_id, now_ns, event, step["detail"])

    def get(self, trade_id: str) -> OptionTrade | None:
        """A followed trade."""
        return self._trades.get(trade_id)

    def live(self) -> list[OptionTrade]:
        """Trades that may still hold or open a position (a copy: management may close them)."""
        return [t for t in self._live.values() if t.status.live]

    def open_count(self) -> int:
        """Trades holding or opening a position (the ``max_open_positions`` count)."""
        return sum(1 for t in self._live.values() if t.status.live)

    def by_order(self, key: str) -> OptionTrade | None:
        """The live trade whose entry, stop or target order (one of its slices) has OMS key ``key``."""
        for trade in self._live.values():
            if (
                key == trade.entry_order_key
                or key in _keys(trade.stop_order_key)
                or key in _keys(trade.target_order_key)
            ):
                return trade
        return None

    def all(self) -> list[OptionTrade]:
        """Every followed trade (live and finished this run)."""
        return list(self._trades.values())


__all__ = ["OptionTrade", "TradeBook", "TradeStatus", "new_trade_id", "option_trade_record"]
