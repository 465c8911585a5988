"""alphastock.TickStore: ring wrap-around, windows, rejects, push_batch, ingest_kite."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alphastock
from alphastock import _core
from alphastock.feeds.kite import parse_frame
from alphastock.ticks import REJECT_REASONS, TICK_COLUMNS, Tick, TickStore
from tests.feeds._frames import depth_entries, frame, random_frame, real_packet, words

NO_REJECTS = dict.fromkeys(REJECT_REASONS, 0)


def _rejects(**counts: int) -> dict[str, int]:
    return {**NO_REJECTS, **counts}


def test_the_store_is_exported_and_its_reasons_match_the_core() -> None:
    assert alphastock.TickStore is TickStore
    assert alphastock.Tick is Tick
    assert list(REJECT_REASONS) == _core.TICK_REJECT_REASONS
    store = TickStore(4)
    assert store.capacity == 4
    assert store.rejected_counts() == NO_REJECTS
    assert store.nbytes() == 0
    assert store.tokens().tolist() == []
    assert repr(store) == "TickStore(capacity=4, tokens=0, rejected=0, nbytes=0)"


@pytest.mark.parametrize("capacity", [0, -1, 2.5, True])
def test_a_bad_capacity_is_refused(capacity: int) -> None:
    with pytest.raises(ValueError, match="capacity"):
        TickStore(capacity)


def test_unknown_tokens_read_as_empty() -> None:
    store = TickStore(4)
    store.push(1, 10, 100.0)
    assert store.latest(2) is None
    assert store.len(2) == 0
    window = store.window(2, 10)
    assert list(window) == list(TICK_COLUMNS)
    assert all(column.shape == (0,) for column in window.values())
    assert window["ts_ns"].dtype == np.int64
    assert window["bid"].dtype == np.float64
    assert store.len(-5) == 0
    assert store.latest(2**40) is None


def test_the_ring_wraps_and_windows_run_oldest_to_newest() -> None:
    store = TickStore(5)
    for i in range(12):
        assert store.push(7, 1_000 + i, 100.0 + i, last_qty=i, volume=10 * i, bid=99.0 + i, bid_qty=i + 1)
    assert store.len(7) == 5
    window = store.window(7, 100)
    assert window["ts_ns"].tolist() == [1_007, 1_008, 1_009, 1_010, 1_011]
    assert window["last_price"].tolist() == [107.0, 108.0, 109.0, 110.0, 111.0]
    assert window["volume"].tolist() == [70, 80, 90, 100, 110]
    assert window["bid_qty"].tolist() == [8, 9, 10, 11, 12]
    assert np.isnan(window["ask"]).all()
    assert store.window(7, 2)["ts_ns"].tolist() == [1_010, 1_011]
    assert store.window(7, 0)["ts_ns"].tolist() == []
    assert _same_tick(store.latest(7), Tick(7, 1_011, 111.0, 11, 110, 0, 110.0, math.nan, 12, 0))
    # Windows are copies: writing to one changes nothing stored.
    window["last_price"][:] = -1.0
    assert store.window(7, 1)["last_price"].tolist() == [111.0]


def _same_tick(a: Tick | None, b: Tick) -> bool:
    assert a is not None
    return all(
        (x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a, b, strict=True)
    )


def test_tokens_appear_in_order_of_their_first_stored_tick() -> None:
    store = TickStore(2)
    assert not store.push(30, 1, -1.0)  # rejected: no ring
    for token in (20, 10, 20, 30):
        store.push(token, time.time_ns(), 1.0)
    assert store.tokens().tolist() == [20, 10, 30]
    assert store.tokens().dtype == np.int64
    assert store.nbytes() >= 3 * 2 * 72


@pytest.mark.parametrize(
    ("tick", "reason"),
    [
        ({"token": -1}, "invalid_token"),
        ({"token": 2**32}, "invalid_token"),
        ({"last_price": math.nan}, "non_finite_price"),
        ({"last_price": math.inf}, "non_finite_price"),
        ({"bid": -math.inf}, "non_finite_price"),
        ({"ask": math.inf}, "non_finite_price"),
        ({"last_price": -0.05}, "negative_price"),
        ({"bid": -1.0}, "negative_price"),
        ({"ask": -2.0}, "negative_price"),
        ({"last_qty": -1}, "negative_quantity"),
        ({"volume": -1}, "negative_quantity"),
        ({"oi": -1}, "negative_quantity"),
        ({"bid_qty": -1}, "negative_quantity"),
        ({"ask_qty": -1}, "negative_quantity"),
        ({"ts_ns": 99}, "out_of_order"),
        ({"ts_ns": 100}, "duplicate_ts"),
        ({"last_price": math.nan, "ts_ns": 99}, "non_finite_price"),  # one reason per tick, the first
    ],
)
def test_each_reject_reason_is_counted_and_nothing_is_stored(tick: dict[str, float], reason: str) -> None:
    store = TickStore(4)
    assert store.push(1, 100, 10.0)
    row = {"token": 1, "ts_ns": 101, "last_price": 10.0, **tick}
    token, ts_ns, last_price = int(row.pop("token")), int(row.pop("ts_ns")), row.pop("last_price")
    assert not store.push(token, ts_ns, last_price, **row)  # type: ignore[arg-type]
    assert store.rejected_counts() == _rejects(**{reason: 1})
    assert store.len(1) == 1
    assert store.tokens().tolist() == [1]
    # The same tick through push_batch is rejected for the same reason.
    batch = TickStore(4)
    batch.push(1, 100, 10.0)
    assert batch.push_batch([token], [ts_ns], [last_price], **{k: [v] for k, v in row.items()}) == 0
    assert batch.rejected_counts() == store.rejected_counts()


def test_zero_prices_and_absent_quotes_are_valid() -> None:
    store = TickStore(4)
    assert store.push(1, 1, 0.0)
    assert store.push(1, 2, 5.0, bid=math.nan, ask=math.nan)
    assert store.rejected_counts() == NO_REJECTS


def _random_ticks(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Ticks over 5 tokens, mostly in time order per token, with some bad rows of every kind."""
    ts = np.sort(rng.integers(0, n * 3, n)).astype(np.int64)
    ts[rng.random(n) < 0.05] -= 50  # out of order
    ticks = {
        "tokens": rng.choice([256265, 408065, 738561, 2953217, 53490439], n),
        "ts_ns": ts,
        "last_price": rng.uniform(-1.0, 100.0, n).round(2),
        "last_qty": rng.integers(-1, 100, n),
        "volume": rng.integers(0, 10**9, n),
        "oi": rng.integers(0, 10**7, n),
        "bid": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 100, n)),
        "ask": np.where(rng.random(n) < 0.01, np.inf, rng.uniform(0, 100, n)),
        "bid_qty": rng.integers(0, 1000, n),
        "ask_qty": rng.integers(0, 1000, n),
    }
    ticks["last_price"][rng.random(n) < 0.02] = np.nan
    ticks["tokens"][rng.random(n) < 0.01] = -4
    ticks["tokens"][rng.random(n) < 0.01] = 1 << 33
    return ticks


