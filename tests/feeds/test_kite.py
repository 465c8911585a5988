"""alphastock.feeds.kite.parse_frame: real packets, every packet kind, malformed frames, random bytes."""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alphastock
from alphastock import _core
from alphastock.feeds import kite
from alphastock.feeds.kite import COLUMNS, DEPTH_COLUMNS, mode_name, parse_frame
from tests.feeds._frames import KITE_MOCKS, depth_entries, frame, real_packet, words

IST = timezone(timedelta(hours=5, minutes=30))


def _mock(name: str) -> dict[str, object]:
    result: dict[str, object] = json.loads((KITE_MOCKS / f"{name}.json").read_text())
    return result


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def test_the_real_full_packet_decodes_to_the_published_values() -> None:
    want = _mock("ticker_full")
    c = parse_frame(frame(real_packet("ticker_full")))
    assert c["instrument_token"].tolist() == [want["instrument_token"]]
    assert mode_name(int(c["mode"][0])) == want["mode"] == "full"
    assert c["tradable"].tolist() == [want["tradable"]]
    assert c["last_price"][0] == want["last_price"]
    assert c["last_traded_quantity"][0] == want["last_quantity"]
    assert c["average_traded_price"][0] == want["average_price"]
    assert c["volume_traded"][0] == want["volume"]
    assert c["total_buy_quantity"][0] == want["buy_quantity"]
    assert c["total_sell_quantity"][0] == want["sell_quantity"]
    ohlc = want["ohlc"]
    assert isinstance(ohlc, dict)
    for field in ("open", "high", "low", "close"):
        assert c[field][0] == ohlc[field]
    # The mock's "change" is the absolute difference; Kite's client (and we) give percent.
    assert c["change"][0] == (1573.7 - 1567.8) * 100 / 1567.8
    assert c["change"][0] == pytest.approx(float(str(want["change"])) * 100 / 1567.8, rel=1e-12)
    assert c["last_trade_time"][0] == _epoch(str(want["last_trade_time"])) == 1_625_461_887
    assert c["exchange_timestamp"][0] == _epoch(str(want["timestamp"]))
    assert (c["oi"][0], c["oi_day_high"][0], c["oi_day_low"][0]) == (
        want["oi"],
        want["oi_day_high"],
        want["oi_day_low"],
    )
    depth = want["depth"]
    assert isinstance(depth, dict)
    for side in ("buy", "sell"):
        assert c[f"{side}_quantity"][0].tolist() == [d["quantity"] for d in depth[side]]
        assert c[f"{side}_price"][0].tolist() == [d["price"] for d in depth[side]]
        assert c[f"{side}_orders"][0].tolist() == [d["orders"] for d in depth[side]]
    assert int(c["skipped"]) == 0


def test_the_real_quote_packet_decodes_to_the_published_values() -> None:
    want = _mock("ticker_quote")
    c = parse_frame(frame(real_packet("ticker_quote")))
    assert mode_name(int(c["mode"][0])) == want["mode"] == "quote"
    assert c["instrument_token"][0] == want["instrument_token"]
    assert c["last_price"][0] == want["last_price"] == 1573.15
    assert c["last_traded_quantity"][0] == want["last_quantity"]
    assert c["average_traded_price"][0] == want["average_price"]
    assert c["volume_traded"][0] == want["volume"]
    assert (c["total_buy_quantity"][0], c["total_sell_quantity"][0]) == (
        want["buy_quantity"],
        want["sell_quantity"],
    )
    ohlc = want["ohlc"]
    assert isinstance(ohlc, dict)
    assert [c[f][0] for f in ("open", "high", "low", "close")] == [
        ohlc[f] for f in ("open", "high", "low", "close")
    ]
    assert c["change"][0] == (1573.15 - 1567.8) * 100 / 1567.8
    # A quote packet carries no times, oi or depth.
    assert (c["last_trade_time"][0], c["exchange_timestamp"][0], c["oi"][0]) == (0, 0, 0)
    assert np.isnan(c["buy_price"]).all()
    assert np.isnan(c["sell_price"]).all()
    assert c["buy_quantity"].sum() == c["sell_orders"].sum() == 0


def test_columns_have_the_documented_names_dtypes_and_shapes() -> None:
    c = parse_frame(frame(real_packet("ticker_full"), real_packet("ticker_quote"), words(1, 2, size=8)))
    assert list(c) == [*COLUMNS, *DEPTH_COLUMNS, "skipped"]
    floats = {"last_price", "average_traded_price", "open", "high", "low", "close", "change"}
    for name in COLUMNS:
        expected = (
            np.float64
            if name in floats
            else np.int8
            if name == "mode"
            else np.bool_
            if name == "tradable"
            else np.int64
        )
        assert c[name].dtype == expected, name
        assert c[name].shape == (3,), name
    for name in DEPTH_COLUMNS:
        assert c[name].shape == (3, 5)
        assert c[name].dtype == (np.float64 if name.endswith("price") else np.int64)
    assert c["skipped"].shape == ()
    assert c["mode"].tolist() == [kite.MODE_FULL, kite.MODE_QUOTE, kite.MODE_LTP]


