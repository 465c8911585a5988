"""The shutdown's square-off against the simulator (KiteBroker, manual clock): retried until flat at the
broker, never twice while an earlier square-off's outcome is unknown, and honest when it gives up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from alphastock.brokers.kite import KiteBroker, RateLimiter
from alphastock.execution import OrderState
from alphastock.execution.squareoff import OpenPosition, SquareOffResult, square_off
from alphastock.sim import SimServer
from tests.brokers._kite_clock import FakeClock
from tests.execution._harness import Stack, signal
from tests.execution.test_sim_round_trip import _stack, settle
from tests.sim.conftest import make_config

ORDERS = "/orders/regular"


@pytest.fixture
def sim_broker() -> Iterator[tuple[SimServer, KiteBroker]]:
    server = SimServer(make_config()).start_in_thread()
    broker = KiteBroker(
        server.api_key, server.access_token, root=server.rest_url, limiter=RateLimiter(clock=FakeClock()),
        backoff_s=0.01, lookup_attempts=2, lookup_interval_s=0.05,
    )  # fmt: skip
    try:
        yield server, broker
    finally:
        broker.close()
        server.stop()


async def _open_position(stack: Stack, ltp: float) -> int:
    entry = round(ltp, 1)
    stack.signals.submit(signal(entry=entry, stop_loss=entry - 10, target=entry + 20))
    await settle(stack)
    (order,) = stack.oms.orders()
    assert order.state is OrderState.FILLED
    return order.filled_quantity


def _sim_sbin(broker: KiteBroker) -> int:
    book = asyncio.run(broker.positions())
    return sum(p.quantity for p in book.net if p.tradingsymbol == "SBIN" and str(p.product) == "MIS")


async def _drive(stack: Stack, step_s: float) -> None:
    """Advance the stack's manual clock by ``step_s`` engine seconds every 50 ms of wall time."""
    while True:
        await asyncio.sleep(0.05)
        stack.clock.advance(step_s)


def test_an_ambiguous_square_off_is_resolved_then_resent_until_flat(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    # The reproduction: "closing INFY -17 (shutdown)", a 503, the order UNKNOWN -- and the
    # summary said squared off. Now the UNKNOWN order is resolved by the OMS (absent from the book
    # unknown_timeout_s after the call: never placed) and only then is the position closed again.
    server, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path)
    stack.oms.unknown_timeout_s = 0.2

    async def run() -> tuple[int, SquareOffResult]:
        quantity = await _open_position(stack, ltp)
        server.faults.fail_route(ORDERS, status=503, count=1, method="POST")
        # the OMS times UNKNOWN orders on the engine clock: let it run (0.1 engine s per poll)
        driver = asyncio.create_task(_drive(stack, 0.1))
        try:
            result = await square_off(
                stack.executor, broker, ("MIS",), deadline_s=20.0, round_wait_s=0.5, poll_s=0.05
            )
        finally:
            driver.cancel()
        await settle(stack)
        return quantity, result

    try:
        quantity, result = asyncio.run(run())
        assert result.flat
        assert result.left_open == ()
        assert result.open_positions == ()
        first, second = (stack.oms.get(key) for key in result.orders)
        assert first is not None
        assert second is not None
        assert first.state is OrderState.REJECTED
        assert "never placed" in (first.message or "")
        assert (second.state, second.filled_quantity) == (OrderState.FILLED, quantity)
        assert _sim_sbin(broker) == 0  # closed once: no short left behind
        sells = [o for o in asyncio.run(broker.orders()) if o.transaction_type == "SELL"]
        assert [(o.tag, o.status, o.quantity) for o in sells] == [(second.key, "COMPLETE", quantity)]
        assert (
            result.describe()
            == f"MIS square-off: 2 square-off orders in {result.rounds} rounds; flat at the broker"
        )
        holding = stack.portfolio.position(stack.oms.orders()[0].token, "MIS")
        assert holding is not None
        assert holding.quantity == 0
    finally:
        stack.close()


