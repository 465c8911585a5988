"""KiteBroker with OrderRequest(autoslice=True) against the simulator: Kite slices at the freeze."""

from __future__ import annotations

import asyncio
from typing import Any

from alphastock.brokers.kite import KiteBroker, RateLimiter
from alphastock.models import Exchange, OrderRequest, OrderStatus, OrderType, Product, TransactionType
from alphastock.sim import SimServer
from tests.brokers._kite_clock import FakeClock

OTM_CE = "NIFTY26JAN26200CE"


def test_autoslice_request_places_children_of_at_most_the_freeze(kite_sim: SimServer) -> None:
    broker = KiteBroker(
        kite_sim.api_key,
        kite_sim.access_token,
        root=kite_sim.rest_url,
        limiter=RateLimiter(clock=FakeClock()),
    )
    token = kite_sim.call(lambda ex: ex.state.by_key[f"NFO:{OTM_CE}"].instrument_token)
    request = OrderRequest.model_validate({
        "tag": "oms-auto", "exchange": Exchange.NFO, "tradingsymbol": OTM_CE, "instrument_token": token,
        "transaction_type": TransactionType.BUY, "quantity": 65 * 60, "product": Product.NRML,
        "order_type": OrderType.MARKET, "market_protection": -1, "autoslice": True,
    })  # fmt: skip
    try:
        parent_id = asyncio.run(broker.place_order(request))
        orders = asyncio.run(broker.orders())
    finally:
        broker.close()
    assert broker.placements == 1  # one request: the slicing is the venue's
    sim_orders: list[Any] = kite_sim.call(lambda ex: list(ex.state.engine.orders.values()))
    assert parent_id not in {o.order_id for o in sim_orders}
    assert sorted(o.quantity for o in sim_orders) == [390, 1755, 1755]
    assert all(o.quantity <= 1800 and o.tag == "oms-auto" for o in sim_orders)
    assert len(orders) == 3
    assert {o.status for o in orders} == {OrderStatus.COMPLETE}
    assert sum(o.filled_quantity for o in orders) == 65 * 60
