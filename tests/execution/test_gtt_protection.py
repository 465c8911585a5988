"""GttProtection on the simulator through the KiteBroker (the official SDK): an NRML option position
protected by a two-leg GTT read back by value, trailed, extended, fired by the market (the fired order
followed by the OMS until the position is flat), deleted by exit_now; Kite's rules and the fallback to
resting orders; the monitored GTT role."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from alphastock._core import OrderIntent
from alphastock.brokers.errors import BrokerNetworkError
from alphastock.brokers.kite import KiteBroker, RateLimiter
from alphastock.brokers.paper import PaperBroker, TickStoreMarket
from alphastock.execution import Approval, OrderState
from alphastock.execution.broker_health import (
    MONITORED_GTT_CALLS,
    BrokerHealth,
    MonitoredGtt,
    MonitoredTrading,
    gtt_client,
)
from alphastock.execution.gtt_protection import GttBracket, GttProtection, min_trigger_distance
from alphastock.execution.orders import ManagedOrder
from alphastock.execution.protection import ProtectionConfig, ProtectionPlan
from alphastock.models import GttRequest, GttStatus, GttType, OrderRequest
from alphastock.refdata.store import InstrumentStore
from alphastock.risk import Limits
from alphastock.sim import SimExchange, SimServer
from alphastock.store import Store
from alphastock.ticks import TickStore
from tests.brokers._kite_clock import FakeClock
from tests.execution._harness import ManualClock, Stack, build
from tests.sim.conftest import DAY, make_config

S = OrderState
CE = "NIFTY26JAN25500CE"  # the monthly contract (expiry 27 January): a GTT lives until then
LOT = 65


def _tick(price: float) -> float:
    return round(round(price / 0.05) * 0.05, 2)


def _limit_below(trigger: float) -> float:
    """The stop's limit: 5 % below the trigger (ProtectionConfig's default), rounded down to the tick."""
    return round(math.floor(trigger * 0.95 / 0.05 + 1e-9) * 0.05, 2)


@pytest.fixture
def server() -> Iterator[SimServer]:
    sim = SimServer(make_config()).start_in_thread()
    try:
        yield sim
    finally:
        sim.stop()


class World:
    """The execution stack on the simulator, a GttProtection registered as the builder registers a
    ProtectionManager, and the simulator's market under test control."""

    def __init__(self, server: SimServer, tmp_path: Path) -> None:
        self.server = server
        self.broker = KiteBroker(
            server.api_key, server.access_token, root=server.rest_url,
            limiter=RateLimiter(clock=FakeClock()), backoff_s=0.01, lookup_attempts=2, lookup_interval_s=0.05,
        )  # fmt: skip
        store = Store.open(":memory:")
        self.instruments = InstrumentStore(store)
        asyncio.run(self.instruments.refresh(self.broker, today=DAY))
        self.token = self.instruments.instrument("NFO", CE).instrument_token
        self.clock = ManualClock()
        self.ticks = TickStore(1024)
        self.stack: Stack = build(
            self.broker, tmp_path, instruments=self.instruments, ticks=self.ticks, clock=self.clock,
            store=store, limits=Limits(min_cash_reserve=None),
        )  # fmt: skip
        self.health = BrokerHealth(clock=self.clock)
        self.manager = GttProtection(
            self.stack.oms, self.stack.risk, self.instruments, self.clock,
            gtt_client(self.broker, self.health), ProtectionConfig(), ticks=self.ticks,
        )  # fmt: skip
        self.stack.oms.add_fill_listener(self.manager.on_fill)
        self.stack.oms.add_order_listener(self.manager.on_order)

    async def mark(self) -> float:
        """The contract's last price from the simulator into the TickStore and the risk engine."""
        ltp = (await self.broker.ltp([f"NFO:{CE}"]))[f"NFO:{CE}"].last_price
        now = self.clock.now_ns()
        self.ticks.push_batch([self.token], [now], [ltp])
        self.stack.risk.on_mark(self.token, ltp, now)
        return ltp

    async def settle(self) -> None:
        for _ in range(3):
            await self.stack.oms.idle()
            await self.manager.idle()
            await self.stack.oms.reconcile()
        await self.stack.oms.idle()
        await self.manager.idle()

    async def enter(self, ltp: float) -> ManagedOrder:
        """BUY one lot NRML (a LIMIT above the market: filled at once)."""
        price = _tick(ltp * 1.05)
        intent = OrderIntent(
            token=self.token, symbol=CE, exchange="NFO", product="NRML", side="BUY", quantity=LOT,
            reference_price=ltp, price=price, lot_size=LOT, tick_size=0.05, kind="CE", underlying="NIFTY",
            freeze_quantity=1_800,
        )  # fmt: skip
        now = self.clock.now_ns()
        approval = Approval.from_decision(intent, self.stack.risk.check(intent, now), now)
        request = OrderRequest.model_validate(
            {"tag": self.stack.oms.new_key(now), "exchange": "NFO", "tradingsymbol": CE,
             "instrument_token": self.token, "transaction_type": "BUY", "quantity": LOT, "product": "NRML",
             "order_type": "LIMIT", "price": price}
        )  # fmt: skip
        order = self.stack.oms.submit_nowait(request, approval)
        await self.settle()
        assert order.state is S.FILLED
        return order

    def plan(self, entry: ManagedOrder, ltp: float, **changes: Any) -> ProtectionPlan:
        fields: dict[str, Any] = {
            "trade_id": "T1", "entry_key": entry.key, "exchange": "NFO", "tradingsymbol": CE,
            "token": self.token, "product": "NRML", "side": "BUY", "quantity": LOT,
            "stop_trigger": _tick(ltp * 0.95), "target": _tick(ltp * 1.3), "tick_size": 0.05,
            "lot_size": LOT, "freeze_quantity": 1_800, "reference_price": ltp, "kind": "CE",
            "underlying": "NIFTY",
        }  # fmt: skip
        fields.update(changes)
        return ProtectionPlan(**fields)

    def held(self) -> int:
        pos = self.stack.portfolio.position(self.token, "NRML")
        return 0 if pos is None else pos.quantity

    def walk_nifty(self, factor: float) -> None:
        """Scale NIFTY's spot by ``factor`` and step the simulator's market a second (GTTs fire then)."""

        def move(exchange: SimExchange) -> None:
            model = exchange.state.model
            model.spot[model.und_names.index("NIFTY")] *= factor

        self.server.call(move)
        self.server.advance(1)

    def close(self) -> None:
        self.broker.close()
        self.stack.close()


