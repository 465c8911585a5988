"""The plumbing every KiteBroker call shares: the SDK client, its thread pool, the rate limiter,
read retries, and the mapping of kiteconnect errors to the project's.

Every SDK call is blocking (``requests``), so it runs in the broker's own thread pool
(``loop.run_in_executor``), never on the engine's loop. Before each call the shared
:class:`~alphastock.brokers.kite.ratelimit.RateLimiter` waits for Kite's limit of the
call's category, and the call's permit is released when the call ends on its thread (Kite
has counted the request by then: see :mod:`~alphastock.brokers.kite.ratelimit`).

* reads (order book, quotes, positions, historical ...) answered 429, or 502/503/504,
  are retried up to ``read_retries`` times with exponential backoff and jitter;
* a TokenException (HTTP 403) puts the broker in a token-expired state: every further
  order, modification and cancellation raises
  :class:`~alphastock.brokers.errors.TokenExpired` ("run `alphastock login`") without
  reaching Kite, until :meth:`KiteRest.set_access_token` installs a new session;
* every other Kite error becomes the :class:`~alphastock.brokers.errors.BrokerError`
  subclass of its ``error_type``, which it keeps (with the HTTP status).

The access token never appears in a repr, log line or exception message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Self, TypeVar

import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_ex

from alphastock.brokers.errors import (
    BrokerError,
    BrokerNetworkError,
    RateLimited,
    TokenExpired,
    from_kite_error,
)
from alphastock.brokers.kite.orders import SlicedOrder
from alphastock.brokers.kite.ratelimit import Category, Permit, RateLimiter
from alphastock.brokers.kite.sender import CallSender
from alphastock.brokers.paper.working import UpdateStream
from alphastock.clock import sleep
from alphastock.ports import FreezeLookup

log = logging.getLogger(__name__)
T = TypeVar("T")

"""``(exchange, tradingsymbol) -> (freeze quantity, lot size)`` in units, or None when no freeze applies."""

_RETRY_STATUSES = frozenset({429, 502, 503, 504})


def status_of(exc: kite_ex.KiteException) -> int | None:
    """The HTTP status a kiteconnect exception carries (None when it has none)."""
    code = getattr(exc, "code", None)
    return int(code) if isinstance(code, int) else None


def map_kite_error(exc: kite_ex.KiteException) -> BrokerError:
    """The project's :class:`BrokerError` for a kiteconnect exception (error_type and status kept)."""
    return from_kite_error(str(exc), type(exc).__name__, status_of(exc))


def _release_on(loop: asyncio.AbstractEventLoop, permit: Permit) -> None:
    """Release ``permit`` on ``loop`` (from an executor thread); nothing when the loop has closed."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(permit.release)


class KiteRest:
    """The shared plumbing of the KiteBroker's roles (see the module doc).

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

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "token expired" if self._token_expired else "session set"
        return f"{type(self).__name__}(root={self.root or 'kite'!r}, {state})"

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
        return TokenExpired(str(exc), status=status_of(exc))

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
                status = status_of(exc)
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


__all__ = ["KiteRest", "map_kite_error", "status_of"]
