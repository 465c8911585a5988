"""Timing and reporting helpers shared by the benchmarks (imported by conftest.py and the tests).

Every benchmark times the Rust core with pytest-benchmark's ``benchmark``
fixture (``pedantic``: fixed rounds, one warm-up) and its numpy/scipy
baseline in the same test with the same number of rounds (half before and
half after the subject, so a load change on the machine hits both alike),
then prints and records (``benchmark.extra_info``) the medians, minima and
the median ratio. Nothing asserts on wall-clock time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import alphastock.options as opt

SEED = 20261121
N_OPTIONS = 100_000
SPOT = 100.0
RATE = 0.065
YIELD = 0.0

_REPORT: list[str] = []


@dataclass(frozen=True)
class OptionSet:
    """The issue's 100k-option data set (BSM, S = 100, r = 6.5%, q = 0)."""

    is_call: np.ndarray
    strike: np.ndarray
    expiry: np.ndarray
    vol: np.ndarray
    price: np.ndarray  # alphastock.options.price at `vol`

    @property
    def size(self) -> int:
        return int(self.strike.size)


def _time_rounds(fn: Callable[[], Any], rounds: int) -> tuple[list[float], Any]:
    """Seconds per call of `rounds` calls, and the last call's result."""
    durations = []
    result = None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        durations.append(time.perf_counter() - start)
    return durations, result


@dataclass(frozen=True)
class Comparison:
    subject_result: Any
    baseline_result: Any
    subject_median: float  # seconds per call
    subject_min: float
    baseline_median: float
    baseline_min: float

    @property
    def ratio(self) -> float:
        """How many times faster the subject is than the baseline (median over median)."""
        return self.baseline_median / self.subject_median


def compare(
    benchmark: Any,
    label: str,
    subject: Callable[[], Any],
    baseline: Callable[[], Any],
    *,
    rounds: int,
    per: int,
    unit: str,
    baseline_name: str = "numpy",
) -> Comparison:
    """Time `subject` with pytest-benchmark and `baseline` by hand, same rounds; print and record the ratio.

    ``per`` divides each call's time (options per call); ``unit`` is "ns/option" or "us/chain".
    """
    scale = {"ns/option": 1e9, "us/chain": 1e6}[unit] / per
    baseline_result = baseline()  # warm-up
    before, _ = _time_rounds(baseline, rounds // 2)
    subject_result = benchmark.pedantic(subject, rounds=rounds, iterations=1, warmup_rounds=1)
    after, _ = _time_rounds(baseline, rounds - rounds // 2)
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is None:  # --benchmark-disable: time the subject by hand instead
        subject_times, _ = _time_rounds(subject, rounds)
        subject_median, subject_min = statistics.median(subject_times), min(subject_times)
    else:
        subject_median, subject_min = stats.median, stats.min
    baseline_times = before + after
    result = Comparison(
        subject_result,
        baseline_result,
        subject_median,
        subject_min,
        statistics.median(baseline_times),
        min(baseline_times),
    )
    short_unit = unit.split("/")[0]
    verdict = (
        f"{result.ratio:.2f}x faster"
        if result.ratio >= 1.0
        else f"{result.ratio:.2f}x, i.e. {1.0 / result.ratio:.2f}x SLOWER"
    )
    line = (
        f"{label}: {result.subject_median * scale:.1f} {unit}; "
        f"{baseline_name} {result.baseline_median * scale:.1f} {unit}; {verdict} "
        f"(medians of {rounds} rounds; minima {result.subject_min * scale:.1f} vs "
        f"{result.baseline_min * scale:.1f} {short_unit})"
    )
    print(f"\n{line}")
    _REPORT.append(line)
    benchmark.extra_info.update(
        {
            "unit": unit,
            "median": round(result.subject_median * scale, 3),
            "min": round(result.subject_min * scale, 3),
            "baseline": baseline_name,
            "baseline_median": round(result.baseline_median * scale, 3),
            "baseline_min": round(result.baseline_min * scale, 3),
            "ratio": round(result.ratio, 3),
            "threads": opt.get_num_threads(),
        }
    )
    return result


def python_loop_ns() -> int:
    """ns of a fixed pure-Python loop (300 steps): how fast the host runs the interpreter right now,
    and how much slower after an idle gap (the host's cold factor on code that is not ours)."""
    started = time.perf_counter_ns()
    total = 0
    for i in range(300):
        total += i * i
    return time.perf_counter_ns() - started


def report(line: str) -> None:
    """Print a line now and repeat it in the end-of-session summary."""
    print(f"\n{line}")
    _REPORT.append(line)


def report_lines() -> list[str]:
    """Every line printed so far, for the end-of-session summary."""
    return list(_REPORT)