def _assert_same_contents(a: TickStore, b: TickStore) -> None:
    assert a.tokens().tolist() == b.tokens().tolist()
    assert a.rejected_counts() == b.rejected_counts()
    for token in a.tokens().tolist():
        wa, wb = a.window(token, a.capacity), b.window(token, b.capacity)
        for name in TICK_COLUMNS:
            np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


def test_push_batch_equals_repeated_push() -> None:
    rng = np.random.default_rng(7)
    ticks = _random_ticks(rng, 5_000)
    batch, single = TickStore(64), TickStore(64)
    stored = batch.push_batch(**ticks)
    names = ["token", *list(ticks)[1:]]
    columns = [ticks[key].tolist() for key in ticks]
    stored_single = sum(
        single.push(**dict(zip(names, row, strict=True))) for row in zip(*columns, strict=True)
    )
    assert stored == stored_single
    assert 0 < stored < 5_000
    _assert_same_contents(batch, single)
    counts = batch.rejected_counts()
    assert all(counts[r] > 0 for r in REJECT_REASONS if r != "malformed_packet"), counts


def test_push_batch_broadcasts_length_one_columns_and_defaults() -> None:
    store = TickStore(10)
    assert store.push_batch(5, np.arange(1, 4), [1.0, 2.0, 3.0], volume=7) == 3
    window = store.window(5, 10)
    assert window["volume"].tolist() == [7, 7, 7]
    assert window["oi"].tolist() == [0, 0, 0]
    assert np.isnan(window["bid"]).all()
    assert store.push_batch([], [], []) == 0


