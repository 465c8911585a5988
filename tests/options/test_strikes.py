"""Strike scoring against an independent numpy implementation of the documented formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

import alphastock.options as opt
from alphastock.options import StrikeFilters, StrikeScores, StrikeWeights

UNDERLYING = 22_517.35  # ATM strike: 22,500 (17.35 away), then 22,550 (32.65 away)
T, R = 7.0 / 365.0, 0.065


def nifty_chain() -> dict[str, np.ndarray]:
    """Calls then puts on ten strikes 50 apart, priced off the forward with a smile.

    The ATM strike trades thinly today, so without a window the best contract is one strike away.
    """
    strikes = 22_300.0 + 50.0 * np.arange(10)
    k = np.concatenate([strikes, strikes])
    is_call = np.repeat([True, False], strikes.size)
    iv = 0.12 + 0.6 * np.log(k / UNDERLYING) ** 2 + np.where(is_call, 0.0, 0.004)
    ltp = opt.price(is_call, UNDERLYING, k, T, R, iv, model="black76")
    delta = opt.greeks(is_call, UNDERLYING, k, T, R, iv, model="black76")["delta"]
    distance = np.abs(k - UNDERLYING) / 50.0
    half_spread = ltp * (0.002 + 0.003 * distance) + 0.05
    volume = np.round(4e6 * np.exp(-0.35 * distance)) + np.where(is_call, 1e5, 0.0)
    volume[np.flatnonzero((k == 22_500.0) & is_call)] = 2_000.0  # thin ATM call
    oi = np.round(9e6 * np.exp(-0.2 * distance))
    return {
        "strike": k,
        "option_type": np.where(is_call, "CE", "PE"),
        "ltp": ltp,
        "bid": ltp - half_spread,
        "ask": ltp + half_spread,
        "volume": volume,
        "oi": oi,
        "delta": delta,
        "iv": iv,
    }


def expected_scores(
    chain: dict[str, np.ndarray],
    underlying: float,
    weights: StrikeWeights,
    filters: StrikeFilters,
) -> tuple[np.ndarray, int | None]:
    """The formula of alphastock.options.strikes, written out in numpy."""
    k, ltp, bid, ask = chain["strike"], chain["ltp"], chain["bid"], chain["ask"]
    volume, oi, delta, iv = chain["volume"], chain["oi"], chain["delta"], chain["iv"]
    is_call = np.char.upper(chain["option_type"].astype(str)) == "CE"
    spread_pct = (ask - bid) / ((ask + bid) / 2) * 100
    quotable = (
        (k > 0) & (ltp > 0) & (bid > 0) & (bid <= ask) & np.isfinite(delta) & np.isfinite(iv) & (iv > 0)
    )
    if filters.option_type is not None:
        quotable &= is_call == (filters.option_type == "c")
    keep = quotable & (volume >= filters.min_volume) & (oi >= filters.min_oi)
    keep &= spread_pct <= filters.max_spread_pct
    if filters.atm_window is not None:
        ladder = np.unique(k[quotable])
        atm = int(np.argmin(np.abs(ladder - underlying)))
        steps = np.abs(np.searchsorted(ladder, k) - atm)
        keep &= steps <= filters.atm_window
    scores = np.full(k.size, np.nan)
    if not keep.any():
        return scores, None
    s = keep
    # Degenerate spans follow rust/src/strikes.rs: L terms 0 when the max is 0, V 1 when all survivors
    # share one iv, M 1 when every survivor is at the money.
    log_max_volume, log_max_oi = np.log1p(volume[s].max()), np.log1p(oi[s].max())
    volume_term = np.log1p(volume) / log_max_volume if log_max_volume > 0 else np.zeros(k.size)
    oi_term = np.log1p(oi) / log_max_oi if log_max_oi > 0 else np.zeros(k.size)
    liquidity = 0.5 * volume_term + 0.5 * oi_term
    td = filters.target_delta
    delta_term = 1 - np.abs(np.abs(delta) - td) / max(td, 1 - td)
    iv_span = iv[s].max() - iv[s].min()
    iv_term = (iv[s].max() - iv) / iv_span if iv_span > 0 else np.ones(k.size)
    max_distance = np.abs(k[s] - underlying).max()
    moneyness = 1 - np.abs(k - underlying) / max_distance if max_distance > 0 else np.ones(k.size)
    # With no cap, the spread term is relative to the widest survivor (rust/src/strikes.rs).
    cap = filters.max_spread_pct if math.isfinite(filters.max_spread_pct) else spread_pct[s].max()
    spread = 1 - spread_pct / cap
    w = weights
    total = w.liquidity + w.delta + w.iv + w.moneyness + w.spread
    combined = (
        w.liquidity * liquidity
        + w.delta * delta_term
        + w.iv * iv_term
        + w.moneyness * moneyness
        + w.spread * spread
    ) / total
    scores[s] = combined[s]
    # Highest score; ties to the strike nearer the money, then the earlier row.
    best = min(np.flatnonzero(s), key=lambda i: (-scores[i], abs(k[i] - underlying), i))
    return scores, int(best)


def score(chain: dict[str, np.ndarray], underlying: float = UNDERLYING, **kwargs) -> StrikeScores:
    return opt.score_strikes(
        chain["strike"], chain["option_type"], chain["ltp"], chain["bid"], chain["ask"], chain["volume"],
        chain["oi"], chain["delta"], chain["iv"], underlying, **kwargs,
    )  # fmt: skip


def assert_matches(
    chain: dict[str, np.ndarray],
    weights: StrikeWeights,
    filters: StrikeFilters,
    underlying: float = UNDERLYING,
) -> StrikeScores:
    result = score(chain, underlying, weights=weights, filters=filters)
    scores, best = expected_scores(chain, underlying, weights, filters)
    assert isinstance(result, StrikeScores)
    np.testing.assert_array_equal(np.isnan(result.scores), np.isnan(scores))
    np.testing.assert_allclose(result.scores, scores, rtol=0, atol=1e-12)
    assert result.best == best
    kept = ~np.isnan(result.scores)
    assert np.all((result.scores[kept] >= 0) & (result.scores[kept] <= 1))
    return result


def test_chain_is_realistic() -> None:
    chain = nifty_chain()
    assert chain["strike"].size == 20
    assert np.all(np.diff(chain["strike"][:10]) == 50.0)
    assert np.all(chain["bid"] > 0)
    spread_pct = (chain["ask"] - chain["bid"]) / ((chain["ask"] + chain["bid"]) / 2) * 100
    assert 0.3 < spread_pct.min() < spread_pct.max() < 20


def test_scores_with_a_spread_cap_match_the_formula() -> None:
    result = assert_matches(nifty_chain(), StrikeWeights(), StrikeFilters(max_spread_pct=25.0))
    assert not np.isnan(result.scores).any()


def test_default_weights_and_filters_match_the_formula() -> None:
    chain = nifty_chain()
    result = assert_matches(chain, StrikeWeights(), StrikeFilters())
    # The thin ATM call loses to the liquid call one strike up.
    assert (chain["strike"][result.best], chain["option_type"][result.best]) == (22_550.0, "CE")
    defaults = score(chain)  # weights and filters default to these
    np.testing.assert_array_equal(defaults.scores, result.scores)
    assert defaults.best == result.best


@pytest.mark.parametrize(
    "weights",
    [
        StrikeWeights(liquidity=2.0, delta=1.0, iv=0.0, moneyness=0.0, spread=0.0),
        StrikeWeights(liquidity=0.0, delta=0.0, iv=1.0, moneyness=0.0, spread=0.0),
        StrikeWeights(liquidity=0.0, delta=0.0, iv=0.0, moneyness=3.0, spread=1.0),
        StrikeWeights(liquidity=0.1, delta=0.5, iv=0.2, moneyness=0.1, spread=0.1),
    ],
)
@pytest.mark.parametrize("target_delta", [0.5, 0.3, 0.75])
def test_custom_weights_and_target_delta_match_the_formula(
    weights: StrikeWeights, target_delta: float
) -> None:
    assert_matches(nifty_chain(), weights, StrikeFilters(target_delta=target_delta, max_spread_pct=10.0))


def test_weights_only_matter_through_their_ratios() -> None:
    chain = nifty_chain()
    a = score(chain, weights=StrikeWeights(liquidity=0.3, delta=0.3, iv=0.15, moneyness=0.15, spread=0.1))
    b = score(chain, weights=StrikeWeights(liquidity=3.0, delta=3.0, iv=1.5, moneyness=1.5, spread=1.0))
    np.testing.assert_allclose(a.scores, b.scores, rtol=0, atol=1e-15)
    assert a.best == b.best


def _unfiltered_best(chain: dict[str, np.ndarray]) -> int:
    best = score(chain).best
    assert best is not None
    return best


def test_min_volume_filter() -> None:
    chain = nifty_chain()
    first = _unfiltered_best(chain)
    chain["volume"][first] = 2.5e6  # still the best, but no longer among the most traded
    assert _unfiltered_best(chain) == first
    filters = StrikeFilters(min_volume=chain["volume"][first] + 1)
    result = assert_matches(chain, StrikeWeights(), filters)
    assert np.isnan(result.scores[first])
    assert np.array_equal(np.isnan(result.scores), chain["volume"] < filters.min_volume)
    assert (~np.isnan(result.scores)).sum() >= 3
    assert result.best != first


def test_min_oi_filter() -> None:
    chain = nifty_chain()
    first = _unfiltered_best(chain)
    filters = StrikeFilters(min_oi=chain["oi"][first] + 1)
    result = assert_matches(chain, StrikeWeights(), filters)
    assert np.array_equal(np.isnan(result.scores), chain["oi"] < filters.min_oi)
    assert result.best != first


def test_max_spread_filter() -> None:
    chain = nifty_chain()
    first = _unfiltered_best(chain)
    spread_pct = (chain["ask"] - chain["bid"]) / ((chain["ask"] + chain["bid"]) / 2) * 100
    filters = StrikeFilters(max_spread_pct=float(spread_pct[first]) * 0.999)
    result = assert_matches(chain, StrikeWeights(), filters)
    assert np.array_equal(np.isnan(result.scores), spread_pct > filters.max_spread_pct)
    assert np.isnan(result.scores[first])
    assert result.best != first


@pytest.mark.parametrize(("window", "kept_strikes"), [(0, [22_500.0]), (1, [22_450.0, 22_500.0, 22_550.0])])
def test_atm_window_filter(window: int, kept_strikes: list[float]) -> None:
    chain = nifty_chain()
    result = assert_matches(chain, StrikeWeights(), StrikeFilters(atm_window=window))
    kept = ~np.isnan(result.scores)
    assert sorted(set(chain["strike"][kept].tolist())) == kept_strikes
    assert kept.sum() == 2 * len(kept_strikes)  # calls and puts share the ladder
    if window == 0:
        assert chain["strike"][result.best] == 22_500.0  # was 22,550 without the window


@pytest.mark.parametrize(("option_type", "word"), [("c", "CE"), ("p", "PE")])
def test_option_type_filter(option_type: str, word: str) -> None:
    chain = nifty_chain()
    result = assert_matches(chain, StrikeWeights(), StrikeFilters(option_type=option_type))
    assert np.array_equal(~np.isnan(result.scores), chain["option_type"] == word)
    assert chain["option_type"][result.best] == word


def test_all_filtered_gives_no_best() -> None:
    chain = nifty_chain()
    result = score(chain, filters=StrikeFilters(min_volume=1e12))
    assert result.best is None
    assert np.isnan(result.scores).all()
    assert result.scores.shape == (20,)
    calls_only = {name: column[:10] for name, column in chain.items()}
    assert score(calls_only, filters=StrikeFilters(option_type="p")).best is None


def test_unquotable_rows_are_filtered() -> None:
    chain = nifty_chain()
    chain["ltp"][0] = 0.0
    chain["bid"][1] = 0.0
    chain["ask"][2] = chain["bid"][2] - 1.0  # crossed
    chain["delta"][3] = np.nan
    chain["iv"][4] = 0.0
    chain["iv"][5] = np.nan
    result = assert_matches(chain, StrikeWeights(), StrikeFilters(max_spread_pct=25.0))
    assert np.isnan(result.scores[:6]).all()
    assert not np.isnan(result.scores[6:]).any()


def test_option_type_spellings_are_equivalent() -> None:
    chain = nifty_chain()
    reference = score(chain)
    is_call = chain["option_type"] == "CE"
    for spelling in (
        is_call,
        np.where(is_call, "c", "p"),
        np.where(is_call, "call", "put"),
        np.where(is_call, "ce", "pe"),
        list(chain["option_type"]),
    ):
        result = score({**chain, "option_type": spelling})
        np.testing.assert_array_equal(result.scores, reference.scores)
        assert result.best == reference.best


def test_a_single_option_type_string_applies_to_every_row() -> None:
    chain = {name: column[:10] for name, column in nifty_chain().items()}  # calls only
    for word in ("CE", "c", "call", True):
        result = score({**chain, "option_type": word})
        np.testing.assert_array_equal(result.scores, score(chain).scores)
    puts = score({**chain, "option_type": "PE"}, filters=StrikeFilters(option_type="c"))
    assert puts.best is None


def test_ties_go_to_the_strike_nearer_the_money() -> None:
    # Identical quotes on three strikes; moneyness weighted 0 so only the tie-break separates them.
    strikes = np.array([22_400.0, 22_600.0, 22_550.0])
    ones = np.ones(3)
    weights = StrikeWeights(liquidity=1.0, delta=1.0, iv=1.0, moneyness=0.0, spread=1.0)
    result = opt.score_strikes(
        strikes, "CE", 100 * ones, 99 * ones, 101 * ones, 1e5 * ones, 1e6 * ones, 0.5 * ones, 0.13 * ones,
        22_520.0, weights=weights,
    )  # fmt: skip
    assert result.scores[0] == result.scores[1] == result.scores[2]
    assert result.best == 2  # 30 away beats 80 and 120


def test_single_at_the_money_survivor() -> None:
    # One survivor, at the money: L, D, V and M are all 1 (M is documented as 1 when every survivor
    # is at the money); with no spread cap the spread term is relative to the widest survivor: 0.
    result = opt.score_strikes(
        [22_500.0], "CE", [100.0], [99.0], [101.0], [10.0], [10.0], [0.5], [0.13], 22_500.0
    )
    assert result.best == 0
    w = StrikeWeights()
    expected = (w.liquidity + w.delta + w.iv + w.moneyness) / (
        w.liquidity + w.delta + w.iv + w.moneyness + w.spread
    )
    assert result.scores[0] == pytest.approx(expected, abs=1e-15)


def test_atm_window_zero_with_the_underlying_on_a_strike() -> None:
    # The realistic way to have every survivor at the money: the ATM call and put, K == underlying.
    result = assert_matches(nifty_chain(), StrikeWeights(), StrikeFilters(atm_window=0), underlying=22_500.0)
    assert (~np.isnan(result.scores)).sum() == 2


def test_empty_chain() -> None:
    result = opt.score_strikes([], "CE", [], [], [], [], [], [], [], 22_500.0)
    assert result.best is None
    assert result.scores.shape == (0,)


class TestValidation:
    @pytest.mark.parametrize("field", ["liquidity", "delta", "iv", "moneyness", "spread"])
    def test_negative_weight_is_rejected(self, field: str) -> None:
        with pytest.raises(ValidationError, match=field):
            StrikeWeights(**{field: -0.1})

    def test_all_zero_weights_are_rejected(self) -> None:
        with pytest.raises(ValidationError, match="at least one strike-score weight must be positive"):
            StrikeWeights(liquidity=0, delta=0, iv=0, moneyness=0, spread=0)

    @pytest.mark.parametrize("bad", [math.inf, math.nan])
    def test_non_finite_weight_is_rejected(self, bad: float) -> None:
        with pytest.raises(ValidationError):
            StrikeWeights(delta=bad)

    def test_unknown_fields_are_rejected(self) -> None:
        with pytest.raises(ValidationError, match="volume"):
            StrikeWeights(volume=1.0)
        with pytest.raises(ValidationError, match="max_spread"):
            StrikeFilters(max_spread=5.0)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"target_delta": 0.0},
            {"target_delta": 1.0},
            {"max_spread_pct": 0.0},
            {"min_volume": -1.0},
            {"min_oi": -1.0},
            {"atm_window": -1},
            {"option_type": "x"},
        ],
    )
    def test_filters_out_of_range_are_rejected(self, kwargs: dict) -> None:
        with pytest.raises(ValidationError):
            StrikeFilters(**kwargs)

    def test_defaults_match_the_documented_ones(self) -> None:
        assert StrikeWeights().model_dump() == {
            "liquidity": 0.30, "delta": 0.30, "iv": 0.15, "moneyness": 0.15, "spread": 0.10,
        }  # fmt: skip
        assert StrikeFilters().model_dump() == {
            "min_volume": 0.0, "min_oi": 0.0, "max_spread_pct": math.inf, "atm_window": None,
            "option_type": None, "target_delta": 0.5,
        }  # fmt: skip

    @pytest.mark.parametrize("underlying", [math.nan, 0.0, -22_500.0, math.inf])
    def test_bad_underlying_raises_value_error(self, underlying: float) -> None:
        with pytest.raises(ValueError, match="underlying"):
            score(nifty_chain(), underlying=underlying)

    def test_non_numeric_underlying_raises_value_error(self) -> None:
        with pytest.raises(ValueError, match="abc"):
            score(nifty_chain(), underlying="abc")

    @pytest.mark.parametrize(
        "column", ["strike", "ltp", "bid", "ask", "volume", "oi", "delta", "iv", "option_type"]
    )
    def test_mismatched_lengths_raise_value_error(self, column: str) -> None:
        chain = nifty_chain()
        chain[column] = chain[column][:-1]
        with pytest.raises(ValueError, match="same length"):
            score(chain)

    def test_bad_option_type_raises_value_error(self) -> None:
        chain = nifty_chain()
        chain["option_type"] = chain["option_type"].astype("<U4")
        chain["option_type"][3] = "XX"
        with pytest.raises(ValueError, match="XX"):
            score(chain)
