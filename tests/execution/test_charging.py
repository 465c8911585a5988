"""Fill charges: brokerage once per executed order however many trades fill it, the contract-note
rates from config, every fill priced in the journal, the store, the FILL event and the portfolio."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from alphastock.brokers.charges import ChargeRates, compute_charges
from alphastock.events import EventType
from alphastock.execution import OMS
from alphastock.execution.charging import FillCharges
from alphastock.execution.portfolio import Portfolio
from alphastock.models import ChargeOrder, OrderRequest
from alphastock.persistence.journal import Journal, read_journal
from alphastock.persistence.writer import StoreWriter
from alphastock.store import Store
from tests.execution._harness import ManualClock, RecordingBus
from tests.execution.test_oms import FakeBroker, approved, kite_order, request, trade


def _whole(quantity: int, price: float, side: str = "BUY", rates: ChargeRates | None = None) -> float:
    order = ChargeOrder(
        exchange="NSE", tradingsymbol="SBIN", transaction_type=side, product="MIS", quantity=quantity,
        average_price=price,
    )  # fmt: skip
    return compute_charges(order, rates).total


def test_an_order_filled_in_three_trades_pays_one_brokerage() -> None:
    charges = FillCharges()
    req = request("K1", quantity=3_000)
    # 3,000 SBIN at ~₹800 is ₹24 lakh of turnover: 0.03 % would be ₹720, so brokerage is the ₹20 cap.
    fills = [(1_000, 800.0), (1_500, 800.5), (500, 801.0)]
    booked, quantity, value = [], 0, 0.0
    for qty, price in fills:
        quantity, value = quantity + qty, value + qty * price
        booked.append(charges.charge("K1", req, quantity, value))
    assert sum(booked) == pytest.approx(_whole(3_000, value / 3_000))
    assert charges.of_order("K1") == pytest.approx(sum(booked)) == pytest.approx(charges.total)
    # Pricing each trade on its own would pay the ₹20 (plus GST) three times.
    separately = sum(_whole(qty, price) for qty, price in fills)
    assert separately - sum(booked) == pytest.approx(2 * 20.0 * 1.18)
    assert all(b > 0 for b in booked)


def test_rates_come_from_config_and_sells_pay_stt() -> None:
    no_brokerage = ChargeRates().equity_intraday.model_copy(update={"brokerage_max": 0.0})
    flat = ChargeRates(equity_intraday=no_brokerage)
    buy = request("KB")
    sell = OrderRequest.model_validate({**buy.model_dump(), "tag": "KS", "transaction_type": "SELL"})
    charges = FillCharges(flat)
    bought = charges.charge("KB", buy, 10, 8_000.0)
    sold = charges.charge("KS", sell, 10, 8_000.0)
    assert bought == pytest.approx(_whole(10, 800.0, "BUY", flat))
    assert sold == pytest.approx(_whole(10, 800.0, "SELL", flat))
    assert sold > bought  # STT on the intraday sell side
    # The default rates add brokerage, 0.03 % of ₹8,000 (under the ₹20 cap), with its 18 % GST.
    assert FillCharges().charge("KB", buy, 10, 8_000.0) == pytest.approx(bought + 2.4 * 1.18)


def test_an_unpriceable_order_is_booked_at_zero_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    odd = OrderRequest.model_validate(
        {"tag": "KX", "exchange": "NFO", "tradingsymbol": "NIFTYODD", "instrument_token": 7,
         "transaction_type": "BUY", "quantity": 65, "product": "NRML", "order_type": "LIMIT", "price": 10.0}
    )  # fmt: skip
    charges = FillCharges()
    with caplog.at_level(logging.WARNING):
        assert charges.charge("KX", odd, 65, 650.0) == 0.0
    assert charges.failures == 1
    assert "charges of order KX not computed" in caplog.text
    assert charges.charge("KX", odd, 0, 0.0) == 0.0  # nothing filled: nothing to price, no failure
    assert charges.failures == 1


def test_the_oms_books_each_fill_with_its_charges_everywhere(tmp_path: Path) -> None:
    broker = FakeBroker()
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    bus = RecordingBus()
    clock = ManualClock()
    oms = OMS(broker, Journal(tmp_path / "j.jsonl"), writer, bus, clock, charges=FillCharges())  # type: ignore[arg-type]
    portfolio = Portfolio(bus, writer=writer, clock=clock)
    oms.add_fill_listener(portfolio.on_fill)

    async def run() -> None:
        await oms.submit(request("ASk1"), approved(), signal_id="S1")
        broker.trades["B1"] = [trade("T1", "B1", 4, 800.0), trade("T2", "B1", 6, 801.0)]
        oms.apply(kite_order("B1", "ASk1", "COMPLETE", 10, 800.6))
        await oms.idle()
        assert await writer.aflush(10)

    asyncio.run(run())
    whole = _whole(10, 800.6)
    fills = bus.of(EventType.FILL)
    assert [f.trade_id for f in fills] == ["T1", "T2"]
    assert sum(f.charges for f in fills) == pytest.approx(whole)
    assert fills[0].charges == pytest.approx(_whole(4, 800.0))  # the order as the first trade left it
    stored = store.fills().to_pylist()
    assert [r["charges"] for r in stored] == pytest.approx([f.charges for f in fills])
    journaled = [r["data"]["charges"] for r in read_journal(tmp_path / "j.jsonl") if r["kind"] == "fill"]
    assert journaled == pytest.approx([f.charges for f in fills])
    (position,) = portfolio.positions()
    assert position.charges == pytest.approx(whole)
    assert position.realised == pytest.approx(-whole)  # nothing closed yet: only the charges
    writer.close()
    store.close()
