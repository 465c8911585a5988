"""The trading app in-process on the embedded simulator: status, daily jobs, view snapshot, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from alphastock.config import load_config
from alphastock.events import Bar
from alphastock.live.app import TradingApp
from alphastock.live.connect import connect
from alphastock.live.safety import RunMode
from alphastock.models import IST
from alphastock.signals.model import Signal
from alphastock.store import Store


async def _scenario(data_dir: Path) -> dict[str, Any]:
    config = load_config([], environ={}, overrides={"live": {"sim": {"speed": 60.0, "seed": 5}}})
    out: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        conn = await connect(RunMode.SIM, config.live, stack)
        store = Store.open(data_dir=data_dir)
        stack.callback(store.close)
        app = TradingApp(config, conn, store, data_dir=data_dir, session_id="sim-test")
        await app.build()
        store.start_session("sim-test", 1, "sim")
        await app.start()
        bars_seen: Counter[tuple[int, str, int]] = Counter()
        on_bar = app.kernel.strategy_manager.on_bar

        def counting(bar: Bar) -> list[Signal]:
            bars_seen[(bar.token, bar.interval, bar.start_ns)] += 1
            return on_bar(bar)

        app.kernel.strategy_manager.on_bar = counting  # type: ignore[method-assign]
        await asyncio.sleep(6.0)  # six simulated minutes
        out["bars_seen"] = bars_seen
        status = app.kernel.engine.status()
        out["states"] = {name: h.state for name, h in status.components.items()}
        out["tick_rate"] = status.rates.get("ticks", 0.0)
        out["snapshot"] = app.snapshot()
        out["line"] = app.status_line()
        out["refreshed"] = await app.kernel.instruments.refresh(
            app.kernel.market_client, today=dt.datetime.fromtimestamp(app.clock.now_ns() / 1e9, IST).date()
        )
        app.kernel.end_of_day_report()
        await app.kernel.writer.aflush(10.0)
        out["pnl_rows"] = (
            store.cursor()
            .execute("SELECT realised, unrealised, charges, gross, net, trades FROM daily_pnl")
            .fetchall()
        )
        out["fills_seen"] = app.fills
        out["realised"] = sum(p.realised for p in app.kernel.portfolio.positions())
        out["charges"] = sum(p.charges for p in app.kernel.portfolio.positions())
        out["summary"] = await app.shutdown("test over")
        out["open_after"] = [
            p.symbol for p in app.kernel.portfolio.positions(open_only=True) if p.product == "MIS"
        ]
    return out


def test_app_runs_reports_and_shuts_down(tmp_path: Path) -> None:
    out = asyncio.run(_scenario(tmp_path))
    states = out["states"]
    for name in ("store-writer", "feed", "runners", "strategies", "oms", "signal-manager", "cash-sync"):
        if name in states:
            assert states[name] in ("ok", "degraded"), (name, states[name])
    assert states["feed"] == "ok"
    assert out["tick_rate"] > 0
    snap = out["snapshot"]
    assert snap.mode == "sim"
    assert snap.feed == "connected"
    assert snap.ticks_total > 0
    assert snap.risk_state == "ACTIVE"
    assert "IST feed=connected" in out["line"]
    # Before the first order there is no latency yet: "-", never "nanus".
    assert re.search(r"tick->submit p50=(-|[\d,]+us) p99=(-|[\d,]+us)$", out["line"]), out["line"]
    assert out["refreshed"] == 0  # the day's dump is stored once
    # Every live bar reaches the strategies once (their indicators would count a repeat as a new bar).
    assert out["bars_seen"], "no live bar reached the strategies"
    assert set(out["bars_seen"].values()) == {1}, out["bars_seen"].most_common(3)
    realised, unrealised, charges, gross, net, trades = out["pnl_rows"][0]
    assert trades == out["fills_seen"]
    # Positions carry realised P&L after charges; the day's row shows it before them, and both totals.
    assert charges == pytest.approx(out["charges"])
    assert (charges > 0) == (trades > 0)
    assert realised - charges == pytest.approx(out["realised"])
    assert (gross, net) == pytest.approx((realised + unrealised, realised + unrealised - charges))
    summary = out["summary"]
    assert summary.reconciliation is not None
    assert summary.reconciliation.ok, summary.reconciliation.differences
    assert "test over; new orders stopped" in summary.shutdown
    assert out["open_after"] == []  # MIS squared off at shutdown (execution.shutdown default)
