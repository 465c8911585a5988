"""Contract selection: the expiry rule, the chain side, and the strike against an independent numpy choice."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from pydantic import ValidationError

from alphastock.options import price
from alphastock.options.chain import IST, NS_PER_SECOND, ChainSnapshot, build_chain
from alphastock.options.selector import (
    ExpiryRule,
    SelectionConfig,
    choose_expiry,
    option_type_for,
    select_contract,
)
from alphastock.options.strikes import StrikeWeights

EXPIRY = dt.date(2026, 1, 13)
NOW = int(dt.datetime(2026, 1, 12, 10, 0, tzinfo=IST).timestamp()) * NS_PER_SECOND
FORWARD, RATE = 25_530.0, 0.065


def ist_ns(day: dt.date, hour: int, minute: int = 0) -> int:
    return int(dt.datetime.combine(day, dt.time(hour, minute), IST).timestamp()) * NS_PER_SECOND


# --------------------------------------------------------------------------- expiry rule

WEEKLIES = [dt.date(2026, 1, 20), dt.date(2026, 1, 13), dt.date(2026, 1, 27), dt.date(2026, 1, 13)]


def test_choose_expiry_takes_the_nearest_listed_expiry() -> None:
    assert choose_expiry(WEEKLIES, ist_ns(dt.date(2026, 1, 12), 10)) == dt.date(2026, 1, 13)
    assert choose_expiry(WEEKLIES, ist_ns(dt.date(2026, 1, 14), 10)) == dt.date(2026, 1, 20)  # 13th expired
    # Monthly only (BANKNIFTY): the monthly is the nearest listed.
    assert choose_expiry([dt.date(2026, 2, 24), dt.date(2026, 1, 27)], ist_ns(dt.date(2026, 1, 12), 10)) == (
        dt.date(2026, 1, 27)
    )
    assert choose_expiry([dt.date(2026, 1, 6)], ist_ns(dt.date(2026, 1, 12), 10)) is None
    assert choose_expiry([], ist_ns(dt.date(2026, 1, 12), 10)) is None


def test_choose_expiry_skips_today_from_the_cutoff_ist() -> None:
    expiry_day = dt.date(2026, 1, 13)
    assert choose_expiry(WEEKLIES, ist_ns(expiry_day, 13, 29)) == expiry_day
    assert choose_expiry(WEEKLIES, ist_ns(expiry_day, 13, 30)) == dt.date(2026, 1, 20)
    assert choose_expiry(WEEKLIES, ist_ns(expiry_day, 13, 29) + 59 * NS_PER_SECOND) == expiry_day
    rule = ExpiryRule(expiry_day_cutoff=dt.time(11, 0))
    assert choose_expiry(WEEKLIES, ist_ns(expiry_day, 11, 0), rule) == dt.date(2026, 1, 20)
    assert choose_expiry(WEEKLIES, ist_ns(expiry_day, 10, 59), rule) == expiry_day
    # 08:00 IST on the 13th is 02:30 UTC the same day; 04:00 IST on the 13th is still the 12th in UTC.
    assert choose_expiry(WEEKLIES, ist_ns(expiry_day, 4)) == expiry_day


def test_choose_expiry_minimum_days() -> None:
    monday = ist_ns(dt.date(2026, 1, 12), 10)
    assert choose_expiry(WEEKLIES, monday, ExpiryRule(min_days_to_expiry=1)) == dt.date(2026, 1, 13)
    assert choose_expiry(WEEKLIES, monday, ExpiryRule(min_days_to_expiry=2)) == dt.date(2026, 1, 20)
    assert choose_expiry(WEEKLIES, monday, ExpiryRule(min_days_to_expiry=16)) is None
    with pytest.raises(ValidationError):
        ExpiryRule(min_days_to_expiry=-1)
    with pytest.raises(ValidationError):
        ExpiryRule(min_days_to_expiry=True)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("signal", "side", "expected"),
    [
        ("BUY", "buy_premium", "CE"),
        ("SELL", "buy_premium", "PE"),
        ("BUY", "sell_premium", "PE"),
        ("SELL", "sell_premium", "CE"),
    ],
)
def test_option_type_for(signal: str, side: str, expected: str) -> None:
    assert option_type_for(signal, side) == expected  # type: ignore[arg-type]


def test_option_type_for_refuses_other_sides() -> None:
    with pytest.raises(ValueError, match="signal side must be 'BUY' or 'SELL'"):
        option_type_for("buy")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- a synthetic chain


def synthetic_chain(seed: int = 7, *, volume_given: bool = True) -> ChainSnapshot:
    """31 NIFTY strikes 50 apart around 25,530 (25,000-26,500), one day to expiry, skewed smile.

    Mid = Black-76 price; half spread 0.05-0.6 rupees by strike; volumes and OI random lots
    peaking at the money; two call strikes with a 10% spread, one with no bid.
    """
    rng = np.random.default_rng(seed)
    strikes = 25_000.0 + 50.0 * np.arange(31)
    t = (ist_ns(EXPIRY, 15, 30) - NOW) / (365 * 86_400 * NS_PER_SECOND)
    m = np.log(strikes / FORWARD)
    vols = 0.12 - 0.3 * m + 4.0 * m * m
    quotes = []
    for is_call in (True, False):
        mid = price(is_call, FORWARD, strikes, t, RATE, vols, model="black76")
        half = np.round(rng.uniform(1, 12, strikes.size)) * 0.05
        bid, ask = np.maximum(mid - half, 0.05), mid + half
        quotes.append((bid, ask, mid.copy()))
    cb, ca, _ = quotes[0]
    ca[16] = cb[16] * 1.105  # 10% wide
    ca[14] = cb[14] * 1.105
    cb[18] = math.nan  # no bid
    activity = np.exp(-0.5 * (m / 0.01) ** 2)
    lots = lambda scale: np.floor(scale * activity * rng.lognormal(0, 0.6, strikes.size)) * 65.0  # noqa: E731
    extra = {}
    if volume_given:
        extra = {"call_volume": lots(5e3), "call_oi": lots(2e4), "put_volume": lots(5e3), "put_oi": lots(2e4)}
    return build_chain(
        "NIFTY", EXPIRY, NOW, FORWARD - 3.0, strikes, 1000 + np.arange(31), 2000 + np.arange(31),
        quotes[0], quotes[1], rate=RATE, **extra,
    )  # fmt: skip


def numpy_choice(snap: ChainSnapshot, side: str, cfg: SelectionConfig) -> list[float]:
    """Strikes of the window's survivors, best first: the strikes.py formula written out in numpy."""
    ref = snap.forward
    atm = int(np.argmin(np.abs(snap.strike - ref)))
    lo, hi = max(0, atm - cfg.atm_window), min(len(snap), atm + cfg.atm_window + 1)
    get = lambda name: getattr(snap, f"{side}_{name}")[lo:hi]  # noqa: E731
    k, bid, ask, ltp, iv, delta = (
        snap.strike[lo:hi],
        get("bid"),
        get("ask"),
        get("ltp"),
        get("iv"),
        get("delta"),
    )
    vol, oi = np.nan_to_num(get("volume")), np.nan_to_num(get("oi"))
    with np.errstate(invalid="ignore"):
        spread = (ask - bid) / ((ask + bid) / 2) * 100
        keep = (ltp > 0) & (bid > 0) & (ask >= bid) & np.isfinite(iv) & (iv > 0) & np.isfinite(delta)
        keep &= (vol >= cfg.min_volume) & (oi >= cfg.min_oi) & (spread <= cfg.max_spread_pct)
    if not keep.any():
        return []
    k, iv, delta, vol, oi, spread = k[keep], iv[keep], delta[keep], vol[keep], oi[keep], spread[keep]
    liq = 0.5 * (np.log1p(vol) / np.log1p(vol).max() + np.log1p(oi) / np.log1p(oi).max())
    d = np.clip(
        1 - np.abs(np.abs(delta) - cfg.target_delta) / max(cfg.target_delta, 1 - cfg.target_delta), 0, 1
    )
    ivt = (iv.max() - iv) / (iv.max() - iv.min())
    money = 1 - np.abs(k - ref) / np.abs(k - ref).max()
    spr = np.clip(1 - spread / cfg.max_spread_pct, 0, 1)
    w = cfg.weights
    score = (w.liquidity * liq + w.delta * d + w.iv * ivt + w.moneyness * money + w.spread * spr) / (
        w.liquidity + w.delta + w.iv + w.moneyness + w.spread
    )
    order = np.lexsort((k, np.abs(k - ref), -score))
    return [float(x) for x in k[order]]


