"""Fixtures for the options-math benchmarks (`make bench`); helpers live in benchlib.py."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy

import alphastock
import alphastock.options as opt
from benchlib import N_OPTIONS, RATE, SEED, SPOT, YIELD, OptionSet, report_lines


@pytest.fixture(scope="session")
def option_set() -> OptionSet:
    """K ~ U(70, 130), t ~ U(1/365, 1), vol ~ U(5%, 150%), calls/puts 50/50, fixed seed."""
    rng = np.random.default_rng(SEED)
    strike = rng.uniform(70.0, 130.0, N_OPTIONS)
    expiry = rng.uniform(1.0 / 365.0, 1.0, N_OPTIONS)
    vol = rng.uniform(0.05, 1.50, N_OPTIONS)
    is_call = rng.random(N_OPTIONS) < 0.5
    price = opt.price(is_call, SPOT, strike, expiry, RATE, vol, YIELD)
    return OptionSet(is_call, strike, expiry, vol, price)


@pytest.fixture
def num_threads(request: pytest.FixtureRequest) -> Iterator[int]:
    """Set the core's thread count to the test's ``threads`` parameter (0 = all cores); restore after."""
    opt.set_num_threads(request.param)
    try:
        yield opt.get_num_threads()
    finally:
        opt.set_num_threads(0)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _environment() -> str:
    core = Path(alphastock._core.__file__)
    built = datetime.fromtimestamp(core.stat().st_mtime, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"{_cpu_model()}, {os.cpu_count()} logical cores, default threads {opt.get_num_threads()}; "
        f"alphastock {alphastock.__version__} (extension built {built}); "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = report_lines()
    if lines:
        terminalreporter.section("AlphaStock options benchmarks (subject vs baseline, same run)")
        terminalreporter.write_line(_environment())
        for line in lines:
            terminalreporter.write_line(line)
