"""The engine thread keeps the GIL through small Rust calls and journal writes.

A call that releases the GIL lets a waiting thread (the broker SDK's sender, the DuckDB writer)
take the interpreter, and the engine then waits up to that thread's switch interval for it back.
These tests set the switch interval to 50 ms, far longer than the calls under test take, so a
busy thread can run during a call only if the main thread releases the GIL in it; they count how
far the busy thread gets while the call runs.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alphastock import options
from alphastock._core import AppendFile
from alphastock.bars import BarAggregator
from alphastock.persistence.journal import Journal


@pytest.fixture
def busy_thread() -> Iterator[Any]:
    """``run(call)`` -> how many steps a competing thread made while ``call`` ran."""
    counter = [0]
    stop = threading.Event()
    started = threading.Event()

    def spin() -> None:
        started.set()
        while not stop.is_set():
            counter[0] += 1

    previous = sys.getswitchinterval()
    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    started.wait(5)
    sys.setswitchinterval(0.05)

    class Run:
        before = 0

        def __call__(self, call: Callable[[], object]) -> int:
            start = counter[0]
            time.sleep(0.01)  # let the spinner take the GIL and then wait for it
            assert counter[0] > start, "the busy thread is not running"
            self.before = counter[0]
            call()
            return self.steps_so_far()

        def steps_so_far(self) -> int:
            return counter[0] - self.before

    run = Run()

    try:
        yield run
    finally:
        sys.setswitchinterval(previous)
        stop.set()
        thread.join(5)


def test_the_test_sees_a_call_that_releases_the_gil(busy_thread) -> None:
    assert busy_thread(lambda: time.sleep(0.002)) > 0


def test_journal_appends_keep_the_gil(busy_thread, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    try:
        journal.append("fill", {"n": -1})  # the first call may import (file reads release the GIL)
        steps = busy_thread(lambda: [journal.append("fill", {"n": i}) for i in range(200)])
    finally:
        journal.close()
    assert steps == 0
    assert len((tmp_path / "journal.jsonl").read_text().splitlines()) == 201


def test_small_batches_keep_the_gil(busy_thread) -> None:
    agg = BarAggregator("1m")
    tokens = np.full(500, 256265, dtype=np.int64)
    ts = 1_763_700_000_000_000_000 + np.arange(500, dtype=np.int64) * 1_000_000
    prices = np.linspace(100.0, 101.0, 500)
    vols = np.ones(500)
    n = 1_000
    strikes = np.linspace(20_000.0, 30_000.0, n)

    def work() -> None:
        agg.update(tokens, ts, prices, vols)
        options.greeks(np.ones(n, dtype=bool), 25_000.0, strikes, 0.05, 0.065, 0.15)
        options.implied_vol(np.full(n, 100.0), np.ones(n, dtype=bool), 25_000.0, strikes, 0.05, 0.065)

    work()  # first calls may import modules (file reads release the GIL); the steady state counts
    assert busy_thread(work) == 0


def test_large_batches_share_the_core(busy_thread) -> None:
    n = 200_000
    strikes = np.linspace(20_000.0, 30_000.0, n)
    steps = busy_thread(lambda: options.greeks(np.ones(n, dtype=bool), 25_000.0, strikes, 0.05, 0.065, 0.15))
    assert steps > 0


def test_append_file_errors_are_os_errors_and_a_closed_file_refuses(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        AppendFile(tmp_path / "missing" / "journal.jsonl")
    file = AppendFile(tmp_path / "journal.jsonl")
    file.append(b"one\n")
    file.sync()
    file.close()
    file.close()
    assert file.closed
    with pytest.raises(ValueError, match="closed"):
        file.append(b"two\n")
    assert (tmp_path / "journal.jsonl").read_bytes() == b"one\n"
    assert (os.stat(tmp_path / "journal.jsonl").st_mode & 0o777) == 0o600
