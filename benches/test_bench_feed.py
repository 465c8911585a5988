"""Benchmark of KiteFeed: ticks/s from the socket into the TickStore, against two baselines.

Run with ``.venv/bin/python -m pytest benches/test_bench_feed.py -q -s`` (or ``make bench``).

A bare aiohttp WebSocket on loopback resends one prebuilt full-mode frame of
1,000 instruments (Kite's 184-byte packets, encoded by the simulator) as fast
as it can. Measured on the same server, in the same run:

- KiteFeed: receive, ``TickStore.ingest_kite`` (Rust parse + ring buffers), one
  ``ticks`` event per frame.
- Official parser: the same ``websockets`` client loop calling
  ``kiteconnect.KiteTicker._parse_binary`` (pure Python, a dict per tick) per
  frame, what a KiteTicker-based feed spends before storing anything.
- Bare receive: the same client loop doing nothing with the frame (the
  transport's ceiling).

A second benchmark runs end to end from the exchange simulator: a
:class:`~alphastock.sim.SimServer` on a fast wall clock (``SIM_SPEED`` simulated
seconds per wall second, a frame every millisecond at most) serving 1,000+
instruments in full mode. KiteFeed's rate (ticks stored in the TickStore per
second over a fixed window) is compared with the simulator's own serving rate,
measured in the same run by a bare aiohttp client that subscribes the same
instruments and only counts the packets it receives.

Nothing asserts on time; the figures are printed and kept in ``extra_info``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web
from kiteconnect import KiteTicker
from websockets.asyncio.client import connect

from alphastock import TickStore
from alphastock.feeds.kite import FeedEvent, KiteFeed
from alphastock.sim import RateLimits, SimConfig, SimServer
from alphastock.sim.frames import encode_frame
from alphastock.sim.state import SimState

try:  # the shared end-of-session summary, when the options benchmarks' helpers are present
    from benchlib import report as _summary
except ImportError:  # pragma: no cover
    _summary = None

TOKENS = 1000
FRAMES = 300
OFFICIAL_FRAMES = 30  # the pure-Python parser is ~100x slower: fewer frames keep the run short
ROUNDS = 3
CONFIG = SimConfig(date=dt.date(2026, 1, 12), clock="manual", rate_limits=RateLimits(enabled=False))


def _say(line: str) -> None:
    print(f"\n{line}")
    if _summary is not None:
        _summary(line)


def _frame() -> tuple[bytes, list[int]]:
    state = SimState(CONFIG)
    tokens = [r.instrument_token for r in state.instruments if not r.is_index][:TOKENS]
    idx = np.array([state.by_token[t].index for t in tokens], dtype=np.int64)
    return encode_frame(state.model, {"full": idx}), tokens


class _Pusher:
    """A bare aiohttp WebSocket server resending ``frame`` as fast as it can, in its own thread."""

    def __init__(self, frame: bytes) -> None:
        self.frame = frame
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner, self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> tuple[web.AppRunner, int]:
        async def handler(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)

            async def push() -> None:
                while not ws.closed:
                    await ws.send_bytes(self.frame)
                    await asyncio.sleep(0)

            pushing = asyncio.create_task(push())
            async for _ in ws:  # subscribe messages, and the close handshake
                pass
            pushing.cancel()
            return ws

        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner, int(runner.addresses[0][1])

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def _feed_seconds(url: str, tokens: list[int]) -> float:
    """Seconds for KiteFeed to take FRAMES frames into a TickStore (after 5 warm-up frames)."""
    done = asyncio.Event()
    marks: dict[int, float] = {}
    count = [0]

    def on_event(event: FeedEvent) -> None:
        if event.kind == "ticks":
            count[0] += 1
            if count[0] == 5:
                marks[0] = time.perf_counter()
            elif count[0] == FRAMES + 5:
                marks[1] = time.perf_counter()
                done.set()

    feed = KiteFeed("bench", "bench-token", TickStore(64), url=url, on_event=on_event, stale_after_s=60)
    await feed.start()
    await feed.subscribe(tokens, "full")
    await asyncio.wait_for(done.wait(), 60)
    await feed.stop()
    return marks[1] - marks[0]


async def _client_seconds(url: str, handle: Callable[[bytes], object], frames: int = FRAMES) -> float:
    """Seconds for a bare websockets client to receive ``frames`` frames, calling ``handle`` on each."""
    async with connect(url, max_size=1 << 24, compression=None, close_timeout=1.0) as ws:
        got, start = 0, 0.0
        while got < frames + 5:
            data = await ws.recv()
            if isinstance(data, bytes) and len(data) > 2:
                handle(data)
                got += 1
                if got == 5:
                    start = time.perf_counter()
        return time.perf_counter() - start


def _rates(fn: Callable[[], float], rounds: int, frames: int = FRAMES) -> list[float]:
    return [frames * TOKENS / fn() for _ in range(rounds)]


def test_feed_ticks_per_second(benchmark: Any) -> None:
    frame, tokens = _frame()
    pusher = _Pusher(frame)
    url = f"ws://127.0.0.1:{pusher.port}/"
    official = KiteTicker("bench", "bench-token")
    try:
        bare = _rates(lambda: asyncio.run(_client_seconds(url, lambda data: None)), ROUNDS)
        parsed = _rates(
            lambda: asyncio.run(_client_seconds(url, official._parse_binary, OFFICIAL_FRAMES)),
            ROUNDS,
            OFFICIAL_FRAMES,
        )
        elapsed = benchmark.pedantic(lambda: asyncio.run(_feed_seconds(url, tokens)), rounds=ROUNDS)
        more = _rates(lambda: asyncio.run(_feed_seconds(url, tokens)), ROUNDS - 1)
        feed = [FRAMES * TOKENS / elapsed, *more]
    finally:
        pusher.close()
    feed_rate, parsed_rate, bare_rate = (statistics.median(x) for x in (feed, parsed, bare))
    benchmark.extra_info.update(
        feed_ticks_per_s=feed_rate, official_parse_ticks_per_s=parsed_rate, bare_recv_ticks_per_s=bare_rate
    )
    _say(
        f"KiteFeed, {TOKENS} instruments in full mode, received + stored: {feed_rate:,.0f} ticks/s "
        f"({feed_rate / TOKENS:,.0f} frames/s); same client with KiteTicker._parse_binary "
        f"{parsed_rate:,.0f} ticks/s ({feed_rate / parsed_rate:.1f}x slower than KiteFeed); "
        f"bare receive {bare_rate:,.0f} ticks/s (KiteFeed at {feed_rate / bare_rate:.0%} of it)"
    )


SIM_TOKENS = 1200
SIM_SPEED = 60.0  # simulated seconds per wall second: a wall second is a minute of market
SIM_WINDOW_S = 2.0  # wall seconds counted per round, after a warm-up


async def _sim_feed_rate(ws_url: str, api_key: str, access_token: str, tokens: list[int]) -> float:
    """Ticks/s KiteFeed stores from the simulator over SIM_WINDOW_S (once full frames flow)."""
    ticks = [0]
    flowing = asyncio.Event()

    def on_event(event: FeedEvent) -> None:
        if event.kind == "ticks":
            ticks[0] += len(event.tokens)
            if len(event.tokens) >= len(tokens):
                flowing.set()

    store = TickStore(64)
    feed = KiteFeed(api_key, access_token, store, url=ws_url, on_event=on_event, stale_after_s=60)
    await feed.start()
    await feed.subscribe(tokens, "full")
    await asyncio.wait_for(flowing.wait(), 60)
    start_ticks, start = ticks[0], time.perf_counter()
    await asyncio.sleep(SIM_WINDOW_S)
    got, elapsed = ticks[0] - start_ticks, time.perf_counter() - start
    await feed.stop()
    assert all(store.len(t) > 0 for t in tokens[:: max(1, len(tokens) // 50)])  # they did land in the store
    return got / elapsed


async def _sim_serving_rate(url: str, tokens: list[int]) -> float:
    """Ticks/s the simulator sends to a bare client (subscribe, count packets) over SIM_WINDOW_S."""
    full = 2 + 186 * len(tokens)
    async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=1 << 24) as ws:
        await ws.send_json({"a": "subscribe", "v": tokens})
        await ws.send_json({"a": "mode", "v": ["full", tokens]})
        while len(await ws.receive_bytes(timeout=30)) < full:  # heartbeats, frames before the mode
            pass
        got, start = 0, time.perf_counter()
        while (now := time.perf_counter()) - start < SIM_WINDOW_S:
            data = await ws.receive_bytes(timeout=30)
            if len(data) >= 2:
                got += int.from_bytes(data[:2], "big")
        return got / (now - start)


def test_feed_from_simulator_ticks_per_second(benchmark: Any) -> None:
    config = CONFIG.model_copy(update={"clock": "wall", "speed": SIM_SPEED, "frame_interval": 0.001})
    server = SimServer(config).start_in_thread()
    try:
        tokens = server.call(
            lambda ex: [r.instrument_token for r in ex.state.instruments if not r.is_index][:SIM_TOKENS]
        )
        raw_url = f"{server.ws_url}/?api_key={server.api_key}&access_token={server.access_token}"
        feed: list[float] = []
        served: list[float] = []
        for _ in range(ROUNDS):  # interleaved, so both see the same market hours and machine load
            served.append(asyncio.run(_sim_serving_rate(raw_url, tokens)))
            if not feed:
                benchmark.pedantic(
                    lambda: feed.append(
                        asyncio.run(
                            _sim_feed_rate(server.ws_url, server.api_key, server.access_token, tokens)
                        )
                    ),
                    rounds=1,
                    iterations=1,
                )
            else:
                feed.append(
                    asyncio.run(_sim_feed_rate(server.ws_url, server.api_key, server.access_token, tokens))
                )
    finally:
        server.stop()
    feed_rate, sim_rate = statistics.median(feed), statistics.median(served)
    benchmark.extra_info.update(
        instruments=len(tokens), sim_feed_ticks_per_s=feed_rate, sim_serving_ticks_per_s=sim_rate
    )
    _say(
        f"KiteFeed from the simulator, {len(tokens)} instruments in full mode, speed {SIM_SPEED:g}x: "
        f"{feed_rate:,.0f} ticks/s stored ({feed_rate / len(tokens):,.1f} frames/s); the simulator "
        f"serving a bare counting client {sim_rate:,.0f} ticks/s; ratio {feed_rate / sim_rate:.2f} "
        f"(medians of {ROUNDS} windows of {SIM_WINDOW_S:g} s)"
    )