def run(world: World, scenario: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await scenario()
        await world.settle()
        assert await world.stack.writer.aflush(10)

    try:
        asyncio.run(main())
    finally:
        world.close()


def test_protect_places_a_two_leg_gtt_trail_and_extend_modify_it_exit_now_deletes_it_and_flattens(
    server: SimServer, tmp_path: Path
) -> None:
    world = World(server, tmp_path)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        ltp = await world.mark()
        first = await world.enter(ltp)
        plan = world.plan(first, ltp)
        bracket = world.manager.protect(plan)
        assert bracket.gtt_phase == "placing"
        await world.settle()
        assert (bracket.gtt_phase, bracket.mode, bracket.protected) == ("active", "gtt", True)
        (gtt,) = await world.broker.gtts()
        stop, target = plan.stop_trigger, plan.target
        assert target is not None
        assert (gtt.trigger_id, gtt.type, gtt.status) == (
            bracket.trigger_id,
            GttType.TWO_LEG,
            GttStatus.ACTIVE,
        )
        assert (gtt.tradingsymbol, gtt.trigger_values, gtt.last_price) == (CE, (stop, target), ltp)
        assert [(o.transaction_type.value, o.quantity, o.price, o.product.value, o.order_type.value)
                for o in gtt.orders] == [
            ("SELL", LOT, _limit_below(stop), "NRML", "LIMIT"), ("SELL", LOT, target, "NRML", "LIMIT"),
        ]  # fmt: skip
        assert world.stack.oms.orders() == [first]  # nothing rests at the exchange

        # Trail: the lower trigger and its limit move up; loosening is refused.
        tighter = _tick(ltp * 0.97)
        assert world.manager.trail("T1", tighter)
        await world.settle()
        trailed = await world.broker.gtt(gtt.trigger_id)
        assert trailed.trigger_values == (tighter, target)
        assert [o.price for o in trailed.orders] == [_limit_below(tighter), target]
        assert not world.manager.trail("T1", stop)
        # Too close to the last price for Kite (0.25 %): refused before any call.
        assert not world.manager.trail("T1", _tick(ltp - min_trigger_distance(ltp) / 2))
        assert bracket.stop_trigger == tighter

        # A second lot fills: extend grows both legs.
        await world.enter(ltp)
        world.manager.extend("T1", LOT)
        await world.settle()
        grown = await world.broker.gtt(gtt.trigger_id)
        assert [o.quantity for o in grown.orders] == [2 * LOT, 2 * LOT]
        assert grown.trigger_values == (tighter, target)
        assert (world.held(), world.manager.position(bracket)) == (2 * LOT, 2 * LOT)
        assert world.manager.counters.modified == 2

        # exit_now: the GTT deleted, then the position closed by one exit order.
        assert world.manager.exit_now("T1", "time exit")
        assert not world.manager.exit_now("T1", "again")
        await world.settle()
        await world.mark()
        await world.settle()
        seen["gtt"] = await world.broker.gtt(gtt.trigger_id)
        seen["bracket"] = bracket
        seen["net"] = {p.tradingsymbol: p.quantity for p in (await world.broker.positions()).net}

    run(world, scenario)
    bracket = seen["bracket"]
    assert seen["gtt"].status == GttStatus.DELETED
    (exit_order,) = [o for o in world.stack.oms.orders() if o.purpose == "exit"]
    assert (exit_order.request.transaction_type.value, exit_order.request.quantity) == ("SELL", 2 * LOT)
    assert (exit_order.state, exit_order.parent_key, exit_order.request.product.value) == (
        S.FILLED, bracket.plan.entry_key, "NRML",
    )  # fmt: skip
    assert bracket.exit_keys == [exit_order.key]
    assert (world.manager.position(bracket), bracket.closed, world.held(), seen["net"][CE]) == (0, True, 0, 0)
    assert (world.manager.counters.placed, world.manager.counters.deleted) == (1, 1)
    assert world.manager.counters.failures == 0
    # Each of the manager's GTT calls was counted by the broker health: place, 2 modify, delete.
    assert world.health.calls == 4
    assert world.health.failures == 0


def test_the_market_fires_the_stop_leg_and_the_oms_follows_its_order_until_flat(
    server: SimServer, tmp_path: Path
) -> None:
    world = World(server, tmp_path)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        ltp = await world.mark()
        entry = await world.enter(ltp)
        plan = world.plan(entry, ltp)
        bracket = world.manager.protect(plan)
        await world.settle()
        assert bracket.gtt_phase == "active"
        await world.manager.poll(world.clock.now_ns())
        assert (bracket.gtt_status, bracket.stop_keys) == ("active", [])  # nothing fired yet
        for _ in range(240):
            # Down gently until the stop leg fires (its limit 5 % under the trigger: no gap through it).
            world.walk_nifty(1.0 if bracket.fired_order_id else 0.9997)
            world.clock.advance(1)
            await world.mark()
            await world.manager.poll(world.clock.now_ns())
            await world.settle()
            if bracket.closed:
                break
        seen["bracket"] = bracket
        assert bracket.trigger_id is not None
        seen["gtt"] = await world.broker.gtt(bracket.trigger_id)
        seen["net"] = {p.tradingsymbol: p.quantity for p in (await world.broker.positions()).net}
        assert await world.stack.writer.aflush(10)
        keys = list(bracket.stop_keys)
        seen["rows"] = [world.stack.store.order(k) for k in keys]
        seen["fills"] = [f for f in world.stack.store.fills().to_pylist() if f["order_key"] in keys]

    run(world, scenario)
    bracket: GttBracket = seen["bracket"]
    gtt = seen["gtt"]
    assert gtt.status == GttStatus.TRIGGERED
    fired = gtt.fired
    assert fired is not None
    index, result = fired
    assert index == 0  # the lower trigger: the stop
    assert result.order_id is not None
    (stop,) = [o for o in world.stack.oms.orders() if o.purpose == "stop"]
    assert bracket.stop_keys == [stop.key]
    assert bracket.fired_order_id == stop.broker_order_id == result.order_id
    assert (stop.state, stop.filled_quantity, stop.fill_quantity) == (S.FILLED, LOT, LOT)
    assert stop.parent_key == bracket.plan.entry_key
    assert (stop.request.order_type.value, stop.request.price) == (
        "LIMIT",
        _limit_below(bracket.stop_trigger),
    )
    assert [o.purpose for o in world.stack.oms.orders()] == ["entry", "stop"]  # no exit order was needed
    assert (world.manager.position(bracket), bracket.closed, world.held(), seen["net"][CE]) == (0, True, 0, 0)
    assert world.manager.counters.fired == world.manager.counters.followed == 1
    # Stored as any order: its row, its state and its fill.
    (row,) = seen["rows"]
    assert row is not None
    assert (row["state"], row["filled_quantity"], row["broker_order_id"]) == ("FILLED", LOT, result.order_id)
    assert (row["parent_id"], row["side"], row["idempotency_key"]) == (
        bracket.plan.entry_key,
        "SELL",
        stop.key,
    )
    assert sum(f["quantity"] for f in seen["fills"]) == LOT


def test_kites_rules_refuse_a_gtt_and_the_bracket_falls_back_to_resting_orders(
    server: SimServer, tmp_path: Path
) -> None:
    world = World(server, tmp_path)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        ltp = await world.mark()
        entry = await world.enter(ltp)
        near = _tick(ltp - min_trigger_distance(ltp) / 2)  # within 0.25 % of the last price
        assert "within" in (world.manager.gtt_refusal(world.plan(entry, ltp, stop_trigger=near)) or "")
        assert "MIS" in (world.manager.gtt_refusal(world.plan(entry, ltp, product="MIS")) or "")
        assert "whole lots" in (world.manager.gtt_refusal(world.plan(entry, ltp, quantity=10)) or "")
        assert "freeze" in (world.manager.gtt_refusal(world.plan(entry, ltp, freeze_quantity=LOT - 1)) or "")
        assert world.manager.gtt_refusal(world.plan(entry, ltp)) is None
        bracket = world.manager.protect(world.plan(entry, ltp, stop_trigger=_tick(ltp * 0.998)))
        await world.settle()
        seen["bracket"] = bracket
        seen["gtts"] = await world.broker.gtts()

    run(world, scenario)
    bracket = seen["bracket"]
    assert (bracket.mode, bracket.gtt_phase, bracket.trigger_id, bracket.protected) == (
        "orders",
        "none",
        None,
        True,
    )
    assert seen["gtts"] == []  # no call was made
    stops = [o for o in world.stack.oms.orders() if o.purpose == "stop"]
    targets = [o for o in world.stack.oms.orders() if o.purpose == "target"]
    assert [(o.request.order_type.value, o.request.quantity, o.state) for o in stops] == [
        ("SL", LOT, S.TRIGGER_PENDING)
    ]
    assert [(o.request.order_type.value, o.state) for o in targets] == [("LIMIT", S.OPEN)]
    assert world.manager.counters.fallbacks == 1


def test_without_fallback_a_refused_gtt_leaves_the_bracket_unprotected(
    server: SimServer, tmp_path: Path
) -> None:
    world = World(server, tmp_path)
    world.manager.fallback = False
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        ltp = await world.mark()
        entry = await world.enter(ltp)
        seen["bracket"] = world.manager.protect(world.plan(entry, ltp, product="MIS"))
        await world.settle()

    run(world, scenario)
    bracket = seen["bracket"]
    assert (bracket.mode, bracket.gtt_phase, bracket.protected) == ("gtt", "failed", False)
    assert any("not protected" in e for e in bracket.errors)
    assert [o.purpose for o in world.stack.oms.orders()] == ["entry"]


def test_gtt_client_is_the_monitored_gtt_role_only_when_the_client_declares_it(tmp_path: Path) -> None:
    health = BrokerHealth()
    kite = KiteBroker("key", "token", root="http://127.0.0.1:9")
    try:
        role = gtt_client(kite, health)
        assert isinstance(role, MonitoredGtt)
        assert role.inner is kite
        assert isinstance(gtt_client(MonitoredTrading(kite, health), health), MonitoredGtt)
        assert gtt_client(kite, None) is kite
    finally:
        kite.close()
    paper = PaperBroker(TickStoreMarket(TickStore(16)), clock=ManualClock())
    assert gtt_client(paper, health) is None
    assert gtt_client(MonitoredTrading(paper, health), health) is None


class _FakeGtt:
    """Answers every GTT call with its name, or raises ``error``."""

    error: BaseException | None = None

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any) -> str:
            if self.error is not None:
                raise self.error
            return name

        return call