def test_mode_codes_match_the_core_and_kites_names() -> None:
    assert _core.KITE_MODES == [(0, "ltp"), (1, "quote"), (2, "full")]
    assert [mode_name(code) for code in range(3)] == list(kite.MODE_NAMES)
    assert (kite.MODE_LTP, kite.MODE_QUOTE, kite.MODE_FULL) == (0, 1, 2)
    assert mode_name(np.int8(2)) == "full"
    for bad in (-1, 3, True):
        with pytest.raises(ValueError, match="unknown Kite mode code"):
            mode_name(bad)
    with pytest.raises(TypeError):
        mode_name(1.0)  # type: ignore[arg-type]
    assert _core.KITE_DEPTH_LEVELS == kite.DEPTH_LEVELS == 5


def test_ltp_packets_carry_only_the_last_price() -> None:
    c = parse_frame(frame(words(408065, 157_315, size=8)))
    assert c["last_price"].tolist() == [1573.15]
    assert c["mode"].tolist() == [kite.MODE_LTP]
    for name in ("average_traded_price", "open", "high", "low", "close", "change"):
        assert math.isnan(c[name][0]), name
    for name in ("last_traded_quantity", "volume_traded", "oi", "last_trade_time", "exchange_timestamp"):
        assert c[name][0] == 0, name


@pytest.mark.parametrize(
    ("size", "mode", "timestamp"), [(28, kite.MODE_QUOTE, 0), (32, kite.MODE_FULL, 1_700_000_000)]
)
def test_index_packets_order_high_low_open_close(size: int, mode: int, timestamp: int) -> None:
    # NIFTY 50: token 256265 (segment 9); ltp, high, low, open, close, change (ignored), exchange timestamp
    packet = words(
        256265, 2_400_000, 2_420_000, 2_380_000, 2_390_000, 2_350_000, 99_999, 1_700_000_000, size=size
    )
    c = parse_frame(frame(packet))
    assert c["mode"].tolist() == [mode]
    assert c["tradable"].tolist() == [False]
    assert [c[f][0] for f in ("open", "high", "low", "close")] == [23900.0, 24200.0, 23800.0, 23500.0]
    assert c["change"][0] == (24000.0 - 23500.0) * 100 / 23500.0
    assert c["exchange_timestamp"].tolist() == [timestamp]
    assert math.isnan(c["average_traded_price"][0])
    assert c["volume_traded"][0] == 0


def test_a_full_packet_carries_times_oi_and_depth() -> None:
    head = words(
        *(
            53490439,
            8_123_450,
            75,
            8_100_000,
            1_234_567,
            3000,
            4000,
            8_000_000,
            8_200_000,
            7_900_000,
            8_050_000,
        ),
        *(1_700_000_100, 900_000, 950_000, 850_000, 1_700_000_101),
        size=64,
    )
    buy = [(75 * i, 8_123_400 - 5 * i, i) for i in range(1, 6)]
    sell = [(150 * i, 8_123_500 + 5 * i, 10 + i) for i in range(1, 6)]
    c = parse_frame(frame(head + depth_entries(buy) + depth_entries(sell)))
    assert c["last_trade_time"].tolist() == [1_700_000_100]
    assert c["exchange_timestamp"].tolist() == [1_700_000_101]
    assert (c["oi"][0], c["oi_day_high"][0], c["oi_day_low"][0]) == (900_000, 950_000, 850_000)
    assert c["buy_quantity"][0].tolist() == [q for q, _, _ in buy]
    assert c["buy_price"][0].tolist() == [p / 100 for _, p, _ in buy]
    assert c["sell_orders"][0].tolist() == [o for _, _, o in sell]
    assert c["sell_price"][0].tolist() == [p / 100 for _, p, _ in sell]


@pytest.mark.parametrize(
    ("segment", "divisor"),
    [(1, 100.0), (2, 100.0), (3, 1e7), (4, 100.0), (5, 100.0), (6, 1e4), (7, 100.0), (8, 100.0), (12, 1e4)],
)
def test_prices_use_the_segment_divisor(segment: int, divisor: float) -> None:
    token = (98765 << 8) | segment
    packet = words(token, 123_456_789, 1, 987_654_321, size=44)
    c = parse_frame(frame(packet, words(token, 555, size=8)))
    assert c["last_price"].tolist() == [123_456_789 / divisor, 555 / divisor]
    assert c["average_traded_price"][0] == 987_654_321 / divisor
    assert c["tradable"].all()


