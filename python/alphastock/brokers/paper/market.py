"""The market the PaperBroker fills against: a :class:`MarketView` giving the latest top of book.

The engine's market is the Rust ``TickStore``; :class:`TickStoreMarket` adapts it.
:class:`StaticMarket` is an in-memory view that tests and simple backtests set by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Protocol

TickRow = tuple[int, int, float, int, int, int, float, float, int, int]
"""``TickStore.latest`` row: token, ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty."""


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """Latest state of one instrument. Prices rupees (0 = none), quantities units, ``ts_ns`` UTC ns.

    A side with price 0 has no book: fills then use ``last_price``. A quantity of
    0 beside a positive price means the depth is unknown (no partial-fill cap).
    """

    last_price: float
    bid: float = 0.0
    ask: float = 0.0
    bid_qty: int = 0
    ask_qty: int = 0
    volume: int = 0
    oi: float = 0.0
    ts_ns: int = 0


class MarketView(Protocol):
    """Anything that answers the latest snapshot of an instrument token (``None`` = no data yet)."""

    def latest(self, token: int) -> MarketSnapshot | None:
        """The newest snapshot of ``token``."""
        ...


class _LatestRows(Protocol):
    def latest(self, token: int) -> Any: ...


def _price(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 0.0


class TickStoreMarket:
    """:class:`MarketView` over ``alphastock.TickStore`` (or anything whose ``latest(token)`` gives a
    :data:`TickRow` or ``None``). NaN or non-positive bid/ask mean no book on that side."""

    def __init__(self, store: _LatestRows) -> None:
        self._store = store

    def latest(self, token: int) -> MarketSnapshot | None:
        """The store's latest tick of ``token`` as a :class:`MarketSnapshot`."""
        row = self._store.latest(token)
        if row is None:
            return None
        _, ts_ns, last, _, volume, oi, bid, ask, bid_qty, ask_qty = row
        return MarketSnapshot(
            last_price=float(last),
            bid=_price(float(bid)),
            ask=_price(float(ask)),
            bid_qty=max(int(bid_qty), 0),
            ask_qty=max(int(ask_qty), 0),
            volume=int(volume),
            oi=float(oi),
            ts_ns=int(ts_ns),
        )


class StaticMarket:
    """An in-memory :class:`MarketView`: :meth:`set` or :meth:`update` snapshots by token."""

    def __init__(self) -> None:
        self._snapshots: dict[int, MarketSnapshot] = {}

    def latest(self, token: int) -> MarketSnapshot | None:
        """The snapshot last set for ``token``."""
        return self._snapshots.get(token)

    def set(self, token: int, snapshot: MarketSnapshot) -> None:
        """Replace the snapshot of ``token``."""
        self._snapshots[token] = snapshot

    def update(self, token: int, **changes: Any) -> MarketSnapshot:
        """Change some fields of ``token``'s snapshot (creating it from ``last_price`` if new)."""
        current = self._snapshots.get(token)
        snapshot = replace(current, **changes) if current is not None else MarketSnapshot(**changes)
        self._snapshots[token] = snapshot
        return snapshot


__all__ = ["MarketSnapshot", "MarketView", "StaticMarket", "TickRow", "TickStoreMarket"]
