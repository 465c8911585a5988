"""KiteBroker against the simulator (the unmodified kiteconnect SDK with root=sim.rest_url)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.brokers.errors import (
    AmbiguousOrderOutcome,
    InvalidInput,
    OrderRejected,
    RateLimited,
    TokenExpired,
)
from alphastock.brokers.kite import KiteBroker, RateLimiter
from alphastock.models import (
    Exchange,
    Margins,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Product,
    SegmentMargin,
    TransactionType,
)
from alphastock.ports import Broker
from alphastock.sim import RateLimits, SimServer
from tests._data import KITE_MOCKS
from tests.brokers._kite_clock import FakeClock
from tests.sim.conftest import make_config


@pytest.fixture
def broker(kite_sim: SimServer) -> Iterator[KiteBroker]:
    kb = KiteBroker(
        kite_sim.api_key,
        kite_sim.access_token,
        root=kite_sim.rest_url,
        limiter=RateLimiter(
            clock=FakeClock(), guard_s=0.0
        ),  # Kite's limits on a fake clock: no wall-clock waits
        backoff_s=0.01,
        lookup_attempts=2,
        lookup_interval_s=0.05,
    )
    try:
        yield kb
    finally:
        kb.close()


def sbin(tag: str, quantity: int = 10, **extra: Any) -> OrderRequest:
    fields: dict[str, Any] = {
        "tag": tag,
        "exchange": Exchange.NSE,
        "tradingsymbol": "SBIN",
        "instrument_token": 779521,
        "transaction_type": TransactionType.BUY,
        "quantity": quantity,
        "product": Product.MIS,
        "order_type": OrderType.MARKET,
        "market_protection": -1,
    }
    fields.update(extra)
    return OrderRequest.model_validate(fields)


def sim_orders(sim: SimServer) -> list[Any]:
    return sim.call(lambda ex: list(ex.state.engine.orders.values()))


def test_is_a_broker_and_hides_the_token(broker: KiteBroker, kite_sim: SimServer) -> None:
    assert isinstance(broker, Broker)
    assert kite_sim.access_token not in repr(broker)
    assert repr(broker) == f"KiteBroker(root={kite_sim.rest_url!r}, session set)"


def test_place_market_order_fills_and_is_reported(broker: KiteBroker, kite_sim: SimServer) -> None:
    async def run() -> tuple[str, list[Order], Any, Any]:
        order_id = await broker.place_order(sbin("oms-1"))
        return order_id, await broker.orders(), await broker.trades(), await broker.positions()

    order_id, orders, trades, book = asyncio.run(run())
    (order,) = orders
    assert order.order_id == order_id
    assert (order.tag, order.status, order.filled_quantity, order.tradingsymbol) == (
        "oms-1",
        OrderStatus.COMPLETE,
        10,
        "SBIN",
    )
    assert order.market_protection == -1
    assert [(t.order_id, t.quantity) for t in trades] == [(order_id, 10)]
    (position,) = [p for p in book.net if p.tradingsymbol == "SBIN" and p.product == Product.MIS]
    assert position.quantity == 10
    assert position.average_price == pytest.approx(trades[0].average_price)
    assert broker.placements == 1
    [sim_order] = sim_orders(kite_sim)
    assert sim_order.tag == "oms-1"


def test_limit_order_modify_cancel_history(broker: KiteBroker) -> None:
    async def run() -> tuple[list[Order], list[Order]]:
        ltp = (await broker.ltp(["NSE:SBIN"]))["NSE:SBIN"].last_price
        low = round(round(ltp * 0.95 / 0.05) * 0.05, 2)
        order_id = await broker.place_order(
            sbin("oms-2", order_type=OrderType.LIMIT, price=low, market_protection=None)
        )
        assert await broker.modify_order(order_id, quantity=20, price=round(low - 0.5, 2)) == order_id
        assert await broker.cancel_order(order_id) == order_id
        return await broker.order_history(order_id), await broker.orders()

    history, orders = asyncio.run(run())
    assert history[0].status == OrderStatus.PUT_ORDER_REQ_RECEIVED
    assert history[-1].status == OrderStatus.CANCELLED
    assert history[-1].quantity == 20
    assert [o.status for o in orders] == [OrderStatus.CANCELLED]


def test_margins_quotes_holdings(broker: KiteBroker) -> None:
    async def run() -> tuple[Any, ...]:
        return (
            await broker.margins(),
            await broker.margins("equity"),
            await broker.quote(["NSE:SBIN", "NSE:NIFTY 50"]),
            await broker.ohlc(["NSE:SBIN"]),
            await broker.holdings(),
        )

    margins, equity, quotes, ohlc, holdings = asyncio.run(run())
    assert isinstance(margins, Margins)
    assert isinstance(equity, SegmentMargin)
    assert equity.available.cash == pytest.approx(1_000_000.0)
    assert quotes["NSE:SBIN"].instrument_token == 779521
    assert quotes["NSE:SBIN"].last_price == pytest.approx(850.0)
    assert quotes["NSE:NIFTY 50"].instrument_token == 256265
    assert ohlc["NSE:SBIN"].ohlc.open == pytest.approx(850.0)
    assert [(h.tradingsymbol, h.quantity) for h in holdings] == [("SBIN", 100)]


def test_kite_errors_keep_their_type(broker: KiteBroker) -> None:
    with pytest.raises(InvalidInput) as info:
        asyncio.run(broker.place_order(sbin("oms-3", quantity=10, tradingsymbol="NOSUCH")))
    assert (info.value.error_type, info.value.status) == ("InputException", 400)
    with pytest.raises(InvalidInput, match="sliced parent"):
        asyncio.run(broker.modify_order("sliced:x", quantity=1))


def test_read_429_backs_off_and_succeeds(broker: KiteBroker, kite_sim: SimServer) -> None:
    kite_sim.faults.fail_route("/quote/ltp", status=429, count=2)
    ltp = asyncio.run(broker.ltp(["NSE:SBIN"]))
    assert ltp["NSE:SBIN"].last_price == pytest.approx(850.0)
    assert broker.limiter.acquired["quote"] == 3  # two refused, the third answered
    clock = broker.limiter.clock
    assert isinstance(clock, FakeClock)
    # Backoffs of 0.01 then 0.02 s (plus up to 50% jitter), each retry also waiting for the 1/s quote window.
    backoffs = clock.sleeps[0::2]
    assert 0.01 <= backoffs[0] <= 0.015
    assert 0.02 <= backoffs[1] <= 0.03
    assert clock.now == pytest.approx(2.0)


def test_read_429_gives_up_after_the_retries(kite_sim: SimServer) -> None:
    kite_sim.faults.fail_route("/quote/ltp", status=429, count=5)
    kb = KiteBroker(
        kite_sim.api_key,
        kite_sim.access_token,
        root=kite_sim.rest_url,
        limiter=RateLimiter(clock=FakeClock()),
        read_retries=2,
        backoff_s=0.01,
    )
    with pytest.raises(RateLimited) as info:
        asyncio.run(kb.ltp(["NSE:SBIN"]))
    kb.close()
    assert info.value.status == 429
    assert kb.limiter.acquired["quote"] == 3


def test_an_outage_logs_its_first_failed_read_at_info_and_the_retries_at_debug(
    broker: KiteBroker, kite_sim: SimServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="alphastock.brokers.kite.rest")
    kite_sim.faults.fail_route("/quote/ltp", status=503, count=2)
    asyncio.run(broker.ltp(["NSE:SBIN"]))
    kite_sim.faults.fail_route("/quote/ltp", status=503, count=1)
    asyncio.run(broker.ltp(["NSE:SBIN"]))  # a read succeeded in between: a new outage, said again
    failed = [(r.levelname, r.getMessage()[:32]) for r in caplog.records if "read failed" in r.getMessage()]
    assert failed == [
        ("INFO", "Kite quote read failed (503); re"),
        ("DEBUG", "Kite quote read failed (503); re"),
        ("INFO", "Kite quote read failed (503); re"),
    ]


def test_5xx_on_placement_not_placed_is_ambiguous_and_never_resent(
    broker: KiteBroker, kite_sim: SimServer
) -> None:
    kite_sim.faults.fail_route("/orders/regular", status=503, method="POST")
    with pytest.raises(AmbiguousOrderOutcome) as info:
        asyncio.run(broker.place_order(sbin("oms-5xx")))
    assert info.value.tag == "oms-5xx"
    assert "reconcile" in info.value.message
    assert broker.placements == 1
    assert sim_orders(kite_sim) == []


def test_timeout_on_placement_is_looked_up_then_ambiguous(kite_sim: SimServer) -> None:
    # The sim holds the request 0.5 s; the SDK gives up after 0.2 s and the lookup finds nothing.
    kite_sim.faults.delay_route("/orders/regular", 0.5, method="POST")
    kb = KiteBroker(
        kite_sim.api_key, kite_sim.access_token, root=kite_sim.rest_url, timeout_s=0.2, lookup_attempts=1
    )
    with pytest.raises(AmbiguousOrderOutcome, match="ReadTimeout") as info:
        asyncio.run(kb.place_order(sbin("oms-slow")))
    kb.close()
    assert info.value.tag == "oms-slow"
    assert kb.placements == 1


class _AnswerLostKite(KiteConnect):  # type: ignore[misc]
    """The real SDK, but the answer to a placement is lost after the sim booked the order."""

    def place_order(self, *args: Any, **kwargs: Any) -> str:
        super().place_order(*args, **kwargs)
        raise requests.exceptions.ReadTimeout("answer lost")


def test_lost_answer_finds_the_order_by_tag(kite_sim: SimServer) -> None:
    client = _AnswerLostKite(kite_sim.api_key, kite_sim.access_token, root=kite_sim.rest_url)
    kb = KiteBroker("unused", client=client, lookup_interval_s=0.0)
    order_id = asyncio.run(kb.place_order(sbin("oms-lost-1")))
    kb.close()
    placed = sim_orders(kite_sim)
    assert [(o.order_id, o.tag) for o in placed] == [(order_id, "oms-lost-1")]
    assert kb.placements == 1


class _LostAnswerClient:
    """A kiteconnect stand-in whose place_order books the order but answers without order_id."""

    def __init__(self) -> None:
        rows = json.loads((KITE_MOCKS / "orders.json").read_text())["data"]
        self.book: list[dict[str, Any]] = []
        self.template = dict(rows[1])
        self.placed = 0

    def place_order(self, **params: Any) -> str:
        self.placed += 1
        self.book.append({**self.template, "order_id": "777", "tag": params["tag"]})
        raise KeyError("order_id")

    def orders(self) -> list[dict[str, Any]]:
        return list(self.book)


def test_200_without_order_id_is_resolved_by_tag() -> None:
    client = _LostAnswerClient()
    kb = KiteBroker("key", client=client, lookup_interval_s=0.0)
    assert asyncio.run(kb.place_order(sbin("oms-lost"))) == "777"
    assert client.placed == 1
    kb.close()


def test_403_stops_order_flow_until_a_new_session(broker: KiteBroker, kite_sim: SimServer) -> None:
    kite_sim.call(lambda ex: ex.state.logout(kite_sim.access_token))
    with pytest.raises(TokenExpired, match="alphastock login") as info:
        asyncio.run(broker.place_order(sbin("oms-t1")))
    assert (info.value.error_type, info.value.status) == ("TokenException", 403)
    assert broker.token_expired
    assert repr(broker).endswith("token expired)")
    sent = broker.placements
    with pytest.raises(TokenExpired, match="alphastock login"):
        asyncio.run(broker.place_order(sbin("oms-t2")))
    with pytest.raises(TokenExpired):
        asyncio.run(broker.cancel_order("123"))
    assert broker.placements == sent  # refused without reaching Kite
    assert sim_orders(kite_sim) == []
    broker.set_access_token("anything-new")
    assert not broker.token_expired


def test_rejected_order_has_an_id_and_ends_rejected(broker: KiteBroker, kite_sim: SimServer) -> None:
    kite_sim.faults.reject_orders(1)

    async def run() -> Order:
        order_id = await broker.place_order(sbin("oms-rej"))
        (order,) = [o for o in await broker.orders() if o.order_id == order_id]
        return order

    order = asyncio.run(run())
    assert order.status == OrderStatus.REJECTED
    assert order.tag == "oms-rej"


def test_order_updates_fan_out() -> None:
    kb = KiteBroker("key", client=object())
    payload = json.loads((KITE_MOCKS / "postback.json").read_text())

    async def run() -> tuple[str, str]:
        first, second = kb.order_updates(), kb.order_updates()
        kb.publish_order_update(payload)
        a, b = await anext(first), await anext(second)
        return a.order_id, b.order_id

    assert asyncio.run(run()) == (payload["order_id"], payload["order_id"])
    kb.close()


def test_order_rejected_error_maps() -> None:
    from alphastock.brokers.kite import map_kite_error

    error = map_kite_error(kex.OrderException("nope", code=500))
    assert isinstance(error, OrderRejected)
    assert (error.error_type, error.status, error.message) == ("OrderException", 500, "nope")
    assert isinstance(map_kite_error(kex.NetworkException("slow", code=429)), RateLimited)


class _RefusingClient:
    """A kiteconnect stand-in refusing every placement with a definite Kite error."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.placed = 0
        self.looked_up = 0

    def place_order(self, **params: Any) -> str:
        self.placed += 1
        raise self.error

    def orders(self) -> list[dict[str, Any]]:
        self.looked_up += 1
        return []


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (kex.OrderException("Order refused", code=500), OrderRejected),
        (kex.InputException("Bad tag", code=400), InvalidInput),
        (kex.NetworkException("Too many requests", code=429), RateLimited),
    ],
)
def test_definite_refusals_are_raised_without_lookup(error: Exception, expected: type[Exception]) -> None:
    client = _RefusingClient(error)
    kb = KiteBroker("key", client=client)
    with pytest.raises(expected):
        asyncio.run(kb.place_order(sbin("oms-no")))
    kb.close()
    assert (client.placed, client.looked_up) == (1, 0)


