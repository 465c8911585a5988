"""The OMS: risk approval required, the state table, keys, ambiguous outcomes, fills never lost or doubled."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alphastock._core import OrderIntent
from alphastock.brokers.errors import AmbiguousOrderOutcome, BrokerNetworkError, OrderRejected
from alphastock.events import EventType
from alphastock.execution import (
    OMS,
    ORDER_TRANSITIONS,
    Approval,
    IllegalTransitionError,
    NotApprovedError,
    OrderState,
    new_order_key,
)
from alphastock.execution.transitions import check_transition, state_from_kite
from alphastock.models import Order, OrderRequest, Trade
from alphastock.persistence.journal import Journal, read_journal
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import BrokerCapabilities
from alphastock.risk import Limits, RiskEngine
from alphastock.signals.model import new_signal_id
from alphastock.store import Store
from tests.execution._harness import SBIN, T0, ManualClock, RecordingBus

S = OrderState


class FakeBroker:
    """place_order / orders / order_trades / order_updates under test control."""

    capabilities = BrokerCapabilities(streams_order_updates=True)

    def __init__(self) -> None:
        self.placed: list[OrderRequest] = []
        self.place_error: Exception | None = None
        self.trades_error: Exception | None = None
        self.orders_error: Exception | None = None
        self.book: list[Order] = []
        self.trades: dict[str, list[Trade]] = {}
        self.updates: asyncio.Queue[Order] | None = None

    async def place_order(self, request: OrderRequest) -> str:
        self.placed.append(request)
        if self.place_error is not None:
            raise self.place_error
        return f"B{len(self.placed)}"

    async def orders(self) -> list[Order]:
        if self.orders_error is not None:
            raise self.orders_error
        return list(self.book)

    async def order_trades(self, order_id: str) -> list[Trade]:
        if self.trades_error is not None:
            raise self.trades_error
        return list(self.trades.get(order_id, []))

    async def cancel_order(self, order_id: str, variety: Any = None) -> str:
        return order_id

    async def order_updates(self) -> AsyncIterator[Order]:  # pragma: no cover - not used here
        if False:
            yield


def kite_order(order_id: str, tag: str, status: str, filled: int, avg: float, qty: int = 10) -> Order:
    return Order.model_validate(
        {
            "order_id": order_id,
            "status": status,
            "variety": "regular",
            "exchange": "NSE",
            "tradingsymbol": "SBIN",
            "instrument_token": SBIN,
            "order_type": "MARKET",
            "transaction_type": "BUY",
            "validity": "DAY",
            "product": "MIS",
            "quantity": qty,
            "filled_quantity": filled,
            "average_price": avg,
            "tag": tag,
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
            "transaction_type": "BUY",
            "average_price": price,
            "quantity": qty,
            "fill_timestamp": T0,
        }
    )


def approved(quantity: int = 10, **limits: Any) -> Approval:
    risk = RiskEngine(Limits(max_data_age_s=None, min_cash_reserve=None, **limits))
    intent = OrderIntent(
        token=SBIN,
        symbol="SBIN",
        exchange="NSE",
        product="MIS",
        side="BUY",
        quantity=quantity,
        reference_price=800.0,
    )
    return Approval.from_decision(intent, risk.check(intent, T0), T0)


def request(tag: str, quantity: int = 10) -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "tag": tag,
            "exchange": "NSE",
            "tradingsymbol": "SBIN",
            "instrument_token": SBIN,
            "transaction_type": "BUY",
            "quantity": quantity,
            "product": "MIS",
            "order_type": "MARKET",
            "market_protection": 2,
        }
    )


def _oms(tmp_path: Path, broker: FakeBroker) -> tuple[OMS, RecordingBus, StoreWriter, Store]:
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    bus = RecordingBus()
    oms = OMS(broker, Journal(tmp_path / "j.jsonl"), writer, bus, ManualClock())  # type: ignore[arg-type]
    return oms, bus, writer, store


def test_transition_table_and_kite_mapping() -> None:
    assert ORDER_TRANSITIONS[S.NEW] == {S.SUBMITTED, S.REJECTED}
    for terminal in (S.FILLED, S.CANCELLED, S.REJECTED):
        assert terminal.is_terminal
        assert ORDER_TRANSITIONS[terminal] == frozenset()
    check_transition("k", S.SUBMITTED, S.UNKNOWN)
    check_transition("k", S.UNKNOWN, S.FILLED)
    check_transition("k", S.PARTIALLY_FILLED, S.PARTIALLY_FILLED)  # more fills: not a change
    for bad in ((S.NEW, S.FILLED), (S.FILLED, S.OPEN), (S.CANCELLED, S.FILLED), (S.OPEN, S.SUBMITTED)):
        with pytest.raises(IllegalTransitionError):
            check_transition("k", *bad)
    assert state_from_kite("OPEN", 0, 10) is S.OPEN
    assert state_from_kite("OPEN", 4, 10) is S.PARTIALLY_FILLED
    assert state_from_kite("TRIGGER PENDING", 0, 10) is S.TRIGGER_PENDING
    assert state_from_kite("COMPLETE", 10, 10) is S.FILLED
    assert state_from_kite("CANCELLED", 3, 10) is S.CANCELLED
    assert state_from_kite("REJECTED", 0, 10) is S.REJECTED
    assert state_from_kite("PUT ORDER REQ RECEIVED", 0, 10) is None
    assert state_from_kite("VALIDATION PENDING", 0, 10) is None


def test_idempotency_keys_fit_the_kite_tag_and_are_unique() -> None:
    keys = [new_order_key(T0) for _ in range(5000)]
    assert len(set(keys)) == 5000
    assert {len(k) for k in keys} == {19}
    assert all(k.startswith("AS") and k.isalnum() for k in keys)


def test_keys_and_signal_ids_draw_no_randomness_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.urandom`` releases the GIL; the hot path must not call it (randomness is drawn at import)."""

    def refuse(_n: int) -> bytes:
        raise AssertionError("os.urandom called on the hot path")

    monkeypatch.setattr(os, "urandom", refuse)
    keys = {new_order_key(T0) for _ in range(1000)}
    ids = {new_signal_id(T0) for _ in range(1000)}
    assert len(keys) == 1000
    assert len(ids) == 1000
    assert {len(i) for i in ids} == {20}