CONFIGS = [
    SelectionConfig(),
    SelectionConfig(atm_window=3, min_volume=2_000.0, max_spread_pct=2.0, target_delta=0.4),
    SelectionConfig(
        atm_window=8, min_oi=50_000.0,
        weights=StrikeWeights(liquidity=1, delta=0, iv=0, moneyness=0, spread=0),
    ),
    SelectionConfig(
        atm_window=10, target_delta=0.3,
        weights=StrikeWeights(liquidity=0.1, delta=1.0, iv=0.5, moneyness=0, spread=0.2),
    ),
]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("signal", ["BUY", "SELL"])
def test_select_contract_agrees_with_an_independent_numpy_choice(
    seed: int, cfg: SelectionConfig, signal: str
) -> None:
    snap = synthetic_chain(seed)
    side = "call" if signal == "BUY" else "put"
    expected = numpy_choice(snap, side, cfg)
    sel = select_contract(snap, signal, cfg)  # type: ignore[arg-type]
    assert len(expected) >= 2
    assert sel.reason is None
    assert sel.chosen is not None
    assert sel.runner_up is not None
    assert (sel.chosen.strike, sel.runner_up.strike) == (expected[0], expected[1])
    assert sel.chosen.option_type == ("CE" if signal == "BUY" else "PE")
    assert sel.chosen.score >= sel.runner_up.score


