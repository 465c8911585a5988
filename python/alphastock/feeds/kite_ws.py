"""KiteFeed: our asyncio client for Kite's tick WebSocket, writing frames straight into a TickStore.

One :class:`KiteFeed` holds up to ``max_connections`` (Kite: 3) WebSockets of up to
``max_per_connection`` (Kite: 3000) instruments each. Every binary frame goes to
:meth:`alphastock.TickStore.ingest_kite` in the receive loop (the Rust parser; no
Python object per tick), then one :class:`FeedEvent` ``ticks`` carries the updated
tokens. Text frames become ``order_update`` (checksum-verified when an
``api_secret`` is given), ``error`` or ``message`` events.

A dropped connection reconnects with exponential backoff and full jitter
(``random() * min(cap, base * 2**attempt)`` seconds) and resubscribes every token
in its mode. A watchdog forces a reconnect when a connection got no frame (tick
or heartbeat) for ``stale_after_s`` seconds, and sets :attr:`KiteFeed.stale` with a
``stale`` event until a frame arrives again (then a ``fresh`` event), so the risk
engine can stop trading on stale prices. Credentials never reach the logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random as _random
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, WebSocketException

from alphastock.auth.postback import verify_postback
from alphastock.auth.redact import RedactionFilter, Secret
from alphastock.errors import AlphaStockError
from alphastock.models import OrderUpdate
from alphastock.ticks import TickStore

KITE_WS_URL: Final = "wss://ws.kite.trade"
"""Kite's production tick WebSocket."""
MAX_PER_CONNECTION: Final = 3000
"""Kite's limit of instruments per WebSocket connection."""
MAX_CONNECTIONS: Final = 3
"""Kite's limit of WebSocket connections per api_key."""
MODES: Final[tuple[str, ...]] = ("ltp", "quote", "full")
"""Subscription modes, as Kite names them."""

EventKind = Literal[
    "ticks", "order_update", "error", "message", "connected", "disconnected", "stale", "fresh"
]
log = logging.getLogger(__name__)
# websockets logs the handshake request line (with the query credentials) at debug level: its
# logger and ours carry a filter knowing every feed's secrets, installed or not process-wide.
_wire_log = logging.getLogger(f"{__name__}.wire")
_secrets_filter = RedactionFilter()
log.addFilter(_secrets_filter)
_wire_log.addFilter(_secrets_filter)
_EMPTY: Final = np.zeros(0, dtype=np.int64)
_EMPTY.flags.writeable = False
# What identifies one order update (Kite pushes it on every connection of the key).
_UPDATE_KEY: Final = (
    "order_id",
    "status",
    "exchange_update_timestamp",
    "filled_quantity",
    "pending_quantity",
    "cancelled_quantity",
    "average_price",
    "quantity",
    "price",
    "trigger_price",
    "checksum",
)
_SEEN_UPDATES: Final = 4096


class FeedError(AlphaStockError):
    """The feed cannot do what was asked (rejected credentials, not started); the message says why."""


class FeedLimitError(FeedError, ValueError):
    """A subscription beyond ``max_per_connection * max_connections`` instruments."""


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """Something the feed saw, for ``on_event``.

    ``kind``: ``ticks`` (``tokens``: the int64 tokens just stored, packet order),
    ``order_update`` (``order``: the parsed, verified update; ``data``: the raw dict),
    ``error`` / ``message`` (``data``: Kite's text, or a description of a rejected
    order update), ``connected`` / ``disconnected`` (``data``: the reason),
    ``stale`` / ``fresh`` (the watchdog). ``ts_ns``: UTC epoch ns at receipt on the feed's
    ``time_ns`` clock (the stamp the ticks were stored with; simulated time when the feed is
    given a simulated clock); ``wall_ns``: ``time.time_ns()`` when a binary frame arrived,
    before it was parsed (for latency tracing; 0 for other events);
    ``connection``: the connection index (-1 for feed-wide events).
    """

    kind: EventKind
    ts_ns: int
    connection: int = -1
    tokens: NDArray[np.int64] = field(default_factory=lambda: _EMPTY)
    order: OrderUpdate | None = None
    data: Any = None
    wall_ns: int = 0


@dataclass
class _Connection:
    index: int
    tokens: set[int] = field(default_factory=set)
    ws: ClientConnection | None = None
    task: asyncio.Task[None] | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    failure: BaseException | None = None
    frames: int = 0
    ticks: int = 0
    heartbeats: int = 0
    connects: int = 0
    last_frame: float = 0.0
    last_frame_ns: int = 0
    stale: bool = False


