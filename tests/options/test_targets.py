"""Premium stop and target: each method by value (the issue's seed examples), rounding, sanity rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.stats import norm

from alphastock.options.elasticity import ElasticityTable
from alphastock.options.selector import Candidate
from alphastock.options.targets import Direction, ExitMethodConfig, premium_levels
from alphastock.refdata.ticks import TickRounding, round_to_tick

TICK = 0.05


def rounder(p: float, d: Direction) -> float:
    return round_to_tick(p, TICK, TickRounding(d))


def contract(**changes: object) -> Candidate:
    """A NIFTY 24,500 CE, 7 days out, forward = spot (so dF = dS)."""
    base = Candidate(
        token=1, strike=24_500.0, option_type="CE", expiry=dt.date(2026, 1, 20), bid=125.0, ask=125.5,
        ltp=125.25, mid=125.25, iv=0.14, delta=0.52, gamma=0.0, theta=-9.0, vega=12.0, spread_pct=0.4,
        volume=1e6, oi=5e6, score=0.8, underlying="NIFTY", spot=24_500.0, forward=24_500.0,
        time_to_expiry_years=7 / 365, rate=0.065, ts_ns=0,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def levels(c: Candidate, method: str, **kwargs: object):  # type: ignore[no-untyped-def]
    config = kwargs.pop("config", None) or ExitMethodConfig(method=method)  # type: ignore[arg-type]
    base: dict[str, object] = {
        "underlying_entry": 24_500.0, "underlying_stop": 24_255.0, "underlying_target": 24_910.0,
        "expected_move_pct": 2.0, "tick": TICK, "round_price": rounder,
    }  # fmt: skip
    base.update(kwargs)
    return premium_levels(c, config=config, **base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- premium_pct


def test_premium_pct_seed_example() -> None:
    out = levels(contract(), "premium_pct", entry_premium=125.50)
    assert out.ok
    assert (out.entry, out.stop, out.method, out.position) == (125.50, 87.85, "premium_pct", "long")
    assert out.detail["raw_stop"] == pytest.approx(87.85, abs=1e-9)
    assert out.detail["raw_target"] == pytest.approx(130.52, abs=1e-9)  # the seed's figure
    assert out.target == 130.50  # on the 0.05 tick, rounded toward the entry
    assert out.detail["sl_pct"] == 30.0
    assert out.detail["target_multiplier"] == 2.0
    assert out.risk_per_unit == pytest.approx(37.65)


def test_premium_pct_default_entry_and_move_from_the_signal() -> None:
    # Entry: the ask (125.50); move: |24,910 - 24,500| / 24,500 = 1.6735%.
    out = levels(contract(), "premium_pct", expected_move_pct=None)
    move = 410 / 24_500 * 100
    assert out.detail["expected_move_pct"] == pytest.approx(move)
    assert out.detail["raw_target"] == pytest.approx(125.5 * (1 + 2 * move / 100))
    assert out.target == round_to_tick(125.5 * (1 + 2 * move / 100), TICK, TickRounding.DOWN) == 129.70


def test_premium_pct_short_is_the_mirror() -> None:
    out = levels(contract(option_type="PE"), "premium_pct", entry_premium=125.50, position="short")
    assert out.ok
    assert out.detail["raw_stop"] == pytest.approx(125.5 * 1.3)
    assert out.detail["raw_target"] == pytest.approx(125.5 * 0.96)
    assert (out.stop, out.target) == (163.15, 120.50)  # 163.15 exact; 120.48 rounded up toward the entry
    assert levels(contract(), "premium_pct", position="short").entry == 125.0  # a sale's default: the bid


# --------------------------------------------------------------------------- delta


def test_delta_seed_example_without_gamma() -> None:
    out = levels(contract(), "delta", entry_premium=300.0)
    assert out.detail["target_move"] == pytest.approx(0.52 * 410)
    assert out.detail["target_move"] == pytest.approx(213.2)
    assert out.detail["stop_move"] == pytest.approx(-0.52 * 245)
    assert (out.target, out.stop) == (513.20, 172.60)


def test_delta_with_gamma_and_carry() -> None:
    out = levels(contract(gamma=0.0004), "delta", entry_premium=300.0)
    assert out.detail["raw_target"] == pytest.approx(300 + 213.2 + 0.5 * 0.0004 * 410**2)  # 546.82
    assert out.detail["raw_stop"] == pytest.approx(300 - 127.4 + 0.5 * 0.0004 * 245**2)  # 184.605
    assert (out.target, out.stop) == (546.80, 184.65)
    # Greeks per rupee of forward: a forward 0.2% over the spot moves 0.2% more per rupee of spot.
    carried = levels(contract(gamma=0.0004, forward=24_549.0), "delta", entry_premium=300.0)
    d_f = 410 * 24_549 / 24_500
    assert carried.detail["carry"] == pytest.approx(24_549 / 24_500)
    assert carried.detail["raw_target"] == pytest.approx(300 + 0.52 * d_f + 0.5 * 0.0004 * d_f**2)


def test_delta_of_a_put_for_a_sell_signal() -> None:
    put = contract(option_type="PE", delta=-0.48, gamma=0.0004)
    out = levels(put, "delta", underlying_stop=24_745.0, underlying_target=24_090.0, entry_premium=280.0)
    assert out.detail["raw_target"] == pytest.approx(280 + 0.48 * 410 + 0.5 * 0.0004 * 410**2)
    assert out.detail["raw_stop"] == pytest.approx(280 - 0.48 * 245 + 0.5 * 0.0004 * 245**2)
    assert out.ok


# --------------------------------------------------------------------------- reprice


def black76(is_call: bool, f: float, k: float, t: float, r: float, sigma: float) -> float:
    """Textbook Black-76 (an independent formula, scipy's normal CDF)."""
    if t <= 0:
        return math.exp(-r * t) * max(f - k if is_call else k - f, 0.0)
    d1 = (math.log(f / k) + 0.5 * sigma * sigma * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if is_call:
        return math.exp(-r * t) * (f * norm.cdf(d1) - k * norm.cdf(d2))
    return math.exp(-r * t) * (k * norm.cdf(-d2) - f * norm.cdf(-d1))


@pytest.mark.parametrize("option_type", ["CE", "PE"])
@pytest.mark.parametrize("holding", [0.0, 60.0, 240.0])
def test_reprice_is_black76_at_the_moved_forward_after_the_holding_time(
    option_type: str, holding: float
) -> None:
    c = contract(option_type=option_type, forward=24_549.0, strike=24_600.0)
    cfg = ExitMethodConfig(method="reprice", holding_minutes=holding)
    stop_u, target_u = (24_255.0, 24_910.0) if option_type == "CE" else (24_745.0, 24_090.0)
    out = levels(
        c, "reprice", config=cfg, underlying_stop=stop_u, underlying_target=target_u, entry_premium=150.0
    )
    t_exit = 7 / 365 - holding / (365 * 24 * 60)
    is_call = option_type == "CE"
    expected_target = black76(is_call, 24_549.0 * target_u / 24_500, 24_600.0, t_exit, 0.065, 0.14)
    expected_stop = black76(is_call, 24_549.0 * stop_u / 24_500, 24_600.0, t_exit, 0.065, 0.14)
    assert out.detail["raw_target"] == pytest.approx(expected_target, rel=1e-9)
    assert out.detail["raw_stop"] == pytest.approx(expected_stop, rel=1e-9)
    assert out.detail["t_exit_years"] == pytest.approx(t_exit)
    assert out.detail["model_now"] == pytest.approx(
        black76(is_call, 24_549.0, 24_600.0, 7 / 365, 0.065, 0.14)
    )
    assert out.ok
    assert out.target == round_to_tick(expected_target, TICK, TickRounding.DOWN)
    assert out.stop == round_to_tick(expected_stop, TICK, TickRounding.UP)


def test_reprice_past_expiry_is_intrinsic_and_refuses_without_iv() -> None:
    c = contract(time_to_expiry_years=30 / (365 * 24 * 60))  # 30 minutes left, 60 held
    out = levels(c, "reprice", entry_premium=150.0)
    assert out.detail["t_exit_years"] == 0.0
    assert out.detail["raw_target"] == pytest.approx(410.0)
    assert out.detail["raw_stop"] == 0.0
    assert out.stop == TICK  # a worthless stop is clamped to one tick
    assert out.detail["clamped"] == ["stop"]
    refused = levels(contract(iv=math.nan), "reprice")
    assert not refused.ok
    assert refused.reason == "reprice: the contract has no IV, forward or time to expiry to reprice with"
    assert math.isnan(refused.stop)


# --------------------------------------------------------------------------- historical


def table(value: float, samples: int) -> ElasticityTable:
    return ElasticityTable(
        np.array([-0.01, 0.01]),
        np.array([0.0, 10.0]),
        np.array([[value]]),
        np.array([[samples]], dtype=np.int64),
    )


def test_historical_uses_the_bucket_elasticity() -> None:
    out = levels(contract(), "historical", entry_premium=125.5, elasticity=table(12.0, 40))
    assert out.detail["used"] == "historical"
    assert (out.detail["elasticity"], out.detail["samples"]) == (12.0, 40)
    assert out.detail["moneyness"] == 0.0
    assert out.detail["days_to_expiry"] == pytest.approx(7.0)
    assert out.detail["raw_target"] == pytest.approx(125.5 * (1 + 12 * 410 / 24_500))
    assert out.detail["raw_stop"] == pytest.approx(125.5 * (1 - 12 * 245 / 24_500))
    put = levels(contract(option_type="PE"), "historical", underlying_stop=24_745.0,
                 underlying_target=24_090.0, entry_premium=125.5, elasticity=table(12.0, 40))  # fmt: skip
    assert put.detail["raw_target"] == pytest.approx(125.5 * (1 + 12 * 410 / 24_500))


def test_historical_falls_back_to_reprice_when_history_is_short() -> None:
    repriced = levels(contract(), "reprice", entry_premium=125.5)
    for lookup, why in ((table(12.0, 29), "29 samples < 30"), (None, "no elasticity table")):
        out = levels(contract(), "historical", entry_premium=125.5, elasticity=lookup)
        assert out.detail["used"] == "reprice"
        assert out.detail["fallback"] == why
        assert (out.stop, out.target) == (repriced.stop, repriced.target)
        assert out.method == "historical"
    outside = levels(contract(strike=26_000.0), "historical", entry_premium=125.5, elasticity=table(12.0, 40))
    assert outside.detail["used"] == "reprice"  # moneyness outside the table: no samples


# --------------------------------------------------------------------------- blend and sanity


def test_blend_is_the_weighted_mean_of_two_methods_before_rounding() -> None:
    cfg = ExitMethodConfig(method="blend", blend_of=("premium_pct", "delta"), blend_weight=0.25)
    out = levels(contract(), "blend", config=cfg, entry_premium=125.5)
    pct = levels(contract(), "premium_pct", entry_premium=125.5)
    dlt = levels(contract(), "delta", entry_premium=125.5)
    raw_target = 0.25 * pct.detail["raw_target"] + 0.75 * dlt.detail["raw_target"]
    raw_stop = 0.25 * pct.detail["raw_stop"] + 0.75 * dlt.detail["raw_stop"]
    assert out.detail["raw_target"] == pytest.approx(raw_target)  # 0.25*130.52 + 0.75*338.7
    assert out.detail["raw_stop"] == pytest.approx(raw_stop)  # 0.25*87.85 + 0.75*(-1.9) -> 20.54
    assert out.target == round_to_tick(raw_target, TICK, TickRounding.DOWN)
    assert out.stop == round_to_tick(raw_stop, TICK, TickRounding.UP) == 20.55
    assert out.detail["blend_of"] == ["premium_pct", "delta"]
    with pytest.raises(ValidationError, match="other than 'blend'"):
        ExitMethodConfig(method="blend", blend_of=("blend", "delta"))


def test_a_stop_at_or_below_zero_is_clamped_to_one_tick() -> None:
    out = levels(contract(), "delta", entry_premium=100.0)  # 100 - 127.4 < 0
    assert out.detail["raw_stop"] == pytest.approx(-27.4)
    assert out.stop == TICK
    assert out.detail["clamped"] == ["stop"]
    assert out.ok


def test_levels_on_the_wrong_side_are_refused() -> None:
    # A BUY signal whose "stop" is above the entry: a call's premium would rise at the stop.
    out = levels(contract(), "delta", underlying_stop=24_600.0, entry_premium=125.5)
    assert not out.ok
    assert (
        out.reason
        == "delta: stop 177.5 is not below the entry 125.5: the underlying's stop does not lose premium"
    )
    assert math.isnan(out.stop)
    assert math.isnan(out.target)
    # A short put whose target is above the entry.
    short = levels(contract(option_type="PE", delta=-0.5), "delta", position="short", entry_premium=125.5,
                   underlying_stop=24_000.0, underlying_target=24_300.0)  # fmt: skip
    assert short.detail["stop"] == 375.5
    assert short.reason == "delta: target 225.5 is not below the entry 125.5 of a short option"
    no_entry = levels(contract(bid=math.nan, ask=math.nan, mid=math.nan, ltp=math.nan), "premium_pct")
    assert no_entry.reason == "no entry premium (nan)"


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="underlying entry, stop and target must be positive"):
        levels(contract(), "reprice", underlying_stop=math.nan)
    with pytest.raises(ValueError, match="tick must be positive"):
        levels(contract(), "reprice", tick=0.0)
    with pytest.raises(ValueError, match="position must be"):
        levels(contract(), "reprice", position="flat")
    with pytest.raises(ValidationError):
        ExitMethodConfig(method="atr")  # type: ignore[arg-type]