def test_monitored_gtt_reports_every_gtt_call_and_an_outage() -> None:
    inner = _FakeGtt()
    health = BrokerHealth(unreachable_after=2)
    role = MonitoredGtt(inner, health)
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "place_gtt": lambda: role.place_gtt(cast(GttRequest, None)),
        "modify_gtt": lambda: role.modify_gtt(1, cast(GttRequest, None)),
        "delete_gtt": lambda: role.delete_gtt(1),
        "gtts": lambda: role.gtts(),
        "gtt": lambda: role.gtt(1),
    }
    assert set(calls) == MONITORED_GTT_CALLS

    async def run() -> list[Any]:
        return [await call() for call in calls.values()]

    assert asyncio.run(run()) == list(calls)
    assert (health.calls, health.failures, health.reachable) == (5, 0, True)
    inner.error = BrokerNetworkError("connection refused")

    async def fail() -> None:
        for name in ("gtt", "delete_gtt"):
            with pytest.raises(BrokerNetworkError):
                await calls[name]()

    asyncio.run(fail())
    assert (health.calls, health.failures, health.reachable) == (7, 2, False)
    assert health.last_error == "delete_gtt: connection refused"


def test_exit_now_after_an_unpolled_firing_follows_the_fired_order_instead_of_deleting(
    server: SimServer, tmp_path: Path
) -> None:
    world = World(server, tmp_path)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        ltp = await world.mark()
        entry = await world.enter(ltp)
        bracket = world.manager.protect(world.plan(entry, ltp))
        await world.settle()
        assert bracket.trigger_id is not None
        for _ in range(240):  # the GTT fires at the simulator; no poll: the OMS does not know yet
            world.walk_nifty(0.9997)
            if (await world.broker.gtt(bracket.trigger_id)).status != GttStatus.ACTIVE:
                break
        world.server.advance(5)
        assert world.manager.exit_now("T1", "square-off")
        await world.settle()  # delete refused (triggered): the GTT is read, its order followed
        await world.mark()
        await world.settle()
        seen["bracket"] = bracket

    run(world, scenario)
    bracket = seen["bracket"]
    (stop,) = [o for o in world.stack.oms.orders() if o.purpose == "stop"]
    assert bracket.stop_keys == [stop.key]
    assert (bracket.gtt_phase, bracket.gtt_status) == ("ended", "triggered")
    assert world.manager.counters.deleted == 0
    # The fired order filled, or was cancelled and the rest closed by an exit: flat either way.
    exits = [o for o in world.stack.oms.orders() if o.purpose == "exit"]
    assert stop.filled_quantity + sum(o.filled_quantity for o in exits) == LOT
    assert (world.manager.position(bracket), bracket.closed, world.held()) == (0, True, 0)