def test_nothing_is_sent_without_a_covering_approval(tmp_path: Path) -> None:
    broker = FakeBroker()
    oms, _, writer, store = _oms(tmp_path, broker)
    risk = RiskEngine(Limits(max_data_age_s=None, min_cash_reserve=None, max_order_notional=100.0))
    intent = OrderIntent(
        token=SBIN,
        symbol="SBIN",
        exchange="NSE",
        product="MIS",
        side="BUY",
        quantity=10,
        reference_price=800.0,
    )
    with pytest.raises(NotApprovedError, match="REJECT"):
        Approval.from_decision(intent, risk.check(intent, T0), T0)
    with pytest.raises(NotApprovedError):
        oms.create(request("ASa", quantity=20), approved(10))  # more than approved
    with pytest.raises(NotApprovedError):
        oms.create(request("ASb"), "APPROVE")  # type: ignore[arg-type]
    assert oms.orders() == []
    assert broker.placed == []
    writer.close()
    store.close()


def test_accepted_then_partial_then_filled_with_trades(tmp_path: Path) -> None:
    broker = FakeBroker()
    oms, bus, writer, store = _oms(tmp_path, broker)

    async def run() -> None:
        order = await oms.submit(request("ASk1"), approved(), signal_id="S1")
        assert (order.state, order.broker_order_id) == (S.SUBMITTED, "B1")
        assert oms.apply(kite_order("B1", "ASk1", "OPEN", 0, 0.0))
        broker.trades["B1"] = [trade("T1", "B1", 4, 800.0)]
        assert oms.apply(kite_order("B1", "ASk1", "OPEN", 4, 800.0))
        await oms.idle()
        broker.trades["B1"].append(trade("T2", "B1", 6, 801.0))
        assert oms.apply(kite_order("B1", "ASk1", "COMPLETE", 10, 800.6))
        await oms.idle()
        assert not oms.apply(kite_order("B1", "ASk1", "COMPLETE", 10, 800.6))  # a repeat: nothing
        await oms.idle()
        assert not oms.apply(kite_order("B1", "ASk1", "OPEN", 10, 800.6))  # FILLED -> OPEN refused
        assert await writer.aflush(10)

    asyncio.run(run())
    (order,) = oms.orders()
    assert (order.state, order.filled_quantity, order.average_price) == (S.FILLED, 10, 800.6)
    fills = bus.of(EventType.FILL)
    assert [(f.trade_id, f.quantity, f.price, f.signal_id) for f in fills] == [
        ("T1", 4, 800.0, "S1"),
        ("T2", 6, 801.0, "S1"),
    ]
    assert bus.types()[:2] == [EventType.ORDER_SUBMITTED, EventType.ORDER_ACCEPTED]
    assert EventType.ORDER_FILLED in bus.types()
    assert oms.counters.illegal_transitions == 1
    events = store.order_events("ASk1").column("to_state").to_pylist()
    assert events == ["NEW", "SUBMITTED", "OPEN", "PARTIALLY_FILLED", "FILLED"]
    assert store.fills().column("trade_id").to_pylist() == ["T1", "T2"]
    kinds = [r["kind"] for r in read_journal(tmp_path / "j.jsonl")]
    assert kinds[0] == "order"
    assert kinds.count("fill") == 2
    writer.close()
    store.close()


