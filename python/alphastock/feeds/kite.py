"""Kite Connect binary tick frames, decoded in the Rust core into numpy columns.

A frame (one WebSocket binary message) is a big-endian ``uint16`` packet count,
then per packet a ``uint16`` length and the packet. The length tells the kind:

==========  =====  ================================================================
length      mode   content
==========  =====  ================================================================
8           ltp    token, last price
28          quote  index: token, last price, high, low, open, close (then change)
32          full   the index quote plus the exchange timestamp
44          quote  token, last price, last qty, average price, volume, total buy and
                   sell qty, open, high, low, close
184         full   the quote plus last trade time, oi, oi day high/low, exchange
                   timestamp and 5 buy + 5 sell depth levels (qty, price, orders)
==========  =====  ================================================================

Prices are divided by the segment's divisor (segment = ``token & 0xff``: CDS
1e7, BCD and NCO 1e4, everything else 100), as the official client does; the
result equals ``kiteconnect.KiteTicker._parse_binary`` field by field, except
that timestamps are epoch seconds instead of local datetimes, packets of
unknown size raise instead of vanishing, and ``change`` is NaN (not absent)
for LTP packets. The WebSocket client is :class:`KiteFeed`
(:mod:`alphastock.feeds.kite_ws`), re-exported here.
"""

from __future__ import annotations

import operator
from typing import Any, Final, TypeAlias

from numpy.typing import NDArray

from alphastock import _core
from alphastock.feeds.kite_ws import FeedError, FeedEvent, FeedLimitError, KiteFeed

KiteColumns: TypeAlias = dict[str, NDArray[Any]]

MODE_LTP: Final = 0
"""``mode`` code of LTP packets (8 bytes)."""
MODE_QUOTE: Final = 1
"""``mode`` code of quote packets (44 bytes, or 28 for indices)."""
MODE_FULL: Final = 2
"""``mode`` code of full packets (184 bytes, or 32 for indices)."""
MODE_NAMES: Final[tuple[str, ...]] = ("ltp", "quote", "full")
"""Kite's mode names (``KiteTicker.MODE_*``) indexed by ``mode`` code."""

COLUMNS: Final[tuple[str, ...]] = (
    "instrument_token",
    "mode",
    "tradable",
    "last_price",
    "last_traded_quantity",
    "average_traded_price",
    "volume_traded",
    "total_buy_quantity",
    "total_sell_quantity",
    "open",
    "high",
    "low",
    "close",
    "change",
    "last_trade_time",
    "oi",
    "oi_day_high",
    "oi_day_low",
    "exchange_timestamp",
)
"""One-dimensional columns of :func:`parse_frame`, one row per packet."""
DEPTH_COLUMNS: Final[tuple[str, ...]] = (
    "buy_quantity",
    "buy_price",
    "buy_orders",
    "sell_quantity",
    "sell_price",
    "sell_orders",
)
"""``(n, 5)`` depth columns of :func:`parse_frame`; column 0 is the best level."""
DEPTH_LEVELS: Final = 5
"""Depth levels per side in a full packet."""


def mode_name(code: int) -> str:
    """Kite's name ("ltp", "quote" or "full") for a ``mode`` code from :func:`parse_frame`."""
    value = -1 if isinstance(code, bool) else operator.index(code)
    if not 0 <= value < len(MODE_NAMES):
        raise ValueError(f"unknown Kite mode code {code!r}: 0 = ltp, 1 = quote, 2 = full")
    return MODE_NAMES[value]


def parse_frame(frame: bytes | bytearray | memoryview, *, strict: bool = True) -> KiteColumns:
    """Decode every packet of a Kite binary frame into columns, one row per packet.

    Columns (``n`` = packets decoded):

    - ``instrument_token`` int64; ``mode`` int8 (0 = ltp, 1 = quote, 2 = full, see
      :func:`mode_name`); ``tradable`` bool (False only for indices, segment 9).
    - ``last_price``, ``average_traded_price``, ``open``, ``high``, ``low``, ``close``:
      float64 rupees (or the segment's quote unit). NaN where the packet does not
      carry the field: LTP packets carry only ``last_price``; index packets carry no
      ``average_traded_price``.
    - ``change``: float64 percent, ``(last_price - close) * 100 / close`` as Kite's
      client computes it (0 when close is 0; NaN for LTP packets).
    - ``last_traded_quantity``, ``volume_traded``, ``total_buy_quantity``,
      ``total_sell_quantity``, ``oi``, ``oi_day_high``, ``oi_day_low``: int64 units;
      0 where not carried (quantities need a 44/184-byte packet, oi a 184-byte one).
    - ``last_trade_time``, ``exchange_timestamp``: int64 epoch seconds (UTC); 0 where
      the packet has none (only 184-byte packets have both; 32-byte index packets
      have the exchange timestamp).
    - ``buy_quantity``, ``buy_price``, ``buy_orders``, ``sell_quantity``,
      ``sell_price``, ``sell_orders``: ``(n, 5)`` arrays, level 0 = best; int64 units
      and orders, float64 rupees; quantity/orders 0 and price NaN unless the packet is
      a 184-byte full one (whose empty levels Kite sends as zeros).
    - ``skipped``: 0-d int64, declared packets that were not decoded (always 0 when
      ``strict``).

    Frames shorter than 2 bytes are heartbeats and give zero rows. A malformed frame
    (a packet length running past the end, a truncated length field, a packet of
    unknown size, bytes after the last declared packet) raises
    :class:`alphastock.FrameError` with the byte offset (``.offset``) of the bad
    packet's length field. With ``strict=False`` it does not raise: a packet of
    unknown size is skipped and counted; at a truncation the frame is decoded up to
    there and every declared packet from there on is counted; trailing bytes count
    as one skipped packet.
    """
    data = frame if isinstance(frame, bytes) else bytes(frame)
    return _core.parse_kite_frame(data, strict)


__all__ = [
    "COLUMNS",
    "DEPTH_COLUMNS",
    "DEPTH_LEVELS",
    "MODE_FULL",
    "MODE_LTP",
    "MODE_NAMES",
    "MODE_QUOTE",
    "FeedError",
    "FeedEvent",
    "FeedLimitError",
    "KiteColumns",
    "KiteFeed",
    "mode_name",
    "parse_frame",
]
