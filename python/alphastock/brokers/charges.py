"""Zerodha-style charges on executed orders, in Kite's virtual-contract-note shape.

Every rate lives in :class:`ChargeRates` (config section ``charges``); the defaults
are the 2026 rates of DESIGN.md §4. Per executed order, with turnover
``T = quantity * price * multiplier`` rupees (rates are percent of ``T`` unless noted):

- brokerage: ``min(brokerage_max, brokerage_pct % of T)``, or ``brokerage_max`` flat
  when ``brokerage_pct`` is ``None`` (₹20 per executed F&O order; 0 for delivery);
- transaction tax (STT, or CTT on commodities): ``tax_buy_pct`` / ``tax_sell_pct``;
- exchange transaction charge ``exchange_pct`` (``exchange_pct_bse`` on BSE/BFO when
  set) plus the investor-protection (IPFT) charge ``ipft_pct``, reported together
  as ``exchange_turnover_charge`` as Kite does;
- SEBI turnover fee: ``sebi_rupees_per_crore`` per ₹1 crore (₹10 = 0.0001 %);
- stamp duty on buys only: ``stamp_buy_pct``;
- GST ``gst_pct`` (18 %) on brokerage + exchange transaction charge + SEBI fee
  (not on IPFT, not on taxes), booked as IGST as in Kite's contract notes.

Nothing is rounded: Kite's virtual contract note reports unrounded rupees too.
The exchange simulator serves ``/charges/orders`` from this module, so the
PaperBroker and the simulator charge the same trades identically by construction.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from alphastock.config_model import ConfigModel
from alphastock.models import (
    ChargeBreakdown,
    ChargeOrder,
    Exchange,
    Gst,
    Product,
    TransactionType,
)

RUPEES_PER_CRORE = 10_000_000.0


class ChargeSegment(StrEnum):
    """Which rate table an executed order falls under."""

    EQUITY_DELIVERY = "equity_delivery"
    EQUITY_INTRADAY = "equity_intraday"
    FUTURES = "futures"
    OPTIONS = "options"
    COMMODITY_FUTURES = "commodity_futures"
    COMMODITY_OPTIONS = "commodity_options"
    CURRENCY_FUTURES = "currency_futures"
    CURRENCY_OPTIONS = "currency_options"


class SegmentRates(ConfigModel):
    """Rates of one segment. Percentages are percent of turnover (0.1 means 0.1 %), money is rupees."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    brokerage_max: float = Field(20.0, ge=0.0, description="rupees per executed order (the cap, or flat)")
    brokerage_pct: float | None = Field(
        None, ge=0.0, description="percent of turnover, capped at brokerage_max; null = flat brokerage_max"
    )
    tax_type: Literal["stt", "ctt", ""] = Field("stt", description="STT, CTT, or '' when none applies")
    tax_buy_pct: float = Field(0.0, ge=0.0, description="STT/CTT on buys, percent of turnover")
    tax_sell_pct: float = Field(0.0, ge=0.0, description="STT/CTT on sells, percent of turnover")
    exchange_pct: float = Field(0.0, ge=0.0, description="exchange transaction charge, percent of turnover")
    exchange_pct_bse: float | None = Field(
        None, ge=0.0, description="the same on BSE/BFO; null = exchange_pct"
    )
    ipft_pct: float = Field(0.0, ge=0.0, description="IPFT charge, percent of turnover (not taxed by GST)")
    stamp_buy_pct: float = Field(0.0, ge=0.0, description="stamp duty on buys, percent of turnover")


