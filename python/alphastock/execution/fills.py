"""How the OMS turns growing ``filled_quantity`` into FILL events: trades fetched, deduplicated, derived.

When an order's ``filled_quantity`` grows, ``broker.order_trades`` gives its
executions; each new ``trade_id`` becomes one FILL (journal first, then DuckDB,
the fill listeners — the Portfolio — and the bus), with its charges (rupees; the change of the
order's charges, see :mod:`alphastock.execution.charging`). The trade book may lag the
order book: it is read again after ``trade_lag_s``, and what is still missing is
derived from the deltas (quantity, average price) with ``trade_id``
``<key>-d<filled>`` and ``derived: true`` in the journal; so is everything when
the call fails. Real trades that arrive later for derived quantity are skipped,
so no unit is lost or counted twice. Prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from alphastock.brokers.errors import BrokerError
from alphastock.clock import Clock
from alphastock.events import Event, EventType, FillInfo
from alphastock.execution.charging import FillCharges
from alphastock.execution.orders import ManagedOrder
from alphastock.models import Trade
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import ExecutionClient, Publisher
from alphastock.store.records import FillRecord

if TYPE_CHECKING:
    from alphastock.execution.oms import OmsCounters

log = logging.getLogger(__name__)

FillListener = Callable[[FillInfo], object]


class FillCollector:
    """The fill half of :class:`~alphastock.execution.oms.OMS` (a mixin; the OMS sets the attributes)."""

    broker: ExecutionClient
    journal: Journal
    writer: StoreWriter
    bus: Publisher
    clock: Clock
    counters: OmsCounters
    trade_lag_s: float
    charges: FillCharges | None
    _fill_locks: dict[str, asyncio.Lock]
    _fill_listeners: list[FillListener]
    _emitted_value: dict[str, float]

    async def _collect_fills(self, order: ManagedOrder) -> None:
        lock = self._fill_locks.setdefault(order.key, asyncio.Lock())
        async with lock:
            for attempt in range(2):
                if order.fill_quantity >= order.filled_quantity or order.broker_order_id is None:
                    return
                try:
                    trades = await self.broker.order_trades(order.broker_order_id)
                except BrokerError as exc:
                    log.warning("order_trades(%s) failed (%s); deriving the fill", order.broker_order_id, exc)
                    self._derive_fill(order)
                    return
                self._take_trades(order, trades)
                if order.fill_quantity < order.filled_quantity and attempt == 0:
                    await asyncio.sleep(self.trade_lag_s)  # the trade book may lag the order book
            # Still short after a second look: derive the rest (later real trades for it are skipped).
            self._derive_fill(order)

    def _take_trades(self, order: ManagedOrder, trades: list[Trade]) -> None:
        cumulative = 0
        for trade in trades:
            cumulative += trade.quantity
            if trade.trade_id in order.trade_ids:
                continue
            if cumulative > order.filled_quantity and cumulative - trade.quantity >= order.filled_quantity:
                break  # newer than the update we know of: the next update brings it
            order.trade_ids.add(trade.trade_id)
            if cumulative <= order.derived_quantity:
                continue  # already emitted as a derived fill
            self._emit_trade(order, trade)

    def _emit_trade(self, order: ManagedOrder, trade: Trade) -> None:
        ts = trade.fill_timestamp or trade.exchange_timestamp or self.clock.now_ns()
        self._emit_fill(order, trade.trade_id, trade.quantity, trade.average_price, ts, derived=False)

    def _derive_fill(self, order: ManagedOrder) -> None:
        qty = order.filled_quantity - order.fill_quantity
        if qty <= 0 or order.average_price is None:
            return
        # The broker's average covers every unit filled; what was emitted already is taken out.
        emitted_value = self._emitted_value.get(order.key, 0.0)
        price = (order.average_price * order.filled_quantity - emitted_value) / qty
        order.derived_quantity = order.filled_quantity
        self.counters.derived_fills += 1
        self._emit_fill(
            order, f"{order.key}-d{order.filled_quantity}", qty, price, self.clock.now_ns(), derived=True
        )

    def _emit_fill(
        self, order: ManagedOrder, trade_id: str, qty: int, price: float, ts_ns: int, *, derived: bool
    ) -> None:
        r = order.request
        emitted = self._emitted_value.get(order.key, 0.0) + qty * price
        charges = (
            self.charges.charge(order.key, r, order.fill_quantity + qty, emitted)
            if self.charges is not None
            else 0.0
        )
        fill = FillInfo(
            trade_id=trade_id,
            order_key=order.key,
            broker_order_id=order.broker_order_id,
            token=r.instrument_token,
            symbol=r.tradingsymbol,
            exchange=r.exchange.value,
            side=r.transaction_type.value,
            quantity=qty,
            price=price,
            ts_ns=ts_ns,
            product=r.product.value,
            charges=charges,
            signal_id=order.signal_id,
        )
        record = FillRecord(
            trade_id=trade_id,
            symbol=fill.symbol,
            side=fill.side,
            quantity=qty,
            price=price,
            ts_ns=ts_ns,
            order_key=order.key,
            broker_order_id=order.broker_order_id,
            token=fill.token,
            charges=charges,
        )
        self.journal.append("fill", {**asdict(record), "derived": derived} if derived else asdict(record))
        order.fill_quantity += qty
        self._emitted_value[order.key] = emitted
        self.counters.fills += 1
        self.writer.submit("insert_fill", record)
        for listener in self._fill_listeners:
            try:
                listener(fill)
            except Exception:
                log.exception("fill listener failed on %s", trade_id)
        self.bus.publish_nowait(Event(EventType.FILL, fill, ts_event=ts_ns))


__all__ = ["FillCollector", "FillListener"]
