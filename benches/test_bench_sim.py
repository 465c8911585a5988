"""Benchmarks of the exchange simulator: REST requests/s, tick frames encoded and WebSocket ticks/s served.

Run with ``.venv/bin/python -m pytest benches/test_bench_sim.py -q -s`` (or ``make bench``).

Each figure has its baseline measured in the same run, on the same loopback
and with the same client:

- REST: ``GET /quote/ltp?i=NSE:INFY`` through the simulator (faults,
  authentication, rate-limit bookkeeping off, quote lookup, JSON) vs a bare
  aiohttp handler returning a static body on the same path; 16 concurrent
  keep-alive connections from one aiohttp client.
- Encoding: one full-mode frame of 1,000 instruments (vectorised numpy) vs
  ``struct.pack`` per packet in pure Python.
- WebSocket: full-mode frames of 1,000 subscribed instruments pushed as fast as
  the clock allows (manual clock, ``advance`` per frame), counted by a client,
  vs a bare aiohttp WebSocket sending a prebuilt frame of the same size.

Nothing asserts on time; the figures are printed and kept in ``extra_info``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

from alphastock.sim import RateLimits, SimConfig, SimExchange
from alphastock.sim.frames import encode_frame
from alphastock.sim.market import LEVELS, NS
from alphastock.sim.state import SimState

try:  # the shared end-of-session summary, when the options benchmarks' helpers are present
    from benchlib import report as _summary
except ImportError:  # pragma: no cover
    _summary = None

REQUESTS = 3000
CONCURRENCY = 16
TOKENS = 1000
FRAMES = 200
CONFIG = SimConfig(date=dt.date(2026, 1, 12), clock="manual", rate_limits=RateLimits(enabled=False))


def _say(line: str) -> None:
    print(f"\n{line}")
    if _summary is not None:
        _summary(line)


class _Background:
    """An asyncio loop in a thread serving whatever ``start`` sets up."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def _bare_rest() -> tuple[web.AppRunner, int]:
    body = b'{"status": "success", "data": {"NSE:INFY": {"instrument_token": 408065, "last_price": 1550.0}}}'

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/quote/ltp", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def _hammer(url: str, headers: dict[str, str]) -> float:
    """Seconds for REQUESTS GETs over CONCURRENCY connections."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def worker(n: int) -> None:
            for _ in range(n):
                async with http.get(url, params={"i": "NSE:INFY"}) as resp:
                    assert resp.status == 200
                    await resp.read()

        await worker(20)  # warm the connections
        start = time.perf_counter()
        await asyncio.gather(*(worker(REQUESTS // CONCURRENCY) for _ in range(CONCURRENCY)))
        return time.perf_counter() - start


def _rates(fn: Callable[[], float], rounds: int, count: int) -> list[float]:
    return [count / fn() for _ in range(rounds)]


def test_rest_requests_per_second(benchmark: Any) -> None:
    server = _Background()
    sim = SimExchange(CONFIG)
    server.run(sim.start())
    bare_runner, bare_port = server.run(_bare_rest())
    headers = {"X-Kite-Version": "3", "Authorization": f"token {sim.api_key}:{sim.access_token}"}
    n = (REQUESTS // CONCURRENCY) * CONCURRENCY
    try:
        baseline = _rates(lambda: asyncio.run(_hammer(f"http://127.0.0.1:{bare_port}/quote/ltp", {})), 2, n)
        elapsed = benchmark.pedantic(
            lambda: asyncio.run(_hammer(f"{sim.rest_url}/quote/ltp", headers)), rounds=3, iterations=1
        )
        more = _rates(lambda: asyncio.run(_hammer(f"{sim.rest_url}/quote/ltp", headers)), 2, n)
        subject = [n / elapsed, *more]
        baseline += _rates(lambda: asyncio.run(_hammer(f"http://127.0.0.1:{bare_port}/quote/ltp", {})), 1, n)
    finally:
        server.run(sim.stop())
        server.run(bare_runner.cleanup())
        server.close()
    sim_rate, bare_rate = statistics.median(subject), statistics.median(baseline)
    benchmark.extra_info.update(sim_requests_per_s=sim_rate, bare_aiohttp_requests_per_s=bare_rate)
    _say(
        f"sim REST GET /quote/ltp: {sim_rate:,.0f} req/s; "
        f"bare aiohttp static handler {bare_rate:,.0f} req/s; "
        f"ratio {sim_rate / bare_rate:.2f} ({CONCURRENCY} connections, {n} requests per round, medians)"
    )


def _struct_frame(state: SimState, idx: np.ndarray) -> bytes:
    m = state.model
    buy_total, sell_total = m.total_quantities()
    avg = m.average_price()
    parts = [struct.pack(">H", idx.size)]
    for i in idx:
        packet = struct.pack(
            ">IiIiIIIiiiiIIIII",
            int(m.token[i]), round(m.ltp[i] * 100), int(m.last_qty[i]), round(avg[i] * 100), int(m.volume[i]),
            int(buy_total[i]), int(sell_total[i]), round(m.open[i] * 100), round(m.high[i] * 100),
            round(m.low[i] * 100), round(m.close[i] * 100), int(m.last_trade_time[i]), int(m.oi[i]),
            int(m.oi_high[i]), int(m.oi_low[i]), m.now_ns // NS,
        )  # fmt: skip
        depth = b"".join(
            struct.pack(">IiHH", int(q), round(p * 100), int(o), 0)
            for q, p, o in [
                *zip(m.bid_qty[i], m.bid_px[i], m.bid_orders[i], strict=True),
                *zip(m.ask_qty[i], m.ask_px[i], m.ask_orders[i], strict=True),
            ]
        )
        assert len(depth) == 24 * LEVELS
        parts.append(struct.pack(">H", 184) + packet + depth)
    return b"".join(parts)


def test_frame_encoding(benchmark: Any) -> None:
    state = SimState(CONFIG)
    state.model.step(5)
    idx = np.flatnonzero(state.model.kind != 0)[:TOKENS].astype(np.int64)
    assert _struct_frame(state, idx) == encode_frame(state.model, {"full": idx})
    rounds = 30
    base = []
    for _ in range(rounds):
        start = time.perf_counter()
        _struct_frame(state, idx)
        base.append(time.perf_counter() - start)
    benchmark.pedantic(
        lambda: encode_frame(state.model, {"full": idx}), rounds=rounds, iterations=1, warmup_rounds=1
    )
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    subject = stats.median if stats is not None else float("nan")
    baseline = statistics.median(base)
    benchmark.extra_info.update(numpy_us_per_frame=subject * 1e6, struct_us_per_frame=baseline * 1e6)
    _say(
        f"sim frame encoding, {TOKENS} full packets: numpy {subject * 1e6:,.0f} us/frame "
        f"({TOKENS / subject / 1e6:.2f} M ticks/s); struct.pack loop {baseline * 1e6:,.0f} us/frame; "
        f"{baseline / subject:.1f}x faster"
    )


async def _count_ticks(url: str, subscribe: bool, tokens: list[int]) -> float:
    """Seconds to receive FRAMES binary frames (after subscribing, when asked)."""
    async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=1 << 24) as ws:
        if subscribe:
            await ws.send_json({"a": "subscribe", "v": tokens})
            await ws.send_json({"a": "mode", "v": ["full", tokens]})
        got, start = 0, 0.0
        while got < FRAMES + 5:
            data = await ws.receive_bytes(timeout=30)
            if len(data) < 2 + 186 * len(tokens):
                continue  # heartbeats and frames from before the mode change
            got += 1
            if got == 5:
                start = time.perf_counter()
        return time.perf_counter() - start


async def _bare_ws(frame: bytes, stop: asyncio.Event) -> tuple[web.AppRunner, int]:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        async def push() -> None:
            while not ws.closed and not stop.is_set():
                await ws.send_bytes(frame)
                await asyncio.sleep(0)

        pushing = asyncio.create_task(push())
        async for _ in ws:  # read, so the client's close handshake completes
            pass
        pushing.cancel()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


def test_websocket_ticks_per_second(benchmark: Any) -> None:
    server = _Background()
    sim = SimExchange(CONFIG.model_copy(update={"frame_interval": 0.001}))
    server.run(sim.start())
    tokens = [r.instrument_token for r in sim.state.instruments if not r.is_index][:TOKENS]
    idx = np.array([sim.state.by_token[t].index for t in tokens], dtype=np.int64)
    stop = asyncio.Event()
    bare_runner, bare_port = server.run(_bare_ws(encode_frame(sim.state.model, {"full": idx}), stop))

    async def pump() -> None:  # one model step per frame, as fast as the loop turns
        while True:
            await sim.advance(CONFIG.step_seconds)
            await asyncio.sleep(0)

    pumping = asyncio.run_coroutine_threadsafe(pump(), server.loop)
    url = f"{sim.ws_url}/?api_key={sim.api_key}&access_token={sim.access_token}"
    try:
        elapsed = benchmark.pedantic(
            lambda: asyncio.run(_count_ticks(url, True, tokens)), rounds=3, iterations=1
        )
        more = _rates(lambda: asyncio.run(_count_ticks(url, True, tokens)), 2, FRAMES * TOKENS)
        subject = [FRAMES * TOKENS / elapsed, *more]
        baseline = _rates(
            lambda: asyncio.run(_count_ticks(f"ws://127.0.0.1:{bare_port}/", False, tokens)),
            3,
            FRAMES * TOKENS,
        )
    finally:
        pumping.cancel()
        server.loop.call_soon_threadsafe(stop.set)
        server.run(sim.stop())
        server.run(bare_runner.cleanup())
        server.close()
    sim_rate, bare_rate = statistics.median(subject), statistics.median(baseline)
    benchmark.extra_info.update(sim_ticks_per_s=sim_rate, bare_ws_ticks_per_s=bare_rate)
    _say(
        f"sim WebSocket, {TOKENS} instruments in full mode: {sim_rate:,.0f} ticks/s "
        f"({sim_rate / TOKENS:,.0f} frames/s, model step + matching + encoding per frame); "
        f"bare aiohttp WS resending a prebuilt frame {bare_rate:,.0f} ticks/s; "
        f"ratio {sim_rate / bare_rate:.2f}"
    )
