"""The KiteBroker's account role (:class:`~alphastock.ports.AccountClient`): positions,
holdings, funds and margins, and charges. Every call is a read (rate-limited, retried on 429/5xx)."""

from __future__ import annotations

from collections.abc import Sequence

from alphastock.brokers.kite.rest import KiteRest
from alphastock.models import (
    ChargeBreakdown,
    ChargeOrder,
    ContractNote,
    Holding,
    Margins,
    OrderMargin,
    OrderRequest,
    PositionsBook,
    SegmentMargin,
)
from alphastock.ports import MarginSegment


class KiteAccountCalls(KiteRest):
    """The Kite account (see the module doc); the KiteBroker's account role."""

    # ----- portfolio -------------------------------------------------------------------------------

    async def positions(self) -> PositionsBook:
        """Net and day positions (Kite ``positions()``)."""
        return PositionsBook.from_kite(await self._read("other", self._kite.positions))

    async def holdings(self) -> list[Holding]:
        """Demat holdings (Kite ``holdings()``)."""
        return [Holding.from_kite(row) for row in await self._read("other", self._kite.holdings)]

    async def margins(self, segment: MarginSegment | None = None) -> Margins | SegmentMargin:
        """Funds of every segment, or one (Kite ``margins(segment)``)."""
        data = await self._read("other", self._kite.margins, segment)
        return SegmentMargin.from_kite(data) if segment else Margins.from_kite(data)

    async def order_margins(self, requests: Sequence[OrderRequest]) -> list[OrderMargin]:
        """Margins each order would need (Kite ``order_margins``)."""
        params = [
            {k: v for k, v in r.to_kite().items() if k not in ("tag", "market_protection", "autoslice")}
            for r in requests
        ]
        for param, request in zip(params, requests, strict=True):
            param.setdefault("price", request.price or 0)
            param.setdefault("trigger_price", request.trigger_price or 0)
        rows = await self._read("other", self._kite.order_margins, params)
        return [OrderMargin.from_kite(row) for row in rows]

    async def charges(self, orders: Sequence[ChargeOrder]) -> list[ChargeBreakdown]:
        """Charges of executed orders (Kite ``get_virtual_contract_note``)."""
        rows = await self._read("other", self._kite.get_virtual_contract_note, [o.to_kite() for o in orders])
        # Each entry is the order as priced, its breakdown under ``charges``.
        return [ContractNote.from_kite(row).charges for row in rows]


__all__ = ["KiteAccountCalls"]
