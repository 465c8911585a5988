"""ProtectionManager: a resting SL + LIMIT per option position, OCO by the OMS, on the PaperBroker."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from alphastock._core import OrderIntent
from alphastock.brokers.paper import PaperBroker, TickStoreMarket
from alphastock.execution import Approval, OrderState
from alphastock.execution.orders import ManagedOrder
from alphastock.execution.protection import (
    ProtectionConfig,
    ProtectionManager,
    ProtectionPlan,
    stop_limit_price,
)
from alphastock.models import Instrument, OrderRequest, Variety
from alphastock.refdata import StaticInstruments
from alphastock.risk import Limits
from alphastock.ticks import TickStore
from tests.execution._harness import ManualClock, Stack, build

S = OrderState
OPT = 12_345_602
NIFTY_CE = Instrument(
    instrument_token=OPT,
    exchange_token=48_225,
    tradingsymbol="NIFTY26JAN24500CE",
    name="NIFTY",
    expiry=dt.date(2026, 1, 13),
    strike=24_500.0,
    tick_size=0.05,
    lot_size=65,
    instrument_type="CE",
    segment="NFO-OPT",
    exchange="NFO",
    freeze_quantity=1_800,
)


class GatedPaper(PaperBroker):
    """The PaperBroker whose modifications wait at a gate (a modify in flight, under test control)."""

    gate: asyncio.Event | None = None

    async def modify_order(self, order_id: str, **fields: Any) -> str:
        if self.gate is not None:
            await self.gate.wait()
        return await super().modify_order(order_id, **fields)


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.clock = ManualClock()
        self.ticks = TickStore(1024)
        self.paper = GatedPaper(TickStoreMarket(self.ticks), clock=self.clock, instruments=[NIFTY_CE])
        self.stack: Stack = build(
            self.paper, tmp_path, instruments=[NIFTY_CE], ticks=self.ticks, clock=self.clock,
            limits=Limits(min_cash_reserve=None),
        )  # fmt: skip
        self.manager = ProtectionManager(
            self.stack.oms, self.stack.risk, StaticInstruments([NIFTY_CE]), self.clock, ProtectionConfig(),
            ticks=self.ticks,
        )  # fmt: skip
        # The builder's registration: fills after the Portfolio's, orders anywhere.
        self.stack.oms.add_fill_listener(self.manager.on_fill)
        self.stack.oms.add_order_listener(self.manager.on_order)

    def push(self, last: float, bid: float, ask: float, qty: int = 10_000) -> None:
        now = self.clock.now_ns()
        self.ticks.push_batch([OPT], [now], [last], bid=[bid], ask=[ask], bid_qty=[qty], ask_qty=[qty])
        self.stack.risk.on_mark(OPT, last, now)
        self.paper.on_market_update([OPT])
        self.stack.portfolio.mark_tokens([OPT])

    async def settle(self, *, manager: bool = True) -> None:
        """Let the broker calls finish (``manager=False``: not the manager's, one may be held at a gate)."""
        for _ in range(6):
            await self.stack.oms.idle()
            if manager:
                await self.manager.idle()
            await asyncio.sleep(0.01)

    async def enter(self, quantity: int) -> ManagedOrder:
        intent = OrderIntent(
            token=OPT, symbol=NIFTY_CE.tradingsymbol, exchange="NFO", product="MIS", side="BUY",
            quantity=quantity, reference_price=125.5, lot_size=65, kind="CE", underlying="NIFTY",
            freeze_quantity=1_800,
        )  # fmt: skip
        now = self.clock.now_ns()
        approval = Approval.from_decision(intent, self.stack.risk.check(intent, now), now)
        request = OrderRequest.model_validate(
            {"tag": self.stack.oms.new_key(now), "exchange": "NFO", "tradingsymbol": NIFTY_CE.tradingsymbol,
             "instrument_token": OPT, "transaction_type": "BUY", "quantity": quantity, "product": "MIS",
             "order_type": "MARKET", "market_protection": 2}
        )  # fmt: skip
        order = self.stack.oms.submit_nowait(request, approval)
        await self.settle()
        assert order.state is S.FILLED
        return order

    def plan(self, entry: ManagedOrder, quantity: int, **changes: Any) -> ProtectionPlan:
        fields: dict[str, Any] = {
            "trade_id": "T1", "entry_key": entry.key, "exchange": "NFO",
            "tradingsymbol": NIFTY_CE.tradingsymbol, "token": OPT, "product": "MIS", "side": "BUY",
            "quantity": quantity, "stop_trigger": 87.85, "target": 130.52, "tick_size": 0.05,
            "lot_size": 65, "freeze_quantity": 1_800, "reference_price": 125.5, "kind": "CE",
            "underlying": "NIFTY",
        }  # fmt: skip
        fields.update(changes)
        return ProtectionPlan(**fields)

    def legs(self) -> tuple[list[ManagedOrder], list[ManagedOrder]]:
        orders = self.stack.oms.orders()
        return [o for o in orders if o.purpose == "stop"], [o for o in orders if o.purpose == "target"]

    def held(self) -> int:
        pos = self.stack.portfolio.position(OPT, "MIS")
        return 0 if pos is None else pos.quantity

    def resting_stop_units(self) -> int:
        stops, _ = self.legs()
        return sum(o.request.quantity - o.filled_quantity for o in stops if not o.state.is_terminal)

    def close(self) -> None:
        self.stack.close()


def run(world: World, scenario: Any) -> None:
    async def main() -> None:
        await world.stack.oms.start()
        await asyncio.sleep(0)
        world.push(125.5, 125.45, 125.55)
        await scenario()
        await world.settle()
        await world.stack.oms.stop()

    asyncio.run(main())


def test_stop_limit_price_keeps_kites_sl_rule_and_the_protection_band() -> None:
    limits = Limits()
    config = ProtectionConfig()
    # 5 % below the trigger, on the grid: 87.85 x 0.95 = 83.4575 -> 83.45 (inside 125.5 +- 40 %).
    assert (
        stop_limit_price(87.85, "SELL", 0.05, config, kind="CE", limits=limits, references=[125.5]) == 83.45
    )
    # Reference 100 (> 50: +-40 %): the band's floor 60 lifts 62 x 0.95 = 58.90.
    assert stop_limit_price(62.0, "SELL", 0.05, config, kind="CE", limits=limits, references=[100.0]) == 60.0
    # Reference 40 (<= 50: +-20 rupees): floor 20 lifts 25 - 10 = 15.
    ticks = ProtectionConfig(stop_limit_offset_ticks=200)
    assert stop_limit_price(25.0, "SELL", 0.05, ticks, kind="CE", limits=limits, references=[40.0]) == 20.0
    # A BUY stop (protecting a short): limit above the trigger, capped by the band's ceiling.
    assert stop_limit_price(135.0, "BUY", 0.05, config, kind="CE", limits=limits, references=[100.0]) == 140.0
    assert (
        stop_limit_price(105.0, "BUY", 0.05, config, kind="CE", limits=limits, references=[100.0]) == 110.25
    )


def test_protect_places_a_resting_sl_and_a_limit_target(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def scenario() -> None:
        entry = await world.enter(130)
        bracket = world.manager.protect(world.plan(entry, 130))
        await world.settle()
        assert bracket.protected

    try:
        run(world, scenario)
        (stop,), (target,) = world.legs()
        entry = world.stack.oms.orders()[0]
        r = stop.request
        assert (r.transaction_type.value, r.order_type.value, r.quantity, r.trigger_price, r.price) == (
            "SELL", "SL", 130, 87.85, 83.45,
        )  # fmt: skip
        assert stop.state is S.TRIGGER_PENDING
        t = target.request
        assert (t.transaction_type.value, t.order_type.value, t.quantity, t.price) == (
            "SELL",
            "LIMIT",
            130,
            130.55,
        )
        assert target.state is S.OPEN
        assert (stop.parent_key, target.parent_key) == (entry.key, entry.key)
        assert world.stack.writer.flush(10)
        stored = world.stack.store.order(stop.key)
        assert stored is not None
        assert (stored["parent_id"], stored["status_message"]) == (
            entry.key, "stop of trade T1: trigger 87.85, limit 83.45",
        )  # fmt: skip
        assert world.held() == 130
    finally:
        world.close()


def test_target_fill_cancels_the_stop(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def scenario() -> None:
        entry = await world.enter(130)
        world.manager.protect(world.plan(entry, 130))
        await world.settle()
        world.clock.advance(1)
        world.push(131.0, 130.6, 131.1)  # the bid reaches the target
        await world.settle()

    try:
        run(world, scenario)
        (stop,), (target,) = world.legs()
        assert (target.state, target.filled_quantity) == (S.FILLED, 130)
        assert stop.state is S.CANCELLED
        assert world.held() == 0
        bracket = world.manager.bracket("T1")
        assert bracket is not None
        assert bracket.closed
    finally:
        world.close()


def test_partial_target_fill_reduces_the_stop_to_the_remainder(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def scenario() -> None:
        entry = await world.enter(130)
        world.manager.protect(world.plan(entry, 130))
        await world.settle()
        world.clock.advance(1)
        world.push(131.0, 130.6, 131.1, qty=65)  # one lot on the bid: the target fills 65 of 130
        await world.settle()

    try:
        run(world, scenario)
        (stop,), (target,) = world.legs()
        assert (target.state, target.filled_quantity) == (S.PARTIALLY_FILLED, 65)
        assert (stop.state, stop.request.quantity, stop.request.trigger_price, stop.modifying) == (
            S.TRIGGER_PENDING, 65, 87.85, None,
        )  # fmt: skip
        assert world.held() == 65
        paper_stop = asyncio.run(world.paper.order_history(stop.broker_order_id or ""))[-1]
        assert paper_stop.quantity == 65
    finally:
        world.close()


def test_oco_race_target_fills_while_the_stop_is_being_modified(tmp_path: Path) -> None:
    world = World(tmp_path)
    seen: list[tuple[int, int]] = []

    async def scenario() -> None:
        entry = await world.enter(130)
        world.manager.protect(world.plan(entry, 130))
        await world.settle()
        world.paper.gate = asyncio.Event()
        world.clock.advance(1)
        world.push(131.0, 130.6, 131.1, qty=65)  # target fills 65: the stop's cut to 65 is sent ...
        await world.settle(manager=False)
        (stop,), _ = world.legs()
        assert stop.modifying is not None  # ... and held at the broker's gate
        assert stop.modifying.quantity == 65
        world.clock.advance(1)
        world.push(131.0, 130.6, 131.1, qty=65)  # the rest of the target fills meanwhile
        await world.settle(manager=False)
        seen.append((world.held(), world.resting_stop_units()))
        world.paper.gate.set()  # the modify reaches a cancelled order: refused
        await world.settle()

    try:
        run(world, scenario)
        (stop,), (target,) = world.legs()
        assert seen == [(0, 0)]  # flat, and the stop cancelled without waiting for the modify
        assert (target.state, target.filled_quantity) == (S.FILLED, 130)
        assert (stop.state, stop.filled_quantity, stop.modifying) == (S.CANCELLED, 0, None)
        assert world.held() == 0
        assert [o for o in world.stack.oms.orders() if o.purpose == "exit"] == []
        assert asyncio.run(world.paper.positions()).net[0].quantity == 0
    finally:
        world.close()


def test_entry_partial_fills_size_the_protection_to_what_filled(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def scenario() -> None:
        entry = await world.enter(130)
        world.manager.protect(world.plan(entry, 65))  # the first lot filled
        await world.settle()
        stops, targets = world.legs()
        assert [o.request.quantity for o in stops + targets] == [65, 65]
        world.manager.extend("T1", 65)  # the second lot filled
        await world.settle()

    try:
        run(world, scenario)
        (stop,), (target,) = world.legs()
        assert (stop.request.quantity, stop.state) == (130, S.TRIGGER_PENDING)
        assert (target.request.quantity, target.state) == (130, S.OPEN)
    finally:
        world.close()


def test_trail_tightens_the_resting_stop_only(tmp_path: Path) -> None:
    world = World(tmp_path)
    answers: list[bool] = []

    async def scenario() -> None:
        entry = await world.enter(130)
        world.manager.protect(world.plan(entry, 130))
        await world.settle()
        answers.append(world.manager.trail("T1", 100.0))
        await world.settle()
        answers.append(world.manager.trail("T1", 95.0))  # looser: refused
        await world.settle()

    try:
        run(world, scenario)
        assert answers == [True, False]
        (stop,), _ = world.legs()
        assert (stop.request.trigger_price, stop.request.price, stop.request.quantity, stop.state) == (
            100.0, 95.0, 130, S.TRIGGER_PENDING,
        )  # fmt: skip
        assert stop.modifications == 1
        assert stop.request.variety is Variety.REGULAR
    finally:
        world.close()


def test_exit_now_cancels_both_legs_and_flattens(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def scenario() -> None:
        entry = await world.enter(130)
        world.manager.protect(world.plan(entry, 130))
        await world.settle()
        assert world.manager.exit_now("T1", "time exit")
        await world.settle()

    try:
        run(world, scenario)
        (stop,), (target,) = world.legs()
        assert (stop.state, target.state) == (S.CANCELLED, S.CANCELLED)
        (exit_order,) = [o for o in world.stack.oms.orders() if o.purpose == "exit"]
        r = exit_order.request
        assert (r.transaction_type.value, r.order_type.value, r.quantity, exit_order.state) == (
            "SELL", "MARKET", 130, S.FILLED,
        )  # fmt: skip
        assert exit_order.parent_key == stop.parent_key
        stored = world.stack.store.order(exit_order.key)
        assert stored is not None
        assert world.held() == 0
        bracket = world.manager.bracket("T1")
        assert bracket is not None
        assert bracket.closed
        assert world.manager.exit_now("T1", "again") is False
    finally:
        world.close()


def test_both_legs_filling_is_detected_and_the_excess_closed(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def scenario() -> None:
        entry = await world.enter(130)
        world.manager.protect(world.plan(entry, 130, target=126.0))
        await world.settle()
        # Cancels are held back by the broker so both legs can fill: the stop triggers and the target
        # fills in one market pass (a gap through both levels is impossible; a test broker stands in).
        world.paper.gate = asyncio.Event()
        cancel = world.paper.cancel_order

        async def late_cancel(order_id: str, variety: Any = Variety.REGULAR) -> str:
            assert world.paper.gate is not None
            await world.paper.gate.wait()
            return await cancel(order_id, variety)

        world.paper.cancel_order = late_cancel  # type: ignore[method-assign]
        stops, _ = world.legs()
        world.clock.advance(1)
        world.push(126.0, 126.0, 126.1)  # the target fills
        world.paper.on_market_update([OPT])
        # The stop fills too before its cancel lands (forced through the paper broker's own fill path).
        paper_stop = world.paper._orders[stops[0].broker_order_id or ""]
        world.paper._set(paper_stop, "OPEN", world.clock.now_ns())  # type: ignore[arg-type]
        world.paper._fill(paper_stop, 130, 87.0, world.clock.now_ns())
        await world.settle()
        world.paper.gate.set()
        await world.settle()

    try:
        run(world, scenario)
        bracket = world.manager.bracket("T1")
        assert bracket is not None
        assert any("crossed" in e for e in bracket.errors)
        (exit_order,) = [o for o in world.stack.oms.orders() if o.purpose == "exit"]
        assert (exit_order.request.transaction_type.value, exit_order.request.quantity, exit_order.state) == (
            "BUY", 130, S.FILLED,
        )  # fmt: skip
        assert world.held() == 0
        assert bracket.closed
    finally:
        world.close()


def test_a_stop_below_the_band_of_the_last_price_is_raised_into_it(tmp_path: Path) -> None:
    """A premium that rose after the plan was made: its stop trigger (40% under 120 = 72 is below the
    band floor) is placed one tick inside the band instead of being refused."""
    world = World(tmp_path)

    async def scenario() -> None:
        entry = await world.enter(65)
        world.clock.advance(1.0)
        world.push(130.0, 129.95, 130.05)  # the band floor is now 130 - 40% = 78
        bracket = world.manager.protect(world.plan(entry, 65, stop_trigger=72.0, target=None))
        await world.settle()
        assert bracket.protected
        assert bracket.stop_trigger == 78.05

    try:
        run(world, scenario)
        (stop,) = [o for o in world.stack.oms.orders() if o.purpose == "stop"]
        assert (stop.request.trigger_price, stop.state) == (78.05, S.TRIGGER_PENDING)
        assert stop.request.price is not None
        assert 78.0 <= stop.request.price <= 78.05  # the limit inside the band, at most the trigger
    finally:
        world.stack.close()


def test_a_target_beyond_the_band_waits_until_the_band_reaches_it(tmp_path: Path) -> None:
    """The premium fell after the entry: the target (130.55) is above the band of 90 (±40%: 126), so it
    is not placed (it would be refused); once the premium is back at 100 (band to 140) it is."""
    world = World(tmp_path)
    seen: list[int] = []

    async def scenario() -> None:
        entry = await world.enter(65)
        world.clock.advance(1.0)
        world.push(90.0, 89.95, 90.05)
        bracket = world.manager.protect(world.plan(entry, 65, stop_trigger=80.0))
        await world.settle()
        seen.append(len(world.legs()[1]))
        world.manager.refresh()  # still outside: nothing
        await world.settle()
        seen.append(len(world.legs()[1]))
        world.clock.advance(1.0)
        world.push(100.0, 99.95, 100.05)
        world.manager.refresh()
        await world.settle()
        seen.append(len(world.legs()[1]))
        assert bracket.errors == []

    try:
        run(world, scenario)
        assert seen == [0, 0, 1]
        (stop,), (target,) = world.legs()
        assert (target.request.price, target.state) == (130.55, S.OPEN)
        assert stop.state is S.TRIGGER_PENDING
    finally:
        world.stack.close()