class ChargeRates(ConfigModel):
    """Every charge rate, by segment (2026 Zerodha/NSE/MCX rates by default; see the module doc)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gst_pct: float = Field(18.0, ge=0.0, description="GST on brokerage + exchange + SEBI charges, percent")
    sebi_rupees_per_crore: float = Field(
        10.0, ge=0.0, description="SEBI turnover fee, rupees per 1e7 turnover"
    )
    equity_delivery: SegmentRates = SegmentRates(
        brokerage_max=0.0,
        tax_buy_pct=0.1,
        tax_sell_pct=0.1,
        exchange_pct=0.00297,
        exchange_pct_bse=0.00375,
        stamp_buy_pct=0.015,
    )
    equity_intraday: SegmentRates = SegmentRates(
        brokerage_max=20.0,
        brokerage_pct=0.03,
        tax_sell_pct=0.025,
        exchange_pct=0.00297,
        exchange_pct_bse=0.00375,
        stamp_buy_pct=0.003,
    )
    futures: SegmentRates = SegmentRates(
        tax_sell_pct=0.05, exchange_pct=0.00173, exchange_pct_bse=0.0, stamp_buy_pct=0.002
    )
    options: SegmentRates = SegmentRates(
        tax_sell_pct=0.15, exchange_pct=0.0355, exchange_pct_bse=0.0325, stamp_buy_pct=0.003
    )
    commodity_futures: SegmentRates = SegmentRates(
        brokerage_pct=0.03, tax_type="ctt", tax_sell_pct=0.01, exchange_pct=0.0021, stamp_buy_pct=0.002
    )
    commodity_options: SegmentRates = SegmentRates(
        tax_type="ctt", tax_sell_pct=0.05, exchange_pct=0.0418, stamp_buy_pct=0.003
    )
    currency_futures: SegmentRates = SegmentRates(
        brokerage_pct=0.03, tax_type="", exchange_pct=0.00035, stamp_buy_pct=0.0001
    )
    currency_options: SegmentRates = SegmentRates(tax_type="", exchange_pct=0.0311, stamp_buy_pct=0.0001)

    def for_segment(self, segment: ChargeSegment) -> SegmentRates:
        """The rate table of ``segment``."""
        rates: SegmentRates = getattr(self, segment.value)
        return rates


_DERIVATIVE_EXCHANGES = {
    Exchange.NFO: (ChargeSegment.FUTURES, ChargeSegment.OPTIONS),
    Exchange.BFO: (ChargeSegment.FUTURES, ChargeSegment.OPTIONS),
    Exchange.MCX: (ChargeSegment.COMMODITY_FUTURES, ChargeSegment.COMMODITY_OPTIONS),
    Exchange.NCO: (ChargeSegment.COMMODITY_FUTURES, ChargeSegment.COMMODITY_OPTIONS),
    Exchange.CDS: (ChargeSegment.CURRENCY_FUTURES, ChargeSegment.CURRENCY_OPTIONS),
    Exchange.BCD: (ChargeSegment.CURRENCY_FUTURES, ChargeSegment.CURRENCY_OPTIONS),
}


def charge_segment(
    exchange: Exchange | str, tradingsymbol: str, product: Product | str, instrument_type: str | None = None
) -> ChargeSegment:
    """The rate table for an order: cash by product (CNC/MTF delivery, else intraday), derivatives by
    instrument type (``FUT``/``CE``/``PE``; inferred from the symbol's suffix when ``None``)."""
    exchange = Exchange(exchange)
    if exchange in (Exchange.NSE, Exchange.BSE):
        delivery = Product(product) in (Product.CNC, Product.MTF)
        return ChargeSegment.EQUITY_DELIVERY if delivery else ChargeSegment.EQUITY_INTRADAY
    kind = instrument_type or ("FUT" if tradingsymbol.endswith("FUT") else tradingsymbol[-2:])
    futures, options = _DERIVATIVE_EXCHANGES[exchange]
    if kind == "FUT":
        return futures
    if kind in ("CE", "PE"):
        return options
    raise ValueError(f"cannot tell futures from options for {exchange}:{tradingsymbol}; pass instrument_type")


def compute_charges(order: ChargeOrder, rates: ChargeRates | None = None) -> ChargeBreakdown:
    """Charges of one executed order, rupees, in Kite's contract-note shape (see the module doc)."""
    rates = rates or ChargeRates()
    segment = charge_segment(order.exchange, order.tradingsymbol, order.product, order.instrument_type)
    table = rates.for_segment(segment)
    turnover = order.quantity * order.average_price * order.multiplier
    is_buy = order.transaction_type == TransactionType.BUY
    percent = turnover / 100.0

    brokerage = table.brokerage_max
    if table.brokerage_pct is not None:
        brokerage = min(table.brokerage_max, table.brokerage_pct * percent)
    tax = (table.tax_buy_pct if is_buy else table.tax_sell_pct) * percent
    exchange_pct = table.exchange_pct
    if order.exchange in (Exchange.BSE, Exchange.BFO) and table.exchange_pct_bse is not None:
        exchange_pct = table.exchange_pct_bse
    transaction_charge = exchange_pct * percent
    ipft = table.ipft_pct * percent
    sebi = turnover * rates.sebi_rupees_per_crore / RUPEES_PER_CRORE
    stamp = table.stamp_buy_pct * percent if is_buy else 0.0
    gst = rates.gst_pct / 100.0 * (brokerage + transaction_charge + sebi)
    exchange_charge = transaction_charge + ipft
    return ChargeBreakdown(
        transaction_tax=tax,
        transaction_tax_type=table.tax_type,
        exchange_turnover_charge=exchange_charge,
        sebi_turnover_charge=sebi,
        brokerage=brokerage,
        stamp_duty=stamp,
        gst=Gst(igst=gst, total=gst),
        total=tax + exchange_charge + sebi + brokerage + stamp + gst,
    )


def compute_many(orders: list[ChargeOrder], rates: ChargeRates | None = None) -> list[ChargeBreakdown]:
    """:func:`compute_charges` for each order, in order (the ``/charges/orders`` answer)."""
    rates = rates or ChargeRates()
    return [compute_charges(order, rates) for order in orders]


__all__ = [
    "RUPEES_PER_CRORE",
    "ChargeRates",
    "ChargeSegment",
    "SegmentRates",
    "charge_segment",
    "compute_charges",
    "compute_many",
]
