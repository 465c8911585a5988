"""LatencyRecorder: stage intervals, refused traces, and the first order of each trigger."""

from __future__ import annotations

import math

import pytest

from alphastock.latency import FIRST_OF_TRIGGER, STAGES, LatencyRecorder, OrderTrace


def test_stages_are_intervals_between_stamps_in_us() -> None:
    rec = LatencyRecorder()
    assert rec.record(OrderTrace("a", 1_000, 3_000, 4_000, 9_000))
    summary = rec.summary()
    assert summary["tick_to_signal"]["p50"] == pytest.approx(2.0)
    assert summary["signal_to_risk"]["p50"] == pytest.approx(1.0)
    assert summary["risk_to_submit"]["p50"] == pytest.approx(5.0)
    assert summary["tick_to_submit"]["max"] == pytest.approx(8.0)
    assert summary["count"] == {"orders": 1.0, "dropped": 0.0, "triggers": 1.0}


def test_missing_or_backwards_stamps_are_counted_not_recorded() -> None:
    rec = LatencyRecorder()
    assert not rec.record(OrderTrace("a", 0, 3_000, 4_000, 9_000))
    assert not rec.record(OrderTrace("b", 5_000, 3_000, 4_000, 9_000))
    assert rec.count == 0
    assert rec.dropped == 2
    assert all(math.isnan(rec.summary()[stage]["p50"]) for stage in (*STAGES, FIRST_OF_TRIGGER))


def test_first_of_trigger_keeps_the_earliest_submit_of_each_tick() -> None:
    rec = LatencyRecorder()
    # Trigger at 1 ms set off three orders, recorded out of submit order (broker answers race);
    # the trigger at 5 ms set off one.
    rec.record(OrderTrace("b", 1_000_000, 1_100_000, 1_200_000, 1_900_000))
    rec.record(OrderTrace("a", 1_000_000, 1_050_000, 1_060_000, 1_300_000))
    rec.record(OrderTrace("c", 1_000_000, 1_950_000, 1_960_000, 2_400_000))
    rec.record(OrderTrace("d", 5_000_000, 5_020_000, 5_030_000, 5_200_000))
    assert sorted(rec.first_of_trigger_us().tolist()) == pytest.approx([200.0, 300.0])
    summary = rec.summary()
    assert summary[FIRST_OF_TRIGGER]["max"] == pytest.approx(300.0)
    assert summary["tick_to_submit"]["max"] == pytest.approx(1_400.0)
    assert summary["count"]["triggers"] == 2.0


def test_the_ring_keeps_the_last_capacity_traces() -> None:
    rec = LatencyRecorder(capacity=2)
    for i in range(1, 4):
        rec.record(
            OrderTrace(str(i), i * 1_000_000, i * 1_000_000 + 1, i * 1_000_000 + 2, i * 1_000_000 + i * 1_000)
        )
    assert rec.count == 3
    assert sorted(rec.samples_us().tolist()) == pytest.approx([2.0, 3.0])
    assert sorted(rec.first_of_trigger_us().tolist()) == pytest.approx([2.0, 3.0])
