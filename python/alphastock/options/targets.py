"""Stop and target on an option's premium, from a signal's levels on its underlying.

A signal says where the underlying enters, where its stop and target are, and how far it is
expected to move (percent). :func:`premium_levels` turns that into premium levels of the chosen
contract (:class:`~alphastock.options.selector.Candidate`) by one of five methods
(:class:`ExitMethodConfig`):

``premium_pct``
    long: stop = entry * (1 - sl_pct/100), target = entry * (1 + expected_move_pct/100 *
    target_multiplier); short (premium sold), the mirror image. Example: 125.50, 30%, 2%, 2 ->
    stop 87.85, target 130.52 (130.50 on the ₹0.05 tick).
``delta``
    premium move = delta * dF + 1/2 * gamma * dF², for the underlying's move dS to its target
    and to its stop (dS = level - entry), with dF = dS * forward / spot (the snapshot's
    greeks are Black-76, per rupee of forward; the forward moves with the spot). Example:
    delta 0.52, dS +410, forward = spot: +213.2 before the gamma term.
``reprice``
    Black-76 price of the contract with its IV, on the forward moved by the same ratio as the
    underlying (forward * level / entry), with time to expiry shortened by ``holding_minutes``
    (calendar time; at expiry, intrinsic value). The default: the most faithful of the five.
``historical``
    premium % move = ±elasticity * underlying % move (+ for calls, - for puts), the elasticity
    of the contract's moneyness and days-to-expiry bucket from an
    :class:`~alphastock.options.elasticity.ElasticityLookup`; falls back to ``reprice`` when
    the bucket has fewer than ``min_samples`` windows (``detail["used"]`` says which).
``blend``
    blend_weight * (method a) + (1 - blend_weight) * (method b), level by level, before rounding.

Sanity: a long option's stop must be below its entry and its target above (short: the reverse).
A stop or target at or below zero is clamped to one tick (``detail["clamped"]`` says which);
a stop on the wrong side of the entry (the underlying's stop would not lose premium) or a target
on the wrong side (its target would not gain) is refused: :attr:`PremiumLevels.reason` says
why and the levels are NaN.

Rounding: the project has one rounding rule (``alphastock.refdata.ticks.round_to_tick``), which
lives in ``refdata``, above this package in the layers; the caller passes it in as a
:class:`TickRounder`, e.g. ``lambda p, d: round_to_tick(p, tick, TickRounding(d))``. Levels are
rounded toward the entry (a long's stop up and its target down; a short's the reverse), so the
premium at risk is never more than computed and the target never further; the entry to the
nearest tick.

Units: premiums and underlying levels in rupees; percentages in percent (2.0 = 2%); times in
minutes or years as named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import ConfigDict, Field, model_validator

from alphastock.config_model import ConfigModel
from alphastock.options.elasticity import ElasticityLookup, log_moneyness
from alphastock.options.math import price
from alphastock.options.selector import Candidate

ExitMethod = Literal["premium_pct", "delta", "reprice", "historical", "blend"]
Position = Literal["long", "short"]
Direction = Literal["nearest", "up", "down"]
MINUTES_PER_YEAR = 365.0 * 24.0 * 60.0


class TickRounder(Protocol):
    """A price (rupees) onto the contract's tick grid, rounded ``nearest``, ``up`` or ``down``."""

    def __call__(self, price: float, direction: Direction, /) -> float: ...


