"""Broker health: consecutive outages counted in one place, said once, new orders gated, backoff; and a
signal whose order is in flight never expires."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alphastock.brokers.errors import AmbiguousOrderOutcome, BrokerNetworkError, OrderRejected
from alphastock.brokers.paper import PaperBroker, TickStoreMarket
from alphastock.clock import NS_PER_SECOND, SimulatedClock
from alphastock.execution import OMS, ExecutionConfig, OrderState
from alphastock.execution.broker_health import (
    MONITORED_CALLS,
    BrokerHealth,
    MonitoredBroker,
    MonitoredExecution,
    is_outage,
)
from alphastock.models import OrderRequest, Variety
from alphastock.ports import BrokerCapabilities, Placement
from alphastock.signals.model import SignalStatus
from alphastock.ticks import TickStore
from tests.execution._harness import SBIN_EQ, ManualClock, build, signal
from tests.execution.test_paper_round_trip import push, settle


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and r.name.endswith("broker_health")]


def test_unreachable_is_said_once_and_resuming_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = SimulatedClock(100 * NS_PER_SECOND)
    health = BrokerHealth(unreachable_after=3, clock=clock)
    caplog.set_level(logging.DEBUG, logger="alphastock.execution.broker_health")
    down = BrokerNetworkError("Kite unreachable: ConnectionError")
    health.failed("orders", down)
    health.failed("margins", down)
    assert health.reachable
    assert health.backoff_s(5.0, 60.0) == 5.0
    health.failed("positions", down)
    assert not health.reachable
    assert [health.backoff_s(5.0, 60.0)] == [10.0]
    for _ in range(10):
        health.failed("orders", down)
    assert health.backoff_s(5.0, 60.0) == 60.0  # doubled per failure, capped
    assert health.health().state == "failed"
    assert _records(caplog, logging.ERROR) == [
        "broker unreachable: 3 broker calls failed in a row (last: positions: Kite unreachable: "
        "ConnectionError); new orders halted, reads retried with backoff until it answers"
    ]
    assert _records(caplog, logging.WARNING) == []
    clock.advance_to(142 * NS_PER_SECOND)
    health.succeeded("orders")
    health.succeeded("orders")
    assert health.reachable
    assert (health.consecutive_failures, health.outages, health.failures) == (0, 1, 13)
    assert _records(caplog, logging.WARNING) == [
        "broker answers again (orders) after 42.0 s unreachable; new orders resume"
    ]
    assert health.health().state == "ok"


def test_what_counts_as_an_outage() -> None:
    assert is_outage(BrokerNetworkError("503"))
    assert is_outage(AmbiguousOrderOutcome("timeout", tag="AS1"))
    assert is_outage(ConnectionRefusedError())
    assert not is_outage(OrderRejected("RMS: margin"))  # an answer: the broker is there


class _Broker:
    """An execution client: orders, placements and a silent update stream."""

    capabilities = BrokerCapabilities(streams_order_updates=True)

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.placed: list[OrderRequest] = []

    async def orders(self) -> list[Any]:
        if self.error is not None:
            raise self.error
        return []

    async def place_order(self, request: OrderRequest) -> str:
        self.placed.append(request)
        return "B1"

    async def order_updates(self) -> AsyncIterator[Any]:
        await asyncio.Event().wait()  # no updates: cancelled by the OMS's stop
        yield None

    label = "inner attribute"
    """Not part of any role: the monitored wrapper must not forward it."""


def test_the_monitored_broker_reports_every_call() -> None:
    inner = _Broker()
    health = BrokerHealth(unreachable_after=2)
    broker = MonitoredExecution(inner, health)  # type: ignore[arg-type]

    async def run() -> None:
        inner.error = BrokerNetworkError("down")
        for _ in range(2):
            with pytest.raises(BrokerNetworkError):
                await broker.orders()
        assert not health.reachable
        inner.error = OrderRejected("refused")
        with pytest.raises(OrderRejected):
            await broker.orders()
        assert health.reachable
        inner.error = asyncio.CancelledError()
        with pytest.raises(asyncio.CancelledError):
            await broker.orders()

    asyncio.run(run())
    assert (health.calls, health.failures, health.consecutive_failures) == (3, 2, 0)
    assert not hasattr(broker, "label")  # nothing is forwarded by magic: only the role's calls
    assert broker.inner is inner
    assert broker.capabilities is inner.capabilities
    assert broker.place_order_now(None) is None  # type: ignore[arg-type]  # none declared


def _paper_stack(tmp_path: Path, health: BrokerHealth | None = None, **config: Any) -> Any:
    clock = ManualClock()
    ticks = TickStore(1024)
    paper = PaperBroker(TickStoreMarket(ticks), clock=clock, instruments=[SBIN_EQ])
    stack = build(
        paper, tmp_path, ticks=ticks, clock=clock, config=ExecutionConfig(capital=100_000.0, **config),
        health=health,
    )  # fmt: skip
    return stack, paper


def test_no_order_reaches_an_unreachable_broker(tmp_path: Path) -> None:
    health = BrokerHealth(unreachable_after=1)
    stack, paper = _paper_stack(tmp_path, health)  # the OMS and the executor share it
    health.failed("orders", BrokerNetworkError("down"))

    async def run() -> tuple[list[Any], Any, Any]:
        push(stack, paper, 800.0)
        stack.signals.submit(signal(id="first"))
        await settle(stack)
        made = stack.oms.orders()
        refused_exit = stack.executor.close_quantity("NSE", "SBIN", "MIS", 5, "test")
        health.succeeded("orders")
        stack.signals.submit(signal(id="second"))
        await settle(stack)
        return made, refused_exit, stack.signals.get("first")

    try:
        made, refused_exit, first = asyncio.run(run())
        assert made == []  # the executor made no order while unreachable
        assert refused_exit is None
        assert first.status is SignalStatus.REJECTED
        assert first.metadata["rejected_reason"] == "broker unreachable: new orders halted"
        (order,) = stack.oms.orders()  # once it answers again, orders go out
        assert (order.signal_id, order.state) == ("second", OrderState.SUBMITTED)
        assert order.broker_order_id is not None
    finally:
        stack.close()


def test_the_oms_does_not_send_while_unreachable(tmp_path: Path) -> None:
    # The OMS is the backstop for every path that reaches it: NEW -> REJECTED, no broker call.
    from tests.execution.test_oms import approved, request

    inner = _Broker()
    health = BrokerHealth(unreachable_after=1)
    stack, _ = _paper_stack(tmp_path)
    oms = OMS(
        MonitoredExecution(inner, health),  # type: ignore[arg-type]
        stack.journal, stack.writer, stack.bus, stack.clock, health=health,
    )  # fmt: skip
    health.failed("orders", BrokerNetworkError("down"))

    async def run() -> tuple[Any, Any]:
        gated = oms.submit_nowait(request("ASgated"), approved())
        await oms.idle()
        health.succeeded("orders")
        sent = await oms.submit(request("ASsent"), approved())
        return gated, sent

    try:
        gated, sent = asyncio.run(run())
        assert (gated.state, gated.message) == (OrderState.REJECTED, "not sent: broker unreachable")
        assert [r.tag for r in inner.placed] == ["ASsent"]
        assert (sent.state, sent.broker_order_id) == (OrderState.SUBMITTED, "B1")
        assert oms.counters.not_sent == 1
    finally:
        stack.close()


def test_a_signal_whose_order_is_in_flight_does_not_expire(tmp_path: Path) -> None:
    # At speed 60 the 60 s TTL is one wall second: an ambiguous placement (order-book lookups) took
    # longer, and the signal was EXPIRED ("not acted on") while its order was in flight.
    release = asyncio.Event()

    class SlowPaper(PaperBroker):
        async def place_order(self, request: OrderRequest) -> str:
            await release.wait()
            return await super().place_order(request)

    clock = ManualClock()
    ticks = TickStore(1024)
    paper = SlowPaper(TickStoreMarket(ticks), clock=clock, instruments=[SBIN_EQ])
    stack = build(paper, tmp_path, ticks=ticks, clock=clock, config=ExecutionConfig(capital=100_000.0))
    stack.router.add_executor("options", lambda signal, handed_ns: None)  # takes it, never acts on it

    async def run() -> tuple[int, int]:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)
        stack.signals.submit(signal(id="acted"))
        stack.signals.submit(signal(id="ignored", asset_type="options"))  # taken, never acted on
        await asyncio.sleep(0.01)
        clock.advance(61.0)
        expired = stack.signals.expire()
        release.set()
        await settle(stack)
        await stack.oms.stop()
        return expired, stack.signals.expire()

    try:
        expired, later = asyncio.run(run())
        assert (expired, later) == (1, 0)
        assert stack.signals.get("ignored").status is SignalStatus.EXPIRED  # type: ignore[union-attr]
        assert stack.signals.get("acted").status is SignalStatus.ACTIVE  # type: ignore[union-attr]
        (order,) = stack.oms.orders()
        assert (order.state, order.signal_id) == (OrderState.FILLED, "acted")
    finally:
        stack.close()


def test_reconciliation_backs_off_on_the_engine_clock_while_unreachable(tmp_path: Path) -> None:
    class EngineClock:
        def __init__(self) -> None:
            self.now = 0
            self.slept: list[float] = []

        def now_ns(self) -> int:
            return self.now

        async def sleep_until(self, ts_ns: int) -> None:
            self.slept.append((ts_ns - self.now) / 1e9)
            self.now = ts_ns
            await asyncio.sleep(0)

    inner = _Broker()
    inner.error = BrokerNetworkError("Kite unreachable: ConnectionError")
    health = BrokerHealth(unreachable_after=3)
    for _ in range(3):
        health.failed("orders", inner.error)
    clock = EngineClock()
    stack, _ = _paper_stack(tmp_path)
    oms = OMS(
        MonitoredExecution(inner, health), stack.journal, stack.writer, stack.bus, clock,  # type: ignore[arg-type]
        reconcile_interval_s=5.0, health=health, retry_max_s=60.0,
    )  # fmt: skip

    async def run() -> None:
        await oms.start()
        async with asyncio.timeout(5):
            while len(clock.slept) < 6:
                await asyncio.sleep(0)
        inner.error = None  # it answers again: back to the normal interval (engine clock too)
        async with asyncio.timeout(5):
            while not health.reachable:
                await asyncio.sleep(0)
        await oms.stop()

    try:
        asyncio.run(run())
        assert clock.slept[:6] == [10.0, 20.0, 40.0, 60.0, 60.0, 60.0]  # engine seconds, doubling, capped
        assert health.outages == 1
    finally:
        stack.close()


class _Everything:
    """Every role's call: records (name, args, kwargs) and answers ``name``, or raises ``error``."""

    capabilities = BrokerCapabilities(immediate_placement=True)

    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.error: BaseException | None = None

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> str:
            self.seen.append((name, args, kwargs))
            if self.error is not None:
                raise self.error
            return name

        return call

    def place_order_now(self, request: Any) -> Placement:
        self.seen.append(("place_order_now", (request,), {}))

        async def pending() -> str:
            if self.error is not None:
                raise self.error
            return "now"

        return Placement(pending(), 42)