def test_a_gtt_kite_refuses_falls_back_to_resting_orders(server: SimServer, tmp_path: Path) -> None:
    world = World(server, tmp_path)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        ltp = await world.mark()
        entry = await world.enter(ltp)
        # Our last price is stale (1 % above the market's): our checks pass, Kite finds the stop within
        # 0.25 % of its last price and refuses the GTT.
        stale = _tick(ltp * 1.01)
        world.clock.advance(1)
        world.ticks.push_batch([world.token], [world.clock.now_ns()], [stale])
        stop = seen["stop"] = _tick(ltp * 0.999)
        assert world.manager.gtt_refusal(world.plan(entry, stale, stop_trigger=stop)) is None
        bracket = world.manager.protect(world.plan(entry, stale, stop_trigger=stop))
        await world.settle()
        seen["bracket"] = bracket
        seen["gtts"] = await world.broker.gtts()

    run(world, scenario)
    bracket = seen["bracket"]
    assert seen["gtts"] == []
    assert (bracket.mode, bracket.trigger_id, bracket.protected) == ("orders", None, True)
    assert any("Kite refused the GTT" in e and "too close" in e for e in bracket.errors)
    assert (world.manager.counters.failures, world.manager.counters.fallbacks) == (1, 1)
    stops = [o for o in world.stack.oms.orders() if o.purpose == "stop"]
    assert [(o.request.order_type.value, o.request.trigger_price, o.request.quantity) for o in stops] == [
        ("SL", seen["stop"], LOT)
    ]
    assert stops[0].state is S.TRIGGER_PENDING
