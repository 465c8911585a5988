"""Benchmarks of the Kite frame parser and the tick store, each against a pure-Python baseline.

Run with ``.venv/bin/python -m pytest benches/test_bench_ticks.py -q -s`` (or ``make bench``).

- ``parse_frame`` vs the official ``kiteconnect.KiteTicker._parse_binary`` on frames of 200
  full-mode (184-byte) packets: microseconds per frame; target >= 200x faster.
- ``TickStore.ingest_kite`` on the same frames: packets per second; target >= 5M packets/s.
  Baseline: the official parser plus a per-tick append into ``collections.deque`` rings, what
  a pure-Python feed handler would do.
- ``TickStore.push_batch`` of 1M ticks over 500 tokens: ticks per second; target >= 20M ticks/s.
  Baseline: the same deque rings filled tick by tick from the same arrays.

The core is timed with pytest-benchmark (``pedantic``, fixed rounds, one warm-up round); the
baseline by hand with ``time.perf_counter``, half its rounds before and half after the core so
a change of load on the machine hits both alike. Each test prints one line with both medians
and the ratio, and stores them in ``benchmark.extra_info``. Nothing asserts on time; the stored
results are checked.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
from kiteconnect import KiteTicker

from alphastock import TickStore
from alphastock.feeds.kite import parse_frame

try:  # the shared bench helpers, when present, repeat each line in the end-of-session summary
    from benchlib import report as _summary_report
except ImportError:  # pragma: no cover - running this file alone
    _summary_report = None

SEED = 20261121
PACKETS_PER_FRAME = 200
N_FRAMES = 50
BATCH_TICKS = 1_000_000
BATCH_TOKENS = 500
CAPACITY = 4096

PARSE_TARGET_RATIO = 200.0
INGEST_TARGET_PPS = 5e6
PUSH_BATCH_TARGET_TPS = 20e6


def _report(line: str) -> None:
    if _summary_report is not None:
        _summary_report(line)
    else:
        print(f"\n{line}")


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _full_packet(rng: np.random.Generator, token: int) -> bytes:
    """A plausible 184-byte NSE full packet: prices around 100-5000 rupees, 5 + 5 depth levels."""
    ltp = int(rng.integers(10_000, 500_000))
    head = np.array(
        [
            token,
            ltp,
            rng.integers(1, 500),
            ltp - 50,
            rng.integers(0, 10**7),
            rng.integers(0, 10**6),
            rng.integers(0, 10**6),
            ltp - 500,
            ltp + 700,
            ltp - 900,
            ltp - 100,
            1_763_700_000,
            rng.integers(0, 10**6),
            10**6,
            0,
            1_763_700_001,
        ],
        dtype=">u4",
    ).tobytes()
    levels = b"".join(
        np.array(
            [rng.integers(1, 5000), ltp + sign * 5 * (i + 1), rng.integers(1, 50) << 16], dtype=">u4"
        ).tobytes()
        for sign in (-1, 1)
        for i in range(5)
    )
    return head + levels


def _frames(rng: np.random.Generator) -> list[bytes]:
    """N_FRAMES frames of 200 full packets, each frame over 200 distinct tokens (NSE, segment 1)."""
    tokens = (np.arange(1, PACKETS_PER_FRAME + 1) << 8) | 1
    frames = []
    for _ in range(N_FRAMES):
        packets = [_full_packet(rng, int(t)) for t in tokens]
        frames.append(
            PACKETS_PER_FRAME.to_bytes(2, "big") + b"".join(len(p).to_bytes(2, "big") + p for p in packets)
        )
    return frames


def _time_rounds(fn: Callable[[], Any], rounds: int) -> list[float]:
    durations = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - start)
    return durations


def _compare(
    benchmark: Any,
    subject: Callable[[], Any],
    baseline: Callable[[], Any],
    *,
    rounds: int,
    baseline_rounds: int,
    setup: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """Median seconds per call of `subject` (pytest-benchmark) and `baseline` (by hand)."""
    baseline()  # warm-up
    before = _time_rounds(baseline, baseline_rounds // 2)

    def pedantic_setup() -> None:
        if setup is not None:
            setup()

    benchmark.pedantic(subject, setup=pedantic_setup, rounds=rounds, iterations=1, warmup_rounds=1)
    after = _time_rounds(baseline, baseline_rounds - baseline_rounds // 2)
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is None:  # --benchmark-disable: time the subject by hand
        times = []
        for _ in range(rounds):
            pedantic_setup()
            times += _time_rounds(subject, 1)
        subject_median = statistics.median(times)
    else:
        subject_median = stats.median
    return subject_median, statistics.median(before + after)


class DequeStore:
    """The pure-Python baseline store: one deque ring of tuples per token."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.rings: dict[int, deque[tuple[Any, ...]]] = {}

    def push(self, token: int, row: tuple[Any, ...]) -> None:
        ring = self.rings.get(token)
        if ring is None:
            ring = self.rings[token] = deque(maxlen=self.capacity)
        elif row[0] <= ring[-1][0]:
            return
        ring.append(row)


