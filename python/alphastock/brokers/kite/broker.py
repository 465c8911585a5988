"""KiteBroker: the :class:`~alphastock.brokers.base.Broker` protocol over the official ``kiteconnect`` SDK.

Every SDK call is blocking (``requests``), so it runs in the broker's own thread pool
(``loop.run_in_executor``; placements through :class:`~alphastock.brokers.kite.sender.CallSender`,
whose hand-over is cheaper), never on the engine's loop. Before each call the shared
:class:`~alphastock.brokers.kite.ratelimit.RateLimiter` waits for Kite's limit of the
call's category, and the call's permit is released when the call ends on its thread (Kite
has counted the request by then: see :mod:`~alphastock.brokers.kite.ratelimit`). ``root``
points the SDK at another server (the simulator).

Failure handling:

* reads (order book, quotes, positions, historical ...) answered 429, or 502/503/504,
  are retried up to ``read_retries`` times with exponential backoff and jitter;
* an order placement is never retried: an ambiguous outcome (timeout, connection
  error, HTTP 5xx, a 200 without ``order_id``) is resolved by searching the order book
  for the order's ``tag`` before anything else (see :mod:`alphastock.brokers.kite.orders`);
  a 429 on placement is definite (Kite refused it before processing) and raises
  :class:`~alphastock.brokers.errors.RateLimited`;
* a TokenException (HTTP 403) puts the broker in a token-expired state: every further
  order, modification and cancellation raises
  :class:`~alphastock.brokers.errors.TokenExpired` ("run `alphastock login`") without
  reaching Kite, until :meth:`KiteBroker.set_access_token` installs a new session;
* every other Kite error becomes the :class:`~alphastock.brokers.errors.BrokerError`
  subclass of its ``error_type``, which it keeps (with the HTTP status).

The access token never appears in a repr, log line or exception message.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_ex

from alphastock.brokers.base import CandleInterval, MarginSegment, Placement
from alphastock.brokers.errors import (
    AmbiguousOrderOutcome,
    BrokerError,
    BrokerNetworkError,
    InvalidInput,
    RateLimited,
    TokenExpired,
    from_kite_error,
)
from alphastock.brokers.kite.historical import chunk_range
from alphastock.brokers.kite.orders import (
    SLICED_PREFIX,
    ChildOrder,
    SlicedOrder,
    child_tag,
    find_by_tag,
    slice_quantities,
)
from alphastock.brokers.kite.ratelimit import Category, Permit, RateLimiter
from alphastock.brokers.kite.sender import CallSender
from alphastock.brokers.paper.working import UpdateStream
from alphastock.clock import sleep
from alphastock.models import (
    IST,
    Candle,
    ChargeBreakdown,
    ChargeOrder,
    ContractNote,
    Holding,
    Instrument,
    Ltp,
    Margins,
    Ohlc,
    Order,
    OrderMargin,
    OrderRequest,
    OrderType,
    OrderUpdate,
    PositionsBook,
    Quote,
    SegmentMargin,
    Trade,
    Validity,
    Variety,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

FreezeLookup = Callable[[str, str], "tuple[int, int] | None"]
"""``(exchange, tradingsymbol) -> (freeze quantity, lot size)`` in units, or None when no freeze applies."""

_RETRY_STATUSES = frozenset({429, 502, 503, 504})


def _status(exc: kite_ex.KiteException) -> int | None:
    code = getattr(exc, "code", None)
    return int(code) if isinstance(code, int) else None


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
    status = _status(exc)
    return status is None or status >= 500


def map_kite_error(exc: kite_ex.KiteException) -> BrokerError:
    """The project's :class:`BrokerError` for a kiteconnect exception (error_type and status kept)."""
    return from_kite_error(str(exc), type(exc).__name__, _status(exc))


