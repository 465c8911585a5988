"""Kite's tick WebSocket: subscribe/unsubscribe/mode text messages in, binary tick frames out.

The endpoint is the server root (``ws://HOST:PORT?api_key=...&access_token=...``,
what ``KiteTicker(root=...)`` opens). ``subscribe`` puts tokens in quote mode,
as Kite does; ``mode`` switches them to ``ltp``, ``quote`` or ``full``. Each
clock tick sends one binary frame with every subscribed instrument; a
connection with nothing to send gets a 1-byte heartbeat every second. Order
updates go out as text frames ``{"type": "order", "data": {...}}`` shaped as
Kite's postback; protocol errors as ``{"type": "error", "data": "..."}``.
Limits: 3000 instruments per connection, 3 connections per api_key.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web
from numpy.typing import NDArray

from alphastock.sim.frames import HEARTBEAT, MODE_QUOTE, MODES, encode_frame
from alphastock.sim.matching import SimOrder
from alphastock.sim.rest import STATE
from alphastock.sim.state import SimState

MAX_TOKENS = 3000
MAX_CONNECTIONS = 3
HEARTBEAT_SECONDS = 1.0


class TickConnection:
    """One client's WebSocket and its subscriptions (instrument index -> mode)."""

    def __init__(self, ws: web.WebSocketResponse, api_key: str, request: web.Request) -> None:
        self.ws = ws
        self.api_key = api_key
        self.request = request
        self.modes: dict[int, str] = {}
        self._groups: dict[str, NDArray[np.int64]] | None = None
        self.last_sent = time.monotonic()
        self.frames_sent = 0
        self.ticks_sent = 0

    def groups(self) -> dict[str, NDArray[np.int64]]:
        """Subscribed instrument indices by mode (cached until the subscription changes)."""
        if self._groups is None:
            self._groups = {
                mode: np.array(sorted(i for i, m in self.modes.items() if m == mode), dtype=np.int64)
                for mode in MODES
            }
        return self._groups

    def handle(self, state: SimState, text: str) -> str | None:
        """Apply one client message; returns an error text for the client, or None."""
        try:
            message = json.loads(text)
            action, value = message["a"], message["v"]
        except (ValueError, KeyError, TypeError):
            return "Invalid message."
        if action == "mode":
            if not isinstance(value, list) or len(value) != 2 or value[0] not in MODES:
                return "Invalid mode message."
            mode, tokens = value
        else:
            mode, tokens = MODE_QUOTE, value
        if not isinstance(tokens, list):
            return "Invalid token list."
        indices = [state.by_token[t].index for t in tokens if isinstance(t, int) and t in state.by_token]
        if action == "subscribe":
            if len(set(self.modes) | set(indices)) > MAX_TOKENS:
                return f"Subscription limit exceeded: at most {MAX_TOKENS} instruments per connection."
            for i in indices:
                self.modes.setdefault(i, MODE_QUOTE)
        elif action == "unsubscribe":
            for i in indices:
                self.modes.pop(i, None)
        elif action == "mode":
            for i in indices:
                if i in self.modes:
                    self.modes[i] = mode
        else:
            return f"Unknown action {action!r}."
        self._groups = None
        return None

    async def send_ticks(self, state: SimState) -> None:
        """Send this tick's frame, or a heartbeat when nothing was sent for a second."""
        if self.ws.closed:
            return
        now = time.monotonic()
        if self.modes:
            frame = encode_frame(state.model, self.groups())
            await self.ws.send_bytes(frame)
            self.frames_sent += 1
            self.ticks_sent += len(self.modes)
            self.last_sent = now
        elif now - self.last_sent >= HEARTBEAT_SECONDS:
            await self.ws.send_bytes(HEARTBEAT)
            self.last_sent = now

    def drop(self) -> None:
        """Cut the TCP connection without a closing handshake (a simulated network drop)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


def order_update(state: SimState, order: SimOrder) -> str:
    """The text frame for an order's status change (Kite's postback payload)."""
    data: dict[str, Any] = order.to_kite()
    secret = state.config.api_secret or ""
    data.update(
        user_id=state.config.user_id,
        unfilled_quantity=order.pending_quantity if order.status in ("OPEN", "TRIGGER PENDING") else 0,
        app_id=0,
        checksum=hashlib.sha256(f"{order.order_id}{data['order_timestamp']}{secret}".encode()).hexdigest(),
    )
    return json.dumps({"type": "order", "data": data})


async def ws_handler(request: web.Request) -> web.StreamResponse:
    """``GET /`` with an upgrade: authenticate from the query, then serve ticks until the client leaves."""
    state = request.app[STATE]
    hub: set[TickConnection] = request.app[CONNECTIONS]
    api_key = request.query.get("api_key", "")
    session = state.session_for(api_key, request.query.get("access_token", ""))
    if session is None:
        return web.Response(status=403, text="Invalid api_key or access_token.")
    if sum(1 for c in hub if c.api_key == api_key) >= MAX_CONNECTIONS:
        return web.Response(status=429, text="Too many connections for this api_key.")
    ws = web.WebSocketResponse(autoping=True, max_msg_size=1 << 20)
    await ws.prepare(request)
    conn = TickConnection(ws, api_key, request)
    hub.add(conn)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                problem = conn.handle(state, msg.data)
                if problem is not None:
                    await ws.send_str(json.dumps({"type": "error", "data": problem}))
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        hub.discard(conn)
    return ws


CONNECTIONS: web.AppKey[set[TickConnection]] = web.AppKey("sim_connections", set)

__all__ = ["CONNECTIONS", "TickConnection", "order_update", "ws_handler"]