def backoff_delay(attempt: int, base: float, cap: float, random: Callable[[], float]) -> float:
    """Full-jitter backoff: ``random() * min(cap, base * 2**attempt)`` seconds (attempt from 0)."""
    return random() * min(cap, base * 2.0 ** min(attempt, 62))


class KiteFeed:
    """Kite tick WebSocket client; see the module docstring.

    ``store``: where frames go. ``url``: the WebSocket root (the simulator's
    ``ws_url`` in tests). ``on_event``: called on the loop with every
    :class:`FeedEvent` (exceptions it raises are logged, not propagated).
    ``api_secret``: when given, order updates whose checksum does not match are
    rejected (an ``error`` event instead of ``order_update``). ``stale_after_s``:
    seconds without a frame before the watchdog reconnects; ``backoff``: ``(base,
    cap)`` seconds. ``clock`` (monotonic seconds), ``time_ns`` (UTC epoch ns) and
    ``random`` (uniform [0, 1)) are injectable for tests. ``connect_timeout_s`` bounds
    the opening handshake, ``close_timeout_s`` the closing one (a busy or dead server
    must not hold :meth:`stop` or a reconnect).
    """

    def __init__(
        self,
        api_key: str,
        access_token: str,
        store: TickStore,
        *,
        url: str = KITE_WS_URL,
        on_event: Callable[[FeedEvent], object] | None = None,
        api_secret: str | None = None,
        stale_after_s: float = 10.0,
        max_per_connection: int = MAX_PER_CONNECTION,
        max_connections: int = MAX_CONNECTIONS,
        backoff: tuple[float, float] = (0.5, 30.0),
        connect_timeout_s: float = 10.0,
        close_timeout_s: float = 1.0,
        watchdog_interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        time_ns: Callable[[], int] = time.time_ns,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if not 1 <= max_connections <= MAX_CONNECTIONS:
            raise ValueError(f"max_connections must be 1..{MAX_CONNECTIONS}, got {max_connections}")
        if not 1 <= max_per_connection <= MAX_PER_CONNECTION:
            raise ValueError(f"max_per_connection must be 1..{MAX_PER_CONNECTION}, got {max_per_connection}")
        if stale_after_s <= 0 or backoff[0] <= 0 or backoff[1] < backoff[0]:
            raise ValueError("stale_after_s and backoff base must be > 0, backoff cap >= base")
        self.api_key = api_key
        self._access_token = Secret(access_token)
        self._api_secret = Secret(api_secret) if api_secret else None
        self.store = store
        self.url = url
        self.on_event = on_event
        self.stale_after_s = float(stale_after_s)
        self.max_per_connection = max_per_connection
        self.max_connections = max_connections
        self.backoff = (float(backoff[0]), float(backoff[1]))
        self.connect_timeout_s = connect_timeout_s
        self.close_timeout_s = close_timeout_s
        self.watchdog_interval_s = watchdog_interval_s or min(1.0, self.stale_after_s / 4)
        self._clock = clock
        self._time_ns = time_ns
        self._random = random
        self._modes: dict[int, str] = {}
        self._conns = [_Connection(i) for i in range(max_connections)]
        self._running = False
        self._watchdog: asyncio.Task[None] | None = None
        self._last_stamp = 0
        self._seen_updates: OrderedDict[tuple[str, ...], None] = OrderedDict()
        self.stale = False
        """True from a watchdog timeout until frames flow again on every connection."""
        _secrets_filter.add(access_token, api_secret)

    def __repr__(self) -> str:
        return f"KiteFeed(api_key={self.api_key!r}, url={self.url!r}, subscribed={len(self._modes)})"

    # -- public API --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether :meth:`start` ran and :meth:`stop` has not."""
        return self._running

    @property
    def capacity(self) -> int:
        """Instruments this feed can subscribe: ``max_per_connection * max_connections``."""
        return self.max_per_connection * self.max_connections

    def modes(self) -> dict[int, str]:
        """A copy of the subscriptions: token -> mode."""
        return dict(self._modes)

    async def start(self) -> None:
        """Open the first connection (and one per connection holding tokens) and start the watchdog.

        Returns once the first connection is up; raises :class:`FeedError` when Kite
        refuses the credentials, or when it is not up within ``connect_timeout_s``
        (it keeps retrying in the background then; :meth:`stop` ends it).
        """
        if self._running:
            return
        self._running = True
        for conn in self._conns:
            conn.failure = None
        for conn in self._conns:
            if conn.index == 0 or conn.tokens:
                self._launch(conn)
        self._watchdog = asyncio.create_task(self._run_watchdog(), name="kitefeed-watchdog")
        first = self._conns[0]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first.connected.wait(), self.connect_timeout_s)
        if first.failure is not None:
            failure = first.failure
            await self.stop()
            raise FeedError(f"Kite refused the WebSocket connection: {failure}") from None
        if not first.connected.is_set():
            raise FeedError(f"no WebSocket connection to {self.url} within {self.connect_timeout_s} s")

    async def stop(self) -> None:
        """Close every connection and stop the watchdog (subscriptions are kept for a restart)."""
        self._running = False
        tasks = [t for t in (self._watchdog, *(c.task for c in self._conns)) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watchdog = None
        for conn in self._conns:
            conn.task = None
            conn.ws = None
            conn.connected.clear()

    async def subscribe(self, tokens: Iterable[int], mode: str = "full") -> None:
        """Subscribe ``tokens`` in ``mode`` ("ltp", "quote" or "full"); already subscribed ones change mode.

        New tokens fill connection 0, then 1, then 2. Raises :class:`FeedLimitError`
        (subscribing nothing) when the total would exceed :attr:`capacity`.
        """
        self._check_mode(mode)
        wanted = self._tokens(tokens)
        new = [t for t in dict.fromkeys(wanted) if t not in self._modes]
        if len(self._modes) + len(new) > self.capacity:
            raise FeedLimitError(
                f"cannot subscribe {len(new)} more instruments: {len(self._modes)} subscribed, at most "
                f"{self.max_per_connection} per connection x {self.max_connections} connections "
                f"= {self.capacity}"
            )
        touched: dict[int, list[int]] = {}
        for token in new:
            conn = next(c for c in self._conns if len(c.tokens) < self.max_per_connection)
            conn.tokens.add(token)
            touched.setdefault(conn.index, []).append(token)
        fresh = set(new)
        old = [t for t in dict.fromkeys(wanted) if t in self._modes and t not in fresh]
        for token in wanted:
            self._modes[token] = mode
        for token in old:
            touched.setdefault(self._conn_of(token).index, []).append(token)
        for index, group in touched.items():
            conn = self._conns[index]
            if self._running and conn.task is None:
                self._launch(conn)  # it subscribes everything it holds once connected
            elif conn.ws is not None:
                await self._send(conn, {"a": "subscribe", "v": group})
                await self._send(conn, {"a": "mode", "v": [mode, group]})

    async def set_mode(self, tokens: Iterable[int], mode: str) -> None:
        """Switch subscribed ``tokens`` to ``mode``; raises ValueError for a token not subscribed."""
        self._check_mode(mode)
        wanted = self._tokens(tokens)
        missing = [t for t in wanted if t not in self._modes]
        if missing:
            raise ValueError(f"not subscribed: {missing[:10]}{' ...' if len(missing) > 10 else ''}")
        await self.subscribe(wanted, mode)

    async def unsubscribe(self, tokens: Iterable[int]) -> None:
        """Stop the ticks of ``tokens`` (tokens not subscribed are ignored)."""
        groups: dict[int, list[int]] = {}
        for token in dict.fromkeys(self._tokens(tokens)):
            if token in self._modes:
                conn = self._conn_of(token)
                conn.tokens.discard(token)
                del self._modes[token]
                groups.setdefault(conn.index, []).append(token)
        for index, group in groups.items():
            conn = self._conns[index]
            if conn.ws is not None:
                await self._send(conn, {"a": "unsubscribe", "v": group})

    def status(self) -> dict[str, Any]:
        """Counters: per connection and in total (frames, ticks, reconnects, last_frame_ns UTC ns)."""
        conns = [
            {
                "index": c.index,
                "connected": c.ws is not None,
                "subscribed": len(c.tokens),
                "frames": c.frames,
                "ticks": c.ticks,
                "heartbeats": c.heartbeats,
                "reconnects": max(0, c.connects - 1),
                "last_frame_ns": c.last_frame_ns,
                "stale": c.stale,
            }
            for c in self._conns
            if c.task is not None or c.tokens or c.connects
        ]
        return {
            "running": self._running,
            "stale": self.stale,
            "connections": conns,
            "connected": sum(1 for c in conns if c["connected"]),
            "subscribed": {m: sum(1 for v in self._modes.values() if v == m) for m in MODES},
            "frames": sum(c["frames"] for c in conns),
            "ticks": sum(c["ticks"] for c in conns),
            "reconnects": sum(c["reconnects"] for c in conns),
            "last_frame_ns": max((c["last_frame_ns"] for c in conns), default=0),
        }

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until every connection holding tokens (and connection 0) is up."""
        async with asyncio.timeout(timeout):
            for conn in self._conns:
                if conn.index == 0 or conn.tokens:
                    await conn.connected.wait()

    async def check_stale(self) -> bool:
        """One watchdog pass (the watchdog task runs it every ``watchdog_interval_s``): True if it fired.

        A connection that received no frame for ``stale_after_s`` seconds is stale: if
        it is open its socket is cut (the receive loop then reconnects); if it is
        down (reconnecting) it stays stale until it is back and a frame arrives.
        """
        now = self._clock()
        fired = False
        for conn in self._conns:
            if conn.task is None or conn.connects == 0 or now - conn.last_frame <= self.stale_after_s:
                continue
            fired = True
            if not conn.stale:
                conn.stale = True
                log.warning(
                    "Kite connection %d: no frame for %.1f s; data is stale",
                    conn.index,
                    now - conn.last_frame,
                )
            if not self.stale:
                self.stale = True
                self._emit(FeedEvent("stale", self._time_ns(), conn.index, data="no frame or heartbeat"))
            ws = conn.ws
            if ws is not None:
                # Force a reconnect; a stale socket may never finish a closing handshake: cut it.
                ws.transport.abort()
                conn.last_frame = now  # the next forced reconnect only after another silent period
        return fired

    # -- internals ---------------------------------------------------------------------------
    @staticmethod
    def _check_mode(mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    @staticmethod
    def _tokens(tokens: Iterable[int]) -> list[int]:
        out = []
        for t in np.asarray(list(tokens) if not isinstance(tokens, np.ndarray) else tokens).ravel():
            if isinstance(t, bool | np.bool_) or int(t) != t or not 0 < int(t) < 2**32:
                raise ValueError(f"instrument tokens must be positive 32-bit integers, got {t!r}")
            out.append(int(t))
        return out

    def _conn_of(self, token: int) -> _Connection:
        return next(c for c in self._conns if token in c.tokens)

    def _launch(self, conn: _Connection) -> None:
        conn.task = asyncio.create_task(self._run(conn), name=f"kitefeed-{conn.index}")

    def _ws_url(self) -> str:
        query = urllib.parse.urlencode({"api_key": self.api_key, "access_token": self._access_token.reveal()})
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}{query}"

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect ``attempt`` (0 = the first after a drop)."""
        return backoff_delay(attempt, self.backoff[0], self.backoff[1], self._random)

    def _emit(self, event: FeedEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("KiteFeed on_event callback failed on a %s event", event.kind)

    async def _send(self, conn: _Connection, message: dict[str, Any]) -> None:
        ws = conn.ws
        if ws is None:
            return  # resubscribed on connect
        with contextlib.suppress(WebSocketException, OSError):
            await ws.send(json.dumps(message))

    async def _resubscribe(self, conn: _Connection) -> None:
        tokens = sorted(conn.tokens)
        if not tokens:
            return
        await self._send(conn, {"a": "subscribe", "v": tokens})
        for mode in MODES:
            group = [t for t in tokens if self._modes.get(t) == mode]
            if group:
                await self._send(conn, {"a": "mode", "v": [mode, group]})

    def _stamp(self) -> int:
        # Strictly increasing receive stamps: two frames in one clock tick must not collide.
        now = self._time_ns()
        self._last_stamp = now if now > self._last_stamp else self._last_stamp + 1
        return self._last_stamp

    def _on_frame(self, conn: _Connection) -> None:
        conn.last_frame = self._clock()
        if conn.stale:
            conn.stale = False
            if self.stale and not any(c.stale for c in self._conns):
                self.stale = False
                self._emit(FeedEvent("fresh", self._time_ns(), conn.index))

    def _on_binary(self, conn: _Connection, frame: bytes) -> None:
        wall = time.time_ns()
        self._on_frame(conn)
        if len(frame) < 2:
            conn.heartbeats += 1
            return
        ts = self._stamp()
        tokens = self.store.ingest_kite(frame, recv_ts_ns=ts)
        conn.frames += 1
        conn.ticks += len(tokens)
        conn.last_frame_ns = ts
        self._emit(FeedEvent("ticks", ts, conn.index, tokens=tokens, wall_ns=wall))

    def _on_text(self, conn: _Connection, text: str) -> None:
        ts = self._time_ns()
        try:
            message = json.loads(text)
            kind, data = message.get("type"), message.get("data")
        except (ValueError, AttributeError):
            self._emit(FeedEvent("message", ts, conn.index, data=text))
            return
        if kind == "order" and isinstance(data, dict):
            if self._api_secret is not None and not verify_postback(data, self._api_secret):
                log.warning("order update for %s rejected: checksum mismatch", data.get("order_id"))
                self._emit(
                    FeedEvent(
                        "error",
                        ts,
                        conn.index,
                        data=f"order update {data.get('order_id')}: checksum mismatch",
                    )
                )
                return
            key = tuple(str(data.get(k)) for k in _UPDATE_KEY)
            if key in self._seen_updates:
                return  # every connection receives each order update: emit it once
            self._seen_updates[key] = None
            if len(self._seen_updates) > _SEEN_UPDATES:
                self._seen_updates.popitem(last=False)
            try:
                order = OrderUpdate.from_kite(data)
            except ValueError as exc:
                self._emit(FeedEvent("error", ts, conn.index, data=f"unparseable order update: {exc}"))
                return
            self._emit(FeedEvent("order_update", ts, conn.index, order=order, data=data))
        elif kind == "error":
            log.warning("Kite WebSocket error on connection %d: %s", conn.index, data)
            self._emit(FeedEvent("error", ts, conn.index, data=data))
        else:
            self._emit(FeedEvent("message", ts, conn.index, data=data if kind == "message" else message))

    async def _run(self, conn: _Connection) -> None:
        attempt = 0
        while self._running:
            reason = "closed"
            try:
                async with connect(
                    self._ws_url(),
                    open_timeout=self.connect_timeout_s,
                    close_timeout=self.close_timeout_s,
                    max_size=1 << 24,
                    logger=_wire_log,
                    compression=None,
                ) as ws:
                    conn.ws = ws
                    conn.connects += 1
                    conn.last_frame = self._clock()
                    attempt = 0
                    await self._resubscribe(conn)
                    conn.connected.set()
                    self._emit(FeedEvent("connected", self._time_ns(), conn.index, data=conn.connects))
                    async for message in ws:
                        if isinstance(message, bytes):
                            self._on_binary(conn, message)
                        else:
                            self._on_text(conn, message)
            except InvalidStatus as exc:
                status = exc.response.status_code
                reason = f"HTTP {status}"
                if status == 403:  # a dead or wrong token: retrying cannot help
                    conn.failure = FeedError(
                        f"HTTP 403 for api_key {self.api_key!r}: the access token is invalid or expired "
                        "(Kite tokens die daily at 06:00 IST; run `alphastock login`)"
                    )
                    conn.connected.set()
                    self._emit(FeedEvent("error", self._time_ns(), conn.index, data=reason))
                    return
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
                reason = type(exc).__name__
            except Exception as exc:  # a bug must not end the feed: log it (redacted) and reconnect
                reason = type(exc).__name__
                log.exception("Kite connection %d failed unexpectedly", conn.index)
            finally:
                conn.ws = None
                if conn.failure is None:
                    conn.connected.clear()
            if not self._running:
                return
            self._emit(FeedEvent("disconnected", self._time_ns(), conn.index, data=reason))
            delay = self.backoff_delay(attempt)
            attempt += 1
            log.info("Kite connection %d lost (%s); reconnecting in %.2f s", conn.index, reason, delay)
            await asyncio.sleep(delay)

    async def _run_watchdog(self) -> None:
        while self._running:
            await asyncio.sleep(self.watchdog_interval_s)
            await self.check_stale()


__all__ = [
    "KITE_WS_URL",
    "MAX_CONNECTIONS",
    "MAX_PER_CONNECTION",
    "MODES",
    "FeedError",
    "FeedEvent",
    "FeedLimitError",
    "KiteFeed",
    "backoff_delay",
]
