"""Implied volatility: round trips, accuracy statistics, status codes and shapes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alphastock.options as opt
from alphastock import _core
from alphastock.options import IvStatus

EPS = np.finfo(np.float64).eps


def round_trip(
    is_call: np.ndarray,
    S: np.ndarray,
    K: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    sigma: np.ndarray,
    model: str,
) -> dict[str, np.ndarray]:
    """Price at sigma, invert, reprice; with the tolerances the criteria use.

    - ``relevant``: vega is not negligible (vega per unit vol > 1e-8 S) and price > 1e-300.
    - ``reprice_floor``: 8 (ulp(price) + vega_per_unit * iv * eps): a few ulps of the price plus
      what representing sigma itself in double precision costs.
    - ``iv_tolerance``: 1e-8 relative, widened only where the price itself cannot pin sigma down
      that well: a price that is a rounded double, computed from terms of size about
      S e^{-qt} + K e^{-rt}, determines sigma only to about eps (S e^{-qt} + K e^{-rt}) / vega.
    """
    price = opt.price(is_call, S, K, t, r, sigma, q, model=model)
    vega_per_unit = opt.greeks(is_call, S, K, t, r, sigma, q, model=model)["vega"] * 100.0
    iv, status = opt.implied_vol(price, is_call, S, K, t, r, q, model=model, return_status=True)
    repriced = opt.price(is_call, S, K, t, r, iv, q, model=model)
    carry = q if model == "bsm" else r
    price_noise = EPS * (S * np.exp(-carry * t) + K * np.exp(-r * t))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        iv_tolerance = np.maximum(1e-8 * sigma, 4.0 * price_noise / vega_per_unit)
        return {
            "price": price,
            "iv": iv,
            "status": status,
            "repriced": repriced,
            "relevant": (vega_per_unit > 1e-8 * S) & (price > 1e-300),
            "reprice_floor": 8.0 * (np.spacing(price) + vega_per_unit * iv * EPS),
            "iv_tolerance": iv_tolerance,
            # Where vega is negligible: the result is within the solver's documented rounding of intrinsic.
            "loose_floor": 16.0 * EPS * np.maximum(S, K) + 4.0 * np.spacing(price) + 1e-300,
        }


# The three cases of a seeded bsm sweep whose repriced value missed a floor of 4x (18, 15 and 24 ulps against
# 15.5, 13.3 and 23.1): the solver lands a few ulps of sigma away, so the documented floor is 8x. Kept as
# explicit regression cases against it.
REPRICE_COUNTEREXAMPLES = [
    dict(
        is_call=False, S=100.0, moneyness=0.6997090070337227, t=2.536991868258634,
        r=0.0594959390380159, q=0.003608920670289878, sigma=0.3570585564972285, model="bsm",
    ),
    dict(
        is_call=True, S=100.0, moneyness=1.301315958951489, t=0.23825023824317432,
        r=0.09808988540688823, q=0.004880663079105424, sigma=0.9865494765305578, model="bsm",
    ),
    dict(
        is_call=True, S=100.0, moneyness=1.5763237658523819, t=0.05267462077889432,
        r=0.03189467707492688, q=0.002349178595702528, sigma=2.4125383580040323, model="bsm",
    ),
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    is_call=st.booleans(),
    S=st.floats(1.0, 50_000.0),
    moneyness=st.floats(0.5, 2.0),
    t=st.floats(1.0 / 8760.0, 3.0),
    r=st.floats(0.0, 0.1),
    q=st.floats(0.0, 0.05),
    sigma=st.floats(0.01, 3.0),
    model=st.sampled_from(["bsm", "black76"]),
)
def test_round_trip_property(
    is_call: bool, S: float, moneyness: float, t: float, r: float, q: float, sigma: float, model: str
) -> None:
    _check_round_trip(is_call, S, moneyness, t, r, q, sigma, model)


def test_round_trip_counterexamples() -> None:
    misses = []
    for case in REPRICE_COUNTEREXAMPLES:
        try:
            _check_round_trip(**case)
        except AssertionError as exc:
            misses.append(str(exc).splitlines()[0])
    assert misses == [], "\n".join(map(repr, misses))


def _check_round_trip(
    is_call: bool, S: float, moneyness: float, t: float, r: float, q: float, sigma: float, model: str
) -> None:
    K = S * moneyness
    res = {
        k: v.item()
        for k, v in round_trip(
            np.asarray(is_call), *(np.asarray(x) for x in (S, K, t, r, q, sigma)), model=model
        ).items()
    }
    assert res["status"] == IvStatus.OK
    assert math.isfinite(res["iv"])
    assert res["iv"] >= 0.0
    error = abs(res["repriced"] - res["price"])
    if res["relevant"]:
        assert error <= res["reprice_floor"], (
            f"repriced {res['repriced']!r} vs {res['price']!r}: {error / np.spacing(res['price']):.0f} ulps,"
            f" floor {res['reprice_floor'] / np.spacing(res['price']):.1f} ulps"
        )
        assert abs(res["iv"] - sigma) <= res["iv_tolerance"]
    else:
        assert error <= res["loose_floor"]


def _sweep(model: str, n: int = 200_000, seed: int = 1) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """n log-uniform cases over the whole domain: K/S 0.5-2, t 1h-3y, vol 1%-300%, r 0-10%, q 0-5%."""
    rng = np.random.default_rng(seed)
    S = np.full(n, 100.0)
    K = S * np.exp(rng.uniform(np.log(0.5), np.log(2.0), n))
    t = np.exp(rng.uniform(np.log(1.0 / 8760.0), np.log(3.0), n))
    sigma = np.exp(rng.uniform(np.log(0.01), np.log(3.0), n))
    r = rng.uniform(0.0, 0.1, n)
    q = rng.uniform(0.0, 0.05, n)
    is_call = rng.random(n) < 0.5
    return round_trip(is_call, S, K, t, r, q, sigma, model), sigma


@pytest.fixture(scope="module", params=["bsm", "black76"])
def sweep(request: pytest.FixtureRequest) -> tuple[dict[str, np.ndarray], np.ndarray]:
    return _sweep(request.param)


def test_sweep_every_status_is_ok(sweep: tuple[dict[str, np.ndarray], np.ndarray]) -> None:
    res, _ = sweep
    assert np.bincount(res["status"], minlength=len(IvStatus)).tolist() == [res["status"].size] + [0] * 6
    # Vega is not negligible in a good share of the domain (the rest is deep ITM/OTM).
    assert 0.3 < res["relevant"].mean() < 0.6


def test_sweep_reprices_within_the_floor(sweep: tuple[dict[str, np.ndarray], np.ndarray]) -> None:
    res, _ = sweep
    error = np.abs(res["repriced"] - res["price"])
    bad = np.flatnonzero(res["relevant"] & ~(error <= res["reprice_floor"]))
    ulps = error[bad] / np.spacing(res["price"][bad])
    floors = res["reprice_floor"][bad] / np.spacing(res["price"][bad])
    assert bad.size == 0, f"{bad.size} misses; ulps {ulps.tolist()} vs floors {np.round(floors, 1).tolist()}"


def test_sweep_negligible_vega_cases_reprice_within_rounding(
    sweep: tuple[dict[str, np.ndarray], np.ndarray],
) -> None:
    res, _ = sweep
    error = np.abs(res["repriced"] - res["price"])
    assert np.all((error <= res["loose_floor"])[~res["relevant"]])


def test_sweep_recovers_sigma(sweep: tuple[dict[str, np.ndarray], np.ndarray]) -> None:
    res, sigma = sweep
    relevant = res["relevant"]
    error = np.abs(res["iv"] - sigma)
    assert np.all((error <= res["iv_tolerance"])[relevant])
    # The widened tolerance is the exception: 1e-8 relative holds for the vast majority.
    assert np.mean((error <= 1e-8 * sigma)[relevant]) > 0.99


def test_sweep_mostly_reprices_within_two_ulps(sweep: tuple[dict[str, np.ndarray], np.ndarray]) -> None:
    res, _ = sweep
    relevant = res["relevant"]
    within = np.abs(res["repriced"] - res["price"]) <= 2.0 * np.spacing(res["price"])
    share = within[relevant].mean()
    print(f"share repriced within 2 ulps: {share:.4f} of {relevant.sum()} cases")
    assert share >= 0.8


def test_ill_conditioned_case_cannot_meet_1e8_relative() -> None:
    # Deep in-the-money put at low vol: one ulp of the price moves sigma by ~1.2e-7 relative,
    # so the 1e-8 criterion is unattainable by any solver; iv_tolerance allows for exactly that.
    args = dict(is_call=np.asarray(False), S=np.asarray(100.0), K=np.asarray(199.83642772976177))
    rest = dict(t=np.asarray(1.4543382918859136), r=np.asarray(0.08441932935243185))
    q, sigma = np.asarray(0.013788527290524417), np.asarray(0.08231632573718058)
    res = round_trip(args["is_call"], args["S"], args["K"], rest["t"], rest["r"], q, sigma, "bsm")
    vega_per_unit = float(opt.greeks(False, 100.0, args["K"], rest["t"], rest["r"], sigma, q)["vega"]) * 100
    one_ulp_in_sigma = float(np.spacing(res["price"])) / vega_per_unit / float(sigma)
    assert one_ulp_in_sigma > 1e-8
    assert res["relevant"]
    assert abs(float(res["iv"]) - float(sigma)) <= float(res["iv_tolerance"])
    assert abs(float(res["repriced"]) - float(res["price"])) <= float(res["reprice_floor"])


# --- status codes -----------------------------------------------------------------------------


def _iv(price: float, flag: str, S: float, K: float, t: float, r: float, q: float = 0.0, model: str = "bsm"):
    vol, status = opt.implied_vol(price, flag, S, K, t, r, q, model=model, return_status=True)
    return float(vol), IvStatus(int(status))


def test_iv_status_enum_matches_the_core_table() -> None:
    def snake(name: str) -> str:
        return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name)).upper()

    assert [(code, snake(name)) for code, name in _core.IV_STATUS] == [(s.value, s.name) for s in IvStatus]
    assert [s.value for s in IvStatus] == list(range(7))


@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_price_below_intrinsic(model: str) -> None:
    S, K, t, r, q = 100.0, 80.0, 0.5, 0.065, 0.01
    forward = S * math.exp((r - q) * t) if model == "bsm" else S
    intrinsic = math.exp(-r * t) * (forward - K)
    for price in (0.5 * intrinsic, intrinsic - 1e-6, 0.0):
        vol, status = _iv(price, "c", S, K, t, r, q, model)
        assert math.isnan(vol)
        assert status is IvStatus.BELOW_INTRINSIC
    put_intrinsic = math.exp(-r * t) * (120.0 - forward)
    vol, status = _iv(put_intrinsic - 1e-3, "p", S, 120.0, t, r, q, model)
    assert math.isnan(vol)
    assert status is IvStatus.BELOW_INTRINSIC
    # Negative prices are below any intrinsic value too.
    assert _iv(-1.0, "c", S, 130.0, t, r, q, model)[1] is IvStatus.BELOW_INTRINSIC


@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_price_above_the_maximum(model: str) -> None:
    S, K, t, r, q = 100.0, 90.0, 0.5, 0.065, 0.02
    carry = q if model == "bsm" else r
    call_max = S * math.exp(-carry * t)
    put_max = K * math.exp(-r * t)
    for flag, bound in (("c", call_max), ("p", put_max)):
        for price in (bound * (1 + 1e-9), bound + 1.0, 10 * bound):
            vol, status = _iv(price, flag, S, K, t, r, q, model)
            assert math.isnan(vol)
            assert status is IvStatus.ABOVE_MAXIMUM


# A call worth exactly its spot (q = 0) is at the no-arbitrage maximum: S e^{-qt} = S exactly.
def test_call_priced_exactly_at_spot_is_above_maximum() -> None:
    # With q = 0 the call's no-arbitrage maximum S e^{-qt} is S itself, exactly: no rounding involved.
    misses = []
    for K, (t, r) in itertools.product(
        (80.0, 100.0, 120.0), ((0.1, 0.05), (0.25, 0.05), (0.5, 0.1), (1.0, 0.05), (2.0, 0.065))
    ):
        vol, status = _iv(100.0, "c", 100.0, K, t, r)
        if not (status is IvStatus.ABOVE_MAXIMUM and math.isnan(vol)):
            misses.append((K, t, r, vol, status.name))
    assert misses == [], "\n".join(map(repr, misses))


def test_put_priced_exactly_at_discounted_strike_is_above_maximum() -> None:
    misses = []
    for model, K, (t, r) in itertools.product(
        ("bsm", "black76"), (80.0, 110.0, 120.0), ((0.1, 0.065), (0.5, 0.05), (1.0, 0.065), (2.0, 0.1))
    ):
        vol, status = _iv(K * math.exp(-r * t), "p", 100.0, K, t, r, model=model)
        if not (status is IvStatus.ABOVE_MAXIMUM and math.isnan(vol)):
            misses.append((model, K, t, r, vol, status.name))
    assert misses == [], "\n".join(map(repr, misses))


@pytest.mark.parametrize("t", [0.0, -0.0, -0.5])
def test_non_positive_expiry(t: float) -> None:
    for model in ("bsm", "black76"):
        vol, status = _iv(5.0, "c", 100.0, 100.0, t, 0.05, model=model)
        assert math.isnan(vol)
        assert status is IvStatus.NON_POSITIVE_EXPIRY


@pytest.mark.parametrize("position", range(6), ids=["price", "S", "K", "t", "r", "q"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_non_finite_input(position: int, bad: float, model: str) -> None:
    args = [5.0, 100.0, 100.0, 0.5, 0.05, 0.01]
    args[position] = bad
    price, S, K, t, r, q = args
    vol, status = _iv(price, "c", S, K, t, r, q, model)
    if model == "black76" and position == 5:
        # Black-76 ignores q entirely, so a non-finite q changes nothing.
        assert (vol, status) == _iv(price, "c", S, K, t, r, 0.0, model)
        assert status is IvStatus.OK
        return
    assert math.isnan(vol)
    assert status is IvStatus.NON_FINITE_INPUT


@pytest.mark.parametrize(("S", "K"), [(0.0, 100.0), (-100.0, 100.0), (100.0, 0.0), (100.0, -100.0)])
@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_non_positive_spot_or_strike_is_invalid(S: float, K: float, model: str) -> None:
    for flag in "cp":
        vol, status = _iv(5.0, flag, S, K, 0.5, 0.05, model=model)
        assert math.isnan(vol)
        assert status is IvStatus.INVALID_INPUT


def test_forward_that_overflows_is_invalid() -> None:
    vol, status = _iv(5.0, "c", 1e308, 100.0, 3.0, 1.0)
    assert math.isnan(vol)
    assert status is IvStatus.INVALID_INPUT


@pytest.mark.parametrize(
    ("flag", "S", "K", "t", "r", "q", "model"),
    [
        ("c", 100.0, 80.0, 0.5, 0.065, 0.01, "bsm"),
        ("p", 100.0, 130.0, 0.25, 0.065, 0.01, "bsm"),
        ("p", 100.0, 120.0, 2.0, 0.065, 0.02, "bsm"),
        ("c", 22_500.0, 22_000.0, 7 / 365, 0.065, 0.0, "black76"),
        ("p", 22_500.0, 23_000.0, 30 / 365, 0.065, 0.0, "black76"),
        # Found by the grid below: the exact intrinsic price comes back with a positive vol.
        ("c", 22_500.0, 22_500.0, 1.0, 0.1, 0.0, "bsm"),
        ("c", 22_500.0, 23_000.0, 2.0, 0.065, 0.0, "bsm"),
    ],
)
def test_price_at_discounted_forward_intrinsic_is_zero_vol(
    flag: str, S: float, K: float, t: float, r: float, q: float, model: str
) -> None:
    forward = S * math.exp((r - q) * t) if model == "bsm" else S
    intrinsic = math.exp(-r * t) * max(forward - K if flag == "c" else K - forward, 0.0)
    assert intrinsic > 0
    # price(sigma=0) is documented as the discounted intrinsic value on the forward.
    assert float(opt.price(flag, S, K, t, r, 0.0, q, model=model)) == pytest.approx(intrinsic, rel=1e-14)
    one_below = np.nextafter(intrinsic, 0.0)
    for price in (intrinsic, one_below, np.nextafter(one_below, 0.0)):
        assert _iv(float(price), flag, S, K, t, r, q, model) == (0.0, IvStatus.OK), repr(price)


def test_exact_intrinsic_prices_on_a_nifty_grid_are_zero_vol() -> None:
    """The library's own zero-vol price, fed back, must give vol 0: over 420 in-the-money contracts."""
    misses = []
    checked = 0
    for model, flag, K, t, r, q in itertools.product(
        ["bsm", "black76"], "cp", np.arange(20_000.0, 25_001.0, 500.0), [7 / 365, 30 / 365, 0.25, 1.0, 2.0],
        [0.065, 0.1], [0.0, 0.012],
    ):  # fmt: skip
        intrinsic = float(opt.price(flag, 22_500.0, K, t, r, 0.0, q, model=model))
        if intrinsic == 0.0:
            continue
        checked += 1
        result = _iv(intrinsic, flag, 22_500.0, K, t, r, q, model)
        if result != (0.0, IvStatus.OK):
            misses.append((model, flag, float(K), t, r, q, intrinsic, result[0]))
    assert checked == 420
    assert misses == [], "\n".join(map(repr, misses))


