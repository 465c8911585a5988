"""OMS.modify: risk approval required, the broker's confirmation sets the terms (in memory, in the store,
through a journal replay), fills racing a modify, a modify's acknowledgement racing a cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alphastock._core import OrderIntent
from alphastock.brokers.errors import AmbiguousOrderOutcome, OrderRejected
from alphastock.brokers.paper import PaperBroker, StaticMarket
from alphastock.brokers.paper.market import MarketSnapshot
from alphastock.events import EventType
from alphastock.execution import OMS, Approval, NotApprovedError, OrderState
from alphastock.execution.transitions import (
    ORDER_TRANSITIONS,
    IllegalTransitionError,
    check_transition,
    reported_state,
)
from alphastock.models import Order, OrderRequest, Trade
from alphastock.persistence.journal import Journal, read_journal
from alphastock.persistence.writer import StoreWriter, replay
from alphastock.ports import BrokerCapabilities
from alphastock.risk import Limits, RiskEngine
from alphastock.store import Store
from tests.execution._harness import SBIN, SBIN_EQ, T0, ManualClock, RecordingBus

S = OrderState


class ModifyBroker:
    """Places, modifies (optionally held at a gate) and cancels (optionally held at ``cancel_gate``, or
    refused with ``cancel_error``); book and trades under test control."""

    capabilities = BrokerCapabilities(streams_order_updates=True)

    def __init__(self) -> None:
        self.placed: list[OrderRequest] = []
        self.modified: list[tuple[str, dict[str, Any]]] = []
        self.gate: asyncio.Event | None = None
        self.modify_error: Exception | None = None
        self.trades: dict[str, list[Trade]] = {}
        self.book: list[Order] = []
        self.cancelled: list[str] = []
        self.cancel_gate: asyncio.Event | None = None
        self.cancel_error: Exception | None = None

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
        self.cancelled.append(order_id)
        if self.cancel_gate is not None:
            await self.cancel_gate.wait()
        if self.cancel_error is not None:
            raise self.cancel_error
        return order_id

    async def orders(self) -> list[Order]:
        return list(self.book)

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


# ----- a modify's acknowledgement racing a cancel -------------------------------------------------


def test_a_resting_report_leaves_a_standing_cancel_pending() -> None:
    for resting in (S.OPEN, S.TRIGGER_PENDING, S.PARTIALLY_FILLED):
        assert reported_state(S.CANCEL_PENDING, resting, cancel_taken=True) is S.CANCEL_PENDING
        # The broker did not take the cancel: the report says where the order rests.
        assert reported_state(S.CANCEL_PENDING, resting, cancel_taken=False) is resting
        check_transition("k", S.CANCEL_PENDING, resting)
    for end in (S.CANCELLED, S.FILLED, None):
        assert reported_state(S.CANCEL_PENDING, end, cancel_taken=True) is end
    assert reported_state(S.TRIGGER_PENDING, S.OPEN, cancel_taken=True) is S.OPEN
    assert ORDER_TRANSITIONS[S.CANCEL_PENDING] == {
        S.CANCELLED, S.FILLED, S.OPEN, S.TRIGGER_PENDING, S.PARTIALLY_FILLED,
    }  # fmt: skip
    for bad in (S.REJECTED, S.UNKNOWN, S.SUBMITTED, S.NEW):
        with pytest.raises(IllegalTransitionError):
            check_transition("k", S.CANCEL_PENDING, bad)


def _stored(store: Store, key: str) -> dict[str, Any]:
    row = store.order(key)
    assert row is not None
    return row


def test_a_modify_acknowledged_after_the_cancel_request_is_taken_and_the_cancel_still_ends_it(
    tmp_path: Path,
) -> None:
    broker = ModifyBroker()
    oms, bus, writer, store = make_oms(tmp_path, broker)

    async def run() -> None:
        key = await resting(oms)
        assert await oms.modify(
            key, quantity=8, trigger_price=795.0, price=794.0, approval=approval(8, 794.0)
        )
        assert await oms.cancel(key)
        order = oms.get(key)
        assert order is not None
        assert order.state is S.CANCEL_PENDING
        # Kite delivers the modify's acknowledgement after our cancel request: the exchange holds the
        # order on its new terms and has not processed the cancel yet.
        assert oms.apply(
            row("B1", key, "TRIGGER PENDING", qty=8, trigger_price=795.0, price=794.0, modified=True)
        )
        assert (order.state, order.request.quantity, order.request.trigger_price, order.request.price) == (
            S.CANCEL_PENDING, 8, 795.0, 794.0,
        )  # fmt: skip
        assert order.modifying is None
        # It triggers and fills 3 on the new terms before the cancel reaches the exchange.
        broker.trades["B1"] = [trade("T1", "B1", 3, 794.0)]
        assert oms.apply(row("B1", key, "OPEN", qty=8, filled=3, avg=794.0, trigger_price=795.0, price=794.0))
        await oms.idle()
        assert (order.state, order.filled_quantity, order.fill_quantity) == (S.CANCEL_PENDING, 3, 3)
        # The same report read again from the book changes nothing.
        assert not oms.apply(
            row("B1", key, "OPEN", qty=8, filled=3, avg=794.0, trigger_price=795.0, price=794.0)
        )
        assert oms.apply(
            row("B1", key, "CANCELLED", qty=8, filled=3, avg=794.0, trigger_price=795.0, price=794.0)
        )
        await oms.idle()

    try:
        asyncio.run(run())
        order = oms.get("K1")
        assert order is not None
        assert (order.state, order.filled_quantity, order.fill_quantity, order.request.quantity) == (
            S.CANCELLED, 3, 3, 8,
        )  # fmt: skip
        assert broker.cancelled == ["B1"]
        assert oms.counters.illegal_transitions == 0
        assert [(f.quantity, f.price) for f in bus.of(EventType.FILL)] == [(3, 794.0)]
        assert writer.flush(10)
        stored = _stored(store, "K1")
        assert (
            stored["state"], stored["quantity"], stored["price"], stored["trigger_price"],
            stored["filled_quantity"], stored["average_price"],
        ) == ("CANCELLED", 8, 794.0, 795.0, 3, 794.0)  # fmt: skip
        assert store.order_events("K1").column("to_state").to_pylist() == [
            "NEW", "SUBMITTED", "TRIGGER_PENDING", "TRIGGER_PENDING", "CANCEL_PENDING", "CANCEL_PENDING",
            "CANCEL_PENDING", "CANCELLED",
        ]  # fmt: skip
        assert store.fills().column("quantity").to_pylist() == [3]
        # The journal replayed into a fresh store gives the same row.
        with Store.open(":memory:") as fresh:
            replay(tmp_path / "j.jsonl", fresh)
            assert _stored(fresh, "K1") == stored
            assert fresh.order_events("K1").to_pylist() == store.order_events("K1").to_pylist()
    finally:
        writer.close()
        store.close()


def test_a_cancel_refused_because_the_order_filled_ends_filled_with_its_fills(tmp_path: Path) -> None:
    broker = ModifyBroker()
    oms, bus, writer, store = make_oms(tmp_path, broker)

    async def run() -> bool:
        key = await resting(oms)
        assert await oms.modify(key, quantity=6, approval=approval(6, 789.0))
        broker.cancel_gate = asyncio.Event()
        task = asyncio.create_task(oms.cancel(key))
        await asyncio.sleep(0)
        assert broker.cancelled == ["B1"]  # the cancel is at the broker
        # The modify's acknowledgement, then the stop triggers and fills on the new quantity.
        assert oms.apply(row("B1", key, "TRIGGER PENDING", qty=6, modified=True))
        order = oms.get(key)
        assert order is not None
        assert (order.state, order.request.quantity) == (S.CANCEL_PENDING, 6)
        broker.trades["B1"] = [trade("T1", "B1", 4, 789.5), trade("T2", "B1", 2, 789.25)]
        broker.book = [row("B1", key, "COMPLETE", qty=6, filled=6, avg=789.4167)]
        broker.cancel_error = OrderRejected("Order cannot be cancelled as it is complete.")
        broker.cancel_gate.set()
        ok = await task
        await oms.idle()
        return ok

    try:
        assert asyncio.run(run()) is False
        order = oms.get("K1")
        assert order is not None
        assert (order.state, order.filled_quantity, order.fill_quantity, order.request.quantity) == (
            S.FILLED, 6, 6, 6,
        )  # fmt: skip
        assert [(f.trade_id, f.quantity, f.price) for f in bus.of(EventType.FILL)] == [
            ("T1", 4, 789.5), ("T2", 2, 789.25),
        ]  # fmt: skip
        assert oms.counters.illegal_transitions == 0
        assert writer.flush(10)
        stored = _stored(store, "K1")
        assert (stored["state"], stored["quantity"], stored["filled_quantity"]) == ("FILLED", 6, 6)
        assert store.order_events("K1").column("to_state").to_pylist()[-2:] == ["CANCEL_PENDING", "FILLED"]
        assert sorted(store.fills().column("trade_id").to_pylist()) == ["T1", "T2"]
    finally:
        writer.close()
        store.close()


@pytest.mark.parametrize(
    "error",
    [OrderRejected("Too many requests"), AmbiguousOrderOutcome("timed out", tag="K1")],
    ids=["refused", "outcome-unknown"],
)
def test_a_cancel_the_broker_did_not_take_returns_the_order_to_resting(
    tmp_path: Path, error: Exception
) -> None:
    broker = ModifyBroker()
    oms, _, writer, store = make_oms(tmp_path, broker)

    async def run() -> list[Any]:
        key = await resting(oms)
        order = oms.get(key)
        assert order is not None
        broker.cancel_error = error
        broker.book = [row("B1", key, "TRIGGER PENDING")]
        seen: list[Any] = [await oms.cancel(key), order.state, order.message]
        # Not taken again, and the book read shows nothing: CANCEL_PENDING, and it may be cancelled again.
        broker.book = []
        assert await oms.cancel(key) is False
        seen.append(order.state)
        broker.cancel_error = None
        seen.append(await oms.cancel(key))  # asked again: taken
        seen.append(order.state)
        assert oms.apply(row("B1", key, "TRIGGER PENDING")) is False  # the cancel stands: nothing changes
        assert oms.apply(row("B1", key, "CANCELLED"))
        seen.append(order.state)
        return seen

    try:
        outcome = asyncio.run(run())
        taken = "outcome unknown" if isinstance(error, AmbiguousOrderOutcome) else "refused"
        assert outcome == [
            False, S.TRIGGER_PENDING, f"cancel {taken}: {error}", S.CANCEL_PENDING, True, S.CANCEL_PENDING,
            S.CANCELLED,
        ]  # fmt: skip
        assert broker.cancelled == ["B1", "B1", "B1"]
        assert oms.counters.illegal_transitions == 0
        assert writer.flush(10)
        assert store.order_events("K1").column("to_state").to_pylist()[2:] == [
            "TRIGGER_PENDING", "CANCEL_PENDING", "TRIGGER_PENDING", "CANCEL_PENDING", "CANCELLED",
        ]  # fmt: skip
    finally:
        writer.close()
        store.close()


def test_a_cancel_pending_order_of_an_earlier_session_follows_the_book(tmp_path: Path) -> None:
    """Restored CANCEL_PENDING: this session never saw the broker take that cancel, so the book decides."""
    broker = ModifyBroker()
    oms, _, writer, store = make_oms(tmp_path, broker)

    async def run() -> list[Any]:
        key = await resting(oms)
        assert await oms.cancel(key)
        assert await writer.aflush(10)
        stored = _stored(store, key)
        assert stored["state"] == "CANCEL_PENDING"
        later = OMS(broker, Journal(tmp_path / "j2.jsonl"), writer, RecordingBus(), ManualClock())
        order = later.restore(stored, purpose="stop")
        broker.book = [row("B1", key, "TRIGGER PENDING")]  # the cancel never reached the exchange
        seen: list[Any] = [order.state, await later.reconcile(), order.state]
        seen += [await later.cancel(key), order.state]
        assert later.apply(row("B1", key, "TRIGGER PENDING")) is False  # this cancel stands
        return seen

    try:
        assert asyncio.run(run()) == [S.CANCEL_PENDING, 1, S.TRIGGER_PENDING, True, S.CANCEL_PENDING]
        assert broker.cancelled == ["B1", "B1"]
    finally:
        writer.close()
        store.close()
