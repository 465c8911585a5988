"""OMS.modify: risk approval required, the broker's confirmation sets the terms, fills racing a modify."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alphastock._core import OrderIntent
from alphastock.brokers.errors import OrderRejected
from alphastock.brokers.paper import PaperBroker, StaticMarket
from alphastock.brokers.paper.market import MarketSnapshot
from alphastock.events import EventType
from alphastock.execution import OMS, Approval, NotApprovedError, OrderState
from alphastock.models import Order, OrderRequest, Trade
from alphastock.persistence.journal import Journal, read_journal
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import BrokerCapabilities
from alphastock.risk import Limits, RiskEngine
from alphastock.store import Store
from tests.execution._harness import SBIN, SBIN_EQ, T0, ManualClock, RecordingBus

S = OrderState


class ModifyBroker:
    """Places, modifies (optionally held at a gate) and cancels; books and trades under test control."""

    capabilities = BrokerCapabilities(streams_order_updates=True)

    def __init__(self) -> None:
        self.placed: list[OrderRequest] = []
        self.modified: list[tuple[str, dict[str, Any]]] = []
        self.gate: asyncio.Event | None = None
        self.modify_error: Exception | None = None
        self.trades: dict[str, list[Trade]] = {}

    async def place_order(self, request: OrderRequest) -> str:
        self.placed.append(request)
        return f"B{len(self.placed)}"

    async def modify_order(self, order_id: str, **fields: Any) -> str:
        self.modified.append((order_id, fields))
        if self.gate is not None:
            await self.gate.wait()
        if self.modify_error is not None:
            raise self.modify_error
        return order_id

    async def cancel_order(self, order_id: str, variety: Any = None) -> str:
        return order_id

    async def orders(self) -> list[Order]:
        return []

    async def order_trades(self, order_id: str) -> list[Trade]:
        return list(self.trades.get(order_id, []))

    async def order_updates(self) -> AsyncIterator[Order]:  # pragma: no cover - not used here
        if False:
            yield


def stop_request(tag: str, quantity: int = 10, trigger: float = 790.0, price: float = 789.0) -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "tag": tag,
            "exchange": "NSE",
            "tradingsymbol": "SBIN",
            "instrument_token": SBIN,
            "transaction_type": "SELL",
            "quantity": quantity,
            "product": "MIS",
            "order_type": "SL",
            "price": price,
            "trigger_price": trigger,
        }
    )


def approval(quantity: int, price: float | None, side: str = "SELL") -> Approval:
    risk = RiskEngine(Limits(max_data_age_s=None, min_cash_reserve=None))
    intent = OrderIntent(
        token=SBIN,
        symbol="SBIN",
        exchange="NSE",
        product="MIS",
        side=side,
        quantity=quantity,
        reference_price=800.0,
        price=price,
    )
    return Approval.from_decision(intent, risk.check(intent, T0), T0)


def row(order_id: str, tag: str, status: str, *, qty: int = 10, filled: int = 0, **terms: Any) -> Order:
    return Order.model_validate(
        {
            "order_id": order_id,
            "status": status,
            "variety": "regular",
            "exchange": "NSE",
            "tradingsymbol": "SBIN",
            "instrument_token": SBIN,
            "order_type": "SL",
            "transaction_type": "SELL",
            "validity": "DAY",
            "product": "MIS",
            "quantity": qty,
            "filled_quantity": filled,
            "average_price": terms.pop("avg", 0.0),
            "price": terms.pop("price", 789.0),
            "trigger_price": terms.pop("trigger_price", 790.0),
            "tag": tag,
            **terms,
        }
    )


def trade(trade_id: str, order_id: str, qty: int, price: float) -> Trade:
    return Trade.model_validate(
        {
            "trade_id": trade_id,
            "order_id": order_id,
            "exchange": "NSE",
            "tradingsymbol": "SBIN",
            "instrument_token": SBIN,
            "product": "MIS",
            "transaction_type": "SELL",
            "average_price": price,
            "quantity": qty,
            "fill_timestamp": T0,
        }
    )


def make_oms(tmp_path: Path, broker: Any) -> tuple[OMS, RecordingBus, StoreWriter, Store]:
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    bus = RecordingBus()
    oms = OMS(broker, Journal(tmp_path / "j.jsonl"), writer, bus, ManualClock())
    return oms, bus, writer, store


async def resting(oms: OMS, tag: str = "K1", quantity: int = 10) -> str:
    """A SELL SL order of ``quantity`` accepted by the broker (TRIGGER PENDING)."""
    oms.submit_nowait(stop_request(tag, quantity), approval(quantity, 789.0), purpose="stop")
    await oms.idle()
    order = oms.get(tag)
    assert order is not None
    assert order.broker_order_id is not None
    assert oms.apply(row(order.broker_order_id, tag, "TRIGGER PENDING", qty=quantity))
    return tag


def test_modify_sends_the_changes_and_takes_them_when_the_broker_confirms(tmp_path: Path) -> None:
    broker = ModifyBroker()
    oms, bus, writer, store = make_oms(tmp_path, broker)

    async def run() -> bool:
        key = await resting(oms)
        ok = await oms.modify(
            key, trigger_price=795.0, price=794.0, approval=approval(10, 794.0), reason="trail"
        )
        order = oms.get(key)
        assert order is not None
        # Asked, not yet confirmed: the order still rests on its old terms.
        assert (order.request.trigger_price, order.request.price) == (790.0, 789.0)
        assert order.modifying is not None
        assert order.modifying.trigger_price == 795.0
        assert oms.apply(row("B1", key, "MODIFY PENDING", trigger_price=795.0, price=794.0)) is False
        assert oms.apply(row("B1", key, "TRIGGER PENDING", trigger_price=795.0, price=794.0, modified=True))
        return ok

    try:
        assert asyncio.run(run()) is True
        assert broker.modified == [("B1", {"variety": "regular", "quantity": None, "price": 794.0,
                                           "trigger_price": 795.0})]  # fmt: skip
        order = oms.get("K1")
        assert order is not None
        assert (order.state, order.request.trigger_price, order.request.price, order.request.quantity) == (
            S.TRIGGER_PENDING, 795.0, 794.0, 10,
        )  # fmt: skip
        assert (order.modifying, order.modifications) == (None, 1)
        updates = [(e.payload.trigger_price, e.payload.message) for e in bus.events
                   if e.type is EventType.ORDER_UPDATED]  # fmt: skip
        assert updates == [(790.0, "modify requested: trail"), (795.0, "modify requested: trail")]
        assert writer.flush(10)
        payloads = [p for p in store.order_events("K1").column("payload").to_pylist() if p]
        assert len(payloads) == 2
        assert '"requested"' in payloads[0]
        assert '"confirmed"' in payloads[1]
        assert "795.0" in payloads[1]
        journal = [r["data"] for r in read_journal(tmp_path / "j.jsonl") if r["kind"] == "order_transition"]
        assert [d.get("payload", {}).get("modify") for d in journal][-2:] == ["requested", "confirmed"]
    finally:
        writer.close()
        store.close()


def test_quantity_reduction_and_the_approval_it_needs(tmp_path: Path) -> None:
    broker = ModifyBroker()
    oms, _, writer, store = make_oms(tmp_path, broker)

    async def run() -> None:
        key = await resting(oms)
        with pytest.raises(NotApprovedError):  # approves 4 units, the change leaves 6 to trade
            await oms.modify(key, quantity=6, approval=approval(4, 789.0))
        with pytest.raises(NotApprovedError):  # the risk check saw another limit price
            await oms.modify(key, quantity=6, approval=approval(6, 780.0))
        with pytest.raises(NotApprovedError):  # the other side
            await oms.modify(key, quantity=6, approval=approval(6, 789.0, side="BUY"))
        assert broker.modified == []
        assert await oms.modify(key, quantity=6, approval=approval(6, 789.0))
        oms.apply(row("B1", key, "TRIGGER PENDING", qty=6))

    try:
        asyncio.run(run())
        order = oms.get("K1")
        assert order is not None
        assert broker.modified == [("B1", {"variety": "regular", "quantity": 6, "price": None,
                                           "trigger_price": None})]  # fmt: skip
        assert (order.request.quantity, order.modifying) == (6, None)
    finally:
        writer.close()
        store.close()


def test_modify_of_a_filled_cancelled_or_busy_order_is_refused(tmp_path: Path, caplog: Any) -> None:
    broker = ModifyBroker()
    oms, _, writer, store = make_oms(tmp_path, broker)

    async def run() -> list[bool]:
        key = await resting(oms)
        broker.trades["B1"] = [trade("T1", "B1", 10, 789.5)]
        oms.apply(row("B1", key, "COMPLETE", filled=10, avg=789.5))
        await oms.idle()
        other = await resting(oms, "K2")
        oms.apply(row("B2", other, "CANCELLED"))
        outcomes = [
            await oms.modify(key, trigger_price=795.0, approval=approval(10, 789.0)),
            await oms.modify(other, trigger_price=795.0, approval=approval(10, 789.0)),
            await oms.modify("nope", trigger_price=795.0, approval=approval(10, 789.0)),
        ]
        return outcomes

    try:
        with caplog.at_level("INFO", logger="alphastock.execution.oms"):
            assert asyncio.run(run()) == [False, False, False]
        assert broker.modified == []
        text = caplog.text
        assert "modify of K1 not sent: it is FILLED" in text
        assert "modify of K2 not sent: it is CANCELLED" in text
        assert "modify of nope not sent: unknown order" in text
    finally:
        writer.close()
        store.close()


def test_a_fill_arriving_while_the_modify_is_in_flight_is_applied(tmp_path: Path) -> None:
    broker = ModifyBroker()
    oms, bus, writer, store = make_oms(tmp_path, broker)

    async def run() -> bool:
        key = await resting(oms)
        broker.gate = asyncio.Event()
        task = asyncio.create_task(oms.modify(key, quantity=6, approval=approval(6, 789.0)))
        await asyncio.sleep(0)
        assert broker.modified  # the call is at the broker
        # A second modify while the first is in flight is refused.
        assert await oms.modify(key, quantity=5, approval=approval(5, 789.0)) is False
        # The stop triggers and fills on its old terms before the broker answers.
        broker.trades["B1"] = [trade("T1", "B1", 10, 789.0)]
        assert oms.apply(row("B1", key, "COMPLETE", filled=10, avg=789.0))
        broker.modify_error = OrderRejected("Order cannot be modified as it is COMPLETE.")
        broker.gate.set()
        ok = await task
        await oms.idle()
        return ok

    try:
        assert asyncio.run(run()) is False
        order = oms.get("K1")
        assert order is not None
        assert (order.state, order.filled_quantity, order.fill_quantity, order.modifying) == (
            S.FILLED, 10, 10, None,
        )  # fmt: skip
        assert order.request.quantity == 10  # never confirmed
        fills = bus.of(EventType.FILL)
        assert [(f.quantity, f.price) for f in fills] == [(10, 789.0)]
        assert len(broker.modified) == 1
    finally:
        writer.close()
        store.close()


def test_paper_broker_modify_round_trip(tmp_path: Path) -> None:
    """Through the PaperBroker's stream: the confirmed trigger is the order's, and it fills on it."""
    clock = ManualClock()
    market = StaticMarket()
    market.set(SBIN, MarketSnapshot(last_price=800.0, bid=799.95, ask=800.05))
    paper = PaperBroker(market, clock=clock, instruments=[SBIN_EQ])
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    oms = OMS(paper, Journal(tmp_path / "j.jsonl"), writer, RecordingBus(), clock)

    async def settle() -> None:
        for _ in range(3):
            await oms.idle()
            await asyncio.sleep(0.01)

    async def run() -> None:
        await oms.start()
        await asyncio.sleep(0)
        buy = OrderRequest.model_validate(
            {"tag": "E1", "exchange": "NSE", "tradingsymbol": "SBIN", "instrument_token": SBIN,
             "transaction_type": "BUY", "quantity": 10, "product": "MIS", "order_type": "MARKET",
             "market_protection": 2}
        )  # fmt: skip
        oms.submit_nowait(buy, approval(10, None, side="BUY"))
        await settle()
        oms.submit_nowait(stop_request("K1"), approval(10, 789.0), purpose="stop", parent_key="E1")
        await settle()
        assert await oms.modify("K1", trigger_price=796.0, price=795.0, approval=approval(10, 795.0))
        await settle()
        order = oms.get("K1")
        assert order is not None
        assert (order.state, order.request.trigger_price, order.request.price) == (
            S.TRIGGER_PENDING,
            796.0,
            795.0,
        )
        market.set(SBIN, MarketSnapshot(last_price=796.0, bid=795.5, ask=796.1))
        paper.on_market_update([SBIN])
        await settle()
        await oms.stop()

    try:
        asyncio.run(run())
        order = oms.get("K1")
        assert order is not None
        assert (order.state, order.filled_quantity, order.average_price, order.parent_key) == (
            S.FILLED, 10, 795.5, "E1",
        )  # fmt: skip
    finally:
        writer.close()
        store.close()
