"""The live view renders a snapshot: every panel and value shows."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from rich.console import Console

from alphastock.live.snapshot import LiveSnapshot, OrderRow, PositionRow, RecentSignals, SignalRow
from alphastock.live.view import LiveView, render
from alphastock.models import IST
from alphastock.signals.model import Signal, SignalAction, SignalStatus

NS = 1_000_000_000

T0 = int(dt.datetime(2026, 11, 23, 10, 5, 7, tzinfo=IST).timestamp() * 1e9)


def _snapshot() -> LiveSnapshot:
    return LiveSnapshot(
        mode="sim", clock_ns=T0, uptime_s=61.0, feed="connected", ticks_per_s=1234.0, ticks_total=99_000,
        session_phase="OPEN", risk_state="ACTIVE", risk_reason="", day_pnl=-250.5, realised=100.0,
        unrealised=-350.5, drawdown=400.0, orders_today=3, signals_total=4, fills_total=2, rejections=1,
        errors=0, latency_p50_us=85.0, latency_p99_us=420.0,
        positions=(PositionRow("RELIANCE", "MIS", 34, 1450.25, 1440.0, 0.0, -348.5),),
        signals=(SignalRow(T0, "ma_crossover", "RELIANCE", "BUY", 1450.0, 1441.0, 1468.0, 0.62, "ACTIVE"),),
        orders=(OrderRow(T0, "AS0001", "RELIANCE", "BUY", 34, 34, 1450.25, "FILLED"),),
        notes=("token expires at 06:00 IST",),
    )  # fmt: skip


def test_render_shows_every_part() -> None:
    console = Console(record=True, width=160)
    console.print(render(_snapshot()))
    text = console.export_text()
    for expected in (
        "SIM", "2026-11-23 10:05:07 IST", "OPEN", "connected", "1,234 ticks/s", "ACTIVE", "-250.50",
        "tick→submit p50 85 µs", "p99 420 µs", "RELIANCE", "1,450.25", "-348.50", "ma_crossover", "0.62",
        "FILLED", "token expires",
    ):  # fmt: skip
        assert expected in text, expected


def test_view_refreshes_from_the_snapshot_callable() -> None:
    calls = 0

    def snapshot() -> LiveSnapshot:
        nonlocal calls
        calls += 1
        return _snapshot()

    console = Console(record=True, width=160, force_terminal=False)
    view = LiveView(snapshot, console=console, refresh_per_s=4)
    view.start()
    view.update()
    view.stop()
    assert view.frames == 2
    assert calls == 3


def _signal(n: int, symbol: str, *, minute: int) -> Signal:
    return Signal(
        id=f"S{n}", ts_ns=T0 + minute * 60 * NS, symbol=symbol, strategy="ma_crossover",
        action=SignalAction.BUY, entry=100.0, stop_loss=99.0, target=102.0, confidence=0.6,
    )  # fmt: skip


def test_recent_signals_show_one_row_per_signal_in_its_latest_status() -> None:
    """Each signal is published at NEW, ACTIVE and CLOSED: five signals make five rows, not fifteen."""
    recent = RecentSignals(10)
    for n in range(5):
        made = _signal(n, f"SYM{n}", minute=n)
        recent.update(made)
        active = made.with_status(SignalStatus.ACTIVE, made.ts_ns + NS)
        recent.update(active)
        if n % 2 == 0:
            recent.update(active.with_status(SignalStatus.CLOSED, made.ts_ns + 30 * NS))
    rows = recent.rows()
    assert [(r.id, r.symbol, r.status) for r in rows] == [
        ("S4", "SYM4", "CLOSED"), ("S3", "SYM3", "ACTIVE"), ("S2", "SYM2", "CLOSED"),
        ("S1", "SYM1", "ACTIVE"), ("S0", "SYM0", "CLOSED"),
    ]  # fmt: skip
    assert [r.ts_ns for r in rows] == [T0 + n * 60 * NS for n in (4, 3, 2, 1, 0)]  # when it was made

    console = Console(record=True, width=160)
    console.print(render(dataclasses.replace(_snapshot(), signals=rows)))
    text = console.export_text()
    assert text.count("SYM") == 5
    assert text.count("CLOSED") == 3


def test_recent_signals_keep_the_newest_and_never_go_back_in_status() -> None:
    recent = RecentSignals(2)
    first, second, third = (_signal(n, f"SYM{n}", minute=n) for n in range(3))
    for signal in (first, second, third):
        recent.update(signal)
    assert [s.id for s in recent.newest_first()] == ["S2", "S1"]  # the oldest dropped past capacity
    assert len(recent) == 2
    closed = second.with_status(SignalStatus.ACTIVE, second.ts_ns + NS).with_status(
        SignalStatus.CLOSED, second.ts_ns + 2 * NS
    )
    recent.update(closed)
    recent.update(second.with_status(SignalStatus.ACTIVE, second.ts_ns + NS))  # late, older news
    recent.update(first.with_status(SignalStatus.EXPIRED, first.ts_ns + 5 * NS))  # older than all kept
    assert [(s.id, s.status) for s in recent.newest_first()] == [
        ("S2", SignalStatus.NEW),
        ("S1", SignalStatus.CLOSED),
    ]
    with pytest.raises(ValueError, match="capacity"):
        RecentSignals(0)
