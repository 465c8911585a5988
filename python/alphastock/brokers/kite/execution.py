"""The KiteBroker's execution role (:class:`~alphastock.ports.ExecutionClient`): placing,
slicing, modifying and cancelling orders, the order and trade books, and the order-update stream.

Placements go through :class:`~alphastock.brokers.kite.sender.CallSender` (its hand-over is cheaper
than the executor's). An order placement is never retried: an ambiguous outcome (timeout, connection
error, HTTP 5xx, a 200 without ``order_id``) is resolved by searching the order book for the order's
``tag`` before anything else (see :mod:`alphastock.brokers.kite.orders`); a 429 on placement is
definite (Kite refused it before processing) and raises
:class:`~alphastock.brokers.errors.RateLimited`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import requests
from kiteconnect import exceptions as kite_ex

from alphastock.brokers.errors import AmbiguousOrderOutcome, BrokerError, InvalidInput, TokenExpired
from alphastock.brokers.kite.orders import (
    SLICED_PREFIX,
    ChildOrder,
    SlicedOrder,
    child_tag,
    find_by_tag,
    slice_quantities,
)
from alphastock.brokers.kite.rest import KiteRest, map_kite_error, status_of
from alphastock.brokers.paper.working import UpdateStream
from alphastock.clock import sleep
from alphastock.models import Order, OrderRequest, OrderType, OrderUpdate, Trade, Validity, Variety
from alphastock.ports import Placement

log = logging.getLogger(__name__)

# Kite's answer to these is definite: the order was refused, whatever the HTTP status.
_DEFINITE_TYPES = (
    kite_ex.InputException,
    kite_ex.OrderException,
    kite_ex.PermissionException,
    kite_ex.TokenException,
)


def _ambiguous(exc: kite_ex.KiteException) -> bool:
    """A placement failure that may hide a placed order: 5xx (or no status) from the network/gateway
    side (NetworkException, DataException, GeneralException), never a 429 or a 4xx."""
    if isinstance(exc, _DEFINITE_TYPES) or type(exc).__name__ == "MarginException":
        return False
    status = status_of(exc)
    return status is None or status >= 500


class KiteOrderCalls(KiteRest):
    """Orders over Kite Connect (see the module doc); the KiteBroker's execution role."""

    # ----- orders ----------------------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> str:
        """Place ``request`` (tag = the OMS idempotency key); return Kite's order id.

        Above the freeze quantity the order is sliced into children (see :meth:`place_sliced`) and the
        parent id ``sliced:<tag>`` is returned. ``autoslice=True`` sends one autoslice request instead
        and returns Kite's parent order id.
        """
        self._check_session()
        if request.autoslice:
            return await self._place_one(request.to_kite(), request.tag, autoslice=True)
        quantities = self._slices(request)
        if len(quantities) == 1:
            return await self._place_one(request.to_kite(), request.tag)
        return (await self.place_sliced(request)).parent_id

    def _slices(self, request: OrderRequest) -> list[int]:
        found = (
            self.freeze_lookup(request.exchange.value, request.tradingsymbol) if self.freeze_lookup else None
        )
        if found is None:
            return [request.quantity]
        freeze, lot = found
        return slice_quantities(request.quantity, freeze, lot)

    async def place_sliced(self, request: OrderRequest) -> SlicedOrder:
        """Place ``request`` as child orders of at most the freeze quantity, one after another.

        The parent is recorded in :attr:`sliced` before the first child is sent. A child that fails
        stops placement: its ``error`` is set and the error is raised (children already placed stay
        working; cancel them through the parent id). Ambiguous children are resolved by their tag.
        """
        self._check_session()
        quantities = self._slices(request)
        parent = SlicedOrder(request.tag, request)
        parent.children = [
            ChildOrder(child_tag(request.tag, i), qty) for i, qty in enumerate(quantities, start=1)
        ]
        self.sliced[parent.parent_id] = parent
        for child in parent.children:
            params = request.to_kite()
            params.update(quantity=child.quantity, tag=child.tag)
            try:
                child.order_id = await self._place_one(params, child.tag)
            except BrokerError as exc:
                child.error = f"{type(exc).__name__}: {exc.message}"
                raise
        return parent

    @staticmethod
    def _order_params(params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        params.pop("autoslice", None)
        protection = params.get("market_protection")
        if isinstance(protection, float) and protection.is_integer():
            params["market_protection"] = int(protection)  # Kite wants "-1", not "-1.0"
        return params

    async def _place_one(self, params: dict[str, Any], tag: str, *, autoslice: bool = False) -> str:
        self._check_session()
        params = self._order_params(params)
        permit = await self.limiter.acquire("order")
        self.placements += 1
        method = self._kite.place_autoslice_order if autoslice else self._kite.place_order
        return await self._placed(self._call(permit, method, **params), tag, autoslice=autoslice)

    def place_order_now(self, request: OrderRequest) -> Placement | None:
        """Start placing ``request`` before returning: the SDK call is handed to its thread at once.

        For the engine's hot path: a coroutine from :meth:`place_order` starts only when the loop
        gets to it, behind whatever else is ready. Returns the awaitable of the order id (errors as
        :meth:`place_order`) with the time the request was released, or None when it cannot start
        now — slicing, autoslice, an expired session or the order rate limit reached — and
        :meth:`place_order` must be used.
        """
        if self._token_expired or request.autoslice or len(self._slices(request)) != 1:
            return None
        permit = self.limiter.try_acquire("order")
        if permit is None:
            return None
        self.placements += 1
        try:
            call, released_ns = self.order_sender.submit(
                self._kite.place_order, self._order_params(request.to_kite())
            )
        except BaseException:
            permit.release()  # never sent
            raise
        # Settled on the loop when the worker's call ends (the answer, or the failure).
        call.add_done_callback(lambda _done: permit.release())
        return Placement(self._placed(call, request.tag), released_ns)

    async def _placed(self, call: Awaitable[Any], tag: str, *, autoslice: bool = False) -> str:
        """The order id of a placement in flight; an ambiguous outcome is resolved by ``tag``."""
        try:
            answer = await call
            # An autoslice answer is a dict with the parent's id; a plain placement returns the id.
            order_id = (answer.get("order_id") if isinstance(answer, dict) else None) if autoslice else answer
        except kite_ex.TokenException as exc:
            raise self._token_failure(exc) from None
        except kite_ex.KiteException as exc:
            status = status_of(exc)
            if not _ambiguous(exc):
                raise map_kite_error(exc) from None
            reason = f"HTTP {status} {type(exc).__name__}"
        except requests.RequestException as exc:
            reason = type(exc).__name__
        except (KeyError, TypeError):
            reason = "answer without order_id"
        else:
            if order_id:
                return str(order_id)
            reason = "answer without order_id"
        return await self._resolve(tag, reason)

    async def _resolve(self, tag: str, reason: str) -> str:
        """Find the order of an ambiguous placement by its tag; never resend it."""
        log.warning("order %s: ambiguous placement (%s); looking it up by tag", tag, reason)
        for attempt in range(self.lookup_attempts):
            if attempt:
                await sleep(self.limiter.clock, self.lookup_interval_s)
            try:
                book = await self.orders()
            except TokenExpired:
                raise
            except BrokerError as exc:
                raise AmbiguousOrderOutcome(
                    f"placement {reason}; order book lookup failed: {exc.message}", tag=tag
                ) from None
            found = find_by_tag(book, tag)
            if found is not None:
                log.info("order %s: found as %s after an ambiguous placement", tag, found.order_id)
                return found.order_id
        raise AmbiguousOrderOutcome(
            f"placement {reason}; no order with tag {tag!r} in the order book after "
            f"{self.lookup_attempts} lookups (it may still appear: reconcile before resending)",
            tag=tag,
        )

    async def modify_order(
        self,
        order_id: str,
        *,
        variety: Variety = Variety.REGULAR,
        quantity: int | None = None,
        price: float | None = None,
        trigger_price: float | None = None,
        order_type: OrderType | None = None,
        validity: Validity | None = None,
        disclosed_quantity: int | None = None,
        market_protection: float | None = None,
    ) -> str:
        """Modify an open order (Kite ``modify_order``); a sliced parent id is refused (modify children).

        Kite refuses a LIMIT/SL order turned MARKET/SL-M without ``market_protection``."""
        if order_id.startswith(SLICED_PREFIX):
            raise InvalidInput("a sliced parent cannot be modified as one; modify its child orders")
        answer = await self._write(
            self._kite.modify_order,
            variety=variety.value,
            order_id=order_id,
            quantity=quantity,
            price=price,
            trigger_price=trigger_price,
            order_type=order_type.value if order_type else None,
            validity=validity.value if validity else None,
            disclosed_quantity=disclosed_quantity,
            market_protection=int(market_protection)
            if market_protection is not None and float(market_protection).is_integer()
            else market_protection,  # Kite wants "-1", not "-1.0"
        )
        return str(answer)

    async def cancel_order(self, order_id: str, variety: Variety = Variety.REGULAR) -> str:
        """Cancel an order (Kite ``cancel_order``); for a sliced parent id, every open child."""
        parent = self.sliced.get(order_id)
        if parent is None:
            return str(await self._write(self._kite.cancel_order, variety=variety.value, order_id=order_id))
        book = {order.order_id: order for order in await self.orders()}
        for child_id in parent.order_ids:
            child = book.get(child_id)
            if child is not None and child.status.value in ("OPEN", "TRIGGER PENDING", "AMO REQ RECEIVED"):
                await self._write(self._kite.cancel_order, variety=variety.value, order_id=child_id)
        return order_id

    async def orders(self) -> list[Order]:
        """Today's orders (Kite ``orders()``)."""
        return [Order.from_kite(row) for row in await self._read("other", self._kite.orders)]

    def _children(self, order_id: str) -> list[str] | None:
        if not order_id.startswith(SLICED_PREFIX):
            return None
        parent = self.sliced.get(order_id)
        if parent is None:
            raise InvalidInput(f"unknown sliced parent {order_id!r}")
        return parent.order_ids

    async def order_history(self, order_id: str) -> list[Order]:
        """Every state of one order (Kite ``order_history``); for a sliced parent id, every child's
        history, child after child."""
        children = self._children(order_id)
        if children is not None:
            return [state for child in children for state in await self.order_history(child)]
        rows = await self._read("other", self._kite.order_history, order_id)
        return [Order.from_kite(row) for row in rows]

    async def trades(self) -> list[Trade]:
        """Today's executions (Kite ``trades()``)."""
        return [Trade.from_kite(row) for row in await self._read("other", self._kite.trades)]

    async def order_trades(self, order_id: str) -> list[Trade]:
        """Executions of one order (Kite ``order_trades``); for a sliced parent id, its children's."""
        children = self._children(order_id)
        if children is not None:
            return [trade for child in children for trade in await self.order_trades(child)]
        rows = await self._read("other", self._kite.order_trades, order_id)
        return [Trade.from_kite(row) for row in rows]

    # ----- order updates ---------------------------------------------------------------------------

    def publish_order_update(self, payload: dict[str, Any]) -> OrderUpdate:
        """Fan an order update (a WebSocket ``order`` message or postback dict) out to every
        :meth:`order_updates` subscriber; returns the parsed update. KiteFeed calls this."""
        update = OrderUpdate.from_kite(payload)
        for subscriber in list(self._subscribers):
            subscriber.put(update)
        return update

    def order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Order updates published from now on (fed by :meth:`publish_order_update`)."""
        return UpdateStream(self._subscribers)


__all__ = ["KiteOrderCalls"]
