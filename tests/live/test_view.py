"""The live view renders a snapshot: every panel and value shows."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from alphastock.live.snapshot import LiveSnapshot, OrderRow, PositionRow, SignalRow
from alphastock.live.view import LiveView, render
from alphastock.models import IST

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
