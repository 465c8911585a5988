"""Slicing above the freeze quantity through the KiteBroker (freeze quantities from the instruments
dump in DuckDB, :class:`~alphastock.refdata.store.InstrumentStore`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from alphastock.brokers.errors import InvalidInput
from alphastock.brokers.kite import SLICED_PREFIX, KiteBroker, child_tag, slice_quantities
from alphastock.config import AlphaStockConfig
from alphastock.models import Exchange, OrderRequest, OrderStatus, OrderType, Product, TransactionType
from alphastock.refdata.store import InstrumentStore
from alphastock.sim import SimServer
from alphastock.store import Store
from tests.sim.conftest import DAY


@pytest.fixture
def broker(kite_sim: SimServer) -> Iterator[KiteBroker]:
    kb = KiteBroker(kite_sim.api_key, kite_sim.access_token, root=kite_sim.rest_url)
    try:
        yield kb
    finally:
        kb.close()


@pytest.fixture
def instruments(broker: KiteBroker) -> Iterator[InstrumentStore]:
    store = Store.open(":memory:")
    repo = InstrumentStore(store, AlphaStockConfig().instruments.freeze_quantities)
    asyncio.run(repo.refresh(broker, today=DAY))
    try:
        yield repo
    finally:
        store.close()


def test_child_tags_and_slices() -> None:
    assert [child_tag("oms-7", i) for i in (1, 2, 12)] == ["oms-7-1", "oms-7-2", "oms-7-12"]
    long_a, long_b = "A" * 19 + "1", "A" * 19 + "2"
    tags = {child_tag(parent, i) for parent in (long_a, long_b) for i in range(1, 4)}
    assert len(tags) == 6
    assert all(len(tag) <= 20 for tag in tags)
    assert child_tag(long_a, 3) == child_tag(long_a, 3)
    assert child_tag(long_a, 3).endswith("-3")
    assert slice_quantities(3900, 1800, 65) == [1755, 1755, 390]
    assert slice_quantities(1800, 1800, 65) == [1800]
    assert slice_quantities(100, 1800) == [100]
    with pytest.raises(ValueError, match="below one lot"):
        slice_quantities(100, 10, 65)


def test_order_above_freeze_is_sliced_into_tagged_children(
    kite_sim: SimServer, instruments: InstrumentStore
) -> None:
    kb = KiteBroker(
        kite_sim.api_key,
        kite_sim.access_token,
        root=kite_sim.rest_url,
        freeze_lookup=instruments.freeze_lookup,
    )
    request = OrderRequest(
        tag="oms-big",
        exchange=Exchange.NFO,
        tradingsymbol="NIFTY2611325500CE",
        instrument_token=instruments.instrument("NFO", "NIFTY2611325500CE").instrument_token,
        transaction_type=TransactionType.BUY,
        quantity=65 * 60,
        product=Product.NRML,
        order_type=OrderType.MARKET,
        market_protection=-1,
    )

    async def run() -> tuple[str, list[tuple[str, int, OrderStatus]]]:
        parent_id = await kb.place_order(request)
        book = [(o.tag or "", o.quantity, o.status) for o in await kb.orders()]
        return parent_id, book

    parent_id, book = asyncio.run(run())
    assert parent_id == SLICED_PREFIX + "oms-big"
    parent = kb.sliced[parent_id]
    assert [(c.tag, c.quantity) for c in parent.children] == [
        ("oms-big-1", 1755), ("oms-big-2", 1755), ("oms-big-3", 390)
    ]  # fmt: skip
    assert parent.complete
    assert parent.quantity == 3900
    assert sorted(book) == [
        ("oms-big-1", 1755, OrderStatus.COMPLETE),
        ("oms-big-2", 1755, OrderStatus.COMPLETE),
        ("oms-big-3", 390, OrderStatus.COMPLETE),
    ]
    assert kb.placements == 3

    async def parent_views() -> tuple[list[int], list[str]]:
        trades = await kb.order_trades(parent_id)
        history = await kb.order_history(parent_id)
        return [t.quantity for t in trades], [o.order_id for o in history if o.status == OrderStatus.COMPLETE]

    trade_quantities, completed = asyncio.run(parent_views())
    assert sum(trade_quantities) == 3900
    assert completed == parent.order_ids
    with pytest.raises(InvalidInput, match="unknown sliced parent"):
        asyncio.run(kb.order_history(SLICED_PREFIX + "nope"))
    kb.close()


def test_cancelling_a_sliced_parent_cancels_its_open_children(
    kite_sim: SimServer, instruments: InstrumentStore
) -> None:
    kb = KiteBroker(
        kite_sim.api_key,
        kite_sim.access_token,
        root=kite_sim.rest_url,
        freeze_lookup=instruments.freeze_lookup,
    )
    symbol = "NIFTY2611325500CE"

    async def run() -> tuple[str, list[OrderStatus]]:
        ltp = (await kb.ltp([f"NFO:{symbol}"]))[f"NFO:{symbol}"].last_price
        price = round(round(ltp * 0.7 / 0.05) * 0.05, 2)  # inside the 40% band, below the market: stays open
        parent_id = await kb.place_order(
            OrderRequest(
                tag="oms-rest",
                exchange=Exchange.NFO,
                tradingsymbol=symbol,
                instrument_token=instruments.instrument("NFO", symbol).instrument_token,
                transaction_type=TransactionType.BUY,
                quantity=65 * 30,
                product=Product.NRML,
                order_type=OrderType.LIMIT,
                price=price,
            )
        )
        assert await kb.cancel_order(parent_id) == parent_id
        return parent_id, [o.status for o in await kb.orders()]

    parent_id, statuses = asyncio.run(run())
    assert [c.quantity for c in kb.sliced[parent_id].children] == [1755, 195]
    assert statuses == [OrderStatus.CANCELLED, OrderStatus.CANCELLED]
    kb.close()