class ExitMethodConfig(ConfigModel):
    """How :func:`premium_levels` sets the premium stop and target (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: ExitMethod = "reprice"
    sl_pct: float = Field(30.0, gt=0.0, lt=100.0, description="premium_pct: stop distance, percent of entry")
    target_multiplier: float = Field(
        2.0, gt=0.0, allow_inf_nan=False, description="premium_pct: target = expected move % times this"
    )
    holding_minutes: float = Field(
        60.0, ge=0.0, allow_inf_nan=False, description="reprice: expected holding time, minutes"
    )
    min_samples: int = Field(30, ge=1, description="historical: fewest windows a bucket needs, else reprice")
    blend_of: tuple[ExitMethod, ExitMethod] = ("reprice", "delta")
    blend_weight: float = Field(0.5, ge=0.0, le=1.0, description="weight of blend_of[0]; the rest on [1]")

    @model_validator(mode="after")
    def _blend_of_plain_methods(self) -> ExitMethodConfig:
        if "blend" in self.blend_of:
            raise ValueError("blend_of names two methods other than 'blend'")
        return self


@dataclass(frozen=True, slots=True)
class PremiumLevels:
    """Result of :func:`premium_levels`: premiums in rupees, on the tick grid.

    ``reason`` is None when the levels are usable; otherwise it says why they were refused and
    ``stop``/``target`` are NaN. ``detail`` holds the inputs used (method-specific) and the raw
    (unrounded) levels, JSON-friendly, for the store and the logs.
    """

    entry: float
    stop: float
    target: float
    method: ExitMethod
    position: Position
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the levels passed the sanity checks."""
        return self.reason is None

    @property
    def risk_per_unit(self) -> float:
        """Premium at risk per unit from entry to stop, rupees (NaN when refused)."""
        return abs(self.entry - self.stop)


@dataclass(frozen=True, slots=True)
class _Inputs:
    contract: Candidate
    entry: float
    u_entry: float
    u_stop: float
    u_target: float
    expected_move_pct: float
    position: Position


def default_entry(contract: Candidate, position: Position = "long") -> float:
    """The touch an order at once would meet: the ask to buy, the bid to sell; else the mid, else the ltp."""
    touch = contract.ask if position == "long" else contract.bid
    for value in (touch, contract.mid, contract.ltp):
        if math.isfinite(value) and value > 0:
            return value
    return math.nan


def premium_levels(
    contract: Candidate,
    *,
    underlying_entry: float,
    underlying_stop: float,
    underlying_target: float,
    expected_move_pct: float | None = None,
    config: ExitMethodConfig | None = None,
    tick: float,
    round_price: TickRounder,
    entry_premium: float | None = None,
    position: Position = "long",
    elasticity: ElasticityLookup | None = None,
) -> PremiumLevels:
    """Premium stop and target of ``contract`` for a signal's underlying levels (module docstring).

    Args:
        contract: the chosen contract (its quotes, IV, greeks, forward and time to expiry).
        underlying_entry, underlying_stop, underlying_target: the signal's levels, rupees.
        expected_move_pct: the signal's expected move, percent; None: |target - entry| / entry.
        config: the method and its parameters (default: ``reprice``, 60 minutes).
        tick: the contract's tick size, rupees (the clamp floor).
        round_price: the project's rounding rule for this contract (see :class:`TickRounder`).
        entry_premium: the expected entry price, rupees; default :func:`default_entry`.
        position: ``long`` (premium bought) or ``short`` (premium sold).
        elasticity: the table the ``historical`` method reads (None: it falls back to reprice).

    Raises:
        ValueError: non-positive or non-finite underlying levels or tick, or an unknown position.
    """
    config = config or ExitMethodConfig()
    if position not in ("long", "short"):
        raise ValueError(f"position must be 'long' or 'short', got {position!r}")
    levels = (underlying_entry, underlying_stop, underlying_target)
    if not all(math.isfinite(x) and x > 0 for x in levels):
        raise ValueError(f"underlying entry, stop and target must be positive rupees, got {levels}")
    if not (math.isfinite(tick) and tick > 0):
        raise ValueError(f"tick must be positive rupees, got {tick}")
    raw_entry = default_entry(contract, position) if entry_premium is None else float(entry_premium)
    if expected_move_pct is None:
        expected_move_pct = abs(underlying_target - underlying_entry) / underlying_entry * 100.0
    detail: dict[str, Any] = {
        "underlying_entry": underlying_entry,
        "underlying_stop": underlying_stop,
        "underlying_target": underlying_target,
        "expected_move_pct": expected_move_pct,
        "entry_premium": raw_entry,
        "tick": tick,
    }
    if not (math.isfinite(raw_entry) and raw_entry > 0):
        return _refused(raw_entry, config.method, position, f"no entry premium ({raw_entry})", detail)
    entry = round_price(raw_entry, "nearest")
    inputs = _Inputs(contract, entry, underlying_entry, underlying_stop, underlying_target, expected_move_pct,
                     position)  # fmt: skip
    stop, target, method_detail = _raw_levels(config.method, inputs, config, elasticity)
    detail.update(method_detail)
    detail["raw_stop"], detail["raw_target"] = stop, target
    if not (math.isfinite(stop) and math.isfinite(target)):
        why = detail.get("error", "the method gave no level")
        return _refused(entry, config.method, position, f"{config.method}: {why}", detail)
    return _checked(entry, stop, target, config.method, position, tick, round_price, detail)


