"""Which option to trade for a signal on an underlying: the expiry rule and the contract choice.

:func:`choose_expiry` picks the expiry from the listed ones (the instruments dump decides what
is listed: NIFTY has weeklies, the other NSE indices monthlies only); :func:`select_contract`
picks the strike of one expiry's :class:`~alphastock.options.chain.ChainSnapshot` with the Rust
strike scorer (:func:`~alphastock.options.strikes.score_strikes`, formula in that module).

Side of the chain: buying premium, a BUY signal buys a call (CE) and a SELL signal a put (PE);
selling premium, a BUY signal sells a put and a SELL signal sells a call.

The ATM window is ``atm_window`` listed strikes of the snapshot either side of its ATM strike
(the strike nearest the forward, :attr:`ChainSnapshot.atm_strike`), whether or not they are
quoted; inside it the scorer's filters apply (a usable two-sided quote, an IV and a delta,
volume ≥ ``min_volume``, OI ≥ ``min_oi``, spread ≤ ``max_spread_pct``). Volume or OI a snapshot
does not carry (NaN) count as 0 units. The moneyness term measures from the forward.
Ties in score go to the strike nearer the forward, then the lower strike.

Units: prices rupees; volume and OI units (not lots); spreads percent of the mid; IV annualised
decimal; greeks as the snapshot has them (Black-76 on the forward: delta per rupee of forward,
gamma per rupee², theta rupees per calendar day, vega rupees per IV point); times UTC epoch ns.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field

from alphastock.config_model import ConfigModel
from alphastock.options.chain import IST, NS_PER_SECOND, ChainSnapshot, mid_prices
from alphastock.options.strikes import StrikeFilters, StrikeWeights, score_strikes

OptionType = Literal["CE", "PE"]
SignalSide = Literal["BUY", "SELL"]
OptionSide = Literal["buy_premium", "sell_premium"]


class ExpiryRule(ConfigModel):
    """How :func:`choose_expiry` picks among the listed expiries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_days_to_expiry: int = Field(
        0, ge=0, description="calendar days from today (IST) to the expiry date, at least"
    )
    expiry_day_cutoff: dt.time = Field(
        dt.time(13, 30), description="IST time from which today's expiry is skipped for the next one"
    )