def _every_call(broker: Any) -> dict[str, Any]:
    when = dt.datetime(2026, 1, 6, 9, 15)
    return {
        "place_order": lambda: broker.place_order("req"),
        "modify_order": lambda: broker.modify_order("O1", price=801.0, market_protection=-1),
        "cancel_order": lambda: broker.cancel_order("O1"),
        "orders": lambda: broker.orders(),
        "order_history": lambda: broker.order_history("O1"),
        "trades": lambda: broker.trades(),
        "order_trades": lambda: broker.order_trades("O1"),
        "positions": lambda: broker.positions(),
        "holdings": lambda: broker.holdings(),
        "margins": lambda: broker.margins("equity"),
        "order_margins": lambda: broker.order_margins(["req"]),
        "charges": lambda: broker.charges(["note"]),
        "quote": lambda: broker.quote(["NSE:SBIN"]),
        "ohlc": lambda: broker.ohlc(["NSE:SBIN"]),
        "ltp": lambda: broker.ltp(["NSE:SBIN"]),
        "instruments": lambda: broker.instruments("NFO"),
        "historical": lambda: broker.historical(779521, when, when, "minute", oi=True),
    }


def test_every_role_call_is_reported_and_passed_through_unchanged() -> None:
    inner = _Everything()
    health = BrokerHealth(unreachable_after=100)
    broker = MonitoredBroker(inner, health)  # type: ignore[arg-type]
    calls = _every_call(broker)
    assert set(calls) == MONITORED_CALLS

    async def run() -> list[Any]:
        return [await call() for call in calls.values()]

    assert asyncio.run(run()) == list(calls)  # each answer is the inner broker's
    assert (health.calls, health.failures) == (len(calls), 0)
    seen = dict((name, (args, kwargs)) for name, args, kwargs in inner.seen)
    assert seen["modify_order"] == (
        ("O1",),
        {
            "variety": Variety.REGULAR, "quantity": None, "price": 801.0, "trigger_price": None,
            "order_type": None, "validity": None, "disclosed_quantity": None, "market_protection": -1,
        },
    )  # fmt: skip
    assert seen["historical"][1] == {"continuous": False, "oi": True}
    assert seen["margins"] == (("equity",), {})
    inner.error = BrokerNetworkError("down")

    async def fail() -> int:
        failed = 0
        for call in calls.values():
            with pytest.raises(BrokerNetworkError):
                await call()
            failed += 1
        return failed

    assert asyncio.run(fail()) == len(calls)
    assert (health.failures, health.reachable) == (len(calls), True)  # 17 < unreachable_after
    assert health.last_error == "historical: down"


def test_an_immediate_placement_is_reported_when_awaited() -> None:
    inner = _Everything()
    health = BrokerHealth(unreachable_after=1)
    broker = MonitoredExecution(inner, health)  # type: ignore[arg-type]

    async def run() -> str:
        placement = broker.place_order_now("req")  # type: ignore[arg-type]
        assert placement is not None
        assert placement.released_ns == 42
        assert health.calls == 0  # started, not yet answered
        answer = await placement.pending
        inner.error = BrokerNetworkError("down")
        failing = broker.place_order_now("req")  # type: ignore[arg-type]
        assert failing is not None
        with pytest.raises(BrokerNetworkError):
            await failing.pending
        return answer

    assert asyncio.run(run()) == "now"
    assert (health.calls, health.failures, health.reachable) == (2, 1, False)
    assert health.last_error == "place_order: down"
