"""Signal → order in the simulator's book → fill → FILL/POSITION events → DuckDB rows equal to the sim's
orders, trades and positions; through KiteBroker (the official SDK) against SimServer (manual clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alphastock.brokers.kite import KiteBroker, RateLimiter
from alphastock.events import EventType
from alphastock.execution import ManagedOrder, OrderState
from alphastock.execution.charging import FillCharges
from alphastock.feeds.kite_ws import FeedEvent, KiteFeed
from alphastock.models import ChargeOrder
from alphastock.refdata.store import InstrumentStore
from alphastock.risk import Limits
from alphastock.signals.model import SignalStatus
from alphastock.sim import SimServer
from alphastock.store import Store
from alphastock.ticks import TickStore
from tests.brokers._kite_clock import FakeClock
from tests.execution._harness import SBIN, ManualClock, Stack, build, signal
from tests.sim.conftest import DAY, make_config


@pytest.fixture
def sim_broker() -> Iterator[tuple[SimServer, KiteBroker]]:
    server = SimServer(make_config()).start_in_thread()
    broker = KiteBroker(
        server.api_key,
        server.access_token,
        root=server.rest_url,
        limiter=RateLimiter(clock=FakeClock()),
        backoff_s=0.01,
        lookup_attempts=2,
        lookup_interval_s=0.05,
    )
    try:
        yield server, broker
    finally:
        broker.close()
        server.stop()


async def settle(stack: Stack) -> None:
    """Broker calls done, then the order book polled (reconciliation brings the updates)."""
    for _ in range(3):
        await stack.oms.idle()
        await stack.oms.reconcile()
    await stack.oms.idle()
    assert await stack.writer.aflush(10)


def _stack(
    broker: KiteBroker, tmp_path: Path, limits: Limits | None = None, charges: FillCharges | None = None
) -> tuple[Stack, float]:
    store = Store.open(":memory:")
    instruments = InstrumentStore(store)
    asyncio.run(instruments.refresh(broker, today=DAY))
    ltp = asyncio.run(broker.ltp(["NSE:SBIN"]))["NSE:SBIN"].last_price
    clock = ManualClock()
    ticks = TickStore(1024)
    ticks.push_batch([SBIN], [clock.now], [ltp])
    stack = build(
        broker,
        tmp_path,
        instruments=instruments,
        ticks=ticks,
        clock=clock,
        store=store,
        limits=limits,
        charges=charges,
    )
    stack.risk.on_mark(SBIN, ltp, clock.now)
    return stack, ltp


def test_signal_fills_in_the_simulator_and_the_store_matches_it(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    _, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path, charges=FillCharges())
    entry = round(ltp, 1)

    async def run() -> None:
        stack.signals.submit(signal(entry=entry, stop_loss=entry - 10, target=entry + 20))
        await settle(stack)
        orders = stack.exits.square_off_all("end of test")
        assert len(orders) == 1
        await settle(stack)

    try:
        asyncio.run(run())
        expected_qty = min(100, int(20_000 // ltp))
        book = asyncio.run(broker.orders())
        trades = asyncio.run(broker.trades())
        positions = asyncio.run(broker.positions())
        ours = stack.oms.orders()
        assert [o.state for o in ours] == [OrderState.FILLED, OrderState.FILLED]
        by_tag = {o.tag: o for o in book}
        for order in ours:
            sim_order = by_tag[order.key]
            assert (sim_order.order_id, sim_order.filled_quantity) == (order.broker_order_id, expected_qty)
            assert order.average_price == pytest.approx(sim_order.average_price)
        stored = {r["idempotency_key"]: r for r in stack.store.orders().to_pylist()}
        assert {k: (r["state"], r["filled_quantity"], r["broker_order_id"]) for k, r in stored.items()} == {
            o.key: ("FILLED", expected_qty, o.broker_order_id) for o in ours
        }
        stored_fills = sorted(
            (f["trade_id"], f["quantity"], f["price"]) for f in stack.store.fills().to_pylist()
        )
        assert stored_fills == sorted((t.trade_id, t.quantity, t.average_price) for t in trades)
        assert [f.trade_id for f in stack.bus.of(EventType.FILL)] == [t.trade_id for t in trades]
        (sim_pos,) = [p for p in positions.net if p.tradingsymbol == "SBIN" and p.product == "MIS"]
        ours_pos = stack.portfolio.position(SBIN, "MIS")
        assert ours_pos is not None
        assert (ours_pos.quantity, sim_pos.quantity) == (0, 0)
        # Kite's position P&L is before charges; ours is after them, and they are the broker's own:
        # each order's booked charges equal its virtual contract note.
        assert ours_pos.realised + ours_pos.charges == pytest.approx(sim_pos.realised, abs=0.01)
        notes = asyncio.run(broker.charges([_executed(order) for order in ours]))
        assert [stack.oms.charges.of_order(o.key) for o in ours] == pytest.approx([n.total for n in notes])
        assert ours_pos.charges == pytest.approx(sum(n.total for n in notes))
        assert ours_pos.charges > 0
        fill_charges = [f["charges"] for f in stack.store.fills().to_pylist()]
        assert sum(fill_charges) == pytest.approx(ours_pos.charges)
        assert sum(f.charges for f in stack.bus.of(EventType.FILL)) == pytest.approx(ours_pos.charges)
        assert [p.quantity for p in stack.bus.of(EventType.POSITION_OPENED, EventType.POSITION_CLOSED)] == [
            expected_qty,
            0,
        ]
        sig = stack.signals.recent(1)[0]
        assert sig.status is SignalStatus.CLOSED
    finally:
        stack.close()


def _executed(order: ManagedOrder) -> ChargeOrder:
    assert order.average_price is not None
    return ChargeOrder.for_request(
        order.request, order.filled_quantity, order.average_price, order_id=order.broker_order_id or ""
    )


def test_risk_rejection_never_calls_the_broker(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    _, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path, limits=Limits(max_order_notional=100.0))
    entry = round(ltp, 1)

    async def run() -> None:
        stack.signals.submit(signal(entry=entry, stop_loss=entry - 10, target=entry + 20))
        await settle(stack)

    try:
        asyncio.run(run())
        assert broker.placements == 0
        assert asyncio.run(broker.orders()) == []
        assert stack.oms.orders() == []
        (notice,) = stack.bus.of(EventType.RISK_REJECTED)
        assert notice.code == "NOTIONAL_EXCEEDS_MAX_ORDER"
        assert stack.signals.recent(1)[0].status is SignalStatus.REJECTED
        (event,) = stack.store.risk_events().to_pylist()
        assert (event["kind"], event["code"]) == ("order_rejected", "NOTIONAL_EXCEEDS_MAX_ORDER")
        (row,) = stack.store.signals().to_pylist()
        assert row["status"] == "REJECTED"
    finally:
        stack.close()


def test_order_updates_from_the_websocket_drive_the_oms(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    """No reconciliation: the sim's WebSocket order updates reach the OMS through KiteFeed →
    KiteBroker.publish_order_update → broker.order_updates()."""
    server, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path)
    stack.oms.reconcile_interval_s = 3600.0
    entry = round(ltp, 1)

    def on_event(event: FeedEvent) -> None:
        if event.kind == "order_update" and event.data is not None:
            broker.publish_order_update(event.data)

    async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)

    async def run() -> None:
        feed = KiteFeed(
            server.api_key, server.access_token, stack.ticks, url=server.ws_url, on_event=on_event
        )
        await stack.oms.start()
        await feed.start()
        try:
            stack.signals.submit(signal(entry=entry, stop_loss=entry - 10, target=entry + 20))
            await until(lambda: bool(stack.bus.of(EventType.FILL)))
            await stack.oms.idle()
            assert await stack.writer.aflush(10)
        finally:
            await feed.stop()
            await stack.oms.stop()

    try:
        asyncio.run(run())
        (order,) = stack.oms.orders()
        assert order.state is OrderState.FILLED
        assert stack.oms.counters.reconciliations == 0
        assert stack.oms.counters.updates >= 1
        trades = asyncio.run(broker.trades())
        assert [(f.trade_id, f.quantity, f.price) for f in stack.bus.of(EventType.FILL)] == [
            (t.trade_id, t.quantity, t.average_price) for t in trades
        ]
        row = stack.store.order(order.key)
        assert row is not None
        assert (row["state"], row["filled_quantity"]) == ("FILLED", order.request.quantity)
        assert stack.signals.recent(1)[0].status is SignalStatus.ACTIVE
    finally:
        stack.close()