def test_parse_frame_vs_official_client(benchmark: Any) -> None:
    benchmark.group = "kite parse_frame"
    frames = _frames(np.random.default_rng(SEED))
    ticker = KiteTicker("api_key", "access_token")
    state = {"i": 0}

    def core() -> dict[str, np.ndarray]:
        state["i"] = (state["i"] + 1) % N_FRAMES
        return parse_frame(frames[state["i"]])

    def official() -> list[dict[str, Any]]:
        state["i"] = (state["i"] + 1) % N_FRAMES
        return ticker._parse_binary(frames[state["i"]])

    core_s, official_s = _compare(benchmark, core, official, rounds=2000, baseline_rounds=60)
    ratio = official_s / core_s
    _report(
        f"parse_frame, {PACKETS_PER_FRAME} full packets/frame: {core_s * 1e6:.1f} us/frame "
        f"({PACKETS_PER_FRAME / core_s / 1e6:.1f}M packets/s); kiteconnect _parse_binary "
        f"{official_s * 1e6:.0f} us/frame; {ratio:.0f}x faster "
        f"(target >= {PARSE_TARGET_RATIO:.0f}x {_verdict(ratio >= PARSE_TARGET_RATIO)})"
    )
    benchmark.extra_info.update(
        {
            "unit": "us/frame",
            "median": round(core_s * 1e6, 3),
            "baseline": "kiteconnect.KiteTicker._parse_binary",
            "baseline_median": round(official_s * 1e6, 3),
            "ratio": round(ratio, 1),
        }
    )
    # The same numbers come out of both.
    c = parse_frame(frames[0])
    ticks = ticker._parse_binary(frames[0])
    assert c["last_price"].tolist() == [t["last_price"] for t in ticks]
    assert c["buy_price"][:, 0].tolist() == [t["depth"]["buy"][0]["price"] for t in ticks]


def test_ingest_kite_throughput(benchmark: Any) -> None:
    benchmark.group = "tick store"
    frames = _frames(np.random.default_rng(SEED + 1))
    store = TickStore(CAPACITY)
    clock = {"ts": 1_763_700_000_000_000_000}

    def core() -> None:
        ts = clock["ts"]
        for k, data in enumerate(frames):
            store.ingest_kite(data, ts + k)
        clock["ts"] = ts + len(frames)

    ticker = KiteTicker("api_key", "access_token")
    baseline_store = DequeStore(CAPACITY)
    baseline_clock = {"ts": 0}

    def baseline() -> None:
        ts = baseline_clock["ts"]
        for k, data in enumerate(frames):
            for t in ticker._parse_binary(data):
                bid, ask = t["depth"]["buy"][0], t["depth"]["sell"][0]
                row = (ts + k, t["last_price"], t["last_traded_quantity"], t["volume_traded"], t["oi"])
                quotes = (bid["price"], ask["price"], bid["quantity"], ask["quantity"])
                baseline_store.push(t["instrument_token"], (*row, *quotes))
        baseline_clock["ts"] = ts + len(frames)

    core_s, baseline_s = _compare(benchmark, core, baseline, rounds=100, baseline_rounds=6)
    packets = N_FRAMES * PACKETS_PER_FRAME
    pps, baseline_pps = packets / core_s, packets / baseline_s
    _report(
        f"TickStore.ingest_kite, {PACKETS_PER_FRAME} full packets/frame: {pps / 1e6:.1f}M packets/s "
        f"({core_s / N_FRAMES * 1e6:.1f} us/frame); "
        f"kiteconnect + deque rings {baseline_pps / 1e6:.3f}M packets/s; "
        f"{pps / baseline_pps:.0f}x faster (target >= {INGEST_TARGET_PPS / 1e6:.0f}M packets/s "
        f"{_verdict(pps >= INGEST_TARGET_PPS)})"
    )
    benchmark.extra_info.update(
        {
            "unit": "packets/s",
            "median": round(pps),
            "baseline": "kiteconnect _parse_binary + deque rings",
            "baseline_median": round(baseline_pps),
            "ratio": round(pps / baseline_pps, 1),
        }
    )
    assert store.rejected_counts() == dict.fromkeys(store.rejected_counts(), 0)
    assert store.tokens().shape == (PACKETS_PER_FRAME,)
    assert store.len(257) == CAPACITY


