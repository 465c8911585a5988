"""``breakout``: volume-confirmed breakouts of the recent range.

Logic, per symbol, on each closed bar: ``hh`` / ``ll`` are the highest high / lowest low of
the previous ``lookback`` bars (the current bar excluded), ``avg_vol`` the SMA of the
previous ``volume_period`` bars' volume (current excluded), ``atr`` Wilder's ATR(``atr_period``)
including the current bar (Rust incremental classes).

* BUY when ``close > hh`` and ``volume > volume_mult * avg_vol``; SELL when ``close < ll``
  with the same volume condition. Warm-up: no signal until ``hh``/``ll``, ``avg_vol`` and
  the ATR are ready.
* A bar with zero volume never qualifies, and neither does any bar while ``avg_vol`` is 0:
  index bars (NIFTY 50, NIFTY BANK...) carry no volume, so this strategy never fires on them.
  Run it on futures or equities.
* One intent per breakout: after a BUY no other BUY until a close at or below the range
  high again (SELL: at or above the range low).

Levels: ``entry = close``; ``d = atr * atr_mult`` (at least one tick); BUY ``stop = entry - d``,
``target = entry + reward_risk * d``; SELL mirrored. Rounded to the tick.

Confidence: ``volume = min(1, (volume / avg_vol) / (2 * volume_mult))`` (so a qualifying bar
scores >= 0.5), ``size = min(1, (close - hh) / atr)`` (SELL ``(ll - close) / atr``);
``confidence = 0.5 * volume + 0.5 * size``.
"""

from __future__ import annotations

from pydantic import Field

from alphastock.events import Bar
from alphastock.indicators import Atr, RollingMax, RollingMin, Sma
from alphastock.signals.model import Signal, SignalAction
from alphastock.strategies.base import Strategy, StrategyParams


class BreakoutParams(StrategyParams):
    """Parameters of :class:`Breakout` (periods in bars)."""

    lookback: int = Field(20, ge=1, description="range length, bars (current bar excluded)")
    volume_period: int = Field(20, ge=1, description="average-volume period, bars (current excluded)")
    volume_mult: float = Field(1.5, gt=0, description="volume must exceed this times the average")
    atr_period: int = Field(14, ge=1, description="ATR period, bars")
    atr_mult: float = Field(1.5, gt=0, description="stop distance in ATRs")
    reward_risk: float = Field(2.0, gt=0, description="target distance / stop distance")


class _State:
    def __init__(self) -> None:
        self.hh: RollingMax | None = None
        self.ll: RollingMin | None = None
        self.vol: Sma | None = None
        self.atr: Atr | None = None
        self.armed_buy = True
        self.armed_sell = True


class Breakout(Strategy[BreakoutParams]):
    """Range breakout confirmed by volume, ATR stops; see the module docstring."""

    name = "breakout"
    Params = BreakoutParams
    description = "Close beyond the N-bar high/low on above-average volume; ATR stop, r:r target"
    State = _State

    def on_bar(self, bar: Bar) -> Signal | None:
        """Check the bar against the previous range, then add it to the range."""
        p = self.params
        st: _State = self.state(bar.symbol)
        if st.hh is None or st.ll is None or st.vol is None or st.atr is None:
            st.hh, st.ll = RollingMax(p.lookback), RollingMin(p.lookback)
            st.vol, st.atr = Sma(p.volume_period), Atr(p.atr_period)
        ready = st.hh.ready and st.vol.ready
        hh, ll, avg_vol = st.hh.value, st.ll.value, st.vol.value
        atr = st.atr.update(bar.high, bar.low, bar.close)
        st.hh.update(bar.high)
        st.ll.update(bar.low)
        st.vol.update(bar.volume)
        if not ready:
            return None
        close = bar.close
        if close <= hh:
            st.armed_buy = True
        if close >= ll:
            st.armed_sell = True
        if not st.atr.ready or atr <= 0 or bar.volume <= 0 or avg_vol <= 0:
            return None
        ratio = bar.volume / avg_vol
        if ratio <= p.volume_mult:
            return None
        side = 1 if close > hh and st.armed_buy else -1 if close < ll and st.armed_sell else 0
        if side == 0:
            return None
        if side > 0:
            st.armed_buy = False
        else:
            st.armed_sell = False
        dist = max(atr * p.atr_mult, self.tick_size(bar))
        size = min(1.0, (close - hh) / atr if side > 0 else (ll - close) / atr)
        confidence = 0.5 * min(1.0, ratio / (2 * p.volume_mult)) + 0.5 * size
        return self.make_signal(
            bar,
            SignalAction.BUY if side > 0 else SignalAction.SELL,
            entry=close,
            stop_loss=close - side * dist,
            target=close + side * p.reward_risk * dist,
            confidence=confidence,
            range_high=hh,
            range_low=ll,
            volume_ratio=ratio,
            atr=atr,
        )


__all__ = ["Breakout", "BreakoutParams"]
