"""Kite WebSocket binary frames, encoded from the market model's arrays with numpy.

A frame is a big-endian ``uint16`` packet count, then per packet a ``uint16``
length and the packet: 8 bytes (ltp), 28/32 (index quote/full) or 44/184
(quote/full with 5 + 5 depth levels of 12 bytes). Each packet kind is one
structured big-endian dtype whose first field is the length prefix, so a group
of packets is one vectorised fill and one ``tobytes()``. Prices are integers in
paise (divisor 100: every simulated segment is NSE, NFO, MCX or indices).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from alphastock.sim.market import LEVELS, NS, MarketModel

MODE_LTP: Final = "ltp"
MODE_QUOTE: Final = "quote"
MODE_FULL: Final = "full"
MODES: Final = (MODE_LTP, MODE_QUOTE, MODE_FULL)
HEARTBEAT: Final = b"\x00"

_LTP = np.dtype([("len", ">u2"), ("token", ">u4"), ("ltp", ">i4")])
_INDEX = [("len", ">u2"), ("token", ">u4"), ("ltp", ">i4"), ("high", ">i4"), ("low", ">i4"),
          ("open", ">i4"), ("close", ">i4"), ("change", ">i4")]  # fmt: skip
_INDEX_QUOTE = np.dtype(_INDEX)
_INDEX_FULL = np.dtype([*_INDEX, ("ts", ">u4")])
_QUOTE = [("len", ">u2"), ("token", ">u4"), ("ltp", ">i4"), ("last_qty", ">u4"), ("avg", ">i4"),
          ("volume", ">u4"), ("buy_qty", ">u4"), ("sell_qty", ">u4"), ("open", ">i4"), ("high", ">i4"),
          ("low", ">i4"), ("close", ">i4")]  # fmt: skip
_DEPTH = np.dtype([("qty", ">u4"), ("price", ">i4"), ("orders", ">u2"), ("pad", ">u2")])
_FULL = np.dtype([*_QUOTE, ("ltt", ">u4"), ("oi", ">u4"), ("oi_high", ">u4"), ("oi_low", ">u4"),
                  ("ts", ">u4"), ("depth", _DEPTH, (2 * LEVELS,))])  # fmt: skip
assert _LTP.itemsize == 10
assert _INDEX_QUOTE.itemsize == 30
assert _INDEX_FULL.itemsize == 34
assert np.dtype(_QUOTE).itemsize == 46
assert _FULL.itemsize == 186


def _paise(values: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.round(values * 100).astype(np.int64)


def encode_packets(model: MarketModel, idx: NDArray[np.int64], mode: str) -> tuple[int, bytes]:
    """Packets (with their length prefixes) of instruments ``idx`` in ``mode``: (count, bytes)."""
    if idx.size == 0:
        return 0, b""
    token = model.token[idx]
    if mode == MODE_LTP:
        out = np.zeros(idx.size, _LTP)
        out["len"], out["token"], out["ltp"] = 8, token, _paise(model.ltp[idx])
        return idx.size, out.tobytes()
    index = model.kind[idx] == 0
    parts: list[bytes] = []
    ix = idx[index]
    if ix.size:
        full = mode == MODE_FULL
        out = np.zeros(ix.size, _INDEX_FULL if full else _INDEX_QUOTE)
        out["len"] = 32 if full else 28
        out["token"] = model.token[ix]
        for field, arr in (("ltp", model.ltp), ("high", model.high), ("low", model.low),
                           ("open", model.open), ("close", model.close)):  # fmt: skip
            out[field] = _paise(arr[ix])
        out["change"] = _paise(model.ltp[ix] - model.close[ix])
        if full:
            out["ts"] = model.now_ns // NS
        parts.append(out.tobytes())
    tx = idx[~index]
    if tx.size:
        full = mode == MODE_FULL
        out = np.zeros(tx.size, _FULL if full else np.dtype(_QUOTE))
        buy_total, sell_total = model.total_quantities()
        out["len"] = 184 if full else 44
        out["token"] = model.token[tx]
        out["ltp"] = _paise(model.ltp[tx])
        out["last_qty"] = model.last_qty[tx]
        out["avg"] = _paise(model.average_price()[tx])
        out["volume"] = model.volume[tx]
        out["buy_qty"] = buy_total[tx]
        out["sell_qty"] = sell_total[tx]
        for field, arr in (("open", model.open), ("high", model.high), ("low", model.low),
                           ("close", model.close)):  # fmt: skip
            out[field] = _paise(arr[tx])
        if full:
            out["ltt"] = model.last_trade_time[tx]
            out["oi"] = model.oi[tx]
            out["oi_high"] = model.oi_high[tx]
            out["oi_low"] = model.oi_low[tx]
            out["ts"] = model.now_ns // NS
            depth = out["depth"]
            depth["qty"][:, :LEVELS] = model.bid_qty[tx]
            depth["price"][:, :LEVELS] = _paise(model.bid_px[tx])
            depth["orders"][:, :LEVELS] = model.bid_orders[tx]
            depth["qty"][:, LEVELS:] = model.ask_qty[tx]
            depth["price"][:, LEVELS:] = _paise(model.ask_px[tx])
            depth["orders"][:, LEVELS:] = model.ask_orders[tx]
        parts.append(out.tobytes())
    return idx.size, b"".join(parts)


def encode_frame(model: MarketModel, by_mode: dict[str, NDArray[np.int64]]) -> bytes:
    """One binary frame holding every instrument of ``by_mode`` (mode -> instrument indices)."""
    count = 0
    body: list[bytes] = []
    for mode in MODES:
        idx = by_mode.get(mode)
        if idx is None:
            continue
        c, data = encode_packets(model, idx, mode)
        count += c
        body.append(data)
    return count.to_bytes(2, "big") + b"".join(body)


__all__ = ["HEARTBEAT", "MODES", "MODE_FULL", "MODE_LTP", "MODE_QUOTE", "encode_frame", "encode_packets"]
