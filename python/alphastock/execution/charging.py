"""Charges booked on each fill: the change of the whole order's charges, at Kite's contract-note rates.

Brokerage is per executed order, as on Kite (₹20, or 0.03 % of turnover when lower, for
intraday): pricing each trade on its own would charge an order filled in three trades three
brokerages. So a fill's charges are ``charges(the order as filled up to and including this fill)
- charges(the order as filled before it)``, both by
:func:`~alphastock.brokers.charges.compute_charges` with the configured rates (config section
``charges``) — the rates the PaperBroker and the simulator's ``/charges/orders`` use, so the
engine's P&L after charges agrees with the broker's contract note.

Rupees throughout; turnover is price x quantity x multiplier, the contract multiplier of
:func:`~alphastock.refdata.multipliers.contract_multiplier` (1, or e.g. 100 on MCX CRUDEOIL, whose
Kite quantity counts lots), so an MCX order is charged at the commodity segment's rates on its rupee
turnover, as on Kite's contract note.
"""

from __future__ import annotations

import logging

from alphastock.brokers.charges import ChargeRates, compute_charges
from alphastock.models import ChargeOrder, OrderRequest
from alphastock.refdata.multipliers import MultiplierLookup, UnknownMultiplierError, contract_multiplier

log = logging.getLogger(__name__)


class FillCharges:
    """Per-order charge accounting for the OMS's fills (see the module docstring)."""

    def __init__(
        self, rates: ChargeRates | None = None, *, multipliers: MultiplierLookup = contract_multiplier
    ) -> None:
        self.rates = rates or ChargeRates()
        self.multipliers = multipliers
        """``(exchange, tradingsymbol) -> multiplier`` scaling turnover into rupees."""
        self.total = 0.0
        """Charges booked so far, rupees."""
        self.failures = 0
        """Fills that could not be priced (booked with 0 charges and logged)."""
        self._booked: dict[str, float] = {}

    def charge(self, key: str, request: OrderRequest, quantity: int, value: float) -> float:
        """Charges (rupees) of the fill that brings order ``key`` to ``quantity`` (as Kite counts it) filled
        for ``value`` (the sum of price x quantity over its fills, before the multiplier): the order's
        charges now minus what its earlier fills were charged. 0 (counted in :attr:`failures`, logged)
        when it cannot be priced."""
        if quantity <= 0:
            return 0.0
        try:
            multiplier = self.multipliers(request.exchange.value, request.tradingsymbol)
            order = ChargeOrder.for_request(
                request, quantity, value / quantity, order_id=key, multiplier=multiplier
            )
            note = compute_charges(order, self.rates)
        except (ValueError, UnknownMultiplierError) as exc:  # unknown segment or multiplier, bad price
            self.failures += 1
            log.warning("charges of order %s not computed (%s); booked as 0", key, exc)
            return 0.0
        fill_charges = note.total - self._booked.get(key, 0.0)
        self._booked[key] = note.total
        self.total += fill_charges
        return fill_charges

    def of_order(self, key: str) -> float:
        """Charges booked so far on order ``key``, rupees."""
        return self._booked.get(key, 0.0)


__all__ = ["FillCharges"]
