"""A simulated-clock run assembles through the one builder and is deterministic.

Two recorded days of SBIN and RELIANCE (NSE 1-minute bars of April 2021, tests/data/nse-minute)
become ticks, replayed through the whole engine — runners, strategies, SignalManager, router,
DirectExecutor, RiskEngine, OMS, PaperBroker, portfolio, exits — on a SimulatedClock driven from due
time to due time. Two runs of the same inputs must publish the same events in the same order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from alphastock.clock import SimulatedClock
from alphastock.config import AlphaStockConfig, load_config
from alphastock.events import Event, EventType
from alphastock.kernel import Observer, PaperExecution, build_kernel
from alphastock.kernel.replay import ReplayMarketData, SimulationError, run_simulated, settle, ticks_from_bars
from alphastock.models import IST, Instrument
from alphastock.ports import Adapters
from alphastock.store import Store
from tests._market_data import TOKENS, nse_minute

DAY = dt.date(2021, 4, 1)
SYMBOLS = ("SBIN", "RELIANCE")


def _equity(name: str) -> Instrument:
    return Instrument(
        instrument_token=TOKENS[name], exchange_token=TOKENS[name] // 256, tradingsymbol=name, name=name,
        tick_size=0.05, lot_size=1, instrument_type="EQ", segment="NSE", exchange="NSE",
    )  # fmt: skip


INSTRUMENTS = [_equity(name) for name in SYMBOLS]
EVERYTHING = tuple(EventType)


def _config() -> AlphaStockConfig:
    return load_config(
        environ={},
        overrides={
            "runners": {
                "equity": {"enabled": True, "symbols": list(SYMBOLS), "mode": "full"},
                "index": {"enabled": False},
                "futures": {"enabled": False},
                "options": {"enabled": False},
                "commodity": {"enabled": False},
                "poll": {"enabled": False},
            },
            "strategies": {
                "aggregation": "first",
                "instances": [
                    {"strategy": "ma_crossover", "symbols": [f"NSE:{s}" for s in SYMBOLS], "timeframe": "1m"},
                ],
            },
            "live": {"gc_interval_s": 0},
            "recording": {"ticks": "ltp"},
        },
    )


def _ticks() -> list[Any]:
    start = int(dt.datetime.combine(DAY, dt.time(9, 15), IST).timestamp()) * 1_000_000_000
    end = start + 375 * 60 * 1_000_000_000  # 09:15 to 15:30
    out = []
    for name in SYMBOLS:
        bars = nse_minute(name)
        rows = [
            (int(ts), float(o), float(h), float(lo), float(c), float(v))
            for ts, o, h, lo, c, v in zip(
                bars.ts_ns, bars.open, bars.high, bars.low, bars.close, bars.volume, strict=True
            )
            if start <= ts < end
        ]
        out.extend(ticks_from_bars(TOKENS[name], rows))
    return out


def _canonical(events: list[Event[Any]]) -> list[tuple[Any, ...]]:
    """Each event as (type, engine time, payload fields), with ids (random per process: signal ids
    start from os.urandom) replaced by their order of first appearance."""
    names: dict[str, str] = {}
    counter = itertools.count()

    def plain(value: Any) -> Any:
        if isinstance(value, str) and len(value) >= 16 and value.isalnum():
            return names.setdefault(value, f"id{next(counter)}")
        if hasattr(value, "_asdict"):  # a NamedTuple (Bar)
            return plain(dict(value._asdict()))
        if hasattr(value, "model_dump"):
            return plain(value.model_dump())
        if hasattr(value, "__dataclass_fields__"):
            return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in _WALL_FIELDS}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if hasattr(value, "tolist"):
            return value.tolist()
        return value

    return [(e.type.name, e.ts_event, plain(e.payload)) for e in events]


_WALL_FIELDS = frozenset({"recv_ns", "handed_ns", "submitted_wall_ns", "wall_ns", "latency_us"})
"""Payload fields stamped with wall time for latency tracing: not part of the simulated sequence."""


async def _run(tmp_path: Path) -> tuple[list[Event[Any]], dict[str, Any]]:
    ticks = _ticks()
    clock = SimulatedClock(ticks[0].ts_ns - 60 * 1_000_000_000)
    config = _config()
    store = Store.open(tmp_path / "run.duckdb")
    events: list[Event[Any]] = []
    market = ReplayMarketData(INSTRUMENTS, ticks)
    adapters = Adapters(clock, market, PaperExecution(config.paper_settings()), label="simulated")
    kernel = await build_kernel(
        config, adapters, store, journal_path=tmp_path / "journal.jsonl",
        observers=(Observer(EVERYTHING, events.append, "sequence"),), inline_writes=True,
    )  # fmt: skip
    try:
        await run_simulated(kernel, clock, until_ns=max(t.ts_ns for t in ticks) + 120 * 1_000_000_000)
        assert market.feed is not None
        assert market.feed.done.is_set()
        facts = {
            "delivered": market.feed.delivered,
            "bars": kernel.strategies.bars,
            "signals": kernel.signals.counters.submitted,
            "orders": len(kernel.oms.orders()),
            "fills": kernel.oms.counters.fills,
            "stored_ticks": store.query("select count(*) as n from ticks").column("n")[0].as_py(),
            "stored_bars": store.query("select count(*) as n from bars").column("n")[0].as_py(),
        }
    finally:
        store.close()
    return events, facts


def test_a_simulated_run_trades_through_the_whole_engine_and_repeats_exactly(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, facts = asyncio.run(_run(tmp_path / "a"))
    second, facts_again = asyncio.run(_run(tmp_path / "b"))
    ticks = len(_ticks())
    assert facts["delivered"] == ticks
    assert facts["bars"] == 2 * 375  # two symbols, every 1-minute bar of the session
    assert facts["signals"] > 0
    assert facts["orders"] > 0
    assert facts["fills"] > 0
    assert facts["stored_bars"] >= facts["bars"]
    assert facts["stored_ticks"] == ticks
    assert {"SIGNAL_GENERATED", "ORDER_FILLED", "FILL", "POSITION_OPENED"} <= {e.type.name for e in first}
    assert facts == facts_again
    assert len(first) == len(second)
    assert _canonical(first) == _canonical(second)


def test_settling_an_engine_that_never_quiets_is_an_error() -> None:
    class Sub:
        depth = 1  # a queue that never empties

    class Busy:
        bus = SimpleNamespace(subscriptions=lambda: [Sub()])
        oms = SimpleNamespace(in_flight=0)
        writer = SimpleNamespace(pending=0)
        clock = SimulatedClock(5)

    with pytest.raises(SimulationError, match="did not settle within 50 loop turns at 5 ns"):
        asyncio.run(settle(Busy(), max_turns=50))