def test_push_batch_refuses_malformed_requests() -> None:
    store = TickStore(10)
    with pytest.raises(ValueError, match="cannot broadcast"):
        store.push_batch([1, 2, 3], [1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="ts_ns must hold integers"):
        store.push_batch([1], [1.5], [1.0])
    with pytest.raises(ValueError, match="last_price must hold numbers"):
        store.push_batch([1], [1], ["a"])
    with pytest.raises(ValueError, match="1-D"):
        store.push_batch([[1]], [1], [1.0])
    assert store.tokens().tolist() == []


def _ingest_via_parse(store: TickStore, data: bytes, ts: int) -> None:
    """What ingest_kite must do, spelled out with parse_frame and push (the reference)."""
    c = parse_frame(data, strict=False)
    for i in range(c["instrument_token"].shape[0]):
        best = {}
        for side, name in (("buy", "bid"), ("sell", "ask")):
            qty = int(c[f"{side}_quantity"][i, 0])
            best[name] = float(c[f"{side}_price"][i, 0]) if qty > 0 else math.nan
            best[f"{name}_qty"] = qty
        store.push(
            int(c["instrument_token"][i]),
            ts,
            float(c["last_price"][i]),
            last_qty=int(c["last_traded_quantity"][i]),
            volume=int(c["volume_traded"][i]),
            oi=int(c["oi"][i]),
            **best,
        )


def test_ingest_kite_equals_parse_frame_then_push() -> None:
    rng = np.random.default_rng(11)
    direct, reference = TickStore(8), TickStore(8)
    for k in range(120):
        data = random_frame(rng)
        for ts in (10 * k, 10 * k, 10 * k + 1):  # the same stamp twice: all duplicates the second time
            updated = direct.ingest_kite(data, ts)
            before = {t: reference.len(t) for t in reference.tokens().tolist()}
            _ingest_via_parse(reference, data, ts)
            grew = [t for t in reference.tokens().tolist() if reference.len(t) > before.get(t, 0)]
            assert sorted(updated.tolist()) == sorted(grew)
    _assert_same_contents(direct, reference)
    assert direct.rejected_counts()["duplicate_ts"] > 0


def test_ingest_kite_stores_the_real_full_packet() -> None:
    store = TickStore(16)
    data = frame(real_packet("ticker_full"))
    updated = store.ingest_kite(data, recv_ts_ns=1_625_461_887_123_456_789)
    assert updated.tolist() == [408065]
    assert updated.dtype == np.int64
    tick = store.latest(408065)
    assert tick == Tick(408065, 1_625_461_887_123_456_789, 1573.7, 7, 1192471, 0, 1573.4, 1573.7, 5, 172)


def test_ingest_kite_keeps_what_each_packet_kind_carries() -> None:
    store = TickStore(4)
    empty_book = words(53490439, 8_000_000, 75, 8_000_000, 5000, size=64) + depth_entries([(0, 0, 0)] * 10)
    data = frame(
        words(408065, 157_315, size=8), real_packet("ticker_quote"), words(256265, 2_400_000, size=32)
    )
    data_full = frame(empty_book)
    assert store.ingest_kite(data, 5).tolist() == [408065, 256265]  # the quote repeats 408065: duplicate
    assert store.ingest_kite(data_full, 5).tolist() == [53490439]
    ltp = store.latest(408065)
    assert ltp is not None
    assert (ltp.last_price, ltp.last_qty, ltp.volume, ltp.oi, ltp.bid_qty) == (1573.15, 0, 0, 0, 0)
    full = store.latest(53490439)
    assert full is not None
    assert (full.last_price, full.last_qty, full.volume) == (80_000.0, 75, 5000)
    assert math.isnan(full.bid), "an empty book side has no bid"
    assert math.isnan(full.ask), "an empty book side has no ask"
    assert store.rejected_counts() == _rejects(duplicate_ts=1)


def test_ingest_kite_default_stamps_are_the_wall_clock_and_strictly_increase() -> None:
    store = TickStore(1000)
    data = frame(words(408065, 100, size=8))
    before = time.time_ns()
    for _ in range(200):
        assert store.ingest_kite(data).tolist() == [408065]
    after = time.time_ns()
    stamps = store.window(408065, 1000)["ts_ns"]
    assert stamps.shape == (200,)
    assert (np.diff(stamps) > 0).all()
    assert before <= stamps[0]
    assert stamps[-1] <= after + 200
    assert store.rejected_counts() == NO_REJECTS


def test_ingest_kite_counts_malformed_packets_or_raises_when_strict() -> None:
    good = words(408065, 100, size=8)
    data = frame(good, bytes(12), words(256265, 200, size=8))
    store = TickStore(4)
    with pytest.raises(alphastock.FrameError, match="unknown size 12") as info:
        store.ingest_kite(data, 1, strict=True)
    assert info.value.offset == 12
    assert store.tokens().tolist() == []
    assert store.rejected_counts() == NO_REJECTS
    assert store.ingest_kite(data, 1).tolist() == [408065, 256265]
    assert store.ingest_kite(data[:-3], 2).tolist() == [408065]
    assert store.rejected_counts() == _rejects(malformed_packet=3)


@pytest.mark.parametrize("heartbeat", [b"", b"\x00", bytearray(b"\x01")])
def test_ingest_kite_heartbeats_store_nothing(heartbeat: bytes) -> None:
    store = TickStore(4)
    assert store.ingest_kite(heartbeat).tolist() == []
    assert store.tokens().tolist() == []
    assert store.rejected_counts() == NO_REJECTS


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=800))
def test_ingest_kite_on_random_bytes_stores_or_counts_every_packet(data: bytes) -> None:
    c = parse_frame(data, strict=False)
    accounted = c["instrument_token"].shape[0] + int(c["skipped"])
    store = TickStore(3)
    stored = [store.ingest_kite(data, ts).shape[0] for ts in (10, 10, 5, 20)]
    assert stored[1] == stored[2] == 0
    assert stored[0] == stored[3] == store.tokens().shape[0]
    assert sum(stored) + sum(store.rejected_counts().values()) == 4 * accounted
    for token in store.tokens().tolist():
        assert store.window(token, 10)["ts_ns"].tolist() == [10, 20]
    strict_store = TickStore(3)
    if int(c["skipped"]):
        with pytest.raises(alphastock.FrameError):
            strict_store.ingest_kite(data, 1, strict=True)
        assert strict_store.tokens().shape == (0,)
    else:
        assert strict_store.ingest_kite(data, 1, strict=True).shape == (stored[0],)


