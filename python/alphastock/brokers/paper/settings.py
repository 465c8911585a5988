"""PaperBroker settings and its simple, documented cash-and-margin model.

Margin blocked by an exposure-increasing quantity ``q`` at reference price ``p``
(rupees; ``m`` the contract multiplier):

- equity delivery (CNC/MTF) buys: the full notional ``q * p`` (selling needs a long CNC position);
- equity intraday (MIS): ``mis_equity_pct`` % of notional (20 %: 5x leverage);
- futures (equity, commodity, currency): ``futures_pct`` % of ``q * p * m`` (~12 %);
- option buys: the premium ``q * p * m``;
- option sells: ``futures_pct`` % of the strike notional ``q * strike * m`` when the strike
  is known (instrument list), else ``option_sell_premium_multiple`` x the premium.

Available funds = ``starting_cash`` + realised P&L + unrealised losses (gains are not
lent against) - charges - margin of open positions - margin of open orders.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from alphastock.brokers.charges import ChargeRates, ChargeSegment
from alphastock.config_model import ConfigModel

_FUTURES = (ChargeSegment.FUTURES, ChargeSegment.COMMODITY_FUTURES, ChargeSegment.CURRENCY_FUTURES)
_OPTIONS = (ChargeSegment.OPTIONS, ChargeSegment.COMMODITY_OPTIONS, ChargeSegment.CURRENCY_OPTIONS)


class PaperSettings(ConfigModel):
    """How the PaperBroker fills, charges and margins orders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    starting_cash: float = Field(1_000_000.0, ge=0.0, description="rupees")
    slippage_bps: float = Field(0.0, ge=0.0, description="market fills this many basis points worse")
    slippage_ticks: int = Field(0, ge=0, description="market fills this many ticks worse (added to bps)")
    latency_ns: int = Field(0, ge=0, description="from placement until the order can fill, ns of the clock")
    partial_fills: bool = Field(True, description="cap each fill at the top-of-book quantity when known")
    default_tick_size: float = Field(0.05, gt=0.0, description="rupees, for instruments not in the list")
    mis_equity_pct: float = Field(20.0, gt=0.0, le=100.0, description="MIS equity margin, % of notional")
    futures_pct: float = Field(12.0, gt=0.0, le=100.0, description="futures margin, % of notional")
    option_sell_premium_multiple: float = Field(
        10.0, gt=0.0, description="option-sell margin in premiums when the strike is unknown"
    )
    square_off_equity: dt.time = Field(dt.time(15, 20), description="IST; MIS NSE/BSE square-off")
    square_off_derivatives: dt.time = Field(dt.time(15, 25), description="IST; MIS NFO/BFO/CDS/BCD")
    square_off_commodity: dt.time = Field(dt.time(23, 25), description="IST; MIS MCX/NCO square-off")
    charges: ChargeRates | None = Field(
        None,
        description="charge rates; None = built-in rates (the config fills in its charges section)",
    )

    @property
    def charge_rates(self) -> ChargeRates:
        """The charge rates fills are booked with: ``charges``, else the built-in 2026 rates."""
        return self.charges if self.charges is not None else ChargeRates()


def margin_required(
    settings: PaperSettings,
    segment: ChargeSegment,
    is_buy: bool,
    quantity: int,
    price: float,
    multiplier: float = 1.0,
    strike: float | None = None,
) -> float:
    """Rupees blocked by an exposure-increasing ``quantity`` at ``price`` (see the module doc)."""
    notional = quantity * price * multiplier
    if segment == ChargeSegment.EQUITY_DELIVERY:
        return notional if is_buy else 0.0
    if segment == ChargeSegment.EQUITY_INTRADAY:
        return notional * settings.mis_equity_pct / 100.0
    if segment in _FUTURES:
        return notional * settings.futures_pct / 100.0
    if segment in _OPTIONS and is_buy:
        return notional
    if strike is not None and strike > 0:
        return quantity * strike * multiplier * settings.futures_pct / 100.0
    return notional * settings.option_sell_premium_multiple


__all__ = ["PaperSettings", "margin_required"]