def test_push_batch_throughput(benchmark: Any) -> None:
    benchmark.group = "tick store"
    rng = np.random.default_rng(SEED + 2)
    tokens = (rng.integers(1, BATCH_TOKENS + 1, BATCH_TICKS) << 8) | 2
    base_ts = np.arange(BATCH_TICKS, dtype=np.int64)  # strictly increasing overall, so per token too
    columns = {
        "last_price": rng.integers(5, 100_000, BATCH_TICKS) * 0.05,
        "last_qty": rng.integers(1, 1000, BATCH_TICKS),
        "volume": np.arange(BATCH_TICKS, dtype=np.int64) * 10,
        "oi": rng.integers(0, 10**7, BATCH_TICKS),
        "bid": rng.integers(5, 100_000, BATCH_TICKS) * 0.05,
        "ask": rng.integers(5, 100_000, BATCH_TICKS) * 0.05,
        "bid_qty": rng.integers(1, 5000, BATCH_TICKS),
        "ask_qty": rng.integers(1, 5000, BATCH_TICKS),
    }
    store = TickStore(CAPACITY)
    state: dict[str, Any] = {"offset": 0, "ts": base_ts, "stored": []}

    def setup() -> None:
        # Fresh, later timestamps each round (outside the timing), so that every tick is stored.
        state["offset"] += BATCH_TICKS
        state["ts"] = base_ts + state["offset"]

    def core() -> None:
        state["stored"].append(store.push_batch(tokens, state["ts"], **columns))

    # The baseline gets a tenth of the ticks: a Python loop over 1M would dominate the run.
    n_base = BATCH_TICKS // 10
    base_rows = list(
        zip(
            tokens[:n_base].tolist(),
            *(c[:n_base].tolist() for c in (base_ts, *columns.values())),
            strict=True,
        )
    )
    baseline_store = DequeStore(CAPACITY)
    baseline_state = {"offset": 0}

    def baseline() -> None:
        offset = baseline_state["offset"]
        push = baseline_store.push
        for token, ts, *rest in base_rows:
            push(token, (ts + offset, *rest))
        baseline_state["offset"] = offset + BATCH_TICKS

    core_s, baseline_s = _compare(benchmark, core, baseline, rounds=20, baseline_rounds=6, setup=setup)
    tps, baseline_tps = BATCH_TICKS / core_s, n_base / baseline_s
    _report(
        f"TickStore.push_batch, {BATCH_TICKS // 1000}k ticks over {BATCH_TOKENS} tokens: "
        f"{tps / 1e6:.1f}M ticks/s; "
        f"Python loop into deque rings {baseline_tps / 1e6:.2f}M ticks/s; {tps / baseline_tps:.0f}x faster "
        f"(target >= {PUSH_BATCH_TARGET_TPS / 1e6:.0f}M ticks/s {_verdict(tps >= PUSH_BATCH_TARGET_TPS)})"
    )
    benchmark.extra_info.update(
        {
            "unit": "ticks/s",
            "median": round(tps),
            "baseline": "Python loop into deque rings",
            "baseline_median": round(baseline_tps),
            "ratio": round(tps / baseline_tps, 1),
        }
    )
    assert state["stored"] == [BATCH_TICKS] * len(state["stored"])
    assert store.tokens().shape == (BATCH_TOKENS,)
