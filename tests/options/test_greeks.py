"""Greeks against central finite differences of ``price`` and an independent closed form."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import alphastock.options as opt
from tests.options._reference import closed_form_greeks

EPS = np.finfo(np.float64).eps
R, Q = 0.065, 0.02


def _grid(model: str) -> dict[str, np.ndarray]:
    rows = list(
        itertools.product(
            [True, False],
            [0.8, 0.97, 1.0, 1.03, 1.25],  # K / S
            [1.0 / 365.0, 0.02, 0.5, 2.0],  # t
            [0.05, 0.1, 0.3, 0.8],  # sigma
        )
    )
    is_call, moneyness, t, sigma = (np.array(column) for column in zip(*rows, strict=True))
    S = np.full(is_call.shape, 22_500.0)
    return {"is_call": is_call, "S": S, "K": S * moneyness, "t": t, "sigma": sigma, "model": model}


@pytest.fixture(params=["bsm", "black76"])
def grid(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    return _grid(request.param)


def _price(g: dict[str, np.ndarray], **bumped: np.ndarray) -> np.ndarray:
    args = {"S": g["S"], "t": g["t"], "r": np.full(g["S"].shape, R), "sigma": g["sigma"], **bumped}
    return opt.price(
        g["is_call"], args["S"], g["K"], args["t"], args["r"], args["sigma"], Q, model=g["model"]
    )


def _finite_differences(g: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Central differences of price, and the rounding part of their error (eps x value scale / step).

    Steps scale with the total volatility sigma sqrt(t), the width of the price's
    features, so the truncation error is the same small fraction everywhere.
    """
    S, t, sigma = g["S"], g["t"], g["sigma"]
    r = np.full(S.shape, R)
    v = sigma * np.sqrt(t)
    value_scale = 64 * EPS * (S + g["K"])
    fd: dict[str, np.ndarray] = {}
    noise: dict[str, np.ndarray] = {}

    h = 1e-4 * S * v
    fd["delta"] = (_price(g, S=S + h) - _price(g, S=S - h)) / (2 * h)
    noise["delta"] = value_scale / (2 * h)

    h = 1e-3 * S * v
    fd["gamma"] = (_price(g, S=S + h) - 2 * _price(g) + _price(g, S=S - h)) / h**2
    noise["gamma"] = value_scale / h**2

    h = 1e-4 * t
    fd["theta"] = -(_price(g, t=t + h) - _price(g, t=t - h)) / (2 * h) / 365.0
    noise["theta"] = value_scale / (2 * h) / 365.0

    h = 1e-4 * sigma
    fd["vega"] = (_price(g, sigma=sigma + h) - _price(g, sigma=sigma - h)) / (2 * h) * 0.01
    noise["vega"] = value_scale / (2 * h) * 0.01

    # Black-76 holds F (the S argument) fixed while r moves, exactly as price() does.
    h = 1e-4 * v / t
    fd["rho"] = (_price(g, r=r + h) - _price(g, r=r - h)) / (2 * h) * 0.01
    noise["rho"] = value_scale / (2 * h) * 0.01
    return fd, noise


@pytest.mark.parametrize("name", ["delta", "gamma", "theta", "vega", "rho"])
def test_greek_matches_central_difference_of_price(grid: dict[str, np.ndarray], name: str) -> None:
    values = opt.greeks(
        grid["is_call"], grid["S"], grid["K"], grid["t"], R, grid["sigma"], Q, model=grid["model"]
    )
    fd, noise = _finite_differences(grid)
    error = np.abs(values[name] - fd[name])
    tolerance = 1e-6 * np.abs(values[name]) + noise[name]
    bad = np.flatnonzero(~(error <= tolerance))
    assert bad.size == 0, [
        (bool(grid["is_call"][i]), grid["K"][i], grid["t"][i], grid["sigma"][i], values[name][i], fd[name][i])
        for i in bad[:5]
    ]
    # Not vacuous: for most of the grid the tolerance is a small fraction of the greek itself.
    assert np.mean(tolerance < 1e-4 * np.abs(values[name])) > 0.5


def test_black76_rho_is_minus_t_times_price_per_percent() -> None:
    g = _grid("black76")
    values = opt.greeks(g["is_call"], g["S"], g["K"], g["t"], R, g["sigma"], model="black76")
    np.testing.assert_allclose(values["rho"], -g["t"] * values["price"] / 100.0, rtol=1e-15, atol=0.0)


@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_greeks_match_independent_closed_form(model: str) -> None:
    g = _grid(model)
    values = opt.greeks(g["is_call"], g["S"], g["K"], g["t"], R, g["sigma"], Q, model=model)
    for i in range(g["S"].size):
        expected = closed_form_greeks(
            bool(g["is_call"][i]), g["S"][i], g["K"][i], g["t"][i], R, g["sigma"][i], Q, model
        )
        for name in ("delta", "gamma", "theta", "vega"):
            assert values[name][i] == pytest.approx(expected[name], rel=1e-11, abs=1e-300), (name, i)
        # The textbook price formula cancels far from the money (and Black-76 rho is -t x price):
        # compare those at the scale of the formula's terms, not of the result.
        term_scale = 1e-12 * (g["S"][i] + g["K"][i])
        assert abs(values["price"][i] - expected["price"]) <= term_scale, i
        if model == "bsm":
            assert values["rho"][i] == pytest.approx(expected["rho"], rel=1e-11, abs=1e-300), i
        else:
            assert abs(values["rho"][i] - expected["rho"]) <= term_scale * g["t"][i] / 100, i