def choose_expiry(expiries: Sequence[dt.date], now_ns: int, rule: ExpiryRule | None = None) -> dt.date | None:
    """The nearest listed expiry that ``rule`` allows at ``now_ns`` (UTC epoch ns), or None.

    ``expiries`` are the listed ones (any order, duplicates allowed): the nearest weekly where
    the underlying has weeklies, else its monthly, because that is what the instruments dump
    lists. Skipped: expiries before today (IST), today's once the IST time is at or after
    ``rule.expiry_day_cutoff``, and those fewer than ``rule.min_days_to_expiry`` calendar days away.
    """
    rule = rule or ExpiryRule()
    now = dt.datetime.fromtimestamp(now_ns // NS_PER_SECOND, IST)
    today = now.date()
    for expiry in sorted(set(expiries)):
        if expiry < today or (expiry - today).days < rule.min_days_to_expiry:
            continue
        if expiry == today and now.time() >= rule.expiry_day_cutoff:
            continue
        return expiry
    return None


class SelectionConfig(ConfigModel):
    """How :func:`select_contract` chooses the contract of one expiry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    option_side: OptionSide = Field(
        "buy_premium",
        description="buy_premium: CE for BUY, PE for SELL; sell_premium: PE for BUY, CE for SELL",
    )
    atm_window: int = Field(5, ge=0, description="listed strikes either side of the ATM strike")
    min_volume: float = Field(0.0, ge=0.0, description="minimum volume traded today, in units (not lots)")
    min_oi: float = Field(0.0, ge=0.0, description="minimum open interest, in units")
    max_spread_pct: float = Field(5.0, gt=0.0, description="maximum (ask - bid) / mid, in percent")
    target_delta: float = Field(0.5, gt=0.0, lt=1.0, description="absolute delta the delta term rewards")
    weights: StrikeWeights = Field(default_factory=StrikeWeights)
    expiry: ExpiryRule = Field(default_factory=ExpiryRule)

    def filters(self) -> StrikeFilters:
        """The scorer's filters (the ATM window is applied on the snapshot's ladder, not by the scorer)."""
        return _filters(self.min_volume, self.min_oi, self.max_spread_pct, self.target_delta)


@functools.lru_cache(maxsize=64)
def _filters(min_volume: float, min_oi: float, max_spread_pct: float, target_delta: float) -> StrikeFilters:
    # Cached: validating a model costs more than scoring a window; the models are frozen.
    return StrikeFilters(
        min_volume=min_volume, min_oi=min_oi, max_spread_pct=max_spread_pct, target_delta=target_delta
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One scored contract of a snapshot, with what the executor and the exit methods need.

    Prices rupees; ``spread_pct`` percent of the mid; ``volume``/``oi`` units (NaN when the
    snapshot does not carry them); ``iv`` annualised decimal; greeks Black-76 on the forward
    (see the module docstring); ``score`` in [0, 1]. ``spot``, ``forward``,
    ``time_to_expiry_years``, ``rate`` and ``ts_ns`` are the snapshot's.
    """

    token: int
    strike: float
    option_type: OptionType
    expiry: dt.date
    bid: float
    ask: float
    ltp: float
    mid: float
    iv: float
    delta: float
    gamma: float
    theta: float
    vega: float
    spread_pct: float
    volume: float
    oi: float
    score: float
    underlying: str
    spot: float
    forward: float
    time_to_expiry_years: float
    rate: float
    ts_ns: int


@dataclass(frozen=True, slots=True)
class Selection:
    """Result of :func:`select_contract`: the chosen contract and the runner-up, or why none."""

    chosen: Candidate | None
    runner_up: Candidate | None
    reason: str | None
    """Why nothing was chosen (None when a contract was)."""


def option_type_for(signal_side: SignalSide, option_side: OptionSide = "buy_premium") -> OptionType:
    """CE or PE for a signal: buying premium, CE for BUY and PE for SELL; selling premium, the reverse."""
    if signal_side not in ("BUY", "SELL"):
        raise ValueError(f"signal side must be 'BUY' or 'SELL', got {signal_side!r}")
    if option_side not in ("buy_premium", "sell_premium"):
        raise ValueError(f"option side must be 'buy_premium' or 'sell_premium', got {option_side!r}")
    bullish = signal_side == "BUY"
    return "CE" if bullish == (option_side == "buy_premium") else "PE"


