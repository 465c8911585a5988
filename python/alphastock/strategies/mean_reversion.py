"""``mean_reversion``: fade closes outside the Bollinger bands when RSI agrees.

Logic, per symbol, on each closed bar: ``Bollinger(bb_period, bb_k)`` of the close
(middle, upper, lower), ``RSI(rsi_period)`` of the close and ``ATR(atr_period)``
(Rust incremental classes, all updated with this bar).

* BUY when ``close < lower`` and ``rsi < oversold``; SELL when ``close > upper`` and
  ``rsi > overbought``. Warm-up: no signal until the bands, RSI and ATR are ready.
* One intent per excursion: after a BUY no other BUY until a close back at or above the
  lower band (SELL: at or below the upper band).

Levels: ``entry = close``; ``target = middle``; BUY ``stop = min(close, lower) - atr * atr_mult``
(beyond the band by ``atr_mult`` ATRs), SELL ``stop = max(close, upper) + atr * atr_mult``.
Rounded to the tick (0.05 when unknown); no signal when the middle band is within a tick
of the close.

Confidence: ``band = min(1, (lower - close) / atr)`` (SELL: ``(close - upper) / atr``),
``extreme = min(1, (oversold - rsi) / (oversold / 2))`` (SELL:
``(rsi - overbought) / ((100 - overbought) / 2)``); ``confidence = 0.5 * band + 0.5 * extreme``.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from alphastock.events import Bar
from alphastock.indicators import Atr, Bollinger, Rsi
from alphastock.signals.model import Signal, SignalAction
from alphastock.strategies.base import Strategy, StrategyParams


class MeanReversionParams(StrategyParams):
    """Parameters of :class:`MeanReversion` (periods in bars, RSI levels in [0, 100])."""

    bb_period: int = Field(20, ge=2, description="Bollinger period, bars")
    bb_k: float = Field(2.0, gt=0, description="band width in population standard deviations")
    rsi_period: int = Field(14, ge=1, description="RSI period, bars")
    oversold: float = Field(30.0, gt=0, lt=100, description="RSI below this is oversold")
    overbought: float = Field(70.0, gt=0, lt=100, description="RSI above this is overbought")
    atr_period: int = Field(14, ge=1, description="ATR period, bars")
    atr_mult: float = Field(1.0, gt=0, description="stop beyond the band, in ATRs")

    @model_validator(mode="after")
    def _levels_ordered(self) -> MeanReversionParams:
        if self.oversold >= self.overbought:
            raise ValueError(f"oversold ({self.oversold}) must be below overbought ({self.overbought})")
        return self


class _State:
    def __init__(self) -> None:
        self.bands: Bollinger | None = None
        self.rsi: Rsi | None = None
        self.atr: Atr | None = None
        self.armed_buy = True
        self.armed_sell = True


class MeanReversion(Strategy[MeanReversionParams]):
    """Bollinger + RSI mean reversion; see the module docstring."""

    name = "mean_reversion"
    Params = MeanReversionParams
    description = "Bollinger band + RSI extremes, target the middle band, stop beyond the band"
    State = _State

    def on_bar(self, bar: Bar) -> Signal | None:
        """Update the indicators; a signal when a close outside a band meets an RSI extreme."""
        p = self.params
        st: _State = self.state(bar.symbol)
        if st.bands is None or st.rsi is None or st.atr is None:
            st.bands, st.rsi, st.atr = Bollinger(p.bb_period, p.bb_k), Rsi(p.rsi_period), Atr(p.atr_period)
        middle, upper, lower = st.bands.update(bar.close)
        rsi = st.rsi.update(bar.close)
        atr = st.atr.update(bar.high, bar.low, bar.close)
        close = bar.close
        if close >= lower:
            st.armed_buy = True
        if close <= upper:
            st.armed_sell = True
        if not (st.bands.ready and st.rsi.ready and st.atr.ready) or atr <= 0:
            return None
        if abs(middle - close) < self.tick_size(bar):
            return None  # the target would round onto the entry
        if close < lower and rsi < p.oversold and st.armed_buy:
            st.armed_buy = False
            band = min(1.0, (lower - close) / atr)
            extreme = min(1.0, (p.oversold - rsi) / (p.oversold / 2))
            return self.make_signal(
                bar,
                SignalAction.BUY,
                entry=close,
                stop_loss=min(close, lower) - atr * p.atr_mult,
                target=middle,
                confidence=0.5 * band + 0.5 * extreme,
                rsi=rsi,
                lower=lower,
                middle=middle,
            )
        if close > upper and rsi > p.overbought and st.armed_sell:
            st.armed_sell = False
            band = min(1.0, (close - upper) / atr)
            extreme = min(1.0, (rsi - p.overbought) / ((100.0 - p.overbought) / 2))
            return self.make_signal(
                bar,
                SignalAction.SELL,
                entry=close,
                stop_loss=max(close, upper) + atr * p.atr_mult,
                target=middle,
                confidence=0.5 * band + 0.5 * extreme,
                rsi=rsi,
                upper=upper,
                middle=middle,
            )
        return None


__all__ = ["MeanReversion", "MeanReversionParams"]