def test_zero_price_out_of_the_money_is_zero_vol() -> None:
    assert _iv(0.0, "c", 100.0, 130.0, 0.25, 0.065, 0.01) == (0.0, IvStatus.OK)
    assert _iv(0.0, "p", 100.0, 70.0, 0.25, 0.065, 0.01, "black76") == (0.0, IvStatus.OK)


def test_mixed_batch_gives_values_for_good_elements_and_codes_for_bad_ones() -> None:
    S, t, r, q = 100.0, 0.5, 0.05, 0.01
    K = np.array([90.0, 100.0, 80.0, 110.0, -5.0, 100.0, 120.0, 100.0])
    sigma_good = np.array([0.25, 0.3, 0.0, 0.45, 0.0, 0.0, 0.8, 0.0])
    prices = opt.price("c", S, K, t, r, sigma_good, q)
    prices[2] = 1.0  # below intrinsic (about 20.5)
    prices[4] = 5.0  # K <= 0
    prices[5] = math.nan
    prices[7] = 200.0  # above S e^{-qt}
    tt = np.array([t, t, t, t, t, t, t, 0.0])  # the last one also has t = 0: the first failing check wins
    vols, status = opt.implied_vol(prices, "c", S, K, tt, r, q, return_status=True)
    assert status.dtype == np.int8
    assert status.tolist() == [
        IvStatus.OK,
        IvStatus.OK,
        IvStatus.BELOW_INTRINSIC,
        IvStatus.OK,
        IvStatus.INVALID_INPUT,
        IvStatus.NON_FINITE_INPUT,
        IvStatus.OK,
        IvStatus.NON_POSITIVE_EXPIRY,
    ]
    good = status == IvStatus.OK
    assert np.isnan(vols[~good]).all()
    np.testing.assert_allclose(vols[good], sigma_good[good], rtol=1e-12)
    for i in np.flatnonzero(good):
        assert vols[i] == float(opt.implied_vol(prices[i], "c", S, K[i], t, r, q))


