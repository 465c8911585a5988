"""The tick WebSocket: the official KiteTicker parsing our frames, the protocol, order updates, drops."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from kiteconnect import KiteTicker

from alphastock.sim import SimExchange, SimServer
from alphastock.sim.frames import encode_frame
from alphastock.sim.state import SimState
from tests.sim.conftest import make_config

CLIENT = Path(__file__).with_name("_ticker_client.py")
INFY, SBIN, RELIANCE, NIFTY = 408065, 779521, 738561, 256265


def _on_tick(price: float, tick: float = 0.05) -> bool:
    return abs(price / tick - round(price / tick)) < 1e-6


def test_official_kiteticker_receives_and_parses_ticks() -> None:
    with SimServer(make_config(clock="wall", speed=60.0)) as sim:
        proc = subprocess.run(
            [sys.executable, str(CLIENT), sim.ws_url, sim.api_key, sim.access_token, "4",
             f"{INFY},{NIFTY}", str(SBIN), str(RELIANCE)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "connect", proc.stderr[-2000:]
    assert kinds.count("ticks") == 4, proc.stderr[-2000:]
    last = {t["instrument_token"]: t for e in events if e["kind"] == "ticks" for t in e["data"]}
    assert {t: last[t]["mode"] for t in last} == {INFY: "full", NIFTY: "full", SBIN: "ltp", RELIANCE: "quote"}
    infy, nifty = last[INFY], last[NIFTY]
    assert infy["tradable"] is True
    assert nifty["tradable"] is False
    assert 1300 < infy["last_price"] < 1800
    assert _on_tick(infy["last_price"])
    assert _on_tick(last[SBIN]["last_price"])
    buys, sells = infy["depth"]["buy"], infy["depth"]["sell"]
    assert [b["price"] for b in buys] == sorted((b["price"] for b in buys), reverse=True)
    assert [s["price"] for s in sells] == sorted(s["price"] for s in sells)
    assert buys[0]["price"] < sells[0]["price"]
    assert all(level["quantity"] > 0 for level in buys + sells)
    assert infy["ohlc"]["low"] <= infy["last_price"] <= infy["ohlc"]["high"]
    assert infy["volume_traded"] > 0
    assert infy["exchange_timestamp"].startswith("2026-01-12")
    assert 24000 < nifty["last_price"] < 27000
    assert nifty["ohlc"]["close"] == 25500.0
    assert last[RELIANCE]["total_buy_quantity"] > 0
    assert "depth" not in last[RELIANCE]


def test_frames_decode_identically_with_the_official_parser() -> None:
    state = SimState(make_config())
    model = state.model
    model.step(30)
    pick = {
        "ltp": np.array([state.by_token[SBIN].index, 5], dtype=np.int64),
        "quote": np.array([state.by_token[RELIANCE].index, state.by_token[NIFTY].index], dtype=np.int64),
        "full": np.array([state.by_token[INFY].index, 0, model.opt[7]], dtype=np.int64),
    }
    ticks = KiteTicker("k", "t")._parse_binary(encode_frame(model, pick))
    assert [t["mode"] for t in ticks] == ["ltp"] * 2 + ["quote"] * 2 + ["full"] * 3
    # Within a mode the encoder writes index packets first.
    order = [
        i
        for mode in ("ltp", "quote", "full")
        for i in sorted(pick[mode], key=lambda i: mode != "ltp" and model.kind[i] != 0)
    ]
    for i, tick in zip(order, ticks, strict=True):
        assert tick["instrument_token"] == model.token[i]
        assert tick["last_price"] == pytest.approx(model.ltp[i], abs=1e-9)
        if tick["mode"] == "ltp":
            continue
        assert tick["ohlc"] == pytest.approx(
            {"open": model.open[i], "high": model.high[i], "low": model.low[i], "close": model.close[i]},
            abs=1e-9,
        )
        if "depth" in tick:
            assert [d["price"] for d in tick["depth"]["buy"]] == pytest.approx(model.bid_px[i].tolist())
            assert [d["quantity"] for d in tick["depth"]["sell"]] == model.ask_qty[i].tolist()
            assert [d["orders"] for d in tick["depth"]["sell"]] == model.ask_orders[i].tolist()
            assert tick["oi"] == model.oi[i]
            assert tick["volume_traded"] == model.volume[i]


def test_frames_decode_identically_with_the_rust_parser() -> None:
    kite_feed = pytest.importorskip(
        "alphastock.feeds.kite", reason="the Rust Kite parser is not in this build"
    )
    state = SimState(make_config())
    state.model.step(10)
    idx = np.arange(0, 40, dtype=np.int64)
    cols = kite_feed.parse_frame(encode_frame(state.model, {"full": idx}))
    assert cols["instrument_token"].tolist() == state.model.token[idx].tolist()
    assert cols["last_price"] == pytest.approx(state.model.ltp[idx])


def test_protocol_order_updates_heartbeat_and_drop() -> None:
    async def scenario() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with SimExchange(make_config(frame_interval=0.02)) as sim, aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as denied:
                await http.ws_connect(f"{sim.ws_url}/?api_key={sim.api_key}&access_token=wrong")
            out["denied"] = denied.value.status
            ws = await http.ws_connect(f"{sim.ws_url}/?api_key={sim.api_key}&access_token={sim.access_token}")
            out["heartbeat"] = (await ws.receive_bytes(timeout=5)) == b"\x00"
            await ws.send_str(json.dumps({"a": "subscribe", "v": [INFY, 999]}))
            await ws.send_str(json.dumps({"a": "mode", "v": ["ltp", [INFY]]}))
            frame = b""
            while len(frame) != 2 + 2 + 8:  # one LTP packet once the mode change is applied
                frame = await ws.receive_bytes(timeout=5)
            out["ltp_frame"] = int.from_bytes(frame[4:8], "big")
            headers = {"X-Kite-Version": "3", "Authorization": f"token {sim.api_key}:{sim.access_token}"}
            form = {"exchange": "NSE", "tradingsymbol": "INFY", "transaction_type": "BUY", "quantity": "3",
                    "product": "CNC", "order_type": "MARKET", "market_protection": "-1"}  # fmt: skip
            async with http.post(f"{sim.rest_url}/orders/regular", data=form, headers=headers) as resp:
                out["order_id"] = (await resp.json())["data"]["order_id"]
            updates = []
            while len(updates) < 2:
                msg = await ws.receive(timeout=5)
                if msg.type == aiohttp.WSMsgType.TEXT:
                    updates.append(json.loads(msg.data))
            out["updates"] = updates
            await ws.send_str("not json")
            while (msg := await ws.receive(timeout=5)).type != aiohttp.WSMsgType.TEXT:
                pass
            out["error"] = json.loads(msg.data)
            await ws.send_str(json.dumps({"a": "unsubscribe", "v": [INFY]}))
            sim.faults.drop_websockets()
            while (msg := await ws.receive(timeout=5)).type not in (
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.ERROR,
            ):
                pass
            out["dropped"] = ws.closed or msg.type != aiohttp.WSMsgType.TEXT
            out["connections"] = len(sim.connections)
        return out

    out = asyncio.run(scenario())
    assert out["denied"] == 403
    assert out["heartbeat"] is True
    assert out["ltp_frame"] == INFY
    first, second = out["updates"]
    assert first["type"] == second["type"] == "order"
    assert first["data"]["order_id"] == out["order_id"]
    assert first["data"]["status"] == "OPEN"
    assert second["data"]["status"] == "COMPLETE"
    assert second["data"]["filled_quantity"] == 3
    assert second["data"]["user_id"] == "SIM001"
    assert len(second["data"]["checksum"]) == 64
    assert out["error"] == {"type": "error", "data": "Invalid message."}
    assert out["dropped"] is True
    assert out["connections"] == 0
