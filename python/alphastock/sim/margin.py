"""The margin half of the simulator's :class:`~alphastock.sim.matching.MatchingEngine`: what an order
blocks, what open positions and live orders use, and what is left (``GET /user/margins``).

The margin model itself (percentages by instrument type) is :func:`~alphastock.sim.account.margin_parts`;
money is ``price x quantity x multiplier`` rupees (the contract multiplier of an MCX future, 1 elsewhere),
as Kite reports it. A mixin: the engine sets ``model``, ``account`` and ``_live``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphastock.sim.account import Account, margin_parts, segment_of
from alphastock.sim.market import MarketModel

if TYPE_CHECKING:
    from alphastock.sim.matching import SimOrder


class MarginRules:
    """Margin of orders and positions of one account, rupees (see the module docstring)."""

    model: MarketModel
    account: Account
    _live: list[SimOrder]

    def order_margin(self, order: SimOrder, quantity: int | None = None) -> float:
        """Margin an order blocks for its unfilled exposure, rupees."""
        inst = order.instrument
        qty = order.pending_quantity if quantity is None else quantity
        qty = self.account.exposure_quantity(inst, order.product, order.transaction_type, qty)
        if qty <= 0:
            return 0.0
        price = order.price or float(self.model.ltp[inst.index])
        und = self.model.futures_price(inst)
        return sum(margin_parts(inst, order.product, order.transaction_type, qty, price, und).values())

    def utilised(self, segment: str) -> dict[str, float]:
        """Margin used by open positions and blocked by open orders in ``segment``, by Kite's heads."""
        heads = {"span": 0.0, "exposure": 0.0, "option_premium": 0.0, "delivery": 0.0, "m2m_realised": 0.0,
                 "m2m_unrealised": 0.0}  # fmt: skip
        for pos in self.account.positions.values():
            inst = pos.instrument
            if segment_of(inst) != segment:
                continue
            ltp = float(self.model.ltp[inst.index])
            heads["m2m_realised"] += pos.realised()
            heads["m2m_unrealised"] += pos.pnl(ltp) - pos.realised()
            q = pos.quantity
            if q:
                side = "BUY" if q > 0 else "SELL"
                parts = margin_parts(
                    inst, pos.product, side, abs(q), pos.average_price(), self.model.futures_price(inst)
                )
                self._add(heads, parts, pos.product)
        for order in self._live:
            if segment_of(order.instrument) == segment:
                inst = order.instrument
                qty = self.account.exposure_quantity(
                    inst, order.product, order.transaction_type, order.pending_quantity
                )
                if qty > 0:
                    price = order.price or float(self.model.ltp[inst.index])
                    parts = margin_parts(inst, order.product, order.transaction_type, qty, price,
                                         self.model.futures_price(inst))  # fmt: skip
                    self._add(heads, parts, order.product)
        return heads

    @staticmethod
    def _add(heads: dict[str, float], parts: dict[str, float], product: str) -> None:
        heads["span"] += parts["span"]
        heads["exposure"] += parts["exposure"]
        heads["option_premium"] += parts["option_premium"]
        heads["delivery" if product == "CNC" else "exposure"] += parts["var"]

    def available_margin(self, segment: str) -> float:
        """Cash plus booked and open P&L minus used margin (``net`` of ``GET /user/margins``), rupees."""
        u = self.utilised(segment)
        debits = u["span"] + u["exposure"] + u["option_premium"] + u["delivery"]
        return self.account.opening_cash + u["m2m_realised"] + min(u["m2m_unrealised"], 0.0) - debits


__all__ = ["MarginRules"]