def _release_on(loop: asyncio.AbstractEventLoop, permit: Permit) -> None:
    """Release ``permit`` on ``loop`` (from an executor thread); nothing when the loop has closed."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(permit.release)


def _ist_naive(value: dt.datetime) -> dt.datetime:
    """Kite reads request times as IST wall time: convert aware datetimes, keep naive ones (IST)."""
    return value.astimezone(IST).replace(tzinfo=None) if value.tzinfo is not None else value


class KiteBroker:
    """The live broker (see the module doc).

    Args:
        api_key: the Kite Connect app's key.
        access_token: today's session token (``alphastock login``); never shown.
        root: REST root; None for Kite (``https://api.kite.trade``), the simulator's ``rest_url`` in tests.
        limiter: the shared rate limiter (a new one with Kite's limits by default).
        freeze_lookup: freeze quantity and lot size per instrument, for slicing (no slicing without it).
        timeout_s: HTTP timeout of one request, seconds.
        read_retries: retries of a read answered 429/502/503/504.
        backoff_s: first backoff of a read retry, seconds (doubled per retry, plus up to 50% jitter).
        lookup_attempts / lookup_interval_s: order-book searches (and the wait between them, seconds)
            when a placement's outcome is ambiguous.
        client: a ready ``KiteConnect``-like client (tests); built from the arguments above otherwise.
        max_workers: threads of the broker's executor.
    """

    def __init__(
        self,
        api_key: str,
        access_token: str | None = None,
        *,
        root: str | None = None,
        limiter: RateLimiter | None = None,
        freeze_lookup: FreezeLookup | None = None,
        timeout_s: float = 7.0,
        read_retries: int = 5,
        backoff_s: float = 0.25,
        lookup_attempts: int = 3,
        lookup_interval_s: float = 1.0,
        client: Any = None,
        max_workers: int = 4,
    ) -> None:
        self.root = root
        self.limiter = limiter or RateLimiter()
        self.freeze_lookup = freeze_lookup
        self.read_retries = read_retries
        self.backoff_s = backoff_s
        self._reads_failing = False
        """A read failed and none has succeeded since (its retries are logged at DEBUG)."""
        self.lookup_attempts = max(1, lookup_attempts)
        self.lookup_interval_s = lookup_interval_s
        self._kite: Any = client or KiteConnect(
            api_key, access_token=access_token, root=root, timeout=timeout_s
        )
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="kite-rest")
        self.order_sender = CallSender(max_workers, name="kite-order")
        """Threads that run placements started by :meth:`place_order_now` (see its start delays)."""
        self._token_expired = False
        self._rng = random.Random()
        self._subscribers: list[UpdateStream] = []
        self.sliced: dict[str, SlicedOrder] = {}
        """Sliced parents by parent id (``sliced:<tag>``)."""
        self.placements = 0
        """``place_order`` requests sent to Kite (never more than one per order or child)."""

    # ----- session ---------------------------------------------------------------------------------

    @property
    def token_expired(self) -> bool:
        """True after a TokenException, until :meth:`set_access_token`."""
        return self._token_expired

    def set_access_token(self, access_token: str) -> None:
        """Install a new session token (after ``alphastock login``) and leave the token-expired state."""
        self._kite.set_access_token(access_token)
        self._token_expired = False

    def close(self) -> None:
        """Shut the executor and the order sender down (waits for running calls)."""
        self.order_sender.close()
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> KiteBroker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "token expired" if self._token_expired else "session set"
        return f"KiteBroker(root={self.root or 'kite'!r}, {state})"

    # ----- plumbing --------------------------------------------------------------------------------

    async def _call(self, permit: Permit, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn`` on the executor; ``permit`` is released when the call ends on its thread, even when
        the awaiting task was cancelled meanwhile (the request may still have been on its way)."""
        loop = asyncio.get_running_loop()
        future = self._executor.submit(partial(fn, *args, **kwargs))
        future.add_done_callback(lambda _done: _release_on(loop, permit))
        return await asyncio.wrap_future(future)

    def _token_failure(self, exc: kite_ex.KiteException) -> TokenExpired:
        self._token_expired = True
        log.warning("Kite session expired or invalid: order flow stopped until `alphastock login`")
        return TokenExpired(str(exc), status=_status(exc))

    def _check_session(self) -> None:
        if self._token_expired:
            raise TokenExpired("order flow stopped: the Kite session expired")

    async def _read(self, category: Category, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A read: rate-limited, retried with backoff on 429/502/503/504 and connection errors."""
        attempt = 0
        while True:
            permit = await self.limiter.acquire(category)
            try:
                answer = await self._call(permit, fn, *args, **kwargs)
                self._reads_failing = False
                return answer
            except kite_ex.TokenException as exc:
                raise self._token_failure(exc) from None
            except kite_ex.KiteException as exc:
                status = _status(exc)
                if status not in _RETRY_STATUSES or attempt >= self.read_retries:
                    raise map_kite_error(exc) from None
                error: BrokerError = map_kite_error(exc)
            except requests.RequestException as exc:
                if attempt >= self.read_retries:
                    raise BrokerNetworkError(f"Kite unreachable: {type(exc).__name__}") from None
                error = BrokerNetworkError(type(exc).__name__)
            delay = self.backoff_s * (2**attempt) * (1.0 + 0.5 * self._rng.random())
            if isinstance(error, RateLimited) and error.retry_after_s:
                delay = max(delay, error.retry_after_s)
            # The first failed read of an outage is said at INFO; the retries after it, until a read
            # succeeds, at DEBUG: a broker that is down for minutes must not flood the log (the
            # engine's BrokerHealth says once that it is unreachable).
            log.log(
                logging.DEBUG if self._reads_failing else logging.INFO,
                "Kite %s read failed (%s); retry %d in %.2fs", category, error.status, attempt + 1, delay,
            )  # fmt: skip
            self._reads_failing = True
            await sleep(self.limiter.clock, delay)
            attempt += 1

    async def _write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A modification or cancellation: rate-limited, never retried."""
        self._check_session()
        permit = await self.limiter.acquire("order")
        try:
            return await self._call(permit, fn, *args, **kwargs)
        except kite_ex.TokenException as exc:
            raise self._token_failure(exc) from None
        except kite_ex.KiteException as exc:
            raise map_kite_error(exc) from None
        except requests.RequestException as exc:
            raise BrokerNetworkError(f"Kite unreachable: {type(exc).__name__}") from None

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
            status = _status(exc)
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

    # ----- market data -----------------------------------------------------------------------------

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        """Full quotes (Kite ``quote``; 1 request/s)."""
        data = await self._read("quote", self._kite.quote, list(instruments))
        return {key: Quote.from_kite(value) for key, value in data.items()}

    async def ohlc(self, instruments: Sequence[str]) -> dict[str, Ohlc]:
        """Last price and day OHLC (Kite ``ohlc``; quote limit)."""
        data = await self._read("quote", self._kite.ohlc, list(instruments))
        return {key: Ohlc.from_kite(value) for key, value in data.items()}

    async def ltp(self, instruments: Sequence[str]) -> dict[str, Ltp]:
        """Last traded prices (Kite ``ltp``; quote limit)."""
        data = await self._read("quote", self._kite.ltp, list(instruments))
        return {key: Ltp.from_kite(value) for key, value in data.items()}

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """The instruments dump (Kite ``instruments``), without freeze quantities (see
        :class:`~alphastock.brokers.kite.instruments.InstrumentStore`)."""
        rows = await self._read("other", self._kite.instruments, exchange)
        return [Instrument.from_kite(row) for row in rows]

    async def historical(
        self,
        instrument_token: int,
        from_date: dt.datetime,
        to_date: dt.datetime,
        interval: CandleInterval,
        *,
        continuous: bool = False,
        oi: bool = False,
    ) -> list[Candle]:
        """Candles of ``[from_date, to_date]`` (Kite ``historical_data``; 3 requests/s), oldest first.

        A range longer than Kite's span for ``interval`` is cut into consecutive requests
        (:func:`~alphastock.brokers.kite.historical.chunk_range`); naive datetimes are IST.
        """
        candles: list[Candle] = []
        for lo, hi in chunk_range(from_date, to_date, interval):
            rows = await self._read(
                "historical",
                self._kite.historical_data,
                instrument_token,
                _ist_naive(lo),
                _ist_naive(hi),
                interval,
                continuous=continuous,
                oi=oi,
            )
            candles.extend(Candle.from_kite(row) for row in rows)
        return candles

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


__all__ = ["FreezeLookup", "KiteBroker", "map_kite_error"]
