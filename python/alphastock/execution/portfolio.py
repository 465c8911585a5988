"""The :class:`Portfolio`: positions per (token, product) built from fills, marked from the TickStore.

Average price and P&L follow the one position rule, :mod:`alphastock.risk.position` (weighted
average on increases, realised P&L on reductions, a flip opens the rest at the fill price), with the
contract multiplier of each instrument (:mod:`alphastock.refdata.multipliers`: 1, or e.g. 100 on
MCX CRUDEOIL, whose Kite quantity counts lots). Each fill is passed on to
:meth:`RiskEngine.on_fill` (with its charges and multiplier) and each mark to ``on_mark``, so the
risk engine's view of exposure and P&L is the portfolio's (``tests/risk/test_position_parity.py``).
A fill also marks its position at the fill price, as it does in the risk engine. Publishes
POSITION_OPENED / POSITION_CHANGED / POSITION_CLOSED (:class:`PositionSnapshot`),
and writes snapshots to DuckDB's ``positions`` table through the writer.

Units: prices and P&L rupees (price x quantity x multiplier), quantities as Kite counts them
(units; lots on MCX; signed: negative = short), times UTC epoch ns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from alphastock.clock import Clock, LiveClock
from alphastock.engine import Health
from alphastock.events import Event, EventType, FillInfo, PositionSnapshot
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import LatestPrices, Publisher
from alphastock.refdata.multipliers import MultiplierLookup, UnknownMultiplierError, contract_multiplier
from alphastock.risk import RiskEngine
from alphastock.risk.position import apply_fill, unrealised
from alphastock.store.records import PositionRecord

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Holding:
    """One position (see the module docstring for units)."""

    token: int
    symbol: str
    exchange: str
    product: str
    quantity: int = 0
    average_price: float = 0.0
    realised: float = 0.0
    last_price: float = 0.0
    charges: float = 0.0
    ts_ns: int = 0
    multiplier: float = 1.0
    """Rupees per (price x quantity): 1, or the contract multiplier where Kite's quantity counts lots."""

    @property
    def unrealised(self) -> float:
        """quantity x (last - average) x multiplier, rupees; 0 when flat or unmarked."""
        return unrealised(self.quantity, self.average_price, self.last_price, self.multiplier)

    def snapshot(self) -> PositionSnapshot:
        """The event payload."""
        return PositionSnapshot(
            token=self.token,
            symbol=self.symbol,
            exchange=self.exchange,
            product=self.product,
            quantity=self.quantity,
            average_price=self.average_price,
            last_price=self.last_price,
            realised=self.realised,
            unrealised=self.unrealised,
            ts_ns=self.ts_ns,
            multiplier=self.multiplier,
        )

    def record(self, ts_ns: int) -> PositionRecord:
        """The row of the store's ``positions`` table at ``ts_ns``."""
        return PositionRecord(
            ts_ns=ts_ns,
            token=self.token,
            symbol=self.symbol,
            product=self.product,
            quantity=self.quantity,
            average_price=self.average_price,
            realised=self.realised,
            unrealised=self.unrealised,
            multiplier=self.multiplier,
        )


