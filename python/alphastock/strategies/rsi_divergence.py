"""``rsi_divergence``: price and RSI disagreeing at swing points.

Swings: a bar is a swing low when its low is the lowest of the ``2 * swing + 1`` bars centred
on it (a ``RollingMin`` of that length) and every one of the ``swing`` bars after it has a
strictly higher low (so a flat bottom counts once, at its last bar); swing highs mirror this.
A swing is therefore confirmed ``swing`` bars late: the signal comes on the confirming bar,
``swing`` bars after the extreme, at that bar's close.

* Bullish divergence → BUY: a new swing low whose price is below the previous swing low's
  while its RSI is above the previous swing low's RSI, the new RSI below ``lower_zone``, and
  the two swings at most ``max_gap`` bars apart.
* Bearish divergence → SELL: a new swing high above the previous one with a lower RSI, the new
  RSI above ``upper_zone``, at most ``max_gap`` bars apart.
* RSI is ``RSI(rsi_period)`` of the close; swings whose RSI is not ready are ignored (warm-up).
  Each swing is compared once, with the swing before it, so a divergence makes one signal.

Levels: ``entry = close`` of the confirming bar; BUY ``stop = swing low * (1 - stop_buffer_pct/100)``,
``target = entry + reward_risk * (entry - stop)``; SELL mirrored above the swing high. Rounded
to the tick; skipped when the stop is within a tick of the entry.

Confidence: ``min(1, |rsi_new - rsi_previous| / rsi_norm)``.
"""

from __future__ import annotations

from collections import deque

from pydantic import Field, model_validator

from alphastock.events import Bar
from alphastock.indicators import RollingMax, RollingMin, Rsi
from alphastock.signals.model import Signal, SignalAction
from alphastock.strategies.base import Strategy, StrategyParams


class RsiDivergenceParams(StrategyParams):
    """Parameters of :class:`RsiDivergence` (periods in bars, RSI levels in [0, 100])."""

    rsi_period: int = Field(14, ge=1, description="RSI period, bars")
    swing: int = Field(3, ge=1, description="bars each side that confirm a swing (signals lag this much)")
    lower_zone: float = Field(40.0, gt=0, lt=100, description="bullish: the new swing's RSI below this")
    upper_zone: float = Field(60.0, gt=0, lt=100, description="bearish: the new swing's RSI above this")
    max_gap: int = Field(40, ge=1, description="most bars between the two swings compared")
    reward_risk: float = Field(2.0, gt=0, description="target distance / stop distance")
    stop_buffer_pct: float = Field(0.05, ge=0, description="stop beyond the swing extreme, percent")
    rsi_norm: float = Field(10.0, gt=0, description="RSI difference that gives confidence 1")

    @model_validator(mode="after")
    def _zones_ordered(self) -> RsiDivergenceParams:
        if self.lower_zone > self.upper_zone:
            raise ValueError(f"lower_zone ({self.lower_zone}) must not exceed upper_zone ({self.upper_zone})")
        return self


class _Swing:
    __slots__ = ("index", "price", "rsi")

    def __init__(self, index: int, price: float, rsi: float) -> None:
        self.index, self.price, self.rsi = index, price, rsi


class _State:
    def __init__(self, window: int) -> None:
        self.rsi: Rsi | None = None
        self.lows_min: RollingMin | None = None
        self.highs_max: RollingMax | None = None
        # (low, high, rsi) of the last 2w+1 bars: the centre bar is the candidate swing.
        self.recent: deque[tuple[float, float, float]] = deque(maxlen=window)
        self.count = 0
        self.last_low: _Swing | None = None
        self.last_high: _Swing | None = None


class RsiDivergence(Strategy[RsiDivergenceParams]):
    """Bullish/bearish RSI divergence at confirmed swings; see the module docstring."""

    name = "rsi_divergence"
    Params = RsiDivergenceParams
    description = "Price/RSI divergence at swing lows and highs (confirmed `swing` bars late)"

    def state(self, symbol: str) -> _State:
        """Per-symbol swing state (sized from the params, hence not the ``State`` attribute)."""
        st = self._states.get(symbol)
        if st is None:
            st = self._states[symbol] = _State(2 * self.params.swing + 1)
        return st

    def on_bar(self, bar: Bar) -> Signal | None:
        """Update RSI and the swing window; a signal when the newly confirmed swing diverges."""
        p = self.params
        st = self.state(bar.symbol)
        if st.rsi is None or st.lows_min is None or st.highs_max is None:
            window = 2 * p.swing + 1
            st.rsi, st.lows_min, st.highs_max = Rsi(p.rsi_period), RollingMin(window), RollingMax(window)
        rsi = st.rsi.update(bar.close)
        lowest = st.lows_min.update(bar.low)
        highest = st.highs_max.update(bar.high)
        st.recent.append((bar.low, bar.high, rsi if st.rsi.ready else float("nan")))
        st.count += 1
        if not st.lows_min.ready:
            return None
        centre_index = st.count - 1 - p.swing
        c_low, c_high, c_rsi = st.recent[p.swing]
        after = list(st.recent)[p.swing + 1 :]
        signal: Signal | None = None
        if c_low == lowest and all(low > c_low for low, _, _ in after) and c_rsi == c_rsi:
            prev, st.last_low = st.last_low, _Swing(centre_index, c_low, c_rsi)
            if (
                prev is not None
                and centre_index - prev.index <= p.max_gap
                and c_low < prev.price
                and c_rsi > prev.rsi
                and c_rsi < p.lower_zone
            ):
                signal = self._signal(bar, 1, c_low, c_rsi - prev.rsi, prev, c_rsi)
        if c_high == highest and all(high < c_high for _, high, _ in after) and c_rsi == c_rsi:
            prev, st.last_high = st.last_high, _Swing(centre_index, c_high, c_rsi)
            if (
                signal is None
                and prev is not None
                and centre_index - prev.index <= p.max_gap
                and c_high > prev.price
                and c_rsi < prev.rsi
                and c_rsi > p.upper_zone
            ):
                signal = self._signal(bar, -1, c_high, prev.rsi - c_rsi, prev, c_rsi)
        return signal

    def _signal(
        self, bar: Bar, side: int, extreme: float, rsi_diff: float, prev: _Swing, rsi: float
    ) -> Signal | None:
        p = self.params
        entry = bar.close
        stop = extreme * (1 - side * p.stop_buffer_pct / 100.0)
        dist = side * (entry - stop)
        if dist < self.tick_size(bar):
            return None
        return self.make_signal(
            bar,
            SignalAction.BUY if side > 0 else SignalAction.SELL,
            entry=entry,
            stop_loss=stop,
            target=entry + side * p.reward_risk * dist,
            confidence=min(1.0, rsi_diff / p.rsi_norm),
            swing_price=extreme,
            swing_rsi=rsi,
            previous_swing_price=prev.price,
            previous_swing_rsi=prev.rsi,
        )


__all__ = ["RsiDivergence", "RsiDivergenceParams"]
