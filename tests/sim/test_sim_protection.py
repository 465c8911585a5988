"""Market protection as Kite's API enforces it since April 2026 (MARKET and SL-M orders)."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.brokers.errors import InvalidInput
from alphastock.brokers.kite import KiteBroker
from alphastock.brokers.paper import MarketSnapshot, PaperBroker, PaperSettings, StaticMarket
from alphastock.models import Instrument, OrderRequest, OrderType, Variety
from alphastock.sim import SimServer
from alphastock.sim.matching import NO_PROTECTION
from tests.sim.conftest import make_config

KITE_TEXT = (
    "Market orders without market protection are not allowed via API. "
    "Please set market protection or use a Limit order."
)
NIFTY_CE = "NIFTY26JAN25500CE"


def _ltp(kite: KiteConnect, key: str) -> float:
    return float(kite.ltp([key])[key]["last_price"])


def test_the_refusal_is_kites_text() -> None:
    assert NO_PROTECTION == KITE_TEXT


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order_type": "MARKET"},
        {"order_type": "MARKET", "market_protection": 0},
        {"order_type": "SL-M", "trigger_price": 700.0},
        {"order_type": "SL-M", "trigger_price": 700.0, "market_protection": 0},
    ],
)
def test_market_and_slm_without_protection_are_refused(kite: KiteConnect, kwargs: dict[str, object]) -> None:
    with pytest.raises(kex.InputException) as info:
        kite.place_order("regular", "NSE", "SBIN", "SELL", 5, "MIS", **kwargs)
    assert str(info.value) == KITE_TEXT
    assert info.value.code == 400
    assert kite.orders() == []  # nothing reached the book
    assert kite.trades() == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (150, "Invalid `market_protection`"),
        (-2, "Invalid `market_protection`"),
        ("auto", "failed to decode market_protection, got: auto (expected decimal)"),
    ],
)
def test_out_of_range_protection_is_invalid(kite: KiteConnect, value: object, message: str) -> None:
    with pytest.raises(kex.InputException, match=re.escape(message)):
        kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=value)
    assert kite.orders() == []


def test_automatic_protection_stays_a_market_order(kite: KiteConnect) -> None:
    order_id = kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=-1)
    order = kite.order_history(order_id)[-1]
    assert (order["status"], order["order_type"], order["market_protection"], order["price"]) == (
        "COMPLETE", "MARKET", -1, 0.0,
    )  # fmt: skip


def test_a_positive_protection_makes_a_limit_at_that_distance(kite: KiteConnect) -> None:
    ltp = _ltp(kite, "NSE:INFY")
    buy = kite.order_history(
        kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=2)
    )[-1]
    assert (buy["order_type"], buy["market_protection"], buy["status"]) == ("LIMIT", 2, "COMPLETE")
    assert buy["price"] == pytest.approx(math.floor(ltp * 1.02 / 0.05 + 1e-9) * 0.05)  # on the tick, inside
    assert buy["average_price"] <= buy["price"]
    sell = kite.order_history(
        kite.place_order("regular", "NSE", "INFY", "SELL", 1, "MIS", "MARKET", market_protection=2.5)
    )[-1]
    assert (sell["order_type"], sell["status"]) == ("LIMIT", "COMPLETE")
    assert sell["price"] == pytest.approx(math.ceil(ltp * 0.975 / 0.05 - 1e-9) * 0.05)
    assert sell["average_price"] >= sell["price"]


def test_a_wide_protection_stays_inside_the_price_band(kite: KiteConnect) -> None:
    ltp = _ltp(kite, "NSE:INFY")  # stocks: +-10% of the reference in the simulator's band
    buy = kite.order_history(
        kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=100)
    )[-1]
    assert buy["price"] == pytest.approx(math.floor(ltp * 1.10 / 0.05 + 1e-9) * 0.05)
    sell = kite.order_history(
        kite.place_order("regular", "NSE", "INFY", "SELL", 1, "MIS", "MARKET", market_protection=100)
    )[-1]
    assert sell["price"] == pytest.approx(math.ceil(ltp * 0.90 / 0.05 - 1e-9) * 0.05)
    assert buy["status"] == sell["status"] == "COMPLETE"


def test_a_protected_slm_becomes_a_stop_limit(kite: KiteConnect) -> None:
    trigger = round(_ltp(kite, "NSE:SBIN") - 20, 1)
    order = kite.order_history(
        kite.place_order(
            "regular", "NSE", "SBIN", "SELL", 5, "MIS", "SL-M", trigger_price=trigger, market_protection=5
        )
    )[-1]
    assert (order["order_type"], order["status"], order["trigger_price"]) == (
        "SL",
        "TRIGGER PENDING",
        trigger,
    )
    assert order["price"] == pytest.approx(math.ceil(trigger * 0.95 / 0.05 - 1e-9) * 0.05)


def test_a_protected_slm_on_an_option_is_still_refused(kite: KiteConnect) -> None:
    order_id = kite.place_order(
        "regular", "NFO", NIFTY_CE, "BUY", 65, "NRML", "SL-M", trigger_price=400.0, market_protection=5
    )
    order = kite.order_history(order_id)[-1]
    assert order["status"] == "REJECTED"
    assert "SL-M orders are not allowed" in order["status_message"]


def test_modifying_into_a_market_order_needs_protection() -> None:
    with SimServer(make_config(start_time=dt.time(8, 0))) as sim:  # before the open: orders wait as AMO
        kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)
        limit = kite.place_order("amo", "NSE", "INFY", "BUY", 1, "CNC", "LIMIT", price=1500.0)
        with pytest.raises(kex.InputException) as info:
            kite.modify_order("amo", limit, order_type="MARKET")
        assert str(info.value) == KITE_TEXT
        kite.modify_order("amo", limit, order_type="MARKET", market_protection=-1)
        assert kite.order_history(limit)[-1]["order_type"] == "MARKET"
        # An order that already is a market order keeps its protection through a modification.
        market = kite.place_order("amo", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)
        kite.modify_order("amo", market, quantity=2)
        order = kite.order_history(market)[-1]
        assert (order["quantity"], order["market_protection"], order["status"]) == (2, -1, "AMO REQ RECEIVED")


def _limit_request(tag: str) -> OrderRequest:
    return OrderRequest(
        tag=tag, exchange="NSE", tradingsymbol="INFY", instrument_token=408065, transaction_type="BUY",
        quantity=1, product="CNC", order_type="LIMIT", price=1500.0, variety="amo",
    )  # fmt: skip


def test_our_kite_broker_sends_protection_when_modifying_into_market() -> None:
    with SimServer(make_config(start_time=dt.time(8, 0))) as sim:  # before the open: the order waits

        async def scenario() -> tuple[str, str]:
            async with KiteBroker(sim.api_key, sim.access_token, root=sim.rest_url) as broker:
                order_id = await broker.place_order(_limit_request("mod-1"))
                with pytest.raises(InvalidInput) as info:
                    await broker.modify_order(order_id, variety=Variety.AMO, order_type=OrderType.MARKET)
                await broker.modify_order(
                    order_id, variety=Variety.AMO, order_type=OrderType.MARKET, market_protection=-1.0
                )
                return order_id, info.value.message

        order_id, refusal = asyncio.run(scenario())
        assert refusal == KITE_TEXT
        order = sim.call(lambda ex: ex.state.engine.orders[order_id])
        assert (order.order_type, order.market_protection) == ("MARKET", -1)


def test_the_paper_broker_refuses_the_same_modification() -> None:
    market = StaticMarket()
    market.set(408065, MarketSnapshot(last_price=1550.0, bid=1549.9, ask=1550.1, bid_qty=500, ask_qty=500))
    instrument = Instrument(
        instrument_token=408065, exchange_token=1594, tradingsymbol="INFY", tick_size=0.05, lot_size=1,
        instrument_type="EQ", segment="NSE", exchange="NSE",
    )  # fmt: skip
    broker = PaperBroker(market, PaperSettings(), clock=lambda: 0, instruments=[instrument])
    request = _limit_request("mod-2").model_copy(update={"variety": Variety.REGULAR})

    async def scenario() -> tuple[str, OrderType]:
        order_id = await broker.place_order(request)
        with pytest.raises(InvalidInput) as info:
            await broker.modify_order(order_id, order_type=OrderType.MARKET)
        await broker.modify_order(order_id, order_type=OrderType.MARKET, market_protection=2.0)
        (order,) = await broker.orders()
        return info.value.message, order.order_type

    refusal, order_type = asyncio.run(scenario())
    assert refusal == KITE_TEXT
    assert order_type is OrderType.MARKET