def test_price_key_equals_price_function_and_keys_are_in_order() -> None:
    S = np.array([95.0, 100.0, 105.0])
    values = opt.greeks("p", S, 100.0, 0.3, 0.05, 0.25, 0.01)
    assert tuple(values) == opt.GREEK_NAMES == ("price", "delta", "gamma", "theta", "vega", "rho")
    # The closed form serves where it keeps 1e-13; Jäckel's price where its terms cancel.
    np.testing.assert_allclose(values["price"], opt.price("p", S, 100.0, 0.3, 0.05, 0.25, 0.01), rtol=1e-13)
    for column in values.values():
        assert column.shape == (3,)
        assert column.dtype == np.float64


def test_hull_greeks_example() -> None:
    # Hull, Examples 19.1-19.6: S=49, K=50, r=5%, sigma=20%, T=0.3846 (20 weeks).
    g = {k: float(v) for k, v in opt.greeks("c", 49.0, 50.0, 0.3846, 0.05, 0.2).items()}
    assert g["delta"] == pytest.approx(0.522, abs=5e-4)
    assert g["gamma"] == pytest.approx(0.066, abs=5e-4)
    assert g["vega"] * 100 == pytest.approx(12.1, abs=0.05)  # per unit of vol
    assert g["theta"] * 365 == pytest.approx(-4.31, abs=0.01)  # per year
    assert g["rho"] * 100 == pytest.approx(8.91, abs=0.01)  # per unit of rate


def test_theta_is_the_value_lost_per_calendar_day() -> None:
    today = opt.greeks("c", 22_500.0, 22_600.0, 30 / 365, 0.065, 0.14)
    tomorrow = float(opt.price("c", 22_500.0, 22_600.0, 29 / 365, 0.065, 0.14))
    assert tomorrow - float(today["price"]) == pytest.approx(float(today["theta"]), rel=2e-2)


def test_put_call_relations_between_greeks() -> None:
    S, K, t, r, q, sigma = 100.0, np.array([80.0, 100.0, 130.0]), 0.7, 0.05, 0.02, 0.3
    call = opt.greeks("c", S, K, t, r, sigma, q)
    put = opt.greeks("p", S, K, t, r, sigma, q)
    np.testing.assert_allclose(call["delta"] - put["delta"], math.exp(-q * t), rtol=1e-14)
    np.testing.assert_allclose(call["gamma"], put["gamma"], rtol=1e-14)
    np.testing.assert_allclose(call["vega"], put["vega"], rtol=1e-14)
    np.testing.assert_allclose(call["rho"] - put["rho"], K * t * np.exp(-r * t) / 100, rtol=1e-13)


class TestDeterministicLimits:
    """t == 0 or sigma == 0: gamma = vega = 0, delta = discounted exercise indicator (half at the money)."""

    def test_at_expiry(self) -> None:
        S = np.array([110.0, 100.0, 90.0])
        call = opt.greeks("c", S, 100.0, 0.0, 0.05, 0.2)
        put = opt.greeks("p", S, 100.0, 0.0, 0.05, 0.2)
        np.testing.assert_array_equal(call["price"], [10.0, 0.0, 0.0])
        np.testing.assert_array_equal(call["delta"], [1.0, 0.5, 0.0])
        np.testing.assert_array_equal(put["price"], [0.0, 0.0, 10.0])
        np.testing.assert_array_equal(put["delta"], [0.0, -0.5, -1.0])
        for values in (call, put):
            np.testing.assert_array_equal(values["gamma"], 0.0)
            np.testing.assert_array_equal(values["vega"], 0.0)
            np.testing.assert_array_equal(values["rho"], 0.0)  # t = 0: no discounting to move

    def test_zero_volatility_bsm(self) -> None:
        S, K, t, r, q = 110.0, 100.0, 0.5, 0.05, 0.01
        call = {k: float(v) for k, v in opt.greeks("c", S, K, t, r, 0.0, q).items()}
        assert call["delta"] == pytest.approx(math.exp(-q * t), rel=1e-15)
        assert call["gamma"] == 0.0
        assert call["vega"] == 0.0
        # The deterministic value S e^{-qt} - K e^{-rt}: theta = -dV/dt per day, rho = dV/dr per 1%.
        assert call["theta"] == pytest.approx(
            (q * S * math.exp(-q * t) - r * K * math.exp(-r * t)) / 365, rel=1e-13
        )
        assert call["rho"] == pytest.approx(K * t * math.exp(-r * t) / 100, rel=1e-14)
        put = {k: float(v) for k, v in opt.greeks("p", S, K, t, r, 0.0, q).items()}
        assert (put["price"], put["delta"], put["gamma"], put["theta"], put["vega"], put["rho"]) == (
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        )

    def test_zero_volatility_at_the_money_forward_has_half_delta(self) -> None:
        values = opt.greeks(["c", "p"], 100.0, 100.0, 0.5, 0.06, 0.0, model="black76")
        df = math.exp(-0.03)
        np.testing.assert_allclose(values["delta"], [0.5 * df, -0.5 * df], rtol=1e-15)
        np.testing.assert_array_equal(values["price"], [0.0, 0.0])
