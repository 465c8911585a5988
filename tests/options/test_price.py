"""Prices against independent high-precision references, parity, domain rules and thread invariance."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import ndtr

import alphastock.options as opt
from tests.options._reference import black_price, bsm_price

EPS = np.finfo(np.float64).eps


def _rounding_scale(is_call: bool, F: float, K: float, T: float, r: float, sigma: float) -> float:
    """e^{-rT} (F N(±d1) + K N(±d2)): the size of the two terms of the Black formula.

    Rounding F or K by one part in 2^53 moves the true price by eps times this,
    so it is the scale of the error any double-precision pricer must be allowed.
    Near the money it is a few times the price; far out of the money it is
    price x elasticity, which is why relative error there is allowed to grow.
    """
    sign = 1.0 if is_call else -1.0
    df = math.exp(-r * T)
    v = sigma * math.sqrt(T)
    if v == 0.0:
        return df * (F + K)
    d1 = math.log(F / K) / v + 0.5 * v
    d2 = d1 - v
    return df * (F * float(ndtr(sign * d1)) + K * float(ndtr(sign * d2)))


# Hull, Options, Futures and Other Derivatives, Example 15.6.
HULL = {"S": 42.0, "K": 40.0, "t": 0.5, "r": 0.10, "sigma": 0.20}
HULL_CALL = 4.759422392871533
HULL_PUT = 0.8085993729000936


def test_hull_literals_are_the_correctly_rounded_reference_values() -> None:
    call = bsm_price(True, HULL["S"], HULL["K"], HULL["t"], HULL["r"], HULL["sigma"])
    put = bsm_price(False, HULL["S"], HULL["K"], HULL["t"], HULL["r"], HULL["sigma"])
    # The reference has ~50 correct digits; the literals must be its nearest doubles.
    assert float(call) == HULL_CALL
    assert float(put) == HULL_PUT
    assert str(call).startswith("4.75942239287153")
    assert str(put).startswith("0.80859937290009")


@pytest.mark.parametrize(("flag", "expected"), [("c", HULL_CALL), ("p", HULL_PUT)])
def test_hull_example_prices(flag: str, expected: float) -> None:
    value = opt.price(flag, HULL["S"], HULL["K"], HULL["t"], HULL["r"], HULL["sigma"])
    assert value.shape == ()
    assert value.dtype == np.float64
    assert float(value) == pytest.approx(expected, rel=1e-14, abs=0.0)


BSM_GRID = list(
    itertools.product(
        [True, False],  # call?
        [0.5, 0.8, 0.97, 1.0, 1.1, 1.4, 2.0],  # K / S
        [1.0 / 365.0, 0.1, 1.0, 3.0],  # t
        [0.05, 0.25, 0.9],  # sigma
        [(0.065, 0.0), (0.065, 0.03), (0.0, 0.05)],  # (r, q)
    )
)


@pytest.mark.parametrize("call", [True, False], ids=["call", "put"])
def test_bsm_with_dividend_yield_matches_high_precision_reference(call: bool) -> None:
    S = 22_500.0
    failures = []
    checked = 0
    for is_call, moneyness, t, sigma, (r, q) in BSM_GRID:
        if is_call is not call:
            continue
        K = S * moneyness
        reference = float(bsm_price(is_call, S, K, t, r, sigma, q))
        value = float(opt.price("c" if is_call else "p", S, K, t, r, sigma, q))
        forward = S * math.exp((r - q) * t)
        tolerance = 8.0 * EPS * _rounding_scale(is_call, forward, K, t, r, sigma) + 1e-300
        checked += 1
        if not abs(value - reference) <= tolerance:
            failures.append((is_call, K, t, r, q, sigma, value, reference))
    assert checked == len(BSM_GRID) // 2
    assert failures == [], "\n".join(map(repr, failures))


@pytest.mark.parametrize("call", [True, False], ids=["call", "put"])
def test_black76_matches_high_precision_reference(call: bool) -> None:
    F = 22_517.35
    failures = []
    for is_call, moneyness, t, sigma, (r, _) in BSM_GRID:
        if is_call is not call:
            continue
        K = F * moneyness
        reference = float(black_price(is_call, F, K, t, r, sigma))
        # q is ignored by Black-76: pass a non-zero one to prove it.
        value = float(opt.price(is_call, F, K, t, r, sigma, 0.04, model="black76"))
        tolerance = 8.0 * EPS * _rounding_scale(is_call, F, K, t, r, sigma) + 1e-300
        if not abs(value - reference) <= tolerance:
            failures.append((is_call, K, t, r, sigma, value, reference))
    assert failures == [], "\n".join(map(repr, failures))


def test_near_the_money_prices_are_accurate_to_a_few_ulps() -> None:
    # Where the two Black terms are of the order of the price, the bound above is a few ulps.
    for flag, K, t, sigma in itertools.product("cp", [95.0, 100.0, 105.0], [0.25, 1.0], [0.15, 0.4]):
        reference = float(bsm_price(flag == "c", 100.0, K, t, 0.05, sigma, 0.02))
        value = float(opt.price(flag, 100.0, K, t, 0.05, sigma, 0.02))
        assert abs(value - reference) <= 16 * np.spacing(reference), (flag, K, t, sigma)


def test_far_out_of_the_money_prices_keep_relative_precision() -> None:
    # Prices of 1e-30 and below: a textbook F N(d1) - K N(d2) would return 0 or noise here.
    for flag, K in [("c", 160.0), ("p", 60.0)]:
        reference = float(bsm_price(flag == "c", 100.0, K, 0.1, 0.05, 0.2))
        value = float(opt.price(flag, 100.0, K, 0.1, 0.05, 0.2))
        assert 0.0 < reference < 1e-12
        assert value == pytest.approx(reference, rel=1e-9)


def test_black76_is_bsm_with_yield_equal_to_the_rate() -> None:
    F, K = np.meshgrid([90.0, 100.0, 117.0], [80.0, 100.0, 125.0])
    for flag in "cp":
        b76 = opt.price(flag, F, K, 0.75, 0.06, 0.3, model="black76")
        bsm = opt.price(flag, F, K, 0.75, 0.06, 0.3, q=0.06)
        np.testing.assert_allclose(b76, bsm, rtol=1e-13, atol=0.0)


def _parity_grid() -> tuple[np.ndarray, ...]:
    S, K, t, r, q, sigma = np.meshgrid(
        [50.0, 100.0, 22_500.0],
        [0.6, 0.9, 1.0, 1.1, 1.7],
        [1.0 / 365.0, 0.1, 0.5, 2.0],
        [0.0, 0.065, 0.1],
        [0.0, 0.02, 0.05],
        [0.05, 0.2, 0.8, 2.0],
        indexing="ij",
    )
    return S, K * S, t, r, q, sigma


def test_put_call_parity_bsm() -> None:
    S, K, t, r, q, sigma = _parity_grid()
    calls = opt.price("c", S, K, t, r, sigma, q)
    puts = opt.price("p", S, K, t, r, sigma, q)
    expected = S * np.exp(-q * t) - K * np.exp(-r * t)
    scale = np.maximum(S * np.exp(-q * t), K * np.exp(-r * t))
    assert calls.shape == S.shape
    np.testing.assert_array_less(np.abs((calls - puts) - expected), 1e-12 * scale)


def test_put_call_parity_black76() -> None:
    F, K, t, r, q, sigma = _parity_grid()
    calls = opt.price("c", F, K, t, r, sigma, q, model="black76")
    puts = opt.price("p", F, K, t, r, sigma, q, model="black76")
    expected = np.exp(-r * t) * (F - K)
    scale = np.exp(-r * t) * np.maximum(F, K)
    np.testing.assert_array_less(np.abs((calls - puts) - expected), 1e-12 * scale)


def test_prices_respect_no_arbitrage_bounds() -> None:
    S, K, t, r, q, sigma = _parity_grid()
    calls = opt.price("c", S, K, t, r, sigma, q)
    puts = opt.price("p", S, K, t, r, sigma, q)
    slack = 1e-12 * S
    assert np.all(calls >= np.maximum(S * np.exp(-q * t) - K * np.exp(-r * t), 0.0) - slack)
    assert np.all(calls <= S * np.exp(-q * t) + slack)
    assert np.all(puts >= np.maximum(K * np.exp(-r * t) - S * np.exp(-q * t), 0.0) - slack)
    assert np.all(puts <= K * np.exp(-r * t) + slack)


def test_price_increases_with_volatility() -> None:
    vols = np.linspace(0.01, 3.0, 300)
    for flag in "cp":
        values = opt.price(flag, 100.0, 110.0, 0.5, 0.05, vols, 0.01)
        assert np.all(np.diff(values) > 0)


def test_zero_expiry_gives_intrinsic_value() -> None:
    assert float(opt.price("c", 110.0, 100.0, 0.0, 0.05, 0.25)) == 10.0
    assert float(opt.price("p", 110.0, 100.0, 0.0, 0.05, 0.25)) == 0.0
    assert float(opt.price("p", 90.0, 100.0, 0.0, 0.05, 0.25, 0.03)) == 10.0
    assert float(opt.price("c", 90.0, 100.0, 0.0, 0.05, 0.25, model="black76")) == 0.0


def test_zero_volatility_gives_discounted_forward_intrinsic() -> None:
    S, K, t, r, q = 110.0, 100.0, 1.0, 0.05, 0.01
    expected_call = math.exp(-r * t) * (S * math.exp((r - q) * t) - K)
    assert float(opt.price("c", S, K, t, r, 0.0, q)) == pytest.approx(expected_call, rel=1e-14)
    assert float(opt.price("p", S, K, t, r, 0.0, q)) == 0.0
    # A put that is out of the money on spot but in the money on the forward (q > r).
    expected_put = math.exp(-0.01 * 2.0) * (100.0 - 101.0 * math.exp((0.01 - 0.05) * 2.0))
    assert float(opt.price("p", 101.0, 100.0, 2.0, 0.01, 0.0, 0.05)) == pytest.approx(expected_put, rel=1e-13)
    assert float(opt.price("c", 100.0, 90.0, 0.5, 0.07, 0.0, model="black76")) == pytest.approx(
        math.exp(-0.035) * 10.0, rel=1e-14
    )


@pytest.mark.parametrize(
    ("S", "K", "t", "r", "sigma", "q"),
    [
        (0.0, 100.0, 1.0, 0.05, 0.2, 0.0),
        (-100.0, 100.0, 1.0, 0.05, 0.2, 0.0),
        (100.0, 0.0, 1.0, 0.05, 0.2, 0.0),
        (100.0, -5.0, 1.0, 0.05, 0.2, 0.0),
        (100.0, 100.0, -0.1, 0.05, 0.2, 0.0),
        (100.0, 100.0, 1.0, 0.05, -0.2, 0.0),
        (math.nan, 100.0, 1.0, 0.05, 0.2, 0.0),
        (100.0, math.inf, 1.0, 0.05, 0.2, 0.0),
        (100.0, 100.0, math.inf, 0.05, 0.2, 0.0),
        (100.0, 100.0, 1.0, math.nan, 0.2, 0.0),
        (100.0, 100.0, 1.0, 0.05, math.inf, 0.0),
        (100.0, 100.0, 1.0, 0.05, math.nan, 0.0),
        (100.0, 100.0, 1.0, 0.05, 0.2, -math.inf),
    ],
)
@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_inputs_outside_the_domain_give_nan(
    S: float, K: float, t: float, r: float, sigma: float, q: float, model: str
) -> None:
    if model == "black76" and not math.isfinite(q):
        # Black-76 ignores q entirely: the same result as q = 0.
        assert opt.price("c", S, K, t, r, sigma, q, model=model) == opt.price(
            "c", S, K, t, r, sigma, 0.0, model=model
        )
        return
    for flag in "cp":
        assert np.isnan(opt.price(flag, S, K, t, r, sigma, q, model=model))
        values = opt.greeks(flag, S, K, t, r, sigma, q, model=model)
        assert all(np.isnan(v) for v in values.values())


def test_a_bad_element_does_not_spoil_its_neighbours() -> None:
    S = np.array([100.0, -1.0, 100.0, math.nan, 100.0])
    values = opt.price("c", S, 100.0, 1.0, 0.05, 0.2)
    good = float(opt.price("c", 100.0, 100.0, 1.0, 0.05, 0.2))
    np.testing.assert_array_equal(values, [good, math.nan, good, math.nan, good])


@pytest.fixture
def restore_threads():
    yield
    opt.set_num_threads(0)


@pytest.mark.usefixtures("restore_threads")
def test_large_batches_do_not_depend_on_the_thread_count() -> None:
    n = 50_000
    assert n > opt.PARALLEL_THRESHOLD
    rng = np.random.default_rng(20240601)
    S = rng.uniform(50.0, 150.0, n)
    K = rng.uniform(50.0, 150.0, n)
    t = rng.uniform(1.0 / 365.0, 2.0, n)
    r = rng.uniform(0.0, 0.1, n)
    q = rng.uniform(0.0, 0.05, n)
    sigma = rng.uniform(0.05, 1.0, n)
    flags = rng.random(n) < 0.5

    def run() -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
        prices = opt.price(flags, S, K, t, r, sigma, q)
        greeks = opt.greeks(flags, S, K, t, r, sigma, q)
        vols, status = opt.implied_vol(prices, flags, S, K, t, r, q, return_status=True)
        return prices, greeks, vols, status

    opt.set_num_threads(1)
    assert opt.get_num_threads() == 1
    serial = run()
    opt.set_num_threads(2)
    assert opt.get_num_threads() == 2
    parallel = run()

    np.testing.assert_array_equal(parallel[0], serial[0])
    for name in opt.GREEK_NAMES:
        np.testing.assert_array_equal(parallel[1][name], serial[1][name])
    np.testing.assert_array_equal(parallel[2], serial[2])
    np.testing.assert_array_equal(parallel[3], serial[3])
    # Every element equals the single-option result for a sample of rows.
    for i in range(0, n, 4999):
        assert serial[0][i] == float(opt.price(bool(flags[i]), S[i], K[i], t[i], r[i], sigma[i], q[i]))
    assert np.all(serial[3] == opt.IvStatus.OK)
    repriced = opt.price(flags, S, K, t, r, serial[2], q)
    np.testing.assert_allclose(repriced, serial[0], rtol=0.0, atol=1e-10 * 150.0)


@pytest.mark.usefixtures("restore_threads")
def test_set_num_threads_rejects_negative_counts_and_zero_restores_a_default() -> None:
    with pytest.raises(ValueError, match="thread count"):
        opt.set_num_threads(-1)
    opt.set_num_threads(3)
    assert opt.get_num_threads() == 3
    opt.set_num_threads(0)
    assert opt.get_num_threads() >= 1