def test_the_chosen_candidate_carries_the_snapshot_row() -> None:
    snap = synthetic_chain(1)
    sel = select_contract(snap, "SELL", SelectionConfig(option_side="sell_premium"))  # a call, sold
    c = sel.chosen
    assert c is not None
    assert c.option_type == "CE"
    row = snap.row(c.strike)
    assert c.token == row["call_token"] == 1000 + int((c.strike - 25_000) / 50)
    assert (c.bid, c.ask, c.ltp, c.iv, c.delta, c.gamma, c.theta, c.vega, c.volume, c.oi) == (
        row["call_bid"], row["call_ask"], row["call_ltp"], row["call_iv"], row["call_delta"],
        row["call_gamma"], row["call_theta"], row["call_vega"], row["call_volume"], row["call_oi"],
    )  # fmt: skip
    assert c.mid == pytest.approx((c.bid + c.ask) / 2, rel=1e-15)
    assert c.spread_pct == pytest.approx((c.ask - c.bid) / c.mid * 100, rel=1e-12)
    assert (c.expiry, c.underlying, c.forward, c.spot, c.ts_ns) == (
        EXPIRY,
        "NIFTY",
        snap.forward,
        25_527.0,
        NOW,
    )
    assert c.time_to_expiry_years == snap.time_to_expiry_years
    assert 0.0 < c.score <= 1.0


def test_filters_decide_and_the_reason_names_them() -> None:
    snap = synthetic_chain(1)
    atm = int(np.argmin(np.abs(snap.strike - snap.forward)))
    assert snap.strike[atm] == 25_550.0  # nearest the 25,530 forward
    window = slice(atm - 4, atm + 5)  # 25,350-25,750 (the 25,900 call without a bid is outside)
    cfg = SelectionConfig(atm_window=4, max_spread_pct=0.01, min_volume=300_000.0)
    sel = select_contract(snap, "BUY", cfg)
    assert sel.chosen is None
    assert sel.runner_up is None
    bid, ask = snap.call_bid[window], snap.call_ask[window]
    quoted = np.isfinite(bid)
    low_volume = int((quoted & (snap.call_volume[window] < 300_000.0)).sum())
    wide = int((quoted & ((ask - bid) / ((ask + bid) / 2) * 100 > 0.01)).sum())
    assert (int((~quoted).sum()), wide) == (0, 9)
    assert 0 < low_volume < 9
    assert sel.reason == (
        "no CE of NIFTY 2026-01-13 within ATM±4 passes the filters "
        "(volume ≥ 300000, OI ≥ 0, spread ≤ 0.01%): "
        f"9 strikes in the window; {low_volume} below the volume; 9 too wide"
    )
    snap.call_bid[atm] = math.nan  # an unquoted strike is counted as such, not as too wide
    sel = select_contract(snap, "BUY", cfg)
    assert sel.reason is not None
    assert sel.reason.endswith(
        "9 strikes in the window; 1 without a two-sided quote, an IV or a delta; "
        f"{low_volume - int(snap.call_volume[atm] < 300_000.0)} below the volume; 8 too wide"
    )


def test_no_volume_in_the_snapshot_counts_as_zero() -> None:
    snap = synthetic_chain(1, volume_given=False)
    assert select_contract(snap, "BUY", SelectionConfig()).chosen is not None
    sel = select_contract(snap, "BUY", SelectionConfig(min_volume=1.0))
    assert sel.chosen is None
    assert sel.reason is not None
    assert "below the volume" in sel.reason


def test_the_window_counts_listed_strikes_even_unquoted_ones() -> None:
    """An unquoted strike next to the money does not move the window outwards."""
    snap = synthetic_chain(1)
    cfg = SelectionConfig(
        atm_window=1, weights=StrikeWeights(liquidity=0, delta=0, iv=0, moneyness=0, spread=1)
    )
    atm = int(np.argmin(np.abs(snap.strike - snap.forward)))
    snap.call_bid[atm - 1] = math.nan  # frozen dataclass, writable arrays: an unquoted strike
    snap.call_bid[atm + 1] = math.nan
    sel = select_contract(snap, "BUY", cfg)
    assert sel.chosen is not None
    assert sel.chosen.strike == snap.strike[atm]
    assert sel.runner_up is None


def test_expired_and_empty_chains() -> None:
    snap = synthetic_chain(1)
    late = build_chain(
        "NIFTY", EXPIRY, ist_ns(EXPIRY, 15, 31), 25_500.0, snap.strike, snap.call_token, snap.put_token,
        (snap.call_bid, snap.call_ask, snap.call_ltp), (snap.put_bid, snap.put_ask, snap.put_ltp),
    )  # fmt: skip
    assert select_contract(late, "BUY").reason == "the NIFTY 2026-01-13 chain has expired"
    empty = build_chain("NIFTY", EXPIRY, NOW, 25_500.0, [], [], [], ([], [], []), ([], [], []))
    assert select_contract(empty, "SELL").reason == "the NIFTY 2026-01-13 chain has no strikes"


def test_selection_config_validates() -> None:
    with pytest.raises(ValidationError):
        SelectionConfig(option_side="short")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SelectionConfig(atm_window=-1)
    with pytest.raises(ValidationError):
        SelectionConfig(target_delta=1.0)
    assert SelectionConfig().filters().max_spread_pct == 5.0