def _refused(
    entry: float, method: ExitMethod, position: Position, reason: str, detail: dict[str, Any]
) -> PremiumLevels:
    return PremiumLevels(entry, math.nan, math.nan, method, position, reason, detail)


def _checked(
    entry: float,
    stop: float,
    target: float,
    method: ExitMethod,
    position: Position,
    tick: float,
    round_price: TickRounder,
    detail: dict[str, Any],
) -> PremiumLevels:
    """Clamp to one tick, round toward the entry, refuse levels on the wrong side of it."""
    clamped = [name for name, value in (("stop", stop), ("target", target)) if value < tick]
    if clamped:
        detail["clamped"] = clamped
    stop, target = max(stop, tick), max(target, tick)
    long = position == "long"
    stop = round_price(stop, "up" if long else "down")
    target = round_price(target, "down" if long else "up")
    detail["stop"], detail["target"] = stop, target
    if long and not stop < entry:
        reason = (
            f"stop {stop:g} is not below the entry {entry:g}: the underlying's stop does not lose premium"
        )
    elif long and not target > entry:
        reason = (
            f"target {target:g} is not above the entry {entry:g}: the underlying's target gains no premium"
        )
    elif not long and not stop > entry:
        reason = f"stop {stop:g} is not above the entry {entry:g} of a short option"
    elif not long and not target < entry:
        reason = f"target {target:g} is not below the entry {entry:g} of a short option"
    else:
        return PremiumLevels(entry, stop, target, method, position, None, detail)
    return _refused(entry, method, position, f"{method}: {reason}", detail)


def _raw_levels(
    method: ExitMethod, x: _Inputs, config: ExitMethodConfig, table: ElasticityLookup | None
) -> tuple[float, float, dict[str, Any]]:
    """(stop, target, detail) before the sanity checks and rounding."""
    if method == "premium_pct":
        return _premium_pct(x, config)
    if method == "delta":
        return _delta(x)
    if method == "reprice":
        return _reprice(x, config)
    if method == "historical":
        return _historical(x, config, table)
    a, b = config.blend_of
    stop_a, target_a, detail_a = _raw_levels(a, x, config, table)
    stop_b, target_b, detail_b = _raw_levels(b, x, config, table)
    w = config.blend_weight
    detail = {"blend_of": [a, b], "blend_weight": w, a: detail_a, b if b != a else f"{b}_2": detail_b}
    for name, d in ((a, detail_a), (b, detail_b)):
        if "error" in d:
            detail["error"] = f"{name}: {d['error']}"
    return w * stop_a + (1 - w) * stop_b, w * target_a + (1 - w) * target_b, detail


def _premium_pct(x: _Inputs, config: ExitMethodConfig) -> tuple[float, float, dict[str, Any]]:
    sign = 1.0 if x.position == "long" else -1.0
    stop = x.entry * (1.0 - sign * config.sl_pct / 100.0)
    target = x.entry * (1.0 + sign * x.expected_move_pct / 100.0 * config.target_multiplier)
    return stop, target, {"sl_pct": config.sl_pct, "target_multiplier": config.target_multiplier}