def test_return_status_false_returns_just_the_array() -> None:
    price = float(opt.price("p", 100.0, 105.0, 0.5, 0.05, 0.3))
    result = opt.implied_vol(price, "p", 100.0, 105.0, 0.5, 0.05)
    assert isinstance(result, np.ndarray)
    assert result.shape == ()
    assert float(result) == pytest.approx(0.3, rel=1e-13)
    arrays = opt.implied_vol([price, price], "p", 100.0, 105.0, 0.5, 0.05, return_status=False)
    assert isinstance(arrays, np.ndarray)
    np.testing.assert_allclose(arrays, [0.3, 0.3], rtol=1e-13)


def test_status_array_has_the_broadcast_shape() -> None:
    K = np.array([[90.0], [100.0], [110.0]])
    sigma = np.array([0.1, 0.2, 0.4, 0.8])
    prices = opt.price("c", 100.0, K, 0.5, 0.05, sigma)
    vols, status = opt.implied_vol(prices, "c", 100.0, K, 0.5, 0.05, return_status=True)
    assert vols.shape == status.shape == (3, 4)
    np.testing.assert_allclose(vols, np.broadcast_to(sigma, (3, 4)), rtol=1e-12)
    assert (status == IvStatus.OK).all()


def test_mismatched_shapes_raise_value_error() -> None:
    with pytest.raises(ValueError, match="broadcast"):
        opt.implied_vol([1.0, 2.0, 3.0], "c", [100.0, 100.0, 100.0, 100.0], 100.0, 1.0, 0.05)
    with pytest.raises(ValueError, match="broadcast"):
        opt.implied_vol(5.0, ["c", "p", "c"], 100.0, [90.0, 100.0, 110.0, 120.0], 1.0, 0.05)


@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_implied_vol_of_textbook_prices(model: str) -> None:
    # Hull Example 15.6 (bsm), and a NIFTY weekly on its forward (black76).
    if model == "bsm":
        vol = opt.implied_vol(4.759422392871533, "c", 42.0, 40.0, 0.5, 0.10)
        assert float(vol) == pytest.approx(0.2, rel=1e-14)
    else:
        strikes = np.arange(22_000.0, 23_050.0, 50.0)
        prices = opt.price("c", 22_517.35, strikes, 7 / 365, 0.065, 0.13, model="black76")
        vols = opt.implied_vol(prices, "CE", 22_517.35, strikes, 7 / 365, 0.065, model="black76")
        np.testing.assert_allclose(vols, 0.13, rtol=1e-12)