class Portfolio:
    """Positions from fills (see the module docstring)."""

    name = "portfolio"

    def __init__(
        self,
        bus: Publisher,
        *,
        writer: StoreWriter | None = None,
        risk: RiskEngine | None = None,
        ticks: LatestPrices | None = None,
        clock: Clock | None = None,
        multipliers: MultiplierLookup = contract_multiplier,
    ) -> None:
        self.bus = bus
        self.writer = writer
        self.risk = risk
        self.ticks = ticks
        self.clock: Clock = clock or LiveClock()
        self.multipliers = multipliers
        """``(exchange, tradingsymbol) -> multiplier``, by default
        :func:`~alphastock.refdata.multipliers.contract_multiplier`."""
        self._book: dict[tuple[int, str], Holding] = {}
        self._trades: set[tuple[str | None, str]] = set()
        self.duplicate_fills = 0
        self.unpriced: list[str] = []
        """Contracts filled whose multiplier is unknown (booked at 1 and reported by :meth:`health`)."""

    def on_fill(self, fill: FillInfo) -> PositionSnapshot | None:
        """Apply one execution; None (counted) for a trade of the same order seen before. A trade
        is its order and its trade id: the id alone may repeat in another order (another exchange
        segment's numbering, or a broker that restarts its numbering)."""
        trade = (fill.order_key or fill.broker_order_id, fill.trade_id)
        if trade in self._trades:
            self.duplicate_fills += 1
            return None
        self._trades.add(trade)
        key = (fill.token, fill.product)
        pos = self._book.get(key)
        if pos is None:
            multiplier = self._multiplier(fill.exchange, fill.symbol)
            pos = self._book[key] = Holding(
                fill.token, fill.symbol, fill.exchange, fill.product, multiplier=multiplier
            )
        before = pos.quantity
        signed = fill.quantity if fill.side == "BUY" else -fill.quantity
        after, pos.average_price, realised = apply_fill(
            before, pos.average_price, signed, fill.price, pos.multiplier
        )
        pos.realised += realised
        pos.realised -= fill.charges
        pos.charges += fill.charges
        pos.quantity = after
        pos.last_price = fill.price  # the newest price known, as the risk engine marks it
        pos.ts_ns = fill.ts_ns
        if self.risk is not None:
            self.risk.on_fill(
                fill.token,
                fill.side,
                fill.quantity,
                fill.price,
                fill.ts_ns,
                charges=fill.charges,
                multiplier=pos.multiplier,
            )
        kind = (
            EventType.POSITION_OPENED
            if before == 0
            else EventType.POSITION_CLOSED
            if after == 0
            else EventType.POSITION_CHANGED
        )
        snap = pos.snapshot()
        self.bus.publish_nowait(Event(kind, snap, ts_event=fill.ts_ns))
        self.persist([pos], fill.ts_ns)
        return snap

    def _multiplier(self, exchange: str, symbol: str) -> float:
        """The contract multiplier; a fill must be booked even when it is unknown (the broker holds the
        position), so that case is booked at 1, logged and reported as degraded health."""
        try:
            return self.multipliers(exchange, symbol)
        except UnknownMultiplierError as exc:
            self.unpriced.append(f"{exchange}:{symbol}")
            log.error("%s; position booked with multiplier 1, its P&L is wrong", exc)
            return 1.0

    def on_event(self, event: Event[Any]) -> None:
        """Bus handler: FILL events update positions, TICK_BATCH events mark them."""
        if event.type is EventType.FILL:
            self.on_fill(event.payload)
        elif event.type is EventType.TICK_BATCH:
            self.mark_tokens(event.payload.tokens)

    def mark(self, token: int, price: float, ts_ns: int) -> None:
        """Mark every position of ``token`` at ``price`` rupees (ignored unless finite and positive)."""
        if not (math.isfinite(price) and price > 0):
            return
        for (tok, _), pos in self._book.items():
            if tok == token:
                pos.last_price = price
        if self.risk is not None:
            self.risk.on_mark(token, price, ts_ns)

    def mark_tokens(self, tokens: Iterable[int]) -> None:
        """Mark the held ones of ``tokens`` at their latest TickStore price."""
        if self.ticks is None:
            return
        held = {tok for tok, _ in self._book}
        for token in tokens:
            token = int(token)
            if token in held:
                tick = self.ticks.latest(token)
                if tick is not None:
                    self.mark(token, float(tick.last_price), int(tick.ts_ns))

    def persist(self, positions: Iterable[Holding] | None = None, ts_ns: int | None = None) -> None:
        """Queue a snapshot of ``positions`` (all by default) for DuckDB."""
        if self.writer is None:
            return
        when = self.clock.now_ns() if ts_ns is None else ts_ns
        rows = [p.record(when) for p in (self._book.values() if positions is None else positions)]
        if rows:
            self.writer.submit("write_positions", rows)

    def position(self, token: int, product: str) -> Holding | None:
        """The position of ``(token, product)``, if any was ever traded."""
        return self._book.get((token, product))

    async def initialize(self) -> None:
        """Nothing to prepare: positions start flat and come from fills."""

    async def start(self) -> None:
        """Nothing to start: the wiring feeds :meth:`on_fill` and :meth:`on_event`."""

    async def stop(self) -> None:
        """Nothing to stop (snapshots are written on every fill)."""

    def health(self) -> Health:
        """``ok``, with open positions and duplicate fills ignored as metrics; ``degraded`` when a
        contract was filled whose multiplier is unknown (its P&L is wrong)."""
        metrics = {
            "open_positions": float(sum(1 for p in self._book.values() if p.quantity)),
            "duplicate_fills": float(self.duplicate_fills),
            "unpriced_contracts": float(len(self.unpriced)),
        }
        if self.unpriced:
            return Health("degraded", f"unknown contract multiplier: {', '.join(self.unpriced)}", metrics)
        return Health("ok", "", metrics)

    def positions(self, *, open_only: bool = False) -> list[Holding]:
        """Every position (or only those not flat)."""
        return [p for p in self._book.values() if p.quantity != 0 or not open_only]

    @property
    def realised(self) -> float:
        """Realised P&L after charges, rupees."""
        return sum(p.realised for p in self._book.values())

    @property
    def unrealised(self) -> float:
        """Unrealised P&L at the last marks, rupees."""
        return sum(p.unrealised for p in self._book.values())

    @property
    def day_pnl(self) -> float:
        """Realised + unrealised, rupees."""
        return self.realised + self.unrealised


__all__ = ["Holding", "LatestPrices", "Portfolio"]