def _bulk_store() -> TickStore:
    store = TickStore(3)
    for ts in range(1, 6):
        store.push(7, ts, 100.0 + ts, last_qty=ts, volume=100 * ts, oi=ts, bid=99.5 + ts, bid_qty=2 * ts)
    store.push(9, 50, 1.5, ask=1.6, ask_qty=4)
    store.push(1 << 31, 60, 0.0)
    return store


def _row(columns: dict[str, np.ndarray], i: int) -> tuple[object, ...]:
    """Row ``i`` as latest() would give it, with NaN spelt out so rows compare by value."""
    values = [columns["token"][i].item(), *(columns[name][i].item() for name in TICK_COLUMNS)]
    return tuple("nan" if isinstance(v, float) and math.isnan(v) else v for v in values)


def _tick_row(tick: Tick) -> tuple[object, ...]:
    return tuple("nan" if isinstance(v, float) and math.isnan(v) else v for v in tick)


def test_latest_many_equals_latest_per_token_with_unknown_and_duplicate_tokens() -> None:
    store = _bulk_store()
    tokens = [9, 7, 8, 7, 1 << 31, -1, 1 << 40, 9]
    got = store.latest_many(np.array(tokens, dtype=np.int64))
    assert list(got) == ["found", "token", *TICK_COLUMNS]
    assert got["found"].tolist() == [True, True, False, True, True, False, False, True]
    assert got["token"].tolist() == tokens
    for i, token in enumerate(tokens):
        tick = store.latest(token)
        if tick is None:
            assert _row(got, i) == (token, 0, "nan", 0, 0, 0, "nan", "nan", 0, 0)
        else:
            assert _row(got, i) == _tick_row(tick)
    assert _row(got, 1) == (7, 5, 105.0, 5, 500, 5, 104.5, "nan", 10, 0)
    assert got["ts_ns"].dtype == np.int64
    assert got["last_price"].dtype == np.float64
    assert got["found"].dtype == np.bool_
    # A list, a tuple or an int array work alike; the input is not kept.
    assert store.latest_many((7, 9))["ts_ns"].tolist() == [5, 50]


