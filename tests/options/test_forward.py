"""The forward implied by put-call parity on a strike ladder."""

from __future__ import annotations

import math

import numpy as np
import pytest

import alphastock.options as opt

F, T, R = 22_517.35, 7.0 / 365.0, 0.065
STRIKES = 21_500.0 + 50.0 * np.arange(41)


def _chain(
    forward: float = F, t: float = T, r: float = R, vol: float = 0.13
) -> tuple[np.ndarray, np.ndarray]:
    calls = opt.price("c", forward, STRIKES, t, r, vol, model="black76")
    puts = opt.price("p", forward, STRIKES, t, r, vol, model="black76")
    return calls, puts


def test_recovers_the_forward_of_a_clean_chain() -> None:
    calls, puts = _chain()
    assert opt.implied_forward(calls, puts, STRIKES, T, R) == pytest.approx(F, abs=1e-6)


@pytest.mark.parametrize("index", [18, 19, 20, 21, 22])
@pytest.mark.parametrize("bump", [-30.0, 40.0])
def test_one_stale_quote_near_the_money_does_not_move_it(index: int, bump: float) -> None:
    calls, puts = _chain()
    puts[index] += bump
    estimate = opt.implied_forward(calls, puts, STRIKES, T, R)
    assert isinstance(estimate, float)
    assert abs(estimate - F) < 1e-6


def test_the_median_of_the_votes_is_returned() -> None:
    # Independently: each strike votes K + (C - P) e^{rt}; the n with the smallest |C - P| vote.
    calls, puts = _chain(vol=0.2)
    puts[20] += 40.0
    puts[19] -= 25.0
    votes = STRIKES + (calls - puts) * math.exp(R * T)
    for n in (1, 2, 3, 4, 5, 7):
        nearest = np.argsort(np.abs(calls - puts), kind="stable")[:n]
        expected = float(np.median(votes[nearest]))
        assert opt.implied_forward(calls, puts, STRIKES, T, R, n_strikes=n) == pytest.approx(
            expected, rel=1e-15
        )


def test_strike_order_does_not_matter() -> None:
    calls, puts = _chain()
    order = np.random.default_rng(5).permutation(STRIKES.size)
    estimate = opt.implied_forward(calls[order], puts[order], STRIKES[order], T, R)
    assert estimate == pytest.approx(F, abs=1e-6)


def test_a_longer_expiry_and_higher_rate() -> None:
    calls, puts = _chain(forward=22_900.0, t=0.75, r=0.1, vol=0.18)
    assert opt.implied_forward(calls, puts, STRIKES, 0.75, 0.1) == pytest.approx(22_900.0, abs=1e-6)


def test_nan_and_negative_entries_are_skipped() -> None:
    calls, puts = _chain()
    calls[20] = np.nan  # the strike nearest the forward
    puts[21] = np.nan
    calls[19] = -1.0
    estimate = opt.implied_forward(calls, puts, STRIKES, T, R)
    assert estimate == pytest.approx(F, abs=1e-6)
    # A single usable strike decides alone.
    only = np.full(STRIKES.size, np.nan)
    only[25] = calls[25]
    expected = STRIKES[25] + (calls[25] - puts[25]) * math.exp(R * T)
    assert opt.implied_forward(only, puts, STRIKES, T, R) == pytest.approx(expected, rel=1e-15)


def test_no_usable_strike_gives_nan() -> None:
    calls, puts = _chain()
    assert math.isnan(opt.implied_forward(np.full(STRIKES.size, np.nan), puts, STRIKES, T, R))
    assert math.isnan(opt.implied_forward([], [], [], T, R))
    assert math.isnan(opt.implied_forward([1.0], [1.0], [-100.0], T, R))
    assert math.isnan(opt.implied_forward(calls, puts, STRIKES, -0.1, R))
    assert math.isnan(opt.implied_forward(calls, puts, STRIKES, T, math.nan))


def test_mismatched_lengths_raise_value_error() -> None:
    calls, puts = _chain()
    with pytest.raises(ValueError, match="equal lengths"):
        opt.implied_forward(calls[:3], puts[:4], STRIKES[:3], T, R)
    with pytest.raises(ValueError, match="equal lengths"):
        opt.implied_forward(calls, puts, STRIKES[:-1], T, R)


@pytest.mark.parametrize("n", [0, -1])
def test_n_strikes_below_one_raises_value_error(n: int) -> None:
    calls, puts = _chain()
    with pytest.raises(ValueError, match="n_strikes"):
        opt.implied_forward(calls, puts, STRIKES, T, R, n_strikes=n)


def test_non_numeric_prices_raise_value_error_naming_the_argument() -> None:
    with pytest.raises(ValueError, match="put_prices"):
        opt.implied_forward([1.0], ["abc"], [100.0], T, R)


def test_forward_feeds_black76_implied_vols() -> None:
    # The intended workflow: parity forward, then Black-76 on it recovers the chain's vol.
    calls, puts = _chain(vol=0.15)
    forward = opt.implied_forward(calls, puts, STRIKES, T, R)
    vols = opt.implied_vol(calls, "c", forward, STRIKES, T, R, model="black76")
    near = np.abs(STRIKES - F) < 500
    np.testing.assert_allclose(vols[near], 0.15, rtol=1e-9)
