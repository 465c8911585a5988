"""``ma_crossover``: trade the cross of a fast and a slow moving average.

Logic, per symbol, on each closed bar (``close`` rupees):

* ``fast`` and ``slow`` are EMAs (``kind="ema"``) or SMAs (``kind="sma"``) of the close
  (Rust incremental classes), ``atr`` is Wilder's ATR(``atr_period``).
* ``diff = fast - slow``; its side is +1 (> 0) or -1 (< 0); a zero diff keeps the last side.
  Warm-up: no signal until both averages (and the ATR when ATR stops are used) are ready;
  the first ready bar only records the side.
* BUY when the side turns from -1 to +1, SELL when it turns from +1 to -1: one intent per
  crossover, never a repeat while the averages stay on the same side.

Levels: ``entry = close``; stop distance ``d = atr * atr_mult`` (or ``entry * stop_pct / 100``
when ``stop_pct`` is set), at least one tick (0.05); BUY stop ``entry - d``, target
``entry + reward_risk * d``; SELL mirrored. Levels are rounded to the tick.

Confidence: with ``scale = atr`` (or ``d`` with a % stop),
``spread = min(1, |diff| / (spread_norm * scale))`` and
``slope = min(1, max(0, dir * (fast - previous fast)) / (slope_norm * scale))``;
``confidence = 0.5 * spread + 0.5 * slope`` in [0, 1].
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from alphastock.events import Bar
from alphastock.indicators import Atr, Ema, Sma
from alphastock.signals.model import Signal, SignalAction
from alphastock.strategies.base import Strategy, StrategyParams


class MaCrossoverParams(StrategyParams):
    """Parameters of :class:`MaCrossover` (periods in bars)."""

    fast: int = Field(9, ge=1, description="fast average period, bars")
    slow: int = Field(21, ge=2, description="slow average period, bars")
    kind: Literal["ema", "sma"] = Field("ema", description="moving average kind")
    atr_period: int = Field(14, ge=1, description="ATR period, bars")
    atr_mult: float = Field(2.0, gt=0, description="stop distance in ATRs")
    stop_pct: float | None = Field(None, gt=0, description="percent stop instead of the ATR stop")
    reward_risk: float = Field(2.0, gt=0, description="target distance / stop distance")
    spread_norm: float = Field(0.25, gt=0, description="|fast - slow| in ATRs that gives full spread score")
    slope_norm: float = Field(0.25, gt=0, description="fast-average change per bar in ATRs for full score")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MaCrossoverParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


class _State:
    def __init__(self) -> None:
        self.fast: Ema | Sma | None = None
        self.slow: Ema | Sma | None = None
        self.atr: Atr | None = None
        self.side = 0
        self.prev_fast = float("nan")


class MaCrossover(Strategy[MaCrossoverParams]):
    """Moving-average crossover with ATR (or %) stops; see the module docstring."""

    name = "ma_crossover"
    Params = MaCrossoverParams
    description = "Fast/slow EMA or SMA crossover; ATR or % stop, reward:risk target"
    State = _State

    def on_bar(self, bar: Bar) -> Signal | None:
        """Update the averages; a signal on the bar where the fast average crosses the slow one."""
        p = self.params
        st: _State = self.state(bar.symbol)
        if st.fast is None or st.slow is None or st.atr is None:
            cls = Ema if p.kind == "ema" else Sma
            st.fast, st.slow, st.atr = cls(p.fast), cls(p.slow), Atr(p.atr_period)
        fast = st.fast.update(bar.close)
        slow = st.slow.update(bar.close)
        atr = st.atr.update(bar.high, bar.low, bar.close)
        prev_fast, st.prev_fast = st.prev_fast, fast
        if not (st.fast.ready and st.slow.ready and (p.stop_pct is not None or st.atr.ready)):
            return None
        diff = fast - slow
        side = 1 if diff > 0 else -1 if diff < 0 else st.side
        previous, st.side = st.side, side
        if previous == 0 or side == previous:
            return None
        entry = bar.close
        tick = self.tick_size(bar)
        dist = entry * p.stop_pct / 100.0 if p.stop_pct is not None else atr * p.atr_mult
        dist = max(dist, tick)
        scale = atr if p.stop_pct is None else dist
        spread = min(1.0, abs(diff) / (p.spread_norm * scale))
        slope_move = side * (fast - prev_fast) if prev_fast == prev_fast else 0.0
        slope = min(1.0, max(0.0, slope_move) / (p.slope_norm * scale))
        confidence = 0.5 * spread + 0.5 * slope
        action = SignalAction.BUY if side > 0 else SignalAction.SELL
        return self.make_signal(
            bar,
            action,
            entry=entry,
            stop_loss=entry - side * dist,
            target=entry + side * p.reward_risk * dist,
            confidence=confidence,
            fast=fast,
            slow=slow,
            atr=atr,
        )


__all__ = ["MaCrossover", "MaCrossoverParams"]