def test_failed_trades_call_derives_the_fill_and_real_trades_never_double_count(tmp_path: Path) -> None:
    broker = FakeBroker()
    oms, bus, writer, store = _oms(tmp_path, broker)

    async def run() -> None:
        await oms.submit(request("ASk2"), approved())
        broker.trades_error = BrokerNetworkError("502")
        oms.apply(kite_order("B1", "ASk2", "OPEN", 4, 800.0))
        await oms.idle()
        broker.trades_error = None
        broker.trades["B1"] = [trade("T1", "B1", 4, 800.0), trade("T2", "B1", 6, 801.0)]
        oms.apply(kite_order("B1", "ASk2", "COMPLETE", 10, 800.6))
        await oms.idle()
        await oms.reconcile()
        await oms.idle()

    asyncio.run(run())
    fills = bus.of(EventType.FILL)
    assert [(f.trade_id, f.quantity, f.price) for f in fills] == [("ASk2-d4", 4, 800.0), ("T2", 6, 801.0)]
    assert sum(f.quantity for f in fills) == 10
    assert oms.counters.derived_fills == 1
    derived = next(r["data"] for r in read_journal(tmp_path / "j.jsonl") if r["kind"] == "fill")
    assert derived["derived"] is True
    writer.close()
    store.close()


def test_ambiguous_outcome_is_unknown_until_reconciled_by_tag(tmp_path: Path) -> None:
    broker = FakeBroker()
    oms, bus, writer, store = _oms(tmp_path, broker)

    async def run() -> None:
        broker.place_error = AmbiguousOrderOutcome("timeout", tag="ASk3")
        order = await oms.submit(request("ASk3"), approved())
        await oms.idle()  # the reconciliation it started finds nothing yet
        assert order.state is S.UNKNOWN
        assert oms.health().state == "degraded"
        broker.book = [kite_order("B77", "ASk3", "COMPLETE", 10, 799.5)]
        broker.trades["B77"] = [trade("T9", "B77", 10, 799.5)]
        assert await oms.reconcile() == 1
        await oms.idle()

    asyncio.run(run())
    (order,) = oms.orders()
    assert (order.state, order.broker_order_id, order.filled_quantity) == (S.FILLED, "B77", 10)
    assert len(broker.placed) == 1  # never resent
    assert [f.trade_id for f in bus.of(EventType.FILL)] == ["T9"]
    assert oms.health().state == "ok"
    writer.close()
    store.close()


