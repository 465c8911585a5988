"""parse_frame equals the official client, kiteconnect.KiteTicker._parse_binary, field by field."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from kiteconnect import KiteTicker

from alphastock.feeds.kite import KiteColumns, mode_name, parse_frame
from tests.feeds._frames import PACKET_SIZES, frame, random_frame, random_packet, real_packet

# Keys the official client gives each packet kind: anything else we return must read "not carried".
QUOTE_KEYS = {
    "last_traded_quantity",
    "average_traded_price",
    "volume_traded",
    "total_buy_quantity",
    "total_sell_quantity",
}
FULL_KEYS = {"last_trade_time", "oi", "oi_day_high", "oi_day_low", "exchange_timestamp", "depth"}
BASE_KEYS = {"tradable", "mode", "instrument_token", "last_price"}
KEYS_BY_SIZE = {
    8: BASE_KEYS,
    28: BASE_KEYS | {"ohlc", "change"},
    32: BASE_KEYS | {"ohlc", "change", "exchange_timestamp"},
    44: BASE_KEYS | {"ohlc", "change"} | QUOTE_KEYS,
    184: BASE_KEYS | {"ohlc", "change"} | QUOTE_KEYS | FULL_KEYS,
}
INT_FIELDS = (*sorted(QUOTE_KEYS - {"average_traded_price"}), "oi", "oi_day_high", "oi_day_low")


@pytest.fixture(scope="module")
def ticker() -> KiteTicker:
    """A ticker that is never connected: only its parser is used."""
    return KiteTicker("api_key", "access_token")


def _same_float(ours: float, theirs: float) -> bool:
    return ours == theirs and math.copysign(1.0, ours) == math.copysign(1.0, theirs)


def assert_matches_official(c: KiteColumns, official: list[dict[str, Any]], sizes: list[int]) -> None:
    """Row i of `c` equals official packet i in every field; fields the client omits read NaN/0."""
    assert c["instrument_token"].shape[0] == len(official) == len(sizes)
    for i, (tick, size) in enumerate(zip(official, sizes, strict=True)):
        assert set(tick) == KEYS_BY_SIZE[size], (i, size)
        assert c["instrument_token"][i] == tick["instrument_token"]
        assert bool(c["tradable"][i]) is tick["tradable"]
        assert mode_name(int(c["mode"][i])) == tick["mode"]
        assert _same_float(c["last_price"][i], tick["last_price"])
        if "ohlc" in tick:
            for field in ("open", "high", "low", "close"):
                assert _same_float(c[field][i], tick["ohlc"][field]), field
            assert c["change"][i] == tick["change"]  # bit for bit: the same operations in the same order
        else:
            assert all(math.isnan(c[f][i]) for f in ("open", "high", "low", "close", "change"))
        if "average_traded_price" in tick:
            assert _same_float(c["average_traded_price"][i], tick["average_traded_price"])
        else:
            assert math.isnan(c["average_traded_price"][i])
        for field in INT_FIELDS:
            assert c[field][i] == tick.get(field, 0), field
        for field in ("last_trade_time", "exchange_timestamp"):
            if field in tick:
                # The client gives a local datetime: compare in the same terms, exact in any time zone.
                assert datetime.fromtimestamp(int(c[field][i])) == tick[field], field
            else:
                assert c[field][i] == 0, field
        if "depth" in tick:
            for side in ("buy", "sell"):
                levels = tick["depth"][side]
                assert c[f"{side}_quantity"][i].tolist() == [d["quantity"] for d in levels]
                assert c[f"{side}_price"][i].tolist() == [d["price"] for d in levels]
                assert c[f"{side}_orders"][i].tolist() == [d["orders"] for d in levels]
        else:
            for side in ("buy", "sell"):
                assert np.isnan(c[f"{side}_price"][i]).all()
                assert not c[f"{side}_quantity"][i].any()
                assert not c[f"{side}_orders"][i].any()


def _sizes(data: bytes) -> list[int]:
    sizes, at = [], 2
    for _ in range(int.from_bytes(data[:2], "big") if len(data) >= 2 else 0):
        size = int.from_bytes(data[at : at + 2], "big")
        sizes.append(size)
        at += 2 + size
    return sizes


def test_the_real_packets_match_the_official_client(ticker: KiteTicker) -> None:
    data = frame(real_packet("ticker_full"), real_packet("ticker_quote"))
    assert_matches_official(parse_frame(data), ticker._parse_binary(data), [184, 44])


@pytest.mark.parametrize("size", PACKET_SIZES)
def test_each_packet_kind_matches_the_official_client(ticker: KiteTicker, size: int) -> None:
    rng = np.random.default_rng(size)
    data = frame(*(random_packet(rng, size) for _ in range(50)))
    assert_matches_official(parse_frame(data), ticker._parse_binary(data), [size] * 50)


def test_thousands_of_random_frames_match_the_official_client(ticker: KiteTicker) -> None:
    rng = np.random.default_rng(20261121)
    packets = 0
    for _ in range(2000):
        data = random_frame(rng)
        sizes = _sizes(data)
        packets += len(sizes)
        assert_matches_official(parse_frame(data), ticker._parse_binary(data), sizes)
    assert packets > 10_000


def test_heartbeats_match_the_official_client(ticker: KiteTicker) -> None:
    for data in (b"", b"\x00", b"\x00\x00"):
        assert ticker._parse_binary(data) == []
        assert parse_frame(data)["instrument_token"].shape == (0,)
