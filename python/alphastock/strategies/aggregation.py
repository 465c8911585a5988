"""Combining the signals several strategy instances made for one symbol from one bar.

Modes (``strategies.aggregation``):

* ``first``: the first signal in config order (instance order, then the order a hook returned
  them).
* ``majority``: the side (BUY/SELL) with more signals wins and its first signal in config order
  is emitted; a tie gives no signal (a conflict).
* ``weighted``: confidences are summed per side; the winner's ``share`` is its sum over the
  total. When ``share >= 0.5 + margin`` the winner's highest-confidence signal is emitted with
  ``confidence = share * mean confidence of the winning side``; otherwise no signal (a conflict).

A lone signal passes unchanged. An aggregated one (two or more inputs) carries
``metadata["aggregation"]`` (the mode) and ``metadata["contributors"]`` (strategy, action,
confidence of every input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from alphastock.signals.model import Signal, SignalAction

AggregationMode = Literal["first", "majority", "weighted"]


@dataclass(frozen=True, slots=True)
class Aggregated:
    """The outcome: the signal to emit (or None) and whether the inputs conflicted."""

    signal: Signal | None
    conflict: bool = False


def _annotate(winner: Signal, signals: Sequence[Signal], mode: str, confidence: float) -> Signal:
    contributors = [
        {"strategy": s.strategy, "action": s.action.value, "confidence": s.confidence, "id": s.id}
        for s in signals
    ]
    metadata = {**winner.metadata, "aggregation": mode, "contributors": contributors}
    return winner.model_copy(update={"metadata": metadata, "confidence": min(1.0, max(0.0, confidence))})


def aggregate(signals: Sequence[Signal], mode: AggregationMode, margin: float = 0.1) -> Aggregated:
    """Combine ``signals`` (one symbol, one bar, config order) under ``mode``; see the module docstring."""
    if not signals:
        return Aggregated(None)
    if len(signals) == 1:
        return Aggregated(signals[0])
    if mode == "first":
        return Aggregated(_annotate(signals[0], signals, mode, signals[0].confidence))
    buys = [s for s in signals if s.action is SignalAction.BUY]
    sells = [s for s in signals if s.action is SignalAction.SELL]
    if mode == "majority":
        if len(buys) == len(sells):
            return Aggregated(None, conflict=True)
        side = buys if len(buys) > len(sells) else sells
        return Aggregated(_annotate(side[0], signals, mode, side[0].confidence))
    if mode == "weighted":
        buy_sum = sum(s.confidence for s in buys)
        sell_sum = sum(s.confidence for s in sells)
        total = buy_sum + sell_sum
        if total <= 0:
            return Aggregated(None, conflict=bool(buys and sells))
        side, side_sum = (buys, buy_sum) if buy_sum >= sell_sum else (sells, sell_sum)
        share = side_sum / total
        if share < 0.5 + margin:
            return Aggregated(None, conflict=True)
        best = max(side, key=lambda s: s.confidence)  # max keeps the first of equals: config order
        return Aggregated(_annotate(best, signals, mode, share * side_sum / len(side)))
    raise ValueError(f"unknown aggregation mode {mode!r}; use first, majority or weighted")


__all__ = ["Aggregated", "AggregationMode", "aggregate"]