def _carry(c: Candidate) -> float:
    """Forward per rupee of spot (1 when either is unknown)."""
    if math.isfinite(c.forward) and math.isfinite(c.spot) and c.spot > 0 and c.forward > 0:
        return c.forward / c.spot
    return 1.0


def _delta(x: _Inputs) -> tuple[float, float, dict[str, Any]]:
    c = x.contract
    carry = _carry(c)
    detail: dict[str, Any] = {"delta": c.delta, "gamma": c.gamma, "carry": carry}
    if not (math.isfinite(c.delta) and math.isfinite(c.gamma)):
        detail["error"] = "the contract has no delta or gamma"
        return math.nan, math.nan, detail

    def move(level: float) -> float:
        d_f = (level - x.u_entry) * carry
        return c.delta * d_f + 0.5 * c.gamma * d_f * d_f

    stop_move, target_move = move(x.u_stop), move(x.u_target)
    detail.update(stop_move=stop_move, target_move=target_move)
    return x.entry + stop_move, x.entry + target_move, detail


def _reprice(x: _Inputs, config: ExitMethodConfig) -> tuple[float, float, dict[str, Any]]:
    c = x.contract
    t_now = c.time_to_expiry_years
    t_exit = max(t_now - config.holding_minutes / MINUTES_PER_YEAR, 0.0)
    detail: dict[str, Any] = {
        "model": "black76", "iv": c.iv, "forward": c.forward, "strike": c.strike, "rate": c.rate,
        "t_years": t_now, "t_exit_years": t_exit, "holding_minutes": config.holding_minutes,
    }  # fmt: skip
    if not (math.isfinite(c.iv) and c.iv > 0 and math.isfinite(c.forward) and c.forward > 0 and t_now > 0):
        detail["error"] = "the contract has no IV, forward or time to expiry to reprice with"
        return math.nan, math.nan, detail
    flag = c.option_type == "CE"
    forwards = [c.forward * level / x.u_entry for level in (x.u_stop, x.u_target)]
    stop, target = (float(v) for v in price(flag, forwards, c.strike, t_exit, c.rate, c.iv, model="black76"))
    detail.update(
        model_now=float(price(flag, c.forward, c.strike, t_now, c.rate, c.iv, model="black76")),
        forward_at_stop=forwards[0],
        forward_at_target=forwards[1],
    )
    return stop, target, detail


def _historical(
    x: _Inputs, config: ExitMethodConfig, table: ElasticityLookup | None
) -> tuple[float, float, dict[str, Any]]:
    c = x.contract
    is_call = c.option_type == "CE"
    moneyness = float(log_moneyness(c.strike, x.u_entry, is_call))
    days = c.time_to_expiry_years * 365.0
    value, samples = table.elasticity(moneyness, days) if table is not None else (math.nan, 0)
    detail: dict[str, Any] = {"moneyness": moneyness, "days_to_expiry": days, "elasticity": value,
                              "samples": samples, "min_samples": config.min_samples}  # fmt: skip
    if table is None or samples < config.min_samples or not math.isfinite(value):
        stop, target, repriced = _reprice(x, config)
        why = "no elasticity table" if table is None else f"{samples} samples < {config.min_samples}"
        detail.update(used="reprice", fallback=why, reprice=repriced)
        if "error" in repriced:
            detail["error"] = repriced["error"]
        return stop, target, detail
    sign = 1.0 if is_call else -1.0

    def level(u: float) -> float:
        return x.entry * (1.0 + sign * value * (u / x.u_entry - 1.0))

    detail["used"] = "historical"
    return level(x.u_stop), level(x.u_target), detail


__all__ = [
    "ExitMethod",
    "ExitMethodConfig",
    "Position",
    "PremiumLevels",
    "TickRounder",
    "default_entry",
    "premium_levels",
]
