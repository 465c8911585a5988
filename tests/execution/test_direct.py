"""DirectExecutor rules by value on the PaperBroker: LIMIT at the touch, opposite signals close, refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from alphastock.brokers.paper import PaperBroker, PaperSettings, TickStoreMarket
from alphastock.events import Event, EventType, TickBatch
from alphastock.execution import ExecutionConfig, OrderState
from alphastock.models import Instrument
from alphastock.risk import Limits
from alphastock.signals.model import SignalStatus
from alphastock.ticks import TickStore
from tests.execution._harness import SBIN, SBIN_EQ, ManualClock, Stack, build, signal
from tests.execution.test_paper_round_trip import push, settle


def setup(tmp_path: Path, config: ExecutionConfig, **paper: object) -> tuple[Stack, PaperBroker]:
    clock = ManualClock()
    ticks = TickStore(1024)
    broker = PaperBroker(TickStoreMarket(ticks), PaperSettings(**paper), clock=clock, instruments=[SBIN_EQ])
    return build(broker, tmp_path, ticks=ticks, clock=clock, config=config), broker


def test_limit_order_at_the_touch_plus_ticks(tmp_path: Path) -> None:
    stack, paper = setup(
        tmp_path, ExecutionConfig(capital=100_000.0, order_type="LIMIT", limit_offset_ticks=2)
    )

    async def run() -> None:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)  # ask 800.05
        stack.signals.submit(signal())
        await settle(stack)
        stack.signals.submit(signal(action="SELL", entry=800.0, stop_loss=810.0, target=780.0))
        await settle(stack)
        await stack.oms.stop()

    try:
        asyncio.run(run())
        buy, sell = stack.oms.orders()
        assert (buy.request.order_type, buy.request.price) == ("LIMIT", 800.15)  # 800.05 + 2 ticks
        assert buy.request.market_protection is None
        # The SELL closes the BUY's position (25 units) instead of opening a short: a MARKET exit.
        assert (sell.request.order_type, sell.request.quantity, sell.purpose) == ("MARKET", 25, "exit")
        assert [f.price for f in stack.bus.of(EventType.FILL)] == [800.05, 799.95]
        assert stack.portfolio.positions(open_only=True) == []
        assert [s.status for s in stack.signals.recent(2)] == [SignalStatus.CLOSED, SignalStatus.CLOSED]
    finally:
        stack.close()


def test_broker_refusal_rejects_the_signal(tmp_path: Path) -> None:
    stack, paper = setup(tmp_path, ExecutionConfig(capital=100_000.0), starting_cash=100.0)

    async def run() -> None:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)
        stack.signals.submit(signal())
        await settle(stack)
        await stack.oms.stop()

    try:
        asyncio.run(run())
        (order,) = stack.oms.orders()
        assert order.state is OrderState.REJECTED
        assert "Insufficient funds" in (order.message or "")
        sig = stack.signals.recent(1)[0]
        assert sig.status is SignalStatus.REJECTED
        assert "Insufficient funds" in sig.metadata["rejected_reason"]
        assert stack.store.signals().column("status").to_pylist() == ["REJECTED"]
    finally:
        stack.close()


def test_unknown_instrument_zero_size_and_other_asset_types(tmp_path: Path) -> None:
    stack, paper = setup(tmp_path, ExecutionConfig(capital=1_000.0))

    async def run() -> None:
        push(stack, paper, 800.0)
        stack.signals.submit(signal(symbol="NOPE"))
        stack.signals.submit(signal())  # 1 % of 1 000 = 10 rupees at risk over a 10 rupee stop: 1 unit,
        stack.signals.submit(signal(asset_type="options"))  # no options executor here: rejected
        await settle(stack)

    try:
        asyncio.run(run())
        opts, sized, unknown = stack.signals.recent(3)
        assert unknown.status is SignalStatus.REJECTED
        assert "unknown instrument" in unknown.metadata["rejected_reason"]
        # ... but 20 % of 1 000 buys no unit of an 800 rupee share: size 0, rejected.
        assert sized.status is SignalStatus.REJECTED
        assert "size is 0" in sized.metadata["rejected_reason"]
        assert opts.status is SignalStatus.REJECTED
        assert opts.metadata["rejected_reason"] == (
            "no executor for options signals: the options executor is not enabled"
        )
        assert stack.oms.orders() == []
        assert stack.executor.rejected == 2  # the router rejected the options signal, not the executor
        assert stack.router.stats() == {"rejected_options": 1}
    finally:
        stack.close()


def _mcx_future(token: int, symbol: str, name: str) -> Instrument:
    # Kite's MCX dump says lot_size 1: the order quantity counts lots (contracts).
    return Instrument(
        instrument_token=token, exchange_token=1, tradingsymbol=symbol, name=name,
        tick_size=1.0, lot_size=1, instrument_type="FUT", segment="MCX-FUT", exchange="MCX",
    )  # fmt: skip


def test_mcx_signal_is_sized_in_lots_of_its_multiplier(tmp_path: Path) -> None:
    # CRUDEOIL: 100 barrels per lot (refdata.multipliers), prices per barrel. Risk 0.1 % of 10 crore
    # rupees = 10,000; a 20-rupee stop risks 20 x 100 = 2,000 per lot: 5 lots; the 20 % position cap
    # (2,000,000 rupees) allows 3 lots of 5,600 x 100 = 560,000. Sized in units it would be 500 "lots".
    crude = _mcx_future(99, "CRUDEOIL26DECFUT", "CRUDEOIL")
    config = ExecutionConfig(capital=10_000_000.0, risk_per_trade_pct=0.1, max_position_pct=20.0)
    limits = Limits(max_order_notional=2_000_000.0)  # 3 lots = 1,680,000 rupees (500,000 would refuse 1)
    stack = build(
        PaperBroker(TickStoreMarket(TickStore(64))),
        tmp_path,
        instruments=(crude,),
        config=config,
        limits=limits,
    )
    stack.risk.set_cash(10_000_000.0)
    stack.risk.on_mark(99, 5600.0, stack.clock.now_ns())

    async def run() -> None:
        await stack.oms.start()
        await asyncio.sleep(0)
        stack.signals.submit(
            signal(symbol="CRUDEOIL26DECFUT", exchange="MCX", token=99, asset_type="commodity",
                   entry=5600.0, stop_loss=5580.0, target=5640.0)
        )  # fmt: skip
        await settle(stack)
        await stack.oms.stop()

    try:
        asyncio.run(run())
        (order,) = stack.oms.orders()
        assert (order.request.exchange, order.request.quantity) == ("MCX", 3)
        assert stack.bus.of(EventType.RISK_REJECTED) == []  # approved as asked, not reduced
    finally:
        stack.close()


def test_an_mcx_contract_without_a_multiplier_is_refused(tmp_path: Path) -> None:
    # COPPER is not in the shipped table: its size cannot be known, so it is refused, never taken at 1.
    copper = _mcx_future(98, "COPPER26DECFUT", "COPPER")
    stack = build(PaperBroker(TickStoreMarket(TickStore(64))), tmp_path, instruments=(copper,))
    try:
        stack.signals.submit(
            signal(symbol="COPPER26DECFUT", exchange="MCX", token=98, asset_type="commodity",
                   entry=900.0, stop_loss=890.0, target=920.0)
        )  # fmt: skip
        (refused,) = stack.signals.recent(1)
        assert refused.status is SignalStatus.REJECTED
        assert "no contract multiplier for MCX:COPPER26DECFUT" in refused.metadata["rejected_reason"]
        assert stack.oms.orders() == []
    finally:
        stack.close()


def test_tick_batch_events_drive_marks_and_exits(tmp_path: Path) -> None:
    stack, paper = setup(tmp_path, ExecutionConfig(capital=100_000.0))
    stack.bus.subscribe(EventType.TICK_BATCH, stack.portfolio.on_event)
    stack.bus.subscribe(EventType.TICK_BATCH, stack.exits.on_event)

    async def run() -> None:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)
        stack.signals.submit(signal())
        await settle(stack)
        stack.clock.advance(1)
        now = stack.clock.now_ns()
        stack.ticks.push_batch([SBIN], [now], [810.0], bid=[809.95], ask=[810.05])
        tokens = np.array([SBIN], dtype=np.int64)
        stack.bus.publish_nowait(Event(EventType.TICK_BATCH, TickBatch(tokens=tokens), now))
        await settle(stack)
        await stack.oms.stop()

    try:
        asyncio.run(run())
        pos = stack.portfolio.position(SBIN, "MIS")
        assert pos is not None
        assert (pos.quantity, pos.last_price, pos.unrealised) == (25, 810.0, (810.0 - 800.05) * 25)
        assert len(stack.oms.orders()) == 1  # 810 is inside stop 790 / target 820: no exit
    finally:
        stack.close()


def test_the_exit_monitor_follows_the_filled_entry_and_sends_nothing_by_itself(tmp_path: Path) -> None:
    # The shutdown's square-off (or hold: tests/live/test_shutdown_truth.py) is the live shell's, through
    # execution.squareoff; the exit monitor has no shutdown behaviour of its own.
    stack, paper = setup(tmp_path, ExecutionConfig(capital=100_000.0, shutdown="hold"))

    async def run() -> None:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)
        stack.signals.submit(signal())
        await settle(stack)
        await stack.oms.stop()

    try:
        asyncio.run(run())
        assert [o.purpose for o in stack.oms.orders()] == ["entry"]
        (held,) = stack.portfolio.positions(open_only=True)
        assert held.quantity == 25
        health = stack.exits.health()
        assert (health.state, health.metrics) == ("ok", {"tracked": 1.0, "exits_sent": 0.0})
    finally:
        stack.close()
