"""Contract multipliers by value: the shipped table and its refusal, sizing in lots, fill charges on rupee
turnover, the Portfolio (and the risk engine behind it) and the PaperBroker's positions, on MCX CRUDEOIL
(Kite's quantity counts lots of 100 barrels; prices are per barrel)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from alphastock.brokers.charges import compute_charges
from alphastock.brokers.paper import MarketSnapshot, PaperBroker, PaperSettings, StaticMarket
from alphastock.events import Event, FillInfo
from alphastock.execution.charging import FillCharges
from alphastock.execution.portfolio import Portfolio
from alphastock.execution.sizing import size_by_risk
from alphastock.models import IST, ChargeOrder, OrderRequest, OrderStatus, datetime_to_ns
from alphastock.refdata.multipliers import (
    AS_OF,
    MCX_CONTRACTS,
    UnknownMultiplierError,
    contract_multiplier,
    contract_name,
)
from alphastock.risk import Limits, RiskEngine

CRUDE = 4_000_007
COPPER = 4_000_263
T0 = datetime_to_ns(dt.datetime(2026, 1, 12, 10, 0, tzinfo=IST))


def test_the_table_gives_rupees_per_price_unit_and_refuses_what_it_lacks() -> None:
    assert contract_multiplier("MCX", "CRUDEOIL26JANFUT") == 100.0  # 100 barrels, Rs per barrel
    assert contract_multiplier("MCX", "GOLDM26FEBFUT") == 10.0  # 100 g, Rs per 10 g
    assert contract_multiplier("MCX", "NATURALGAS26JANFUT") == 1250.0
    assert contract_multiplier("MCX", "SILVERM26FEBFUT") == 5.0
    assert contract_multiplier("MCX", "LEADMINI17DECFUT") == 1000.0  # Kite's positions mock says 1000
    assert contract_multiplier("MCX", "CRUDEOIL26JAN6000CE") == 100.0  # options: the future's lot
    assert contract_multiplier("MCX", "ANYTHING", name="CRUDEOILM") == 10.0  # the dump's name wins
    for exchange, symbol in (("NSE", "SBIN"), ("NFO", "NIFTY26JANFUT"), ("BFO", "SENSEX26JANFUT")):
        assert contract_multiplier(exchange, symbol) == 1.0  # Kite's quantity counts units there
    assert contract_name("SILVER100026JANFUT") == "SILVER1000"  # a name ending in digits splits right
    with pytest.raises(UnknownMultiplierError, match=r"no contract multiplier for MCX:COPPER26JANFUT"):
        contract_multiplier("MCX", "COPPER26JANFUT")
    with pytest.raises(UnknownMultiplierError, match=r"CDS:USDINR26JANFUT"):
        contract_multiplier("CDS", "USDINR26JANFUT")  # lots too, and no table for CDS yet
    assert all(spec.source and spec.multiplier > 0 for spec in MCX_CONTRACTS.values())
    assert AS_OF.year == 2026


def test_sizing_counts_lots_worth_the_multiplier() -> None:
    # 1 % of 10 lakh = 10,000 rupees over a 20-rupee stop: 500 units on NSE, 5 lots of CRUDEOIL.
    assert size_by_risk(1_000_000.0, 1.0, 5600.0, 5580.0, 1) == 500
    assert size_by_risk(1_000_000.0, 1.0, 5600.0, 5580.0, 1, multiplier=100.0) == 5
    # The position cap is rupees too: 1,200,000 / (5600 x 100) = 2 lots.
    assert size_by_risk(1_000_000.0, 1.0, 5600.0, 5580.0, 1, max_position_value=1.2e6, multiplier=100.0) == 2
    assert size_by_risk(1_000_000.0, 1.0, 5600.0, 5580.0, 1, multiplier=0.0) == 0


def _request(side: str, qty: int, symbol: str = "CRUDEOIL26JANFUT", token: int = CRUDE) -> OrderRequest:
    return OrderRequest(
        tag=f"t{side}{qty}", exchange="MCX", tradingsymbol=symbol, instrument_token=token,
        transaction_type=side, quantity=qty, product="NRML", order_type="MARKET", market_protection=-1,
    )  # fmt: skip


def test_fill_charges_are_on_rupee_turnover_at_commodity_rates() -> None:
    charges = FillCharges()
    booked = charges.charge("K1", _request("SELL", 2), 2, 2 * 5600.0)
    # As tests/brokers/test_charges.py prices it: 2 lots x 5600 x 100 = 1,120,000 rupees of turnover.
    note = compute_charges(ChargeOrder.for_request(_request("SELL", 2), 2, 5600.0, multiplier=100.0))
    assert booked == pytest.approx(note.total)
    assert note.total > compute_charges(ChargeOrder.for_request(_request("SELL", 2), 2, 5600.0)).total
    # A contract without a multiplier is not priced as if it were 1: 0, counted and logged.
    assert charges.charge("K2", _request("BUY", 1, "COPPER26JANFUT", COPPER), 1, 900.0) == 0.0
    assert charges.failures == 1


class _Bus:
    def __init__(self) -> None:
        self.events: list[Event[Any]] = []

    def publish_nowait(self, event: Event[Any]) -> bool:
        self.events.append(event)
        return True


def _fill(
    n: int, side: str, qty: int, price: float, charges: float = 0.0, symbol: str = "CRUDEOIL26JANFUT"
) -> FillInfo:
    token = CRUDE if symbol.startswith("CRUDE") else COPPER
    return FillInfo(f"t{n}", f"o{n}", None, token, symbol, "MCX", side, qty, price, T0 + n, "NRML", charges)


def test_portfolio_and_risk_engine_value_lots_in_rupees() -> None:
    risk = RiskEngine(Limits())
    portfolio = Portfolio(_Bus(), risk=risk)
    portfolio.on_fill(_fill(1, "BUY", 2, 5600.0, charges=40.0))
    portfolio.mark(CRUDE, 5610.0, T0 + 2)
    held = portfolio.position(CRUDE, "NRML")
    assert held is not None
    assert (held.quantity, held.multiplier, held.unrealised) == (2, 100.0, 2 * 10.0 * 100.0)
    # The event and the stored row say what a quantity of 2 is worth: 2 lots of 100.
    assert (held.snapshot().multiplier, held.record(T0 + 2).multiplier) == (100.0, 100.0)
    assert risk.unrealised_pnl == held.unrealised
    portfolio.on_fill(_fill(3, "SELL", 2, 5625.0, charges=45.0))
    assert held.realised == 2 * 25.0 * 100.0 - 85.0
    assert risk.realised_pnl == held.realised
    assert portfolio.health().state == "ok"


def test_a_fill_on_an_unknown_contract_is_booked_and_reported_not_priced_silently() -> None:
    portfolio = Portfolio(_Bus())
    portfolio.on_fill(_fill(1, "BUY", 1, 900.0, symbol="COPPER26JANFUT"))
    held = portfolio.position(COPPER, "NRML")
    assert held is not None
    assert held.quantity == 1
    health = portfolio.health()
    assert health.state == "degraded"
    assert "MCX:COPPER26JANFUT" in health.detail


def _paper() -> PaperBroker:
    market = StaticMarket()
    market.set(CRUDE, MarketSnapshot(last_price=5600.0, bid=5599.0, ask=5601.0, bid_qty=50, ask_qty=50))
    market.set(COPPER, MarketSnapshot(last_price=900.0, bid=899.0, ask=901.0, bid_qty=50, ask_qty=50))
    return PaperBroker(market, PaperSettings(), clock=lambda: T0)


def test_paper_broker_holds_and_reports_positions_with_the_multiplier() -> None:
    broker = _paper()

    async def go() -> Any:
        await broker.place_order(_request("BUY", 2))
        await broker.place_order(_request("SELL", 2))
        refused = await broker.place_order(_request("BUY", 1, "COPPER26JANFUT", COPPER))
        return await broker.positions(), await broker.order_history(refused)

    book, refused = asyncio.run(go())
    (pos,) = [p for p in book.net if p.tradingsymbol == "CRUDEOIL26JANFUT"]
    assert (pos.quantity, pos.multiplier) == (0, 100.0)
    assert (pos.buy_price, pos.sell_price) == (5601.0, 5599.0)
    assert (pos.buy_value, pos.sell_value) == (5601.0 * 2 * 100.0, 5599.0 * 2 * 100.0)
    assert pos.realised == pytest.approx(-2.0 * 2 * 100.0)
    assert refused[-1].status is OrderStatus.REJECTED
    assert "no contract multiplier for MCX:COPPER26JANFUT" in (refused[-1].status_message or "")