def select_contract(
    snapshot: ChainSnapshot, signal_side: SignalSide, config: SelectionConfig | None = None
) -> Selection:
    """The contract of ``snapshot`` to trade for a ``signal_side`` signal (see the module docstring).

    Scores the wanted side's strikes within ATM ± ``config.atm_window`` with the Rust scorer; the
    best becomes ``chosen`` and the next best ``runner_up`` (None when only one passes). When
    none passes, ``reason`` says which filters removed the window's strikes.
    """
    config = config or SelectionConfig()
    option_type = option_type_for(signal_side, config.option_side)
    side = "call" if option_type == "CE" else "put"
    label = f"{snapshot.underlying} {snapshot.expiry.isoformat()}"
    if len(snapshot) == 0:
        return Selection(None, None, f"the {label} chain has no strikes")
    if not snapshot.time_to_expiry_years > 0:
        return Selection(None, None, f"the {label} chain has expired")
    ref = snapshot.forward if math.isfinite(snapshot.forward) else snapshot.spot
    atm = int(np.argmin(np.abs(snapshot.strike - ref)))
    rows = slice(max(0, atm - config.atm_window), min(len(snapshot), atm + config.atm_window + 1))
    col = {
        name: getattr(snapshot, f"{side}_{name}")[rows]
        for name in ("token", "bid", "ask", "ltp", "iv", "delta", "gamma", "theta", "vega", "volume", "oi")
    }
    strike = snapshot.strike[rows]
    volume = np.where(np.isnan(col["volume"]), 0.0, col["volume"])
    oi = np.where(np.isnan(col["oi"]), 0.0, col["oi"])
    scored = score_strikes(
        strike, option_type, col["ltp"], col["bid"], col["ask"], volume, oi, col["delta"], col["iv"], ref,
        weights=config.weights, filters=config.filters(),
    )  # fmt: skip
    if scored.best is None:
        return Selection(None, None, _why_none(option_type, label, config, col, volume, oi))
    survivors = np.flatnonzero(np.isfinite(scored.scores))
    # The scorer's order: score, then nearer the money, then the earlier (lower) strike.
    order = survivors[np.lexsort((survivors, np.abs(strike[survivors] - ref), -scored.scores[survivors]))]
    ranked = [scored.best, *(int(i) for i in order if i != scored.best)]

    def candidate(i: int) -> Candidate:
        bid, ask = float(col["bid"][i]), float(col["ask"][i])
        mid = float(mid_prices(bid, ask, col["ltp"][i]))
        return Candidate(
            token=int(col["token"][i]), strike=float(strike[i]), option_type=option_type,
            expiry=snapshot.expiry, bid=bid, ask=ask, ltp=float(col["ltp"][i]), mid=mid,
            iv=float(col["iv"][i]), delta=float(col["delta"][i]), gamma=float(col["gamma"][i]),
            theta=float(col["theta"][i]), vega=float(col["vega"][i]),
            spread_pct=(ask - bid) / (0.5 * (ask + bid)) * 100.0, volume=float(col["volume"][i]),
            oi=float(col["oi"][i]), score=float(scored.scores[i]), underlying=snapshot.underlying,
            spot=snapshot.spot, forward=snapshot.forward, time_to_expiry_years=snapshot.time_to_expiry_years,
            rate=snapshot.rate, ts_ns=snapshot.ts_ns,
        )  # fmt: skip

    return Selection(candidate(ranked[0]), candidate(ranked[1]) if len(ranked) > 1 else None, None)


def _why_none(
    option_type: OptionType,
    label: str,
    config: SelectionConfig,
    col: dict[str, np.ndarray],
    volume: np.ndarray,
    oi: np.ndarray,
) -> str:
    """The reason text when no strike of the window passes: the filters and how many each removed."""
    bid, ask, ltp = col["bid"], col["ask"], col["ltp"]
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = (ask - bid) / (0.5 * (ask + bid)) * 100.0
        unquoted = ~(
            (ltp > 0) & (bid > 0) & (ask >= bid) & np.isfinite(ask) & np.isfinite(col["delta"])
            & np.isfinite(col["iv"]) & (col["iv"] > 0)
        )  # fmt: skip
        counts = {
            "without a two-sided quote, an IV or a delta": int(unquoted.sum()),
            "below the volume": int((~unquoted & (volume < config.min_volume)).sum()),
            "below the OI": int((~unquoted & (oi < config.min_oi)).sum()),
            "too wide": int((~unquoted & ~(spread <= config.max_spread_pct)).sum()),
        }
    found = "; ".join(f"{n} {what}" for what, n in counts.items() if n)
    return (
        f"no {option_type} of {label} within ATM±{config.atm_window} passes the filters "
        f"(volume ≥ {config.min_volume:g}, OI ≥ {config.min_oi:g}, spread ≤ {config.max_spread_pct:g}%): "
        f"{bid.size} strikes in the window; {found or 'none failed a filter alone'}"
    )


__all__ = [
    "Candidate",
    "ExpiryRule",
    "OptionSide",
    "OptionType",
    "Selection",
    "SelectionConfig",
    "SignalSide",
    "choose_expiry",
    "option_type_for",
    "select_contract",
]