def test_fields_are_unsigned_32_bit() -> None:
    c = parse_frame(frame(words(2**32 - 1, 2**32 - 1, 2**32 - 1, size=44)))
    assert c["instrument_token"][0] == 2**32 - 1
    assert c["last_price"][0] == (2**32 - 1) / 100
    assert c["last_traded_quantity"][0] == 2**32 - 1


@pytest.mark.parametrize("heartbeat", [b"", b"\x00", b"\x01", bytearray(b"\x00"), b"\x00\x00"])
def test_heartbeats_give_zero_rows(heartbeat: bytes) -> None:
    for strict in (True, False):
        c = parse_frame(heartbeat, strict=strict)
        assert all(c[name].shape[0] == 0 for name in (*COLUMNS, *DEPTH_COLUMNS))
        assert c["buy_price"].shape == (0, 5)
        assert int(c["skipped"]) == 0


def test_bytes_like_frames_are_accepted() -> None:
    data = frame(real_packet("ticker_quote"))
    for value in (bytearray(data), memoryview(data)):
        assert parse_frame(value)["last_price"].tolist() == [1573.15]


GOOD = words(408065, 100, size=8)

# (frame, offset of the bad packet's length field, message fragment, rows and skipped when not strict)
MALFORMED = {
    "packet past the end": (
        frame(GOOD, words(2, 2, size=44))[:-4],
        12,
        "declares 44 bytes, past the end",
        1,
        1,
    ),
    "truncated length field": (frame(GOOD, GOOD)[:13], 12, "ends inside the length field", 1, 1),
    "header declares more": (b"\x00\x05" + frame(GOOD)[2:], 12, "packet 2 of 5", 1, 4),
    "count but no packets": (b"\x00\x03", 2, "packet 1 of 3", 0, 3),
    "unknown size": (frame(GOOD, bytes(12), GOOD), 12, "unknown size 12", 2, 1),
    "empty packet": (frame(bytes(0), GOOD), 2, "unknown size 0", 1, 1),
    "trailing bytes": (frame(GOOD) + b"\x07\x07", 12, "2 bytes follow", 1, 1),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_frames_raise_with_the_offset_or_are_counted(case: str) -> None:
    data, offset, fragment, rows, skipped = MALFORMED[case]
    with pytest.raises(alphastock.FrameError, match=fragment) as info:
        parse_frame(data)
    assert info.value.offset == offset
    assert f"at byte {offset}:" in str(info.value)
    assert isinstance(info.value, alphastock.AlphaStockError)
    assert isinstance(info.value, ValueError)
    c = parse_frame(data, strict=False)
    assert c["instrument_token"].shape == (rows,)
    assert int(c["skipped"]) == skipped
    assert (c["last_price"] == 1.0).all()


def test_frame_error_is_exported_where_documented() -> None:
    assert alphastock.FrameError is alphastock.errors.FrameError is _core.FrameError
    assert alphastock.FrameError.__module__ == "alphastock._core"
    assert alphastock.FrameError("x").offset is None


def _check_random_bytes(data: bytes) -> None:
    """Random bytes: the lenient parse gives consistent columns; the strict one the same or a FrameError."""
    c = parse_frame(data, strict=False)
    n = c["instrument_token"].shape[0]
    assert all(c[name].shape[0] == n for name in (*COLUMNS, *DEPTH_COLUMNS))
    declared = int.from_bytes(data[:2], "big") if len(data) >= 2 else 0
    # Every declared packet is a row or skipped; trailing bytes count as one more skipped.
    assert n + int(c["skipped"]) in (declared, declared + 1)
    assert set(np.unique(c["mode"]).tolist()) <= {0, 1, 2}
    if int(c["skipped"]) == 0:
        strict = parse_frame(data)
        assert strict["instrument_token"].tolist() == c["instrument_token"].tolist()
    else:
        with pytest.raises(alphastock.FrameError) as info:
            parse_frame(data)
        assert info.value.offset is not None
        assert 2 <= info.value.offset <= len(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_give_columns_or_a_frame_error(data: bytes) -> None:
    _check_random_bytes(data)


@st.composite
def _damaged_frames(draw: st.DrawFn) -> bytes:
    sizes = draw(st.lists(st.sampled_from([8, 28, 32, 44, 184]), max_size=6))
    packets = [draw(st.binary(min_size=s, max_size=s)) for s in sizes]
    data = bytearray(frame(*packets))
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged_frames())
def test_damaged_valid_frames_give_columns_or_a_frame_error(data: bytes) -> None:
    _check_random_bytes(data)


# The long run: `ALPHASTOCK_FUZZ_EXAMPLES=500000 pytest -m slow tests/feeds/test_kite.py` for a deeper search.
LONG_RUN_EXAMPLES = int(os.environ.get("ALPHASTOCK_FUZZ_EXAMPLES", "20000"))


@pytest.mark.slow
@settings(max_examples=LONG_RUN_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=2000), _damaged_frames()))
def test_random_and_damaged_frames_long_run(data: bytes) -> None:
    _check_random_bytes(data)
