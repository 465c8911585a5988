"""The tick path with recording off, ``ltp`` and ``full`` (issue 14: recording must not slow it).

Run with ``.venv/bin/python -m pytest benches/test_bench_recording.py -q -s -p no:randomly``.

Per batch of 500 ticks (one per instrument; the runners bench's data: 120 batches, 6 s of market
time apart, so 1-minute bars close every 10 batches), the loop's work as the live engine does it, on
a TickStore of the engine's ring size (``TICK_CAPACITY``, 4,096 ticks per instrument):
``TickStore.push_batch`` (the feed; with recording on it also copies each tick to the recording tap),
``RunnerSet.on_ticks`` (bars, equity levels) and then, when recording, what the
:class:`~alphastock.kernel.recorder.Recorder` does on the loop: its timer's take of the tap every
``read_interval_s`` wall seconds (as live: it no longer handles tick batches) and the hand-over of
closed bars, with the store's writer thread running and inserting into DuckDB meanwhile (its GIL use
counts against the loop; see ``MODES``). The modes alternate round by round in the same run; reported:
per-batch loop time (mean: the loop's throughput; median; p99) and the ratios to ``off``.
Nothing asserts on time; the rows recorded are checked.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from alphastock.config import RecordingConfig
from alphastock.events import TickBatch
from alphastock.kernel.builder import TICK_CAPACITY
from alphastock.kernel.recorder import Recorder
from alphastock.store import Store
from benchlib import report
from test_bench_runners import N_BATCHES, N_TOKENS, _build, _data

ROUNDS = 7
MODES = ("off", "ltp", "ltp+writer", "full+writer")
"""``off``; ``ltp`` with the writer's default 1 s interval (it inserts after the round: the loop's own
cost); ``ltp+writer`` and ``full+writer`` with the writer inserting every 10 ms during the round
(the loop then shares the GIL with it at ~1M ticks/s, hundreds of times a live feed's rate)."""


def _round(mode: str, data: Any, path: Path) -> tuple[list[float], float, int, int, int]:
    """One session's batches: per-batch loop seconds, the recorder's share (seconds, all batches),
    ticks and bars in the tables, rows dropped."""
    tokens, prices, volumes, stamps = data
    ticks, runners, published = _build(tokens, TICK_CAPACITY)  # the live engine's ring
    with Store.open(path) as store:
        recorder = None
        if mode != "off":
            ticks_mode, _, busy = mode.partition("+")
            settings = {"ticks": ticks_mode, "flush_interval_s": 0.01 if busy else 1.0}
            recorder = Recorder(store, ticks, RecordingConfig.model_validate(settings))
            asyncio.run(recorder.start())
        seen = 0
        last_read = time.perf_counter()
        times: list[float] = []
        recording = 0.0
        for i in range(N_BATCHES):
            start = time.perf_counter()
            ticks.push_batch(tokens, stamps[i], prices[i], volume=volumes[i])
            runners.on_ticks(TickBatch(tokens=tokens, recv_ns=i))
            mid = time.perf_counter()
            if recorder is not None:
                if mid - last_read >= recorder.read_interval_s:  # the recorder's timer, as live
                    recorder.record_pending()
                    last_read = mid
                if len(published) > seen:  # a burst of closed bars, as on_bar hands it over
                    recorder.record_bars([event.payload for event in published[seen:]])
                seen = len(published)
            end = time.perf_counter()
            recording += end - mid
            times.append(end - start)
        dropped = 0
        if recorder is not None:
            start = time.perf_counter()
            recorder.record_pending()  # the last batches' read: loop work too
            recording += time.perf_counter() - start
            asyncio.run(recorder.stop())
            dropped = recorder.dropped_rows
        return times, recording, store.count("ticks"), store.count("bars"), dropped


def test_bench_recording_tick_path(tmp_path: Path) -> None:
    data = _data()
    per_batch: dict[str, list[float]] = {mode: [] for mode in MODES}
    _round("off", data, tmp_path / "warm.duckdb")
    counts: dict[str, tuple[int, int, int]] = {}
    own: dict[str, float] = dict.fromkeys(MODES, 0.0)
    for r in range(ROUNDS):
        for mode in MODES if r % 2 == 0 else reversed(MODES):
            times, recording, tick_rows, bar_rows, dropped = _round(
                mode, data, tmp_path / f"{mode.replace('+', '_')}{r}.duckdb"
            )
            per_batch[mode].extend(times)
            own[mode] += recording
            counts[mode] = (tick_rows, bar_rows, dropped)
    n_ticks = N_TOKENS * N_BATCHES
    lines = []
    base = statistics.fmean(per_batch["off"])
    base_p50 = statistics.median(per_batch["off"])
    for mode in MODES:
        values = per_batch[mode]
        mean, p50 = statistics.fmean(values), statistics.median(values)
        own_us = own[mode] / len(values) * 1e6
        p99 = float(np.percentile(values, 99))
        lines.append(
            f"tick path with recording {mode}: mean {mean * 1e6:,.0f} us/batch of {N_TOKENS} ticks "
            f"({N_TOKENS / mean / 1e6:.2f} M ticks/s), p50 {p50 * 1e6:,.0f}, p99 {p99 * 1e6:,.0f} us; "
            f"ratio to off: mean {mean / base:.2f}, p50 {p50 / base_p50:.2f}; the recorder's own calls "
            f"{own_us:,.1f} us/batch ({own_us / 1e6 / base:.1%} of off's mean)"
        )
    for line in lines:
        report(line)
    assert counts["off"] == (0, 0, 0)
    expected_bars = (N_BATCHES * 6 // 60 - 1) * N_TOKENS
    for mode in MODES[1:]:
        assert counts[mode] == (n_ticks, expected_bars, 0), mode