def test_no_second_square_off_while_the_first_is_unknown(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    server, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path)
    stack.oms.unknown_timeout_s = 3600.0  # never resolved within the deadline

    async def run() -> tuple[int, SquareOffResult]:
        quantity = await _open_position(stack, ltp)
        server.faults.fail_route(ORDERS, status=503, count=1, method="POST")
        result = await square_off(
            stack.executor, broker, ("MIS",), deadline_s=2.5, round_wait_s=0.5, poll_s=0.05
        )
        return quantity, result

    try:
        quantity, result = asyncio.run(run())
        assert result.rounds >= 2
        (key,) = result.orders  # one square-off only: its outcome never became known
        order = stack.oms.get(key)
        assert order is not None
        assert order.state is OrderState.UNKNOWN
        assert [o.key for o in stack.oms.unresolved()] == [key]
        assert not result.flat
        assert result.left_open == (OpenPosition("NSE", "SBIN", "MIS", quantity),)
        assert _sim_sbin(broker) == quantity
        assert result.describe().startswith("MIS square-off INCOMPLETE after ")
        assert result.describe().endswith(f"(1 square-off orders in {result.rounds} rounds): still open "
                                          f"NSE:SBIN MIS +{quantity}")  # fmt: skip
    finally:
        stack.close()


def test_refused_square_offs_are_retried_until_the_deadline_then_reported_open(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    server, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path)

    async def run() -> tuple[int, SquareOffResult]:
        quantity = await _open_position(stack, ltp)
        server.faults.reject_orders(count=1000)
        result = await square_off(
            stack.executor, broker, ("MIS",), deadline_s=1.5, round_wait_s=0.5, poll_s=0.1
        )
        server.faults.clear()
        return quantity, result

    try:
        quantity, result = asyncio.run(run())
        assert len(result.orders) >= 2  # retried, one at a time
        states = {stack.oms.get(k).state for k in result.orders}  # type: ignore[union-attr]
        assert states == {OrderState.REJECTED}
        assert result.left_open == (OpenPosition("NSE", "SBIN", "MIS", quantity),)
        assert _sim_sbin(broker) == quantity
    finally:
        stack.close()


def test_nothing_of_ours_open_is_one_read_and_no_order(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    _, broker = sim_broker
    stack, _ltp = _stack(broker, tmp_path)

    async def run() -> SquareOffResult:
        # Nothing of ours is open: no order at all, and the broker's positions read says flat.
        return await square_off(
            stack.executor, broker, ("MIS",), deadline_s=1.0, round_wait_s=0.1, poll_s=0.05
        )

    try:
        result = asyncio.run(run())
        assert (result.orders, result.rounds, result.flat, result.left_open) == ((), 1, True, ())
        assert stack.oms.orders() == []
    finally:
        stack.close()


def test_a_position_is_not_closed_twice_while_an_exit_is_unknown(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    # Live, an opposite signal's close and a stop-loss exit raced: the second close went out while the
    # first was UNKNOWN (had it been placed, the position would have flipped).
    server, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path)
    stack.oms.unknown_timeout_s = 3600.0

    async def run() -> tuple[int, list[object]]:
        quantity = await _open_position(stack, ltp)
        server.faults.fail_route(ORDERS, status=503, count=1, method="POST")
        (holding,) = stack.portfolio.positions(open_only=True)
        first = stack.executor.close_position(holding, "opposite signal")
        await stack.oms.idle()
        second = stack.executor.close_position(holding, "stop loss")
        return quantity, [first, second]

    try:
        quantity, (first, second) = asyncio.run(run())
        assert first is not None
        assert first.state is OrderState.UNKNOWN  # type: ignore[attr-defined]
        assert second is None
        assert _sim_sbin(broker) == quantity
        assert len(stack.oms.orders()) == 2  # the entry and the one exit
    finally:
        stack.close()


def test_a_square_off_risk_refuses_is_retried_each_round_not_each_poll(
    sim_broker: tuple[SimServer, KiteBroker], tmp_path: Path
) -> None:
    from alphastock.events import EventType

    _, broker = sim_broker
    stack, ltp = _stack(broker, tmp_path)

    async def run() -> tuple[int, SquareOffResult]:
        quantity = await _open_position(stack, ltp)
        stack.clock.advance(3600)  # the feed went quiet: risk refuses orders on stale data
        result = await square_off(
            stack.executor, broker, ("MIS",), deadline_s=1.2, round_wait_s=0.5, poll_s=0.02
        )
        return quantity, result

    try:
        quantity, result = asyncio.run(run())
        refusals = stack.bus.of(EventType.RISK_REJECTED)
        assert result.orders == ()
        assert 2 <= len(refusals) <= 4  # one per round of ~0.5 s, not one per 20 ms poll
        assert {n.code for n in refusals} == {"STALE_MARKET_DATA"}
        assert result.left_open == (OpenPosition("NSE", "SBIN", "MIS", quantity),)
    finally:
        stack.close()