def test_an_unknown_order_absent_from_the_book_after_the_timeout_is_rejected(tmp_path: Path) -> None:
    broker = FakeBroker()
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    bus = RecordingBus()
    clock = ManualClock()
    oms = OMS(
        broker, Journal(tmp_path / "j.jsonl"), writer, bus, clock,  # type: ignore[arg-type]
        unknown_timeout_s=30.0,
    )  # fmt: skip

    async def run() -> None:
        broker.place_error = AmbiguousOrderOutcome("timeout", tag="ASk4")
        order = await oms.submit(request("ASk4"), approved())
        await oms.idle()
        for _ in range(3):  # absent, but before the timeout: the broker may still be writing it
            clock.advance(9.0)
            assert await oms.reconcile() == 0
        assert (order.state, order.absent_reads) == (S.UNKNOWN, 0)
        clock.advance(4.0)  # 31 s after the call
        assert await oms.reconcile() == 0  # one absent read is not enough
        assert (order.state, order.absent_reads) == (S.UNKNOWN, 1)
        broker.orders_error = BrokerNetworkError("down")
        assert await oms.reconcile() == 0  # a failed read proves nothing
        assert order.absent_reads == 1
        broker.orders_error = None
        assert await oms.reconcile() == 1
        assert await writer.aflush(10)

    asyncio.run(run())
    (order,) = oms.orders()
    assert order.state is S.REJECTED
    assert "never placed" in (order.message or "")
    assert oms.counters.unknown_absent == 1
    assert oms.health().state == "ok"
    assert len(broker.placed) == 1  # never resent
    assert [o.key for o in bus.of(EventType.ORDER_REJECTED)] == ["ASk4"]
    assert store.order_events("ASk4").column("to_state").to_pylist()[-2:] == ["UNKNOWN", "REJECTED"]
    writer.close()
    store.close()


def test_an_unknown_order_that_appears_late_is_adopted_not_rejected(tmp_path: Path) -> None:
    broker = FakeBroker()
    oms, _bus, writer, store = _oms(tmp_path, broker)
    clock = oms.clock
    assert isinstance(clock, ManualClock)

    async def run() -> None:
        broker.place_error = AmbiguousOrderOutcome("timeout", tag="ASk5")
        order = await oms.submit(request("ASk5"), approved())
        await oms.idle()
        clock.advance(60.0)
        assert await oms.reconcile() == 0
        assert order.absent_reads == 1
        broker.book = [kite_order("B80", "ASk5", "OPEN", 0, 0.0)]
        assert await oms.reconcile() == 1
        assert (order.state, order.broker_order_id) == (S.OPEN, "B80")

    asyncio.run(run())
    writer.close()
    store.close()


def test_broker_refusal_is_rejected_and_a_used_key_is_refused(tmp_path: Path) -> None:
    broker = FakeBroker()
    oms, bus, writer, store = _oms(tmp_path, broker)

    async def run() -> None:
        broker.place_error = OrderRejected("Insufficient funds")
        order = await oms.submit(request("ASk4"), approved())
        assert (order.state, order.message) == (S.REJECTED, "Insufficient funds")
        with pytest.raises(ValueError, match="already used"):
            oms.create(request("ASk4"), approved())

    asyncio.run(run())
    (snap,) = bus.of(EventType.ORDER_REJECTED)
    assert (snap.key, snap.state) == ("ASk4", "REJECTED")
    assert oms.open_orders() == []
    writer.close()
    store.close()


def test_a_lagging_trade_book_is_read_again_then_derived(tmp_path: Path) -> None:
    broker = FakeBroker()
    oms, bus, writer, store = _oms(tmp_path, broker)
    oms.trade_lag_s = 0.01

    async def run() -> None:
        await oms.submit(request("ASk5"), approved())
        calls = 0
        original = broker.order_trades

        async def late(order_id: str) -> list[Trade]:
            nonlocal calls
            calls += 1
            return [] if calls == 1 else await original(order_id)

        broker.order_trades = late  # type: ignore[method-assign]
        broker.trades["B1"] = [trade("T1", "B1", 10, 800.0)]
        oms.apply(kite_order("B1", "ASk5", "COMPLETE", 10, 800.0))
        await oms.idle()
        assert calls == 2
        # A second order whose trades never show up: derived after the second look.
        await oms.submit(request("ASk6"), approved())
        oms.apply(kite_order("B2", "ASk6", "COMPLETE", 10, 801.0))
        await oms.idle()

    asyncio.run(run())
    fills = [(f.trade_id, f.quantity, f.price) for f in bus.of(EventType.FILL)]
    assert fills == [("T1", 10, 800.0), ("ASk6-d10", 10, 801.0)]
    writer.close()
    store.close()