def test_latest_many_of_nothing_is_empty_columns() -> None:
    for store in (TickStore(2), _bulk_store()):
        got = store.latest_many(np.array([], dtype=np.int64))
        assert {name: column.shape for name, column in got.items()} == dict.fromkeys(got, (0,))
        assert store.latest_many([])["found"].tolist() == []


def test_latest_many_refuses_non_integer_tokens() -> None:
    with pytest.raises(ValueError, match="tokens must hold integers"):
        _bulk_store().latest_many(np.array([7.0]))
    with pytest.raises(ValueError, match="1-D"):
        _bulk_store().latest_many(np.array([[7]]))


def test_window_many_equals_concatenated_windows() -> None:
    store = _bulk_store()
    tokens, counts = [7, 8, 9, 7, 1 << 31], [2, 4, 5, 10, 0]
    got = store.window_many(tokens, counts)
    assert list(got) == ["token", *TICK_COLUMNS]
    assert got["token"].tolist() == [7, 7, 9, 7, 7, 7]
    for name in TICK_COLUMNS:
        want = np.concatenate([store.window(t, k)[name] for t, k in zip(tokens, counts, strict=True)])
        np.testing.assert_array_equal(got[name], want)
    assert got["ts_ns"].tolist() == [4, 5, 50, 3, 4, 5]
    assert got["volume"].tolist() == [400, 500, 0, 300, 400, 500]
    # One count for all tokens; nothing asked, nothing read.
    assert store.window_many([9, 7], 1)["ts_ns"].tolist() == [50, 5]
    assert store.window_many([], 3)["token"].tolist() == []
    assert store.window_many([7, 9], [0, 0])["ts_ns"].tolist() == []


def test_window_many_refuses_negative_or_mismatched_counts() -> None:
    store = _bulk_store()
    with pytest.raises(ValueError, match="non-negative"):
        store.window_many([7], [-1])
    with pytest.raises(ValueError, match="counts has 3 elements"):
        store.window_many([7, 9], [1, 2, 3])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pushes=st.lists(st.tuples(st.integers(1, 6), st.floats(0, 1e4, allow_nan=False)), max_size=40),
    asked=st.lists(st.integers(0, 8), max_size=12),
)
def test_latest_many_matches_latest_on_random_stores(
    pushes: list[tuple[int, float]], asked: list[int]
) -> None:
    store = TickStore(3)
    for ts, (token, price) in enumerate(pushes):
        store.push(token, ts + 1, price, volume=ts)
    got = store.latest_many(asked)
    for i, token in enumerate(asked):
        tick = store.latest(token)
        assert got["found"][i] == (tick is not None)
        if tick is not None:
            assert _row(got, i) == _tick_row(tick)
    windows = store.window_many(asked, [2] * len(asked))
    want = [t for token in asked for t in store.window(token, 2)["ts_ns"].tolist()]
    assert windows["ts_ns"].tolist() == want


def test_member_of_equals_isin_on_a_sorted_set() -> None:
    from alphastock.ticks import member_of

    rng = np.random.default_rng(7)
    values = rng.integers(0, 50, 300).astype(np.int64)
    for size in (0, 1, 5, 49):
        subset = np.unique(rng.integers(0, 50, size).astype(np.int64))
        assert (member_of(values, subset) == np.isin(values, subset)).all()


def test_the_recording_tap_keeps_every_stored_tick_in_store_order_and_counts_what_it_cannot_hold() -> None:
    store = TickStore(2)
    store.push(7, 1, 100.0)  # before the tap: not kept
    store.start_recording(3)
    assert store.push_batch([7, 9, 7, 7], [2, 1, 3, 4], [101.0, 5.0, 102.0, 103.0], volume=[1, 2, 3, 4]) == 4
    assert not store.push(7, 4, 104.0)  # a duplicate is rejected, so not recorded
    assert (store.recording_pending, store.recording_dropped) == (3, 1)  # the fourth past the bound
    taken = store.take_recorded()
    assert taken["token"].tolist() == [7, 9, 7]
    assert taken["ts_ns"].tolist() == [2, 1, 3]  # ring of 2: the tap holds more than the ring
    assert taken["volume"].tolist() == [1, 2, 3]
    assert store.take_recorded()["token"].tolist() == []
    store.push(9, 2, 6.0)
    assert store.stop_recording()["ts_ns"].tolist() == [2]
    store.push(9, 3, 7.0)
    assert store.take_recorded()["token"].tolist() == []  # stopped
    with pytest.raises(ValueError, match="max_rows"):
        store.start_recording(0)
