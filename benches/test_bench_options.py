"""Benchmarks of the options-math core against vectorised numpy/scipy baselines.

Run with ``make bench`` (or ``.venv/bin/python -m pytest benches -q -s``).
Each test prints one line ``<what>: <core> <unit>; numpy <baseline> <unit>;
<ratio>x faster`` (medians; the baseline is timed in the same test with the
same number of rounds) and stores the figures in ``benchmark.extra_info``.
Accuracy is asserted; wall-clock time never is. Targets from the issue are
printed as met/MISSED, not asserted. Results are recorded in BENCHMARKS.md.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import alphastock.options as opt
import baselines
from alphastock.options.chain import IST, NS_PER_SECOND, years_to_expiry
from alphastock.options.selector import SelectionConfig, select_contract
from alphastock.runners.options import chain_from_store
from alphastock.ticks import TickStore
from benchlib import RATE, SPOT, YIELD, OptionSet, compare, report

THREADS = [pytest.param(1, id="single-thread"), pytest.param(0, id="all-cores")]

GREEKS_TARGET_NS = 60.0
GREEKS_TARGET_RATIO = 2.0
IV_TARGET_NS = 250.0


def _threads_label(threads: int) -> str:
    return "single-thread" if threads == 1 else f"multi-thread ({threads} threads)"


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# --------------------------------------------------------------------------- greeks


@pytest.mark.parametrize("num_threads", THREADS, indirect=True)
def test_greeks_100k(benchmark: Any, option_set: OptionSet, num_threads: int) -> None:
    o = option_set
    benchmark.group = "greeks 100k"

    def core() -> dict[str, np.ndarray]:
        return opt.greeks(o.is_call, SPOT, o.strike, o.expiry, RATE, o.vol, YIELD)

    def numpy() -> dict[str, np.ndarray]:
        return baselines.bsm_greeks(o.is_call, SPOT, o.strike, o.expiry, RATE, o.vol, YIELD)

    result = compare(
        benchmark,
        f"greeks 100k {_threads_label(num_threads)}",
        core,
        numpy,
        rounds=30,
        per=o.size,
        unit="ns/option",
    )
    ns = result.subject_median * 1e9 / o.size
    if num_threads == 1:
        report(
            f"  targets: <= {GREEKS_TARGET_NS:.0f} ns/option {_verdict(ns <= GREEKS_TARGET_NS)}; "
            f">= {GREEKS_TARGET_RATIO:.0f}x numpy {_verdict(result.ratio >= GREEKS_TARGET_RATIO)}"
        )

    # Same formulas, same units: the core (Let's-Be-Rational price, Cody's erfc) and the
    # textbook numpy version agree to rounding; the price differs most on tiny far-OTM values.
    core_greeks, numpy_greeks = result.subject_result, result.baseline_result
    assert list(core_greeks) == list(opt.GREEK_NAMES)
    for name in opt.GREEK_NAMES:
        np.testing.assert_allclose(core_greeks[name], numpy_greeks[name], rtol=1e-8, atol=1e-12, err_msg=name)


# --------------------------------------------------------------------------- implied vol


@dataclass(frozen=True)
class Accuracy:
    """Repricing error of implied vols, repriced with alphastock.options.price."""

    count: int
    max_rel: float
    median_rel: float
    max_ulps: float
    median_ulps: float
    max_floors: float  # error / (price·eps + vega·sigma·eps): the best a double-precision vol can do is ~1

    def text(self) -> str:
        return (
            f"max {self.max_rel:.2e} rel ({self.max_ulps:.3g} ulps, {self.max_floors:.3g}x floor), "
            f"median {self.median_rel:.2e} rel ({self.median_ulps:.3g} ulps)"
        )


def repricing_accuracy(o: OptionSet, vols: np.ndarray, rows: np.ndarray, vega: np.ndarray) -> Accuracy:
    """Errors over `rows`; `vega` per unit of vol at the generating vols, for the conditioning floor.

    Rounding sigma to a double moves the price by up to vega·sigma·eps, so far out of
    the money (huge vega/price) no solver can reprice to a few ulps; the floor
    ``price·eps + vega·sigma·eps`` is the scale the core's own round-trip test uses.
    """
    repriced = opt.price(o.is_call[rows], SPOT, o.strike[rows], o.expiry[rows], RATE, vols[rows], YIELD)
    target = o.price[rows]
    error = np.abs(repriced - target)  # NaN vols give NaN errors, which max() reports as NaN
    rel = error / target
    ulps = error / np.spacing(target)
    eps = np.finfo(np.float64).eps
    floors = error / (target * eps + vega[rows] * o.vol[rows] * eps)
    return Accuracy(
        int(rows.size),
        float(rel.max()),
        float(np.median(rel)),
        float(ulps.max()),
        float(np.median(ulps)),
        float(floors.max()),
    )


@pytest.mark.parametrize("num_threads", THREADS, indirect=True)
def test_implied_vol_100k(benchmark: Any, option_set: OptionSet, num_threads: int) -> None:
    o = option_set
    benchmark.group = "implied_vol 100k"

    def core() -> tuple[np.ndarray, np.ndarray]:
        return opt.implied_vol(o.price, o.is_call, SPOT, o.strike, o.expiry, RATE, YIELD, return_status=True)

    def numpy() -> tuple[np.ndarray, np.ndarray, int]:
        return baselines.implied_vol_newton(
            o.price, o.is_call, SPOT, o.strike, o.expiry, RATE, YIELD, return_info=True
        )

    result = compare(
        benchmark,
        f"implied_vol 100k {_threads_label(num_threads)}",
        core,
        numpy,
        rounds=12,
        per=o.size,
        unit="ns/option",
        baseline_name="numpy Newton-bisection",
    )
    ns = result.subject_median * 1e9 / o.size
    if num_threads == 1:
        report(f"  target: <= {IV_TARGET_NS:.0f} ns/option {_verdict(ns <= IV_TARGET_NS)}")

    core_vols, status = result.subject_result
    numpy_vols, numpy_converged, numpy_iterations = result.baseline_result
    assert np.all(status == opt.IvStatus.OK), np.bincount(status)
    assert np.all(np.isfinite(core_vols))

    # Accuracy: both sets of vols repriced with alphastock.options.price. Relative error
    # needs a positive price; a handful of far-OTM short-dated prices underflow to 0.
    vega = opt.greeks(o.is_call, SPOT, o.strike, o.expiry, RATE, o.vol, YIELD)["vega"] * 100.0  # per unit
    positive = np.flatnonzero(o.price > 0.0)
    quotable = np.flatnonzero(o.price >= 0.01)
    # The tests' definition of "vega not negligible": where the price still pins sigma down.
    sensitive_rows = np.flatnonzero((o.price > 0.0) & (vega > 1e-8 * SPOT))
    core_sensitive = repricing_accuracy(o, core_vols, sensitive_rows, vega)
    core_all = repricing_accuracy(o, core_vols, positive, vega)
    numpy_all = repricing_accuracy(o, numpy_vols, positive, vega)
    core_q = repricing_accuracy(o, core_vols, quotable, vega)
    numpy_q = repricing_accuracy(o, numpy_vols, quotable, vega)
    if num_threads == 1:
        report(
            f"  accuracy (vols repriced with alphastock.options.price), {core_all.count:,} options with "
            f"price > 0: core {core_all.text()}; numpy {numpy_all.text()}"
        )
        report(
            f"  accuracy, the {core_q.count:,} options with price >= 0.01 (1e-4 S): "
            f"core {core_q.text()}; numpy {numpy_q.text()}"
        )
        report(
            f"  accuracy where vega is not negligible (vega > 1e-8 S per unit vol), {core_sensitive.count:,} "
            f"options: core {core_sensitive.text()}"
        )
        report(
            f"  numpy Newton-bisection: {int((~numpy_converged).sum())} of {o.size:,} not converged "
            f"(|error| >= 1e-12 after 100 iterations), {numpy_iterations} passes over the shrinking set"
        )
    benchmark.extra_info.update(
        {
            "core_max_rel_err": core_all.max_rel,
            "core_median_ulps": core_all.median_ulps,
            "core_max_ulps": core_all.max_ulps,
            "numpy_max_rel_err": numpy_all.max_rel,
            "numpy_median_ulps": numpy_all.median_ulps,
            "numpy_max_ulps": numpy_all.max_ulps,
            "core_max_floors": core_all.max_floors,
            "core_sensitive_max_floors": core_sensitive.max_floors,
            "numpy_max_floors": numpy_all.max_floors,
        }
    )
    assert core_all.max_rel <= numpy_all.max_rel
    assert core_all.median_ulps <= numpy_all.median_ulps
    assert core_q.max_rel <= numpy_q.max_rel
    # The documented round-trip bound: 8 x (ulp(price) + vega * sigma * eps) where vega is not negligible.
    assert core_sensitive.max_floors <= 8.0
    # Where the price is not flat in vol, the solved vol is the generating one.
    sensitive = vega >= 1e-2
    assert np.max(np.abs(core_vols - o.vol)[sensitive]) < 1e-8


# --------------------------------------------------------------------------- full chain


@dataclass(frozen=True)
class Chain:
    """One NIFTY-like expiry: 500 strikes x call/put in long format (calls first)."""

    strike: np.ndarray
    is_call: np.ndarray
    ltp: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    volume: np.ndarray
    oi: np.ndarray
    t: float
    r: float
    true_forward: float

    @property
    def strikes(self) -> np.ndarray:
        return self.strike[: self.strike.size // 2]

    @property
    def call_ltp(self) -> np.ndarray:
        return self.ltp[: self.ltp.size // 2]

    @property
    def put_ltp(self) -> np.ndarray:
        return self.ltp[self.ltp.size // 2 :]


TICK = 0.05
LOT = 75.0
CHAIN_FILTERS = opt.StrikeFilters(min_volume=10 * LOT, max_spread_pct=5.0, atm_window=20, target_delta=0.4)
CHAIN_WEIGHTS = opt.StrikeWeights()


def _to_tick(x: np.ndarray) -> np.ndarray:
    return np.round(x / TICK) * TICK


def make_nifty_chain() -> Chain:
    """500 strikes 50 apart around 22,500 (10,000-34,950), 30 days, forward 22,517.35.

    Prices: Black-76 on a skewed smile, time value jittered by ~0.2% (quotes
    are not all from one instant), rounded to the 0.05 tick with a 0.05 floor
    (far wings quote the minimum; a deep in-the-money quote can round below
    intrinsic value and has no implied vol). Bid/ask a tick or more (~0.1% of
    price) either side; a 0.05 quote has no bid. Volume and OI peak at the
    money and are multiples of the 75-unit lot.
    """
    rng = np.random.default_rng(22_500)
    forward, t, r = 22_517.35, 30.0 / 365.0, RATE
    k = 22_500.0 + 50.0 * (np.arange(500) - 250)
    strike = np.concatenate([k, k])
    is_call = np.repeat([True, False], k.size)
    m = np.log(strike / forward)
    smile = np.clip(0.13 - 0.20 * m + 0.9 * m * m, 0.08, 1.2)
    fair = opt.price(is_call, forward, strike, t, r, smile, model="black76")
    intrinsic = np.exp(-r * t) * np.maximum(np.where(is_call, forward - strike, strike - forward), 0.0)
    time_value = (fair - intrinsic) * np.exp(rng.normal(0.0, 0.002, fair.size))
    ltp = np.maximum(_to_tick(intrinsic + time_value), TICK)
    half_spread = np.maximum(1.0, np.round(0.001 * ltp / TICK)) * TICK
    bid = np.maximum(_to_tick(ltp - half_spread), 0.0)
    ask = _to_tick(ltp + half_spread)
    activity = np.exp(-0.5 * (m / 0.04) ** 2)
    volume = np.floor(2e6 * activity * rng.lognormal(0.0, 0.5, fair.size) / LOT) * LOT
    oi = np.floor(6e6 * activity * rng.lognormal(0.0, 0.5, fair.size) / LOT) * LOT
    return Chain(strike, is_call, ltp, bid, ask, volume, oi, t, r, forward)


@pytest.fixture(scope="module")
def nifty_chain() -> Chain:
    return make_nifty_chain()


def core_chain(c: Chain) -> tuple[float, np.ndarray, dict[str, np.ndarray], opt.StrikeScores]:
    """What a strategy does per chain: parity forward, Black-76 IV, greeks, strike scores."""
    forward = opt.implied_forward(c.call_ltp, c.put_ltp, c.strikes, c.t, c.r)
    iv = opt.implied_vol(c.ltp, c.is_call, forward, c.strike, c.t, c.r, model="black76")
    greeks = opt.greeks(c.is_call, forward, c.strike, c.t, c.r, iv, model="black76")
    scores = opt.score_strikes(
        c.strike, c.is_call, c.ltp, c.bid, c.ask, c.volume, c.oi, greeks["delta"], iv, forward,
        weights=CHAIN_WEIGHTS, filters=CHAIN_FILTERS,
    )  # fmt: skip
    return forward, iv, greeks, scores


def numpy_chain(c: Chain) -> tuple[float, np.ndarray, dict[str, np.ndarray], tuple[np.ndarray, int | None]]:
    forward = baselines.parity_forward(c.call_ltp, c.put_ltp, c.strikes, c.t, c.r)
    # Black-76 is BSM on the forward with q = r.
    iv = baselines.implied_vol_newton(c.ltp, c.is_call, forward, c.strike, c.t, c.r, q=c.r)
    greeks = baselines.black76_greeks(c.is_call, forward, c.strike, c.t, c.r, iv)
    w, f = CHAIN_WEIGHTS, CHAIN_FILTERS
    scores = baselines.score_strikes(
        c.strike, c.is_call, c.ltp, c.bid, c.ask, c.volume, c.oi, greeks["delta"], iv, forward,
        weights=(w.liquidity, w.delta, w.iv, w.moneyness, w.spread),
        min_volume=f.min_volume, min_oi=f.min_oi, max_spread_pct=f.max_spread_pct,
        atm_window=f.atm_window, target_delta=f.target_delta,
    )  # fmt: skip
    return forward, iv, greeks, scores


def _stage_breakdown(c: Chain, rounds: int = 200) -> str:
    """Median microseconds of each core call in the chain pipeline (perf_counter, not pytest-benchmark)."""
    forward, iv, greeks, _ = core_chain(c)
    stages = {
        "implied_forward": lambda: opt.implied_forward(c.call_ltp, c.put_ltp, c.strikes, c.t, c.r),
        "implied_vol": lambda: opt.implied_vol(
            c.ltp, c.is_call, forward, c.strike, c.t, c.r, model="black76"
        ),
        "greeks": lambda: opt.greeks(c.is_call, forward, c.strike, c.t, c.r, iv, model="black76"),
        "score_strikes": lambda: opt.score_strikes(
            c.strike, c.is_call, c.ltp, c.bid, c.ask, c.volume, c.oi, greeks["delta"], iv, forward,
            weights=CHAIN_WEIGHTS, filters=CHAIN_FILTERS,
        ),
    }  # fmt: skip
    parts = []
    for name, fn in stages.items():
        fn()
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        parts.append(f"{name} {np.median(times) * 1e6:.1f}")
    return "  core stages (us, medians): " + ", ".join(parts)


def test_chain_1000(benchmark: Any, nifty_chain: Chain) -> None:
    c = nifty_chain
    benchmark.group = "chain 1000"
    # 1,000 options is below PARALLEL_THRESHOLD: the core runs on the calling thread whatever the setting.
    assert c.strike.size < opt.PARALLEL_THRESHOLD
    result = compare(
        benchmark,
        "chain 1,000 options (forward + IV + greeks + scores, Black-76)",
        lambda: core_chain(c),
        lambda: numpy_chain(c),
        rounds=300,
        per=1,
        unit="us/chain",
    )
    report(_stage_breakdown(c))

    forward, iv, greeks, (scores, best) = result.subject_result
    np_forward, np_iv, np_greeks, (np_scores, np_best) = result.baseline_result
    solved = np.isfinite(iv)
    survivors = np.isfinite(scores)
    report(
        f"  chain: forward {forward:.2f} (true {c.true_forward:.2f}); {int(solved.sum())} of {iv.size} IVs "
        f"solved; {int(survivors.sum())} candidates pass the filters; best row {best} "
        f"(K={c.strike[best]:.0f}, {'CE' if c.is_call[best] else 'PE'}, score {scores[best]:.4f})"
    )
    assert abs(forward - c.true_forward) < 1.0
    assert forward == pytest.approx(np_forward, rel=1e-12)
    # Every out-of-the-money quote solves; the failures are deep in-the-money quotes whose
    # time value is below the forward's error (tick rounding), i.e. below intrinsic value.
    out_of_the_money = np.where(c.is_call, c.strike > forward, c.strike < forward)
    assert solved[out_of_the_money].all()
    assert solved.sum() > 0.75 * iv.size
    # Both solvers fail on the same quotes (tick-rounded below intrinsic), and agree elsewhere.
    np.testing.assert_array_equal(np.isfinite(iv), np.isfinite(np_iv))
    sensitive = solved & (greeks["vega"] > 1e-3)
    np.testing.assert_allclose(iv[sensitive], np_iv[sensitive], rtol=1e-7)
    np.testing.assert_allclose(greeks["delta"][sensitive], np_greeks["delta"][sensitive], atol=1e-7)
    np.testing.assert_array_equal(survivors, np.isfinite(np_scores))
    np.testing.assert_allclose(scores[survivors], np_scores[survivors], atol=1e-6)
    assert best == np_best


# --------------------------------------------------------------------------- chain selection (issue 15)

SELECTION_TARGET_RATIO = 10.0
SELECT_CONFIG = SelectionConfig(atm_window=5, min_volume=10 * 65.0, max_spread_pct=5.0, target_delta=0.5)


@dataclass(frozen=True)
class StoredChains:
    """Two NIFTY expiries, ATM ± 10 strikes each (84 options), newest quotes in a TickStore."""

    ticks: TickStore
    now_ns: int
    spot: float
    expiries: list[tuple[dt.date, list[float], list[int], list[int]]]


def make_stored_chains() -> StoredChains:
    """Black-76 quotes on a skewed smile around a 24,512 spot (forward at 6.5% carry), ticks in a store.

    Per option: mid = model price, a half spread of 1-6 ticks, volume and OI in 65-unit lots peaking
    at the money; one stored tick each (what the options runner reads at snapshot time).
    """
    rng = np.random.default_rng(15)
    now = int(dt.datetime(2026, 1, 12, 11, 0, tzinfo=IST).timestamp()) * NS_PER_SECOND
    spot = 24_512.0
    ticks = TickStore(8)
    expiries = []
    token = 10_000
    for expiry in (dt.date(2026, 1, 13), dt.date(2026, 1, 20)):
        t = years_to_expiry(expiry, now)
        forward = spot * np.exp(RATE * t)
        strikes = [24_500.0 + 50.0 * i for i in range(-10, 11)]
        k = np.asarray(strikes)
        m = np.log(k / forward)
        vols = 0.12 - 0.25 * m + 3.0 * m * m
        calls, puts = list(range(token, token + 21)), list(range(token + 21, token + 42))
        token += 42
        for is_call, tokens in ((True, calls), (False, puts)):
            mid = opt.price(is_call, forward, k, t, RATE, vols, model="black76")
            half = rng.integers(1, 7, k.size) * TICK
            activity = np.exp(-0.5 * (m / 0.01) ** 2)
            volume = np.floor(4e3 * activity * rng.lognormal(0, 0.5, k.size)) * 65
            oi = np.floor(2e4 * activity * rng.lognormal(0, 0.5, k.size)) * 65
            ticks.push_batch(
                np.asarray(tokens), np.full(k.size, now - NS_PER_SECOND), _to_tick(mid),
                volume=volume.astype(np.int64), oi=oi.astype(np.int64),
                bid=_to_tick(mid) - half, ask=_to_tick(mid) + half,
            )  # fmt: skip
        expiries.append((expiry, strikes, calls, puts))
    return StoredChains(ticks, now, spot, expiries)


def core_selection(s: StoredChains) -> list[tuple[dt.date, float | None]]:
    """The runner's snapshot (one TickStore read, Rust forward/IV/greeks) and the executor's choice."""
    picks = []
    for expiry, strikes, calls, puts in s.expiries:
        snap = chain_from_store(s.ticks, "NIFTY", expiry, s.now_ns, s.spot, strikes, calls, puts, rate=RATE)
        chosen = select_contract(snap, "BUY", SELECT_CONFIG).chosen
        picks.append((expiry, None if chosen is None else chosen.strike))
    return picks


def numpy_selection(s: StoredChains) -> list[tuple[dt.date, float | None]]:
    """The same selection with the same store read, in numpy/scipy (Newton-bisection IV, textbook greeks)."""
    cfg, w = SELECT_CONFIG, SELECT_CONFIG.weights
    picks = []
    for expiry, strikes, calls, puts in s.expiries:
        rows = s.ticks.latest_many(np.asarray([*calls, *puts], dtype=np.int64))
        n = len(strikes)
        bid, ask, ltp = rows["bid"], rows["ask"], rows["last_price"]
        volume, oi = rows["volume"].astype(np.float64), rows["oi"].astype(np.float64)
        with np.errstate(invalid="ignore"):
            two_sided = (bid > 0) & (ask > 0) & (ask >= bid)
            mid = np.where(two_sided, 0.5 * (bid + ask), np.where(ltp > 0, ltp, np.nan))
        k = np.asarray(strikes * 2)
        is_call = np.repeat([True, False], n)
        t = years_to_expiry(expiry, s.now_ns)
        forward = baselines.parity_forward(mid[:n], mid[n:], k[:n], t, RATE)
        iv = baselines.implied_vol_newton(mid, is_call, forward, k, t, RATE, q=RATE)
        delta = baselines.black76_greeks(is_call, forward, k, t, RATE, iv)["delta"]
        atm = int(np.argmin(np.abs(k[:n] - forward)))
        window = np.arange(max(0, atm - cfg.atm_window), min(n, atm + cfg.atm_window + 1))  # calls: a BUY
        _, best = baselines.score_strikes(
            k[window], is_call[window], ltp[window], bid[window], ask[window], volume[window], oi[window],
            delta[window], iv[window], forward, weights=(w.liquidity, w.delta, w.iv, w.moneyness, w.spread),
            min_volume=cfg.min_volume, min_oi=cfg.min_oi, max_spread_pct=cfg.max_spread_pct,
            target_delta=cfg.target_delta,
        )  # fmt: skip
        picks.append((expiry, None if best is None else float(k[window][best])))
    return picks


def test_chain_selection_from_the_tick_store(benchmark: Any) -> None:
    s = make_stored_chains()
    benchmark.group = "chain selection"
    result = compare(
        benchmark,
        "chain selection, ATM ± 10 strikes x 2 expiries from the TickStore "
        "(read + forward + IV + greeks + scores + choice)",
        lambda: core_selection(s),
        lambda: numpy_selection(s),
        rounds=300,
        per=1,
        unit="us/chain",
        baseline_name="numpy/scipy",
    )
    report(
        f"  target: >= {SELECTION_TARGET_RATIO:.0f}x numpy/scipy "
        f"{_verdict(result.ratio >= SELECTION_TARGET_RATIO)}; picks {result.subject_result}"
    )
    assert all(strike is not None for _, strike in result.subject_result)
    assert result.subject_result == result.baseline_result
