"""Charges: hand-computed values per segment at the 2026 defaults, and Kite's virtual contract note
reproduced field by field with the rates implied by its numbers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alphastock.brokers.charges import (
    ChargeRates,
    ChargeSegment,
    SegmentRates,
    charge_segment,
    compute_charges,
    compute_many,
)
from alphastock.models import ChargeBreakdown, ChargeOrder, ContractNote
from tests._data import KITE_MOCKS

FIELDS = (
    "transaction_tax",
    "exchange_turnover_charge",
    "sebi_turnover_charge",
    "brokerage",
    "stamp_duty",
    "total",
)


def _order(
    exchange: str, symbol: str, side: str, product: str, qty: int, price: float, **extra: Any
) -> ChargeOrder:
    return ChargeOrder(
        exchange=exchange,
        tradingsymbol=symbol,
        transaction_type=side,
        product=product,
        quantity=qty,
        average_price=price,
        **extra,
    )


def _assert_charges(got: ChargeBreakdown, expected: dict[str, float], tax_type: str) -> None:
    for name in FIELDS:
        assert getattr(got, name) == pytest.approx(expected[name], abs=1e-9), name
    assert got.gst.igst == pytest.approx(expected["gst"], abs=1e-9)
    assert got.gst.total == pytest.approx(expected["gst"], abs=1e-9)
    assert (got.gst.cgst, got.gst.sgst) == (0.0, 0.0)
    assert got.transaction_tax_type == tax_type


# Hand-computed at the 2026 defaults; T is turnover in rupees.
CASES = [
    pytest.param(
        # T = 50,000: STT 0.1 % = 50; NSE 0.00297 % = 1.485; SEBI 0.05; stamp 0.015 % = 7.5;
        # GST 18 % of (0 + 1.485 + 0.05) = 0.2763.
        _order("NSE", "SBIN", "BUY", "CNC", 100, 500.0),
        {
            "transaction_tax": 50.0,
            "exchange_turnover_charge": 1.485,
            "sebi_turnover_charge": 0.05,
            "brokerage": 0.0,
            "stamp_duty": 7.5,
            "gst": 0.2763,
            "total": 59.3113,
        },
        "stt",
        id="equity-delivery-buy",
    ),
    pytest.param(
        # BSE: 0.00375 % = 1.875; GST 18 % of (1.875 + 0.05) = 0.3465; no stamp on sells.
        _order("BSE", "SBIN", "SELL", "CNC", 100, 500.0),
        {
            "transaction_tax": 50.0,
            "exchange_turnover_charge": 1.875,
            "sebi_turnover_charge": 0.05,
            "brokerage": 0.0,
            "stamp_duty": 0.0,
            "gst": 0.3465,
            "total": 52.2715,
        },
        "stt",
        id="equity-delivery-sell-bse",
    ),
    pytest.param(
        # Brokerage min(20, 0.03 % of 50,000 = 15) = 15; STT 0.025 % on the sell = 12.5;
        # GST 18 % of (15 + 1.485 + 0.05) = 2.9763.
        _order("NSE", "SBIN", "SELL", "MIS", 100, 500.0),
        {
            "transaction_tax": 12.5,
            "exchange_turnover_charge": 1.485,
            "sebi_turnover_charge": 0.05,
            "brokerage": 15.0,
            "stamp_duty": 0.0,
            "gst": 2.9763,
            "total": 32.0113,
        },
        "stt",
        id="equity-intraday-sell",
    ),
    pytest.param(
        # T = 500,000: brokerage capped at 20; no STT on the buy; NSE 14.85; SEBI 0.5; stamp 0.003 % = 15;
        # GST 18 % of (20 + 14.85 + 0.5) = 6.363.
        _order("NSE", "SBIN", "BUY", "MIS", 1000, 500.0),
        {
            "transaction_tax": 0.0,
            "exchange_turnover_charge": 14.85,
            "sebi_turnover_charge": 0.5,
            "brokerage": 20.0,
            "stamp_duty": 15.0,
            "gst": 6.363,
            "total": 56.713,
        },
        "stt",
        id="equity-intraday-buy-capped",
    ),
    pytest.param(
        # T = 1,625,000: STT 0.05 % = 812.5; NSE 0.00173 % = 28.1125; SEBI 1.625;
        # GST 18 % of (20 + 28.1125 + 1.625) = 8.95275.
        _order("NFO", "NIFTY26JANFUT", "SELL", "NRML", 65, 25000.0),
        {
            "transaction_tax": 812.5,
            "exchange_turnover_charge": 28.1125,
            "sebi_turnover_charge": 1.625,
            "brokerage": 20.0,
            "stamp_duty": 0.0,
            "gst": 8.95275,
            "total": 871.19025,
        },
        "stt",
        id="futures-sell",
    ),
    pytest.param(
        # Stamp 0.002 % of 1,625,000 = 32.5 on the buy; no STT.
        _order("NFO", "NIFTY26JANFUT", "BUY", "MIS", 65, 25000.0),
        {
            "transaction_tax": 0.0,
            "exchange_turnover_charge": 28.1125,
            "sebi_turnover_charge": 1.625,
            "brokerage": 20.0,
            "stamp_duty": 32.5,
            "gst": 8.95275,
            "total": 91.19025,
        },
        "stt",
        id="futures-buy",
    ),
    pytest.param(
        # Premium T = 6,500: NSE 0.0355 % = 2.3075; SEBI 0.0065; stamp 0.003 % = 0.195;
        # GST 18 % of (20 + 2.3075 + 0.0065) = 4.01652.
        _order("NFO", "NIFTY26JAN25000CE", "BUY", "NRML", 65, 100.0),
        {
            "transaction_tax": 0.0,
            "exchange_turnover_charge": 2.3075,
            "sebi_turnover_charge": 0.0065,
            "brokerage": 20.0,
            "stamp_duty": 0.195,
            "gst": 4.01652,
            "total": 26.52552,
        },
        "stt",
        id="options-buy",
    ),
    pytest.param(
        # STT 0.15 % of 6,500 premium = 9.75 on the sell.
        _order("NFO", "NIFTY26JAN25000PE", "SELL", "NRML", 65, 100.0),
        {
            "transaction_tax": 9.75,
            "exchange_turnover_charge": 2.3075,
            "sebi_turnover_charge": 0.0065,
            "brokerage": 20.0,
            "stamp_duty": 0.0,
            "gst": 4.01652,
            "total": 36.08052,
        },
        "stt",
        id="options-sell",
    ),
    pytest.param(
        # MCX, 1 lot x 100 barrels: T = 600,000; brokerage min(20, 180) = 20; CTT 0.01 % = 60;
        # MCX 0.0021 % = 12.6; SEBI 0.6; GST 18 % of (20 + 12.6 + 0.6) = 5.976.
        _order("MCX", "CRUDEOIL26JANFUT", "SELL", "NRML", 1, 6000.0, multiplier=100.0),
        {
            "transaction_tax": 60.0,
            "exchange_turnover_charge": 12.6,
            "sebi_turnover_charge": 0.6,
            "brokerage": 20.0,
            "stamp_duty": 0.0,
            "gst": 5.976,
            "total": 99.176,
        },
        "ctt",
        id="commodity-futures-sell",
    ),
    pytest.param(
        # MCX option buy, premium T = 10,000: no CTT; 0.0418 % = 4.18; SEBI 0.01; stamp 0.003 % = 0.3;
        # GST 18 % of (20 + 4.18 + 0.01) = 4.3542.
        _order("MCX", "CRUDEOIL26JAN6000CE", "BUY", "NRML", 1, 100.0, multiplier=100.0),
        {
            "transaction_tax": 0.0,
            "exchange_turnover_charge": 4.18,
            "sebi_turnover_charge": 0.01,
            "brokerage": 20.0,
            "stamp_duty": 0.3,
            "gst": 4.3542,
            "total": 28.8442,
        },
        "ctt",
        id="commodity-options-buy",
    ),
    pytest.param(
        # CDS, T = 1000 x 83.5 = 83,500: brokerage min(20, 25.05) = 20; no STT; 0.00035 % = 0.29225;
        # SEBI 0.0835; stamp 0.0001 % = 0.0835; GST 18 % of (20 + 0.29225 + 0.0835) = 3.667635.
        _order("CDS", "USDINR26JANFUT", "BUY", "NRML", 1000, 83.5),
        {
            "transaction_tax": 0.0,
            "exchange_turnover_charge": 0.29225,
            "sebi_turnover_charge": 0.0835,
            "brokerage": 20.0,
            "stamp_duty": 0.0835,
            "gst": 3.667635,
            "total": 24.126885,
        },
        "",
        id="currency-futures-buy",
    ),
]


@pytest.mark.parametrize(("order", "expected", "tax_type"), CASES)
def test_charges_by_segment(order: ChargeOrder, expected: dict[str, float], tax_type: str) -> None:
    _assert_charges(compute_charges(order), expected, tax_type)


# Rates implied by virtual_contract_note.json (2023):
# - SBIN CNC buy @560: STT 0.56 = 0.1 %; GST 0.0033768 = 18 % of 0.01876, which is the GST base
#   brokerage 0 + transaction charge + SEBI 0.00056, so the transaction charge is 0.0182 = 0.00325 %
#   and the rest of exchange_turnover_charge (0.01876 - 0.0182 = 0.00056) is IPFT 0.0001 %; stamp 0.
# - GOLDPETAL sell @5862: brokerage 1.7586 = 0.03 %; CTT 0.5862 = 0.01 %; 0.152412 = 0.0026 %;
#   GST / 0.18 = 1.916874 = 1.7586 + 0.152412 + 0.005862, so no IPFT.
# - NIFTY PE buy 100 @1.5 (premium 150): 0.07575 = 0.0505 %; GST / 0.18 = 20.07515 = 20 + 0.075 + 0.00015,
#   so transaction 0.05 % and IPFT 0.0005 %; stamp 0. The option-sell STT (0.0625 % then) is not exercised.
VCN_RATES = ChargeRates(
    equity_delivery=SegmentRates(
        brokerage_max=0.0, tax_buy_pct=0.1, tax_sell_pct=0.1, exchange_pct=0.00325, ipft_pct=0.0001
    ),
    commodity_futures=SegmentRates(
        brokerage_pct=0.03, tax_type="ctt", tax_sell_pct=0.01, exchange_pct=0.0026
    ),
    options=SegmentRates(tax_sell_pct=0.0625, exchange_pct=0.05, ipft_pct=0.0005),
)


def test_virtual_contract_note_reproduced() -> None:
    raw = json.loads((KITE_MOCKS / "virtual_contract_note.json").read_text(encoding="utf-8"))["data"]
    notes = [ContractNote.from_kite(item) for item in raw]
    orders = [ChargeOrder.from_kite(item) for item in raw]
    got = compute_many(orders, VCN_RATES)
    assert len(got) == len(notes) == 3
    for mine, note in zip(got, notes, strict=True):
        expected = note.charges
        for name in (*FIELDS, "transaction_tax_type"):
            value = getattr(mine, name)
            if isinstance(value, float):
                assert value == pytest.approx(getattr(expected, name), abs=1e-9), (note.tradingsymbol, name)
            else:
                assert value == getattr(expected, name)
        for name in ("igst", "cgst", "sgst", "total"):
            assert getattr(mine.gst, name) == pytest.approx(getattr(expected.gst, name), abs=1e-9), name


def test_segments() -> None:
    assert charge_segment("NSE", "SBIN", "CNC") == ChargeSegment.EQUITY_DELIVERY
    assert charge_segment("BSE", "SBIN", "MTF") == ChargeSegment.EQUITY_DELIVERY
    assert charge_segment("NSE", "SBIN", "MIS") == ChargeSegment.EQUITY_INTRADAY
    assert charge_segment("BFO", "SENSEX26JAN80000PE", "NRML") == ChargeSegment.OPTIONS
    assert charge_segment("NFO", "ODDSYMBOL", "NRML", "FUT") == ChargeSegment.FUTURES
    assert charge_segment("MCX", "GOLDM26FEBFUT", "NRML") == ChargeSegment.COMMODITY_FUTURES
    assert charge_segment("BCD", "USDINR26JAN84CE", "NRML") == ChargeSegment.CURRENCY_OPTIONS
    with pytest.raises(ValueError, match="pass instrument_type"):
        charge_segment("NFO", "NIFTYWHAT", "NRML")


def test_rates_are_configurable() -> None:
    flat = ChargeRates(options=SegmentRates(brokerage_max=0.0), gst_pct=0.0, sebi_rupees_per_crore=0.0)
    charges = compute_charges(_order("NFO", "NIFTY26JAN25000CE", "SELL", "NRML", 65, 100.0), flat)
    assert (charges.brokerage, charges.transaction_tax, charges.gst.total, charges.total) == (
        0.0,
        0.0,
        0.0,
        0.0,
    )
    assert ChargeRates().for_segment(ChargeSegment.OPTIONS).tax_sell_pct == 0.15