@pytest.mark.parametrize(
    "error",
    [
        kex.NetworkException("Gateway", code=502),
        kex.DataException("garbled", code=502),
        kex.GeneralException("?"),
    ],
)
def test_gateway_failures_are_looked_up(error: Exception) -> None:
    client = _RefusingClient(error)
    kb = KiteBroker("key", client=client, lookup_attempts=2, lookup_interval_s=0.0)
    with pytest.raises(AmbiguousOrderOutcome):
        asyncio.run(kb.place_order(sbin("oms-maybe")))
    kb.close()
    assert (client.placed, client.looked_up) == (1, 2)


@pytest.mark.slow
def test_client_limiter_keeps_the_sim_limits() -> None:
    """With the sim enforcing Kite's limits, the broker's own limiter never lets a 429 through."""
    strict = SimServer(make_config(rate_limits=RateLimits())).start_in_thread()
    try:
        kb = KiteBroker(strict.api_key, strict.access_token, root=strict.rest_url, read_retries=0)

        async def run() -> list[float]:
            return [(await kb.ltp(["NSE:SBIN"]))["NSE:SBIN"].last_price for _ in range(3)]

        assert asyncio.run(run()) == [pytest.approx(850.0)] * 3
        kb.close()
        assert kb.limiter.acquired["quote"] == 3
        assert kb.limiter.waited_s["quote"] > 1.5
    finally:
        strict.stop()


def test_place_order_now_starts_the_request_at_once(broker: KiteBroker, kite_sim: SimServer) -> None:
    async def run() -> tuple[str, int, object, object]:
        before_ns = time.time_ns()
        placement = broker.place_order_now(sbin("now-1"))
        assert placement is not None
        assert before_ns <= placement.released_ns <= time.time_ns()
        started = broker.placements  # counted (and handed to the SDK's thread) before any await
        order_id = await placement.pending
        # Over the freeze quantity or as an autoslice it cannot start at once: None, nothing counted.
        broker.freeze_lookup = lambda exchange, symbol: (5, 1)
        sliced = broker.place_order_now(sbin("now-2", quantity=10))
        auto = broker.place_order_now(sbin("now-3", autoslice=True))
        return order_id, started, sliced, auto

    order_id, started, sliced, auto = asyncio.run(run())
    assert started == 1
    assert sliced is None
    assert auto is None
    assert broker.placements == 1
    [sim_order] = sim_orders(kite_sim)
    assert (sim_order.tag, sim_order.order_id) == ("now-1", order_id)
