"""Is the broker there? One count of consecutive failed broker calls, and the gate it closes.

:class:`MonitoredExecution`, :class:`MonitoredAccount` and :class:`MonitoredMarketData`
wrap a broker's roles (:mod:`alphastock.ports`), :class:`MonitoredGtt` its GTT role
(:func:`gtt_client`), and :class:`MonitoredTrading` / :class:`MonitoredBroker` their combinations;
each has the role's typed calls, and reports the outcome of each awaited call (orders and reads) to
one :class:`BrokerHealth`. Nothing else is
forwarded: what a consumer needs of the broker beyond its role, it gets from the broker itself.

A call fails as an *outage* when the broker could not be reached or failed upstream
(:class:`~alphastock.brokers.errors.BrokerNetworkError`: connection refused, HTTP 502/503/504
after the adapter's own retries; an :class:`~alphastock.brokers.errors.AmbiguousOrderOutcome`;
``OSError``/timeouts).
Any answer from the broker, a refusal included, proves it is there.

After ``unreachable_after`` outages in a row the broker is *unreachable*: one
ERROR line says so, new orders are refused before they reach the broker (the
executor and the OMS ask :attr:`BrokerHealth.reachable`), and the periodic reads
(order book, margins) back off exponentially (:meth:`BrokerHealth.backoff_s`) on
the engine clock. The first successful call logs one line and lifts the gate.
Nothing is logged per failed retry in between (DEBUG only), so a dead broker
does not fill the log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import TypeVar

from alphastock.brokers.errors import AmbiguousOrderOutcome, BrokerNetworkError
from alphastock.clock import Clock, LiveClock, seconds_between
from alphastock.engine import Health
from alphastock.models import (
    Candle,
    ChargeBreakdown,
    ChargeOrder,
    Gtt,
    GttRequest,
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
from alphastock.ports import (
    AccountClient,
    Broker,
    BrokerCapabilities,
    CandleInterval,
    ExecutionClient,
    GttClient,
    MarginSegment,
    MarketDataClient,
    Placement,
    TradingClient,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

MONITORED_CALLS = frozenset(
    {
        "place_order", "modify_order", "cancel_order", "orders", "order_history", "trades",
        "order_trades", "positions", "holdings", "margins", "order_margins", "charges", "quote",
        "ohlc", "ltp", "instruments", "historical",
    }
)  # fmt: skip
"""Broker coroutine methods whose outcome is counted (every awaited call of the three roles; a
``place_order_now`` placement counts as ``place_order`` when awaited)."""
MONITORED_GTT_CALLS = frozenset({"place_gtt", "modify_gtt", "delete_gtt", "gtts", "gtt"})
"""The GTT role's calls, counted by :class:`MonitoredGtt`."""


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` means the broker was not reached (or failed upstream), not that it answered."""
    return isinstance(exc, BrokerNetworkError | AmbiguousOrderOutcome | OSError | TimeoutError)


class BrokerHealth:
    """Consecutive broker outages and the unreachable gate (see the module docstring).

    Args:
        unreachable_after: consecutive failed calls that make the broker unreachable.
        clock: the engine clock (how long an outage lasted, in engine seconds); the wall clock if None.
    """

    name = "broker"

    def __init__(self, *, unreachable_after: int = 3, clock: Clock | None = None) -> None:
        if unreachable_after < 1:
            raise ValueError(f"unreachable_after must be >= 1, got {unreachable_after}")
        self.unreachable_after = unreachable_after
        self.clock: Clock = clock or LiveClock()
        self.consecutive_failures = 0
        self.reachable = True
        """False from the ``unreachable_after``-th failure in a row until the next successful call."""
        self.last_error = ""
        self.outages = 0
        """Times the broker became unreachable."""
        self.calls = 0
        self.failures = 0
        self._down_since: int | None = None

    def succeeded(self, what: str) -> None:
        """A call the broker answered (a refusal counts: the broker is there)."""
        self.calls += 1
        self.consecutive_failures = 0
        if not self.reachable:
            now = self.clock.now_ns()
            down = seconds_between(self._down_since if self._down_since is not None else now, now)
            self.reachable = True
            self._down_since = None
            log.warning("broker answers again (%s) after %.1f s unreachable; new orders resume", what, down)

    def failed(self, what: str, exc: BaseException) -> None:
        """A call that did not reach the broker (see :func:`is_outage`)."""
        self.calls += 1
        self.failures += 1
        self.consecutive_failures += 1
        self.last_error = f"{what}: {exc}"
        if self.reachable and self.consecutive_failures >= self.unreachable_after:
            self.reachable = False
            self.outages += 1
            self._down_since = self.clock.now_ns()
            log.error(
                "broker unreachable: %d broker calls failed in a row (last: %s); new orders halted, "
                "reads retried with backoff until it answers",
                self.consecutive_failures,
                self.last_error,
            )
        else:
            log.debug("broker call failed (%d in a row): %s", self.consecutive_failures, self.last_error)

    def record(self, what: str, exc: BaseException | None) -> None:
        """:meth:`succeeded` when ``exc`` is None or an answer, else :meth:`failed`."""
        if exc is not None and is_outage(exc):
            self.failed(what, exc)
        else:
            self.succeeded(what)

    def backoff_s(self, base_s: float, cap_s: float) -> float:
        """Seconds before the next periodic read: ``base_s`` while reachable, else ``base_s`` doubled per
        failure beyond the threshold, at most ``cap_s``."""
        if self.reachable:
            return base_s
        extra = min(self.consecutive_failures - self.unreachable_after + 1, 16)
        return min(base_s * 2.0**extra, max(cap_s, base_s))

    def down_for_s(self) -> float:
        """Engine seconds the broker has been unreachable (0 while reachable)."""
        return 0.0 if self._down_since is None else seconds_between(self._down_since, self.clock.now_ns())

    # engine component ------------------------------------------------------------------------------

    async def initialize(self) -> None:
        """Nothing to prepare."""

    async def start(self) -> None:
        """Nothing to start: the monitored broker reports to it."""

    async def stop(self) -> None:
        """Nothing to stop."""

    def health(self) -> Health:
        """``failed`` while unreachable (with the last error), else ``ok``; call counts as metrics."""
        metrics = {
            "calls": float(self.calls),
            "failures": float(self.failures),
            "consecutive_failures": float(self.consecutive_failures),
            "outages": float(self.outages),
        }
        if not self.reachable:
            detail = f"unreachable for {self.down_for_s():.0f} s, new orders halted ({self.last_error})"
            return Health("failed", detail, metrics, self.failures)
        return Health("ok", "", metrics, self.failures)


class _Observed:
    """Reports each awaited call of ``inner`` to ``health`` (the base of the monitored roles)."""

    def __init__(self, inner: object, health: BrokerHealth) -> None:
        self.inner = inner
        """The monitored broker (for its identity and repr; its calls go through the role's methods)."""
        self.broker_health = health

    async def _observe(self, name: str, call: Awaitable[T]) -> T:
        """``call``'s answer, its outcome reported as ``name`` (a cancellation is not an outcome)."""
        try:
            result = await call
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.broker_health.record(name, exc)
            raise
        self.broker_health.succeeded(name)
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"


class MonitoredExecution(_Observed):
    """An :class:`~alphastock.ports.ExecutionClient` whose calls are reported to ``health``."""

    def __init__(self, inner: ExecutionClient, health: BrokerHealth) -> None:
        super().__init__(inner, health)
        self.execution = inner

    @property
    def capabilities(self) -> BrokerCapabilities:
        """The monitored client's own declaration."""
        return self.execution.capabilities

    async def place_order(self, request: OrderRequest) -> str:
        """See :meth:`ExecutionClient.place_order`."""
        return await self._observe("place_order", self.execution.place_order(request))

    def place_order_now(self, request: OrderRequest) -> Placement | None:
        """The client's synchronous start of a placement (None unless it declares
        ``immediate_placement``), its outcome reported as ``place_order`` when awaited."""
        if not self.execution.capabilities.immediate_placement:
            return None
        placement = self.execution.place_order_now(request)
        if placement is None:
            return None
        return Placement(self._observe("place_order", placement.pending), placement.released_ns)

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
        """See :meth:`ExecutionClient.modify_order`."""
        call = self.execution.modify_order(
            order_id, variety=variety, quantity=quantity, price=price, trigger_price=trigger_price,
            order_type=order_type, validity=validity, disclosed_quantity=disclosed_quantity,
            market_protection=market_protection,
        )  # fmt: skip
        return await self._observe("modify_order", call)

    async def cancel_order(self, order_id: str, variety: Variety = Variety.REGULAR) -> str:
        """See :meth:`ExecutionClient.cancel_order`."""
        return await self._observe("cancel_order", self.execution.cancel_order(order_id, variety))

    async def orders(self) -> list[Order]:
        """See :meth:`ExecutionClient.orders`."""
        return await self._observe("orders", self.execution.orders())

    async def order_history(self, order_id: str) -> list[Order]:
        """See :meth:`ExecutionClient.order_history`."""
        return await self._observe("order_history", self.execution.order_history(order_id))

    async def trades(self) -> list[Trade]:
        """See :meth:`ExecutionClient.trades`."""
        return await self._observe("trades", self.execution.trades())

    async def order_trades(self, order_id: str) -> list[Trade]:
        """See :meth:`ExecutionClient.order_trades`."""
        return await self._observe("order_trades", self.execution.order_trades(order_id))

    def order_updates(self) -> AsyncIterator[OrderUpdate]:
        """The client's update stream, as is (a stream is not a call with an outcome)."""
        return self.execution.order_updates()


class MonitoredAccount(_Observed):
    """An :class:`~alphastock.ports.AccountClient` whose calls are reported to ``health``."""

    def __init__(self, inner: AccountClient, health: BrokerHealth) -> None:
        super().__init__(inner, health)
        self.account = inner

    async def positions(self) -> PositionsBook:
        """See :meth:`AccountClient.positions`."""
        return await self._observe("positions", self.account.positions())

    async def holdings(self) -> list[Holding]:
        """See :meth:`AccountClient.holdings`."""
        return await self._observe("holdings", self.account.holdings())

    async def margins(self, segment: MarginSegment | None = None) -> Margins | SegmentMargin:
        """See :meth:`AccountClient.margins`."""
        return await self._observe("margins", self.account.margins(segment))

    async def order_margins(self, requests: Sequence[OrderRequest]) -> list[OrderMargin]:
        """See :meth:`AccountClient.order_margins`."""
        return await self._observe("order_margins", self.account.order_margins(requests))

    async def charges(self, orders: Sequence[ChargeOrder]) -> list[ChargeBreakdown]:
        """See :meth:`AccountClient.charges`."""
        return await self._observe("charges", self.account.charges(orders))


class MonitoredMarketData(_Observed):
    """A :class:`~alphastock.ports.MarketDataClient` whose calls are reported to ``health``."""

    def __init__(self, inner: MarketDataClient, health: BrokerHealth) -> None:
        super().__init__(inner, health)
        self.market_data = inner

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        """See :meth:`MarketDataClient.quote`."""
        return await self._observe("quote", self.market_data.quote(instruments))

    async def ohlc(self, instruments: Sequence[str]) -> dict[str, Ohlc]:
        """See :meth:`MarketDataClient.ohlc`."""
        return await self._observe("ohlc", self.market_data.ohlc(instruments))

    async def ltp(self, instruments: Sequence[str]) -> dict[str, Ltp]:
        """See :meth:`MarketDataClient.ltp`."""
        return await self._observe("ltp", self.market_data.ltp(instruments))

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """See :meth:`MarketDataClient.instruments`."""
        return await self._observe("instruments", self.market_data.instruments(exchange))

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
        """See :meth:`MarketDataClient.historical`."""
        call = self.market_data.historical(
            instrument_token, from_date, to_date, interval, continuous=continuous, oi=oi
        )
        return await self._observe("historical", call)


class MonitoredTrading(MonitoredExecution, MonitoredAccount):
    """A :class:`~alphastock.ports.TradingClient` (orders and account) reported to ``health``."""

    def __init__(self, inner: TradingClient, health: BrokerHealth) -> None:
        _Observed.__init__(self, inner, health)
        self.execution = inner
        self.account = inner


class MonitoredBroker(MonitoredTrading, MonitoredMarketData):
    """A :class:`~alphastock.ports.Broker` (every role) reported to ``health``."""

    def __init__(self, inner: Broker, health: BrokerHealth) -> None:
        _Observed.__init__(self, inner, health)
        self.execution = inner
        self.account = inner
        self.market_data = inner


class MonitoredGtt(_Observed):
    """A :class:`~alphastock.ports.GttClient` whose calls are reported to ``health`` (a GTT call that
    could not reach the broker counts towards its outage as an order call does)."""

    def __init__(self, inner: GttClient, health: BrokerHealth) -> None:
        super().__init__(inner, health)
        self.gtt_client = inner

    async def place_gtt(self, request: GttRequest) -> int:
        """See :meth:`GttClient.place_gtt`."""
        return await self._observe("place_gtt", self.gtt_client.place_gtt(request))

    async def modify_gtt(self, trigger_id: int, request: GttRequest) -> int:
        """See :meth:`GttClient.modify_gtt`."""
        return await self._observe("modify_gtt", self.gtt_client.modify_gtt(trigger_id, request))

    async def delete_gtt(self, trigger_id: int) -> int:
        """See :meth:`GttClient.delete_gtt`."""
        return await self._observe("delete_gtt", self.gtt_client.delete_gtt(trigger_id))

    async def gtts(self) -> list[Gtt]:
        """See :meth:`GttClient.gtts`."""
        return await self._observe("gtts", self.gtt_client.gtts())

    async def gtt(self, trigger_id: int) -> Gtt:
        """See :meth:`GttClient.gtt`."""
        return await self._observe("gtt", self.gtt_client.gtt(trigger_id))


def gtt_client(client: object, health: BrokerHealth | None) -> GttClient | None:
    """``client``'s GTT role, reported to ``health`` (:class:`MonitoredGtt`; as is when ``health`` is
    None), or None unless the client declares :attr:`BrokerCapabilities.gtt` and implements
    :class:`~alphastock.ports.GttClient`. A monitored wrapper (:class:`MonitoredTrading` ...) is looked
    through to the broker it wraps: the wrappers forward only their roles' calls."""
    inner = client.inner if isinstance(client, _Observed) else client
    capabilities = getattr(inner, "capabilities", None)
    if not isinstance(capabilities, BrokerCapabilities) or not capabilities.gtt:
        return None
    if not isinstance(inner, GttClient):
        return None
    return inner if health is None else MonitoredGtt(inner, health)


__all__ = [
    "MONITORED_CALLS",
    "MONITORED_GTT_CALLS",
    "BrokerHealth",
    "MonitoredAccount",
    "MonitoredBroker",
    "MonitoredExecution",
    "MonitoredGtt",
    "MonitoredMarketData",
    "MonitoredTrading",
    "gtt_client",
    "is_outage",
]
