"""kill -9 a writer process mid-stream, reopen: no corruption, nothing committed lost, whole batches only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alphastock.store import Store

HELPER = Path(__file__).with_name("_store_killed_writer.py")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _run_and_kill(db: Path, mode: str, first: int, *, kill_after: str, delay_s: float | None) -> list[str]:
    """Start the child, read its stdout until the line ``kill_after``, wait ``delay_s``, SIGKILL it.

    ``delay_s=None`` waits half as long as the child's previous flush took (``FLUSH``
    to ``FLUSHED``), so the kill lands in the middle of the next insert. Returns the
    lines read (everything the child reported before it died).
    """
    child = subprocess.Popen(
        [sys.executable, str(HELPER), str(db), mode, str(first)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    flush_started = last_flush_s = 0.0
    try:
        assert child.stdout is not None
        for raw in child.stdout:
            line = raw.strip()
            lines.append(line)
            if line.startswith("FLUSH "):
                flush_started = time.perf_counter()
            elif line.startswith("FLUSHED "):
                last_flush_s = time.perf_counter() - flush_started
            if line == kill_after:
                break
        else:
            pytest.fail(f"child exited early ({child.wait()}): {child.stderr.read() if child.stderr else ''}")
        time.sleep(0.5 * last_flush_s if delay_s is None else delay_s)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        lines.extend(line.strip() for line in child.stdout)  # what it flushed before dying
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    return lines


def _check(db: Path, lines: list[str], batch_rows: dict[range, int]) -> tuple[set[str], dict[int, int]]:
    """Reopen the database and check what the child reported against what is there."""
    committed = {line.split()[1] for line in lines if line.startswith("ORDER ")}
    flushed = {int(line.split()[1]) for line in lines if line.startswith("FLUSHED ")}
    with Store.open(db) as store:
        keys = set(store.orders().column("idempotency_key").to_pylist())
        assert committed <= keys, f"lost committed orders: {sorted(committed - keys)[:5]}"
        events = store.query("SELECT count(*) AS n FROM order_events WHERE seq = 1").column("n")[0].as_py()
        assert events == len(keys)  # each order and its first event, committed together
        grouped = store.query("SELECT oi, count(*) AS n FROM ticks GROUP BY oi").to_pydict()
        counts = dict(zip(grouped["oi"], grouped["n"], strict=True))
        for batch, n in counts.items():
            expected = next(rows for ids, rows in batch_rows.items() if batch in ids)
            assert n == expected, f"batch {batch} has {n} rows, not {expected}: a partial batch"
        assert flushed <= set(counts), "a flushed tick batch was lost"
        # The database is consistent enough to keep writing.
        store.audit(1, "test", "reopened")
        assert store.audit_log().column("action").to_pylist()[-1] == "reopened"
    return keys, counts


def test_kill_9_mid_stream_then_mid_flush_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "kill.duckdb"
    Store.open(db).close()  # created and migrated before the children race to it

    lines = _run_and_kill(db, "stream", 0, kill_after="ORDER K00000040", delay_s=0.01)
    assert sum(line.startswith("ORDER ") for line in lines) >= 41
    keys_1, counts_1 = _check(db, lines, {range(0, 1_000_000): 1_000})
    assert len(keys_1) >= 41

    lines = _run_and_kill(db, "flush", 1_000_000, kill_after="FLUSH 1000002", delay_s=None)
    assert "FLUSHED 1000001" in lines
    keys_2, counts_2 = _check(db, lines, {range(0, 1_000_000): 1_000, range(1_000_000, 2_000_000): 200_000})
    assert keys_1 <= keys_2
    assert {b: n for b, n in counts_2.items() if b < 1_000_000} == counts_1
