"""Signal → order → fill → position → exit against the PaperBroker over a TickStore, checked by value."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from alphastock.brokers.paper import PaperBroker, TickStoreMarket
from alphastock.events import EventType
from alphastock.execution import OrderState
from alphastock.signals.model import SignalStatus
from alphastock.ticks import TickStore
from tests.execution._harness import SBIN, SBIN_EQ, ManualClock, Stack, build, signal


def push(stack: Stack, paper: PaperBroker, price: float, spread: float = 0.05) -> None:
    """A tick into the TickStore, then everyone who reacts to ticks (as the live wiring does)."""
    now = stack.clock.now_ns()
    stack.ticks.push_batch(
        [SBIN], [now], [price], bid=[price - spread], ask=[price + spread], bid_qty=[5000], ask_qty=[5000]
    )
    stack.risk.on_mark(SBIN, price, now)
    paper.on_market_update([SBIN])
    stack.portfolio.mark_tokens([SBIN])
    stack.exits.on_ticks([SBIN])


async def settle(stack: Stack) -> None:
    for _ in range(5):
        await stack.oms.idle()
        await asyncio.sleep(0.01)
    assert await stack.writer.aflush(10)


def setup(tmp_path: Path) -> tuple[Stack, PaperBroker]:
    clock = ManualClock()
    ticks = TickStore(1024)
    paper = PaperBroker(TickStoreMarket(ticks), clock=clock, instruments=[SBIN_EQ])
    stack = build(paper, tmp_path, ticks=ticks, clock=clock)
    return stack, paper


def test_signal_to_fill_to_exit_on_target(tmp_path: Path) -> None:
    stack, paper = setup(tmp_path)

    async def run() -> None:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)
        assert stack.signals.submit(signal(recv_ns=stack.clock.now))
        await settle(stack)
        stack.clock.advance(60)
        push(stack, paper, 821.0)  # above the target 820: exit
        await settle(stack)
        await stack.oms.stop()

    try:
        asyncio.run(run())
        entry, exit_order = stack.oms.orders()
        # 1 % of 100 000 over a 10 rupee stop is 100 units, capped by 20 % of capital: 20 000 / 800 = 25.
        assert (entry.request.quantity, entry.state, entry.filled_quantity) == (25, OrderState.FILLED, 25)
        assert (exit_order.request.transaction_type, exit_order.state, exit_order.purpose) == (
            "SELL",
            OrderState.FILLED,
            "exit",
        )
        fills = stack.bus.of(EventType.FILL)
        assert [(f.side, f.quantity, f.price) for f in fills] == [("BUY", 25, 800.05), ("SELL", 25, 820.95)]
        # Paper's own book agrees with ours.
        trades = asyncio.run(paper.trades())
        assert sorted((t.trade_id, t.quantity, t.average_price) for t in trades) == sorted(
            (f.trade_id, f.quantity, f.price) for f in fills
        )
        pos = stack.portfolio.position(SBIN, "MIS")
        assert pos is not None
        assert pos.quantity == 0
        assert pos.realised == pytest.approx(25 * (820.95 - 800.05))
        kinds = stack.bus.of(EventType.POSITION_OPENED, EventType.POSITION_CLOSED)
        assert [k.quantity for k in kinds] == [25, 0]
        sig = stack.signals.recent(1)[0]
        assert sig.status is SignalStatus.CLOSED
        # DuckDB holds the same facts.
        orders = stack.store.orders().to_pylist()
        assert sorted((o["side"], o["state"], o["filled_quantity"]) for o in orders) == [
            ("BUY", "FILLED", 25),
            ("SELL", "FILLED", 25),
        ]
        stored_fills = stack.store.fills().to_pylist()
        assert sorted((f["side"], f["quantity"], f["price"]) for f in stored_fills) == [
            ("BUY", 25, 800.05),
            ("SELL", 25, 820.95),
        ]
        (row,) = stack.store.signals().to_pylist()
        assert row["status"] == "CLOSED"
        # The risk engine saw the same fills.
        assert stack.risk.realised_pnl == pytest.approx(25 * (820.95 - 800.05))
        # One latency trace per order, every stage non-negative.
        assert stack.recorder.count == 2
    finally:
        stack.close()


def test_stop_loss_exit_and_square_off_all(tmp_path: Path) -> None:
    stack, paper = setup(tmp_path)

    async def run() -> list[str]:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)
        stack.signals.submit(signal())
        await settle(stack)
        stack.clock.advance(1)
        push(stack, paper, 795.0)  # between stop and target: nothing
        await settle(stack)
        assert len(stack.oms.orders()) == 1
        stack.clock.advance(1)
        push(stack, paper, 789.0)  # below the stop 790
        await settle(stack)
        # A second position, squared off at shutdown.
        stack.signals.submit(signal(ts_ns=stack.clock.now, entry=789.0, stop_loss=780.0, target=800.0))
        await settle(stack)
        assert stack.exits.square_off_all("nothing", products=("NRML",)) == []
        assert len(stack.exits.square_off_all("shutdown")) == 1  # MIS (the default products)
        await stack.oms.idle()
        keys = [o.key for o in stack.oms.orders() if o.purpose == "square_off"]
        await settle(stack)
        await stack.oms.stop()
        return keys

    try:
        keys = asyncio.run(run())
        sides = [(o.request.transaction_type.value, o.purpose, o.state.value) for o in stack.oms.orders()]
        assert sides == [
            ("BUY", "entry", "FILLED"),
            ("SELL", "exit", "FILLED"),
            ("BUY", "entry", "FILLED"),
            ("SELL", "square_off", "FILLED"),
        ]
        assert keys == [stack.oms.orders()[3].key]
        fills = stack.bus.of(EventType.FILL)
        assert [(f.side, f.price) for f in fills][:2] == [("BUY", 800.05), ("SELL", 788.95)]
        statuses = [s.status for s in stack.signals.recent(2)]
        assert statuses == [SignalStatus.CLOSED, SignalStatus.CLOSED]
        assert stack.portfolio.positions(open_only=True) == []
    finally:
        stack.close()
