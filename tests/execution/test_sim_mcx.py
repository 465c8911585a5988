"""MCX end to end on the simulator: a CRUDEOIL future signal is sized in lots (Kite's MCX quantity unit),
risk-checked in rupees (x 100 barrels per lot), filled by the simulator through KiteBroker (the official
SDK), held with its multiplier, closed, and its realised P&L is (exit - entry) x lots x multiplier - charges,
in our Portfolio, in the risk engine and in the simulator's own positions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from alphastock.brokers.charges import ChargeSegment, charge_segment
from alphastock.brokers.kite import KiteBroker
from alphastock.execution import ExecutionConfig, ManagedOrder, OrderState
from alphastock.execution.charging import FillCharges
from alphastock.models import ChargeOrder
from alphastock.refdata.multipliers import contract_multiplier
from alphastock.refdata.store import InstrumentStore
from alphastock.risk import Limits
from alphastock.sim import SimServer
from alphastock.store import Store
from alphastock.ticks import TickStore
from tests.execution._harness import ManualClock, build, signal
from tests.execution.test_sim_round_trip import settle, sim_broker  # noqa: F401 (fixture)
from tests.sim.conftest import DAY

CRUDE = "CRUDEOIL26JANFUT"  # the nearest CRUDEOIL future on the simulator's DAY (expiry 19 Jan)


def _executed(order: ManagedOrder) -> ChargeOrder:
    assert order.average_price is not None
    return ChargeOrder.for_request(
        order.request, order.filled_quantity, order.average_price, order_id=order.broker_order_id or ""
    )


def test_an_mcx_future_trades_end_to_end_in_lots(
    sim_broker: tuple[SimServer, KiteBroker],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    server, broker = sim_broker
    store = Store.open(":memory:")
    instruments = InstrumentStore(store)
    asyncio.run(instruments.refresh(broker, today=DAY))
    crude = instruments.instrument("MCX", CRUDE)
    assert (crude.lot_size, crude.exchange) == (1, "MCX")  # as Kite's dump: the quantity counts lots
    multiplier = contract_multiplier("MCX", CRUDE, crude.name)
    sim_multiplier = server.state.by_key[f"MCX:{CRUDE}"].multiplier
    assert multiplier == sim_multiplier == 100.0  # our table agrees with the simulated exchange
    token = crude.instrument_token
    ltp = asyncio.run(broker.ltp([f"MCX:{CRUDE}"]))[f"MCX:{CRUDE}"].last_price
    clock = ManualClock()
    ticks = TickStore(1024)
    ticks.push_batch([token], [clock.now], [ltp])
    # Risk 0.1 % of 1 crore = 10,000 rupees over a 20-rupee stop x 100 barrels = 2,000 per lot: 5 lots;
    # the position cap (20 % = 2,000,000 rupees) allows floor(2,000,000 / (ltp x 100)) lots.
    config = ExecutionConfig(capital=10_000_000.0, risk_per_trade_pct=0.1, max_position_pct=20.0)
    lots = min(5, int(2_000_000.0 // (ltp * 100.0)))
    assert lots >= 2
    stack = build(
        broker,
        tmp_path,
        instruments=instruments,
        ticks=ticks,
        clock=clock,
        store=store,
        limits=Limits(max_order_notional=5_000_000.0),
        config=config,
        charges=FillCharges(),
    )
    stack.risk.set_cash(10_000_000.0)
    stack.risk.on_mark(token, ltp, clock.now)
    product = config.futures_product
    entry = float(round(ltp))

    async def run() -> None:
        stack.signals.submit(
            signal(symbol=CRUDE, exchange="MCX", token=token, asset_type="commodity",
                   entry=entry, stop_loss=entry - 20, target=entry + 40)
        )  # fmt: skip
        await settle(stack)
        held = stack.portfolio.position(token, product)
        assert held is not None
        assert (held.quantity, held.multiplier) == (lots, 100.0)
        book = await broker.positions()
        (open_pos,) = [p for p in book.net if p.tradingsymbol == CRUDE]
        assert (open_pos.quantity, open_pos.multiplier) == (lots, 100.0)
        assert open_pos.buy_value == pytest.approx(open_pos.buy_price * lots * 100.0)
        seen = stack.risk.position(token)
        assert seen is not None
        assert (seen.quantity, seen.multiplier) == (lots, 100.0)
        assert seen.unrealised_pnl == held.unrealised
        orders = stack.exits.square_off_all("end of test", products=(product,))
        assert len(orders) == 1
        await settle(stack)

    try:
        asyncio.run(run())
        entry_order, exit_order = stack.oms.orders()
        assert [o.state for o in (entry_order, exit_order)] == [OrderState.FILLED, OrderState.FILLED]
        # The order quantity is in lots, the unit Kite's MCX orders take (not 100 x lots barrels).
        assert (entry_order.request.quantity, exit_order.request.quantity) == (lots, lots)
        by_tag = {o.tag: o for o in asyncio.run(broker.orders())}
        assert [by_tag[o.key].filled_quantity for o in (entry_order, exit_order)] == [lots, lots]
        assert entry_order.average_price is not None
        assert exit_order.average_price is not None
        gross = (exit_order.average_price - entry_order.average_price) * lots * 100.0
        assert gross != 0  # bought at the ask, sold at the bid: the spread, 100 barrels a lot

        ours = stack.portfolio.position(token, product)
        assert ours is not None
        assert ours.quantity == 0
        # Charges at the commodity-futures rates on rupee turnover, equal to the simulator's contract note.
        assert charge_segment("MCX", CRUDE, product) is ChargeSegment.COMMODITY_FUTURES
        notes = asyncio.run(broker.charges([_executed(o) for o in (entry_order, exit_order)]))
        assert [stack.oms.charges.of_order(o.key) for o in (entry_order, exit_order)] == pytest.approx(
            [n.total for n in notes]
        )
        charges = sum(n.total for n in notes)
        assert ours.charges == pytest.approx(charges)
        assert charges > 0
        assert ours.realised == pytest.approx(gross - charges)
        # The risk engine's P&L is the portfolio's (one rule, parity-tested), after charges.
        assert stack.risk.realised_pnl == pytest.approx(ours.realised)
        # The simulator's position (Kite's shape, before charges) agrees, with its multiplier.
        (sim_pos,) = [p for p in asyncio.run(broker.positions()).net if p.tradingsymbol == CRUDE]
        assert (sim_pos.quantity, sim_pos.multiplier) == (0, 100.0)
        assert sim_pos.realised == pytest.approx(gross, abs=0.01)
        assert sim_pos.buy_value == pytest.approx(entry_order.average_price * lots * 100.0)
    finally:
        stack.close()
