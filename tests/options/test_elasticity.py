"""Historical elasticity from ticks: synthetic paths whose every window has a known elasticity."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest

from alphastock.options.chain import IST, NS_PER_SECOND
from alphastock.options.elasticity import ElasticityTable, elasticity_from_ticks, log_moneyness

EXPIRY = dt.date(2026, 1, 20)
START = int(dt.datetime(2026, 1, 15, 9, 15, tzinfo=IST).timestamp()) * NS_PER_SECOND  # 5.26 days out
HOUR = 3600 * NS_PER_SECOND


def paths() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[float]]:
    """Underlying ticks every minute for 6 hours; a call (E = 8) and a put (E = 5) ticking each minute.

    The underlying's hourly moves are +0.3%, -0.2%, +0.02% (too small), +0.25%, -0.4%, +0.1%;
    between the hour marks it wanders, which the hourly windows must not see. Each option's
    price at hour k is its price at hour k-1 times (1 ± E x the underlying's hourly return).
    """
    hourly = [0.003, -0.002, 0.0002, 0.0025, -0.004, 0.001]
    s_hours = 24_500.0 * np.cumprod([1.0, *[1 + r for r in hourly]])
    minutes = np.arange(6 * 60 + 1)
    ts = START + minutes * 60 * NS_PER_SECOND
    wander = 1 + 0.001 * np.sin(minutes / 60 * np.pi * 2) ** 3  # zero at each hour mark
    s = np.interp(minutes, np.arange(7) * 60, s_hours) * wander
    options = {"token": [], "ts_ns": [], "last_price": []}
    for token, e, sign, p0 in ((11, 8.0, 1.0, 150.0), (22, 5.0, -1.0, 120.0)):
        p_hours = p0 * np.cumprod([1.0, *[1 + sign * e * r for r in hourly]])
        p = np.interp(minutes, np.arange(7) * 60, p_hours) * (1 + 0.01 * np.sin(minutes / 7))
        p[::60] = p_hours  # exact at the hour marks
        options["token"] += [token] * minutes.size
        options["ts_ns"] += list(ts)
        options["last_price"] += list(p)
    shuffled = np.random.default_rng(3).permutation(len(options["token"]))
    opt = {k: np.asarray(v)[shuffled] for k, v in options.items()}
    return opt, {"ts_ns": ts, "last_price": s}, list(s_hours)


def test_elasticity_by_value_per_bucket() -> None:
    opt, und, s_hours = paths()
    strikes = {11: 24_500.0, 22: 24_300.0, 33: 1.0}
    table = elasticity_from_ticks(
        opt, und, strikes, {11: EXPIRY, 22: EXPIRY}, {11: "CE", 22: "PE"},
        moneyness_edges=[-0.05, -0.005, 0.005, 0.05], dte_edges=[0.0, 5.0, 6.0],
    )  # fmt: skip
    assert table.values.shape == (3, 2)
    # The call at 24,500 is within 0.5% of the money over the day: five usable windows (one too small).
    assert table.elasticity(0.0, 5.2) == (pytest.approx(8.0, rel=1e-9), 5)
    # The put at 24,300 is ln(24300/S) < -0.005 out of the money: its own bucket.
    m = float(log_moneyness(24_300.0, s_hours[0], False))
    assert m < -0.005
    assert table.elasticity(m, 5.2) == (pytest.approx(5.0, rel=1e-9), 5)
    assert table.elasticity(0.01, 5.2) == (pytest.approx(math.nan, nan_ok=True), 0)
    assert table.samples.sum() == 10
    assert table.elasticity(0.0, 6.5) == (pytest.approx(math.nan, nan_ok=True), 0)  # outside the grid


def test_elasticity_reads_pyarrow_tables_and_drops_stale_or_small_windows() -> None:
    opt, und, _ = paths()
    table = elasticity_from_ticks(
        pa.table(opt), pa.table(und), {11: 24_500.0}, {11: EXPIRY}, {11: "CE"},
        moneyness_edges=[-0.05, 0.05], dte_edges=[0.0, 10.0], min_underlying_move_pct=0.21,
    )  # fmt: skip
    assert table.elasticity(0.0, 5.0) == (
        pytest.approx(8.0, rel=1e-9),
        3,
    )  # the 0.2% and 0.1% hours dropped too
    # Only ticks up to 3 hours in: the underlying's later ticks are stale (> 60 s) for later windows.
    early = und["ts_ns"] <= START + 3 * HOUR
    cut = {"ts_ns": und["ts_ns"][early], "last_price": und["last_price"][early]}
    table = elasticity_from_ticks(
        opt,
        cut,
        {11: 24_500.0},
        {11: EXPIRY},
        {11: "CE"},
        moneyness_edges=[-0.05, 0.05],
        dte_edges=[0.0, 10.0],
    )
    assert table.elasticity(0.0, 5.0) == (pytest.approx(8.0, rel=1e-9), 2)  # hours 1, 2 (3 is too small)


def test_empty_input_and_bad_edges() -> None:
    empty = {
        "token": np.array([], dtype=np.int64),
        "ts_ns": np.array([], dtype=np.int64),
        "last_price": np.array([]),
    }
    table = elasticity_from_ticks(empty, {"ts_ns": [], "last_price": []}, {}, {}, {})
    assert isinstance(table, ElasticityTable)
    assert table.samples.sum() == 0
    assert np.isnan(table.values).all()
    with pytest.raises(ValueError, match="dte_edges must be at least two ascending values"):
        elasticity_from_ticks(empty, {"ts_ns": [], "last_price": []}, {}, {}, {}, dte_edges=[1.0, 1.0])


def test_log_moneyness_is_positive_in_the_money() -> None:
    np.testing.assert_allclose(
        log_moneyness([24_000.0, 25_000.0], 24_500.0, [True, False]),
        [math.log(24_500 / 24_000), math.log(25_000 / 24_500)],
    )
    assert float(log_moneyness(25_000.0, 24_500.0, True)) < 0
