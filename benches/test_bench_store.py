"""Benchmark: tick rows appended to the DuckDB store as Arrow batches vs row-by-row inserts; Parquet export.

Run with ``.venv/bin/python -m pytest benches/test_bench_store.py -q -s`` (or ``make bench``).

Subject: 2,000,000 seeded ticks (10 columns, 500 instruments) in numpy columns, cut
into batches of 250,000 rows (the writer's default flush size), appended through
:class:`~alphastock.store.BatchWriter` (numpy -> ``pyarrow.Table`` -> one
``INSERT INTO ticks SELECT ... FROM <arrow>`` per flush) and flushed, into a fresh
database file each round: the figure covers the whole path, commit included.
The direct Arrow insert (no writer thread) is timed too. Baseline, same run:
the same rows inserted row by row with ``executemany`` (DB-API parameters), on
2,000 rows because it is that slow, reported per row. Also: ``export_parquet`` of
the 2M-row table. Target: >= 1M rows/s via Arrow. Nothing asserts on time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from alphastock.store import Store, ticks_table

try:  # the shared end-of-session summary, when the options benchmarks' helpers are present
    from benchlib import report as _summary
except ImportError:  # pragma: no cover
    _summary = None

SEED = 20261121
N_TICKS = 2_000_000
BATCH = 250_000
N_BASELINE = 2_000
ROUNDS = 5
TARGET_ROWS_S = 1_000_000.0
T0 = 1_767_240_900_000_000_000


def _ticks(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {
        "token": rng.integers(256_000, 256_500, n).astype(np.int64),
        "ts_ns": T0 + np.arange(n, dtype=np.int64) * 1_000_000,
        "last_price": np.round(rng.uniform(100.0, 500.0, n), 2),
        "last_qty": rng.integers(1, 500, n).astype(np.int64),
        "volume": np.cumsum(rng.integers(1, 500, n)).astype(np.int64),
        "oi": rng.integers(0, 10_000, n).astype(np.int64),
        "bid": np.round(rng.uniform(99.0, 499.0, n), 2),
        "ask": np.round(rng.uniform(101.0, 501.0, n), 2),
        "bid_qty": rng.integers(0, 1_000, n).astype(np.int64),
        "ask_qty": rng.integers(0, 1_000, n).astype(np.int64),
    }


def _batches(cols: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    n = cols["ts_ns"].shape[0]
    return [{k: v[i : i + BATCH] for k, v in cols.items()} for i in range(0, n, BATCH)]


def _print(line: str) -> None:
    if _summary is not None:
        _summary(line)
    else:  # pragma: no cover
        print(f"\n{line}")


def test_bench_store_tick_append(benchmark: Any) -> None:
    cols = _ticks(N_TICKS)
    batches = _batches(cols)
    workdir = Path(tempfile.mkdtemp(prefix="alphastock-bench-store-"))
    opened: list[Store] = []
    counter = iter(range(10_000))

    def fresh() -> tuple[tuple[Store], dict[str, Any]]:
        for old in opened:
            old.close()
        store = Store.open(workdir / f"r{next(counter)}.duckdb")
        opened.append(store)
        return (store,), {}

    def via_writer(store: Store) -> int:
        with store.writer(flush_rows=BATCH, max_queued_rows=4 * BATCH) as writer:
            for batch in batches:
                writer.append_ticks(batch)
            writer.flush()
            return writer.stats.written_rows

    written = benchmark.pedantic(via_writer, setup=fresh, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert written == N_TICKS
    assert opened[-1].count("ticks") == N_TICKS
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is None:  # --benchmark-disable
        times = []
        for _ in range(ROUNDS):
            (store,), _ = fresh()
            start = time.perf_counter()
            via_writer(store)
            times.append(time.perf_counter() - start)
        writer_median = statistics.median(times)
    else:
        writer_median = stats.median

    # The same inserts without the writer thread: numpy -> Arrow -> INSERT ... SELECT per batch.
    direct_times = []
    for _ in range(ROUNDS):
        (store,), _ = fresh()
        cur = store.cursor()
        start = time.perf_counter()
        for batch in batches:
            table = ticks_table(batch)
            cur.register("b", table)
            cur.execute("INSERT INTO ticks SELECT * FROM b")
            cur.unregister("b")
        direct_times.append(time.perf_counter() - start)
    direct_median = statistics.median(direct_times)

    # Parquet export of the 2M-row table.
    export_times = []
    for i in range(ROUNDS):
        start = time.perf_counter()
        rows = opened[-1].export_parquet("ticks", workdir / f"ticks{i}.parquet")
        export_times.append(time.perf_counter() - start)
    assert rows == N_TICKS
    assert pq.read_metadata(workdir / "ticks0.parquet").num_rows == N_TICKS
    export_median = statistics.median(export_times)

    # Baseline: row by row with executemany on a small count (rows/s is what compares).
    (store,), _ = fresh()
    rows_py = list(zip(*(cols[k][:N_BASELINE].tolist() for k in cols), strict=True))
    cur = store.cursor()
    baseline_times = []
    for _ in range(3):
        cur.execute("DELETE FROM ticks")
        start = time.perf_counter()
        cur.executemany("INSERT INTO ticks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows_py)
        baseline_times.append(time.perf_counter() - start)
    assert store.count("ticks") == N_BASELINE
    baseline_median = statistics.median(baseline_times)
    for old in opened:
        old.close()

    writer_rate = N_TICKS / writer_median
    direct_rate = N_TICKS / direct_median
    baseline_rate = N_BASELINE / baseline_median
    export_rate = N_TICKS / export_median
    ratio = writer_rate / baseline_rate
    verdict = "met" if writer_rate >= TARGET_ROWS_S else "MISSED"
    _print(
        f"store tick append via Arrow (BatchWriter, {N_TICKS:,} rows, {BATCH:,}-row batches, commit incl.): "
        f"{writer_rate / 1e6:.2f}M rows/s ({1e9 / writer_rate:.0f} ns/row); direct Arrow INSERT "
        f"{direct_rate / 1e6:.2f}M rows/s; row-by-row executemany ({N_BASELINE:,} rows) "
        f"{baseline_rate:,.0f} rows/s ({1e6 / baseline_rate:.0f} us/row); {ratio:,.0f}x faster; "
        f"target >= 1M rows/s {verdict} (medians of {ROUNDS} rounds)"
    )
    _print(f"store Parquet export of {N_TICKS:,} ticks (zstd): {export_rate / 1e6:.2f}M rows/s")
    benchmark.extra_info.update(
        {
            "unit": "rows/s",
            "rows": N_TICKS,
            "batch": BATCH,
            "writer_rows_per_s": round(writer_rate),
            "direct_arrow_rows_per_s": round(direct_rate),
            "baseline": "executemany row by row",
            "baseline_rows": N_BASELINE,
            "baseline_rows_per_s": round(baseline_rate),
            "ratio": round(ratio, 1),
            "parquet_export_rows_per_s": round(export_rate),
        }
    )
