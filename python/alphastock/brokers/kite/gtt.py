"""The KiteBroker's GTT role (:class:`~alphastock.ports.GttClient`): GTT triggers through the official
SDK's ``place_gtt``, ``modify_gtt``, ``delete_gtt``, ``get_gtts`` and ``get_gtt``
(https://kite.trade/docs/connect/v3/gtt/).

Placing, modifying and deleting are writes: counted against the order rate limits (stricter than
Kite's 10/s for other endpoints, so never answered 429) and never retried — a GTT placement that
failed without an answer may still exist, and :meth:`KiteGttCalls.gtts` says whether it does. The
listing and one GTT are reads (retried on 429/5xx). Kite's errors map as every call's
(:func:`~alphastock.brokers.kite.rest.map_kite_error`): an InputException (MIS product, a trigger on
the wrong side of the last price, a non-LIMIT order ...) becomes
:class:`~alphastock.brokers.errors.InvalidInput` with Kite's message.
"""

from __future__ import annotations

from typing import Any

from alphastock.brokers.errors import BrokerDataError
from alphastock.brokers.kite.rest import KiteRest
from alphastock.models import Gtt, GttRequest


def _trigger_id(answer: Any) -> int:
    """The ``trigger_id`` of a place/modify/delete answer (``{"trigger_id": 123}``)."""
    try:
        return int(answer["trigger_id"])
    except (KeyError, TypeError, ValueError):
        raise BrokerDataError(f"Kite GTT answer without trigger_id: {answer!r}") from None


class KiteGttCalls(KiteRest):
    """GTT triggers over Kite Connect (see the module doc); the KiteBroker's GTT role."""

    async def place_gtt(self, request: GttRequest) -> int:
        """Place a GTT (Kite ``place_gtt``); return its trigger id."""
        return _trigger_id(await self._write(self._kite.place_gtt, **request.to_kite()))

    async def modify_gtt(self, trigger_id: int, request: GttRequest) -> int:
        """Replace an active GTT's triggers and legs (Kite ``modify_gtt``); return its trigger id."""
        return _trigger_id(
            await self._write(self._kite.modify_gtt, trigger_id=trigger_id, **request.to_kite())
        )

    async def delete_gtt(self, trigger_id: int) -> int:
        """Delete an active GTT (Kite ``delete_gtt``); return its trigger id."""
        return _trigger_id(await self._write(self._kite.delete_gtt, trigger_id))

    async def gtts(self) -> list[Gtt]:
        """The account's GTT book (Kite ``get_gtts``)."""
        return [Gtt.from_kite(row) for row in await self._read("other", self._kite.get_gtts)]

    async def gtt(self, trigger_id: int) -> Gtt:
        """One GTT (Kite ``get_gtt``)."""
        return Gtt.from_kite(await self._read("other", self._kite.get_gtt, trigger_id))


__all__ = ["KiteGttCalls"]
