"""The KiteBroker's GttClient role end to end against the simulator (the official SDK's GTT calls), and
the GTT models against Kite's sample bodies."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from alphastock.brokers.errors import InvalidInput
from alphastock.brokers.kite import KiteBroker, RateLimiter
from alphastock.models import (
    Exchange,
    Gtt,
    GttLeg,
    GttRequest,
    GttStatus,
    GttType,
    OrderStatus,
    OrderType,
    Product,
    TransactionType,
)
from alphastock.ports import GttClient
from alphastock.sim import SimExchange, SimServer
from tests.brokers._kite_clock import FakeClock

CE = "NIFTY26JAN25500CE"
LOT = 65


@pytest.fixture
def broker(kite_sim: SimServer) -> Iterator[KiteBroker]:
    kb = KiteBroker(
        kite_sim.api_key,
        kite_sim.access_token,
        root=kite_sim.rest_url,
        limiter=RateLimiter(clock=FakeClock(), guard_s=0.0),
        backoff_s=0.01,
    )
    try:
        yield kb
    finally:
        kb.close()


def _tick(price: float) -> float:
    return round(round(price / 0.05) * 0.05, 2)


def _ltp(sim: SimServer) -> float:
    return float(sim.call(lambda ex: ex.state.model.ltp[ex.state.by_key[f"NFO:{CE}"].index]))


def _sell(price: float, product: Product = Product.NRML) -> GttLeg:
    return GttLeg(transaction_type=TransactionType.SELL, quantity=LOT, price=price, product=product)


def _oco(
    ltp: float, lower: float, upper: float, stop_limit: float, product: Product = Product.NRML
) -> GttRequest:
    return GttRequest(
        type=GttType.TWO_LEG, exchange=Exchange.NFO, tradingsymbol=CE, trigger_values=(lower, upper),
        last_price=ltp, legs=(_sell(stop_limit, product), _sell(upper, product)),
    )  # fmt: skip


def _drop_nifty(ex: SimExchange) -> None:
    model = ex.state.model
    model.spot[model.und_names.index("NIFTY")] *= 0.998  # about 50 points: the call loses about 10%


def test_kite_broker_places_lists_modifies_deletes_and_sees_the_stop_fire(
    kite_sim: SimServer, broker: KiteBroker
) -> None:
    assert isinstance(broker, GttClient)
    assert broker.capabilities.gtt
    ltp = _ltp(kite_sim)
    lower, upper = _tick(ltp * 0.96), _tick(ltp * 1.25)

    async def place() -> tuple[int, int, Gtt, list[Gtt]]:
        oco = await broker.place_gtt(_oco(ltp, lower, upper, _tick(lower * 0.75)))
        single = await broker.place_gtt(
            GttRequest(
                type=GttType.SINGLE,
                exchange=Exchange.NFO,
                tradingsymbol=CE,
                trigger_values=(_tick(ltp * 1.5),),
                last_price=ltp,
                legs=(_sell(_tick(ltp * 1.5)),),
            )
        )
        return oco, single, await broker.gtt(oco), await broker.gtts()

    oco_id, single_id, oco, book = asyncio.run(place())
    assert (oco_id, single_id) == (100001, 100002)
    assert (oco.trigger_id, oco.type, oco.status) == (oco_id, GttType.TWO_LEG, GttStatus.ACTIVE)
    assert (oco.exchange, oco.tradingsymbol, oco.trigger_values, oco.last_price) == (
        Exchange.NFO, CE, (lower, upper), ltp,
    )  # fmt: skip
    assert oco.instrument_token == kite_sim.call(lambda ex: ex.state.by_key[f"NFO:{CE}"].instrument_token)
    assert [(o.transaction_type, o.product, o.order_type, o.quantity, o.price) for o in oco.orders] == [
        (TransactionType.SELL, Product.NRML, OrderType.LIMIT, LOT, _tick(lower * 0.75)),
        (TransactionType.SELL, Product.NRML, OrderType.LIMIT, LOT, upper),
    ]
    assert oco.fired is None
    assert oco.created_at == oco.updated_at
    assert oco.expires_at is not None
    assert oco.created_at is not None
    assert oco.expires_at > oco.created_at
    assert [g.trigger_id for g in book] == [single_id, oco_id]

    lower, upper = _tick(ltp * 0.97), _tick(ltp * 1.3)
    stop_limit = _tick(lower * 0.75)

    async def modify_and_delete() -> tuple[int, int, Gtt, Gtt, list[Gtt]]:
        modified = await broker.modify_gtt(oco_id, _oco(ltp, lower, upper, stop_limit))
        deleted = await broker.delete_gtt(single_id)
        return modified, deleted, await broker.gtt(oco_id), await broker.gtt(single_id), await broker.gtts()

    modified_id, deleted_id, oco, single, book = asyncio.run(modify_and_delete())
    assert (modified_id, deleted_id) == (oco_id, single_id)
    assert oco.trigger_values == (lower, upper)
    assert [o.price for o in oco.orders] == [stop_limit, upper]
    assert single.status == GttStatus.DELETED
    assert [g.trigger_id for g in book] == [oco_id]

    kite_sim.call(_drop_nifty)
    for _ in range(120):
        kite_sim.advance(1)
        oco = asyncio.run(broker.gtt(oco_id))
        if oco.status != GttStatus.ACTIVE:
            break
    assert oco.status == GttStatus.TRIGGERED
    assert oco.fired is not None
    leg, result = oco.fired
    assert leg == 0  # the lower (stop) leg
    assert result.triggered_at <= lower
    assert (result.transaction_type, result.quantity, result.price) == (TransactionType.SELL, LOT, stop_limit)
    assert result.order_result is not None
    assert result.order_result.status == "success"
    assert result.timestamp == oco.updated_at
    order = next(o for o in asyncio.run(broker.orders()) if o.order_id == result.order_id)
    assert (order.status, order.filled_quantity, order.product) == (OrderStatus.COMPLETE, LOT, Product.NRML)
    assert order.average_price >= stop_limit


def test_kite_refusals_become_invalid_input_with_kites_message(
    kite_sim: SimServer, broker: KiteBroker
) -> None:
    ltp = _ltp(kite_sim)
    lower, upper = _tick(ltp * 0.9), _tick(ltp * 1.1)
    with pytest.raises(InvalidInput, match="GTT for F&O is allowed only with NRML") as info:
        asyncio.run(broker.place_gtt(_oco(ltp, lower, upper, lower, product=Product.MIS)))
    assert (info.value.status, info.value.error_type) == (400, "InputException")
    wrong_side = _oco(ltp, _tick(ltp * 1.05), upper, lower)  # both triggers above the last price
    with pytest.raises(InvalidInput, match="must be below and the second"):
        asyncio.run(broker.place_gtt(wrong_side))
    with pytest.raises(InvalidInput, match="trigger_id"):
        asyncio.run(broker.delete_gtt(424242))
    assert asyncio.run(broker.gtts()) == []


def test_gtt_request_shapes_and_the_sdk_arguments() -> None:
    with pytest.raises(ValidationError, match="GTT orders are LIMIT orders"):
        GttLeg(transaction_type=TransactionType.SELL, quantity=LOT, price=10, product=Product.NRML,
               order_type=OrderType.SL)  # fmt: skip
    with pytest.raises(ValidationError, match=r"\(lower, upper\)"):
        _oco(100.0, 120.0, 90.0, 80.0)
    with pytest.raises(ValidationError, match="2 trigger value"):
        GttRequest(type=GttType.TWO_LEG, exchange=Exchange.NFO, tradingsymbol=CE, trigger_values=(90.0,),
                   last_price=100.0, legs=(_sell(80.0),))  # fmt: skip
    leg = {"transaction_type": "SELL", "quantity": LOT, "product": "NRML", "order_type": "LIMIT"}
    assert _oco(100.0, 90.0, 120.0, 80.0).to_kite() == {
        "trigger_type": "two-leg", "tradingsymbol": CE, "exchange": "NFO", "trigger_values": [90.0, 120.0],
        "last_price": 100.0, "orders": [{**leg, "price": 80.0}, {**leg, "price": 120.0}],
    }  # fmt: skip


# Kite's sample bodies (the kite-mocks gtt_get_orders.json, as https://kite.trade/docs/connect/v3/gtt/ shows
# them): an active single GTT and a triggered two-leg one whose fired leg the exchange refused.
SINGLE_BODY = {
    "id": 112127, "user_id": "XX0000", "parent_trigger": None, "type": "single",
    "created_at": "2019-09-12 13:25:16", "updated_at": "2019-09-12 13:25:16",
    "expires_at": "2020-09-12 13:25:16", "status": "active",
    "condition": {"exchange": "NSE", "last_price": 798, "tradingsymbol": "INFY", "trigger_values": [702],
                  "instrument_token": 408065},
    "orders": [{"exchange": "NSE", "tradingsymbol": "INFY", "product": "CNC", "order_type": "LIMIT",
                "transaction_type": "BUY", "quantity": 1, "price": 702.5, "result": None}],
    "meta": {},
}  # fmt: skip
REASON = (
    "Your order price is lower than the current lower circuit limit of 70.65. "
    "Place an order within the daily range."
)
_RAIN = {"exchange": "NSE", "tradingsymbol": "RAIN", "product": "CNC", "order_type": "LIMIT",
         "transaction_type": "SELL", "quantity": 1, "price": 1}  # fmt: skip
TWO_LEG_BODY = {
    "id": 105099, "user_id": "XX0000", "parent_trigger": None, "type": "two-leg",
    "created_at": "2019-09-09 15:13:22", "updated_at": "2019-09-09 15:15:08",
    "expires_at": "2020-01-01 12:00:00", "status": "triggered",
    "condition": {"exchange": "NSE", "last_price": 102.6, "tradingsymbol": "RAIN",
                  "trigger_values": [102.0, 103.7], "instrument_token": 3926273},
    "orders": [
        {**_RAIN, "result": None},
        {**_RAIN, "result": {
            **_RAIN, "account_id": "XX0000", "validity": "DAY", "meta": '{"app_id":12617,"gtt":105099}',
            "timestamp": "2019-09-09 15:15:08", "triggered_at": 103.7,
            "order_result": {"status": "failed", "order_id": "", "rejection_reason": REASON},
        }},
    ],
    "meta": None,
}  # fmt: skip


def test_gtt_parses_kites_sample_bodies() -> None:
    single, oco = Gtt.from_kite(SINGLE_BODY), Gtt.from_kite(TWO_LEG_BODY)
    assert (single.trigger_id, single.type, single.status) == (112127, GttType.SINGLE, GttStatus.ACTIVE)
    assert (single.trigger_values, single.last_price, single.instrument_token) == ((702.0,), 798.0, 408065)
    assert single.orders[0].price == 702.5
    assert single.fired is None
    assert single.created_at == 1568274916 * 10**9  # 2019-09-12 13:25:16 IST
    assert (oco.type, oco.status, oco.trigger_values) == (
        GttType.TWO_LEG,
        GttStatus.TRIGGERED,
        (102.0, 103.7),
    )
    assert oco.fired is not None
    leg, result = oco.fired
    assert (leg, result.triggered_at, result.order_id) == (1, 103.7, None)  # failed: no order placed
    assert result.order_result is not None
    assert result.order_result.status == "failed"
    assert result.order_result.rejection_reason.startswith("Your order price is lower than the current lower")
    assert result.timestamp == oco.updated_at
