"""The app in-process on the simulator delivers ticks and chains to the strategies that define the hooks.

A strategy registered here (``on_tick`` and ``on_bar``) on NSE:INFY with a 10 s minimum tick
interval, the same with none, one on NSE:SBIN, and chain watchers on NIFTY names: ticks reach
only the instances trading the token, the interval holds on the engine clock, every bar still
reaches a strategy once, and NIFTY chains reach only the NIFTY instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from alphastock.config import load_config
from alphastock.events import Bar
from alphastock.live.app import TradingApp
from alphastock.live.connect import connect
from alphastock.live.safety import RunMode
from alphastock.signals.model import Signal
from alphastock.store import Store
from alphastock.strategies import Strategy, StrategyParams, load_strategies
from alphastock.strategies.base import TickView

SLOW_MS = 10_000
DISPATCH_NS = [0]
"""The engine time the manager was given for the tick dispatch under way (set by the test's wrapper:
a strategy reading the scaled clock itself would see it a few simulated ms later)."""


class TickCounter(Strategy[StrategyParams]):
    """Records each tick with the engine time of the call, and each bar; signals nothing."""

    name = "tick_counter"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[int, TickView]] = []
        self.bars: Counter[tuple[int, str, int]] = Counter()

    def on_tick(self, tick: TickView) -> None:
        self.calls.append((DISPATCH_NS[0], tick))

    def on_bar(self, bar: Bar) -> None:
        self.bars[(bar.token, bar.interval, bar.start_ns)] += 1


class ChainCounter(Strategy[StrategyParams]):
    """Records the (underlying, expiry) of each chain snapshot."""

    name = "chain_counter"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chains: list[tuple[str, Any]] = []

    def on_chain(self, chain: Any) -> None:
        self.chains.append((chain.underlying, chain.expiry))


def _instances() -> list[dict[str, Any]]:
    return [
        {
            "strategy": "tick_counter",
            "name": "slow",
            "symbols": ["NSE:INFY"],
            "min_tick_interval_ms": SLOW_MS,
        },
        {"strategy": "tick_counter", "name": "fast", "symbols": ["NSE:INFY"]},
        {"strategy": "tick_counter", "name": "sbin", "symbols": ["NSE:SBIN"]},
        {"strategy": "chain_counter", "name": "nifty", "symbols": ["NIFTY"]},
        {"strategy": "chain_counter", "name": "nifty_nfo", "symbols": ["NFO:NIFTY"]},
        {"strategy": "chain_counter", "name": "bank", "symbols": ["NSE:NIFTY BANK"]},
        {"strategy": "ma_crossover", "symbols": ["NSE:INFY", "NSE:SBIN"]},
    ]


async def _scenario(data_dir: Path) -> dict[str, Any]:
    config = load_config(
        [],
        environ={},
        overrides={"live": {"sim": {"speed": 60.0, "seed": 5}}, "strategies": {"instances": _instances()}},
    )
    out: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        conn = await connect(RunMode.SIM, config.live, stack)
        store = Store.open(data_dir=data_dir)
        stack.callback(store.close)
        app = TradingApp(config, conn, store, data_dir=data_dir, session_id="hooks-test")
        await app.build()
        store.start_session("hooks-test", 1, "sim")
        manager = app.kernel.strategy_manager
        on_ticks, flush_ticks = manager.on_ticks, manager.flush_ticks

        def dispatch(tokens: Any, latest: Any, now_ns: int, recv_ns: int = 0) -> list[Signal]:
            DISPATCH_NS[0] = now_ns
            return on_ticks(tokens, latest, now_ns, recv_ns)

        def flush(latest: Any, now_ns: int) -> list[Signal]:
            DISPATCH_NS[0] = now_ns
            return flush_ticks(latest, now_ns)

        manager.on_ticks = dispatch  # type: ignore[method-assign]
        manager.flush_ticks = flush  # type: ignore[method-assign]
        await app.start()
        await asyncio.sleep(4.0)  # four simulated minutes
        out["end_ns"] = app.clock.now_ns()
        out["strategies"] = app.kernel.strategy_manager.strategies
        out["stats"] = app.kernel.strategy_manager.stats()["instances"]
        out["hooks"] = app.kernel.strategy_manager.hook_latency_us()
        # Copies: ticks still arrive while the app shuts down.
        out["calls"] = {name: list(getattr(s, "calls", ())) for name, s in out["strategies"].items()}
        out["tokens"] = {
            sym: app.kernel.instruments.instrument("NSE", sym).instrument_token for sym in ("INFY", "SBIN")
        }
        out["tick_batches"] = app.kernel.strategies.tick_batches
        out["summary"] = await app.shutdown("test over")
    return out


def test_ticks_and_chains_reach_the_strategies_that_define_the_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = {**load_strategies(), "tick_counter": TickCounter, "chain_counter": ChainCounter}
    monkeypatch.setattr("alphastock.strategies.manager.load_strategies", lambda: registry)
    out = asyncio.run(_scenario(tmp_path))
    strategies, stats, tokens = out["strategies"], out["stats"], out["tokens"]
    slow, fast, sbin = strategies["slow"], strategies["fast"], strategies["sbin"]
    assert isinstance(slow, TickCounter)
    assert isinstance(fast, TickCounter)
    assert isinstance(sbin, TickCounter)
    slow_calls, fast_calls, sbin_calls = (out["calls"][name] for name in ("slow", "fast", "sbin"))
    assert out["tick_batches"] > 0

    # Each instance gets the ticks of its own token only.
    assert fast_calls, "no tick reached the on_tick strategy"
    assert {(t.token, t.symbol, t.exchange) for _, t in fast_calls + slow_calls} == {
        (tokens["INFY"], "INFY", "NSE")
    }
    assert sbin_calls
    assert {(t.token, t.symbol) for _, t in sbin_calls} == {(tokens["SBIN"], "SBIN")}
    # Never a stale tick: each call's tick is no older than the one before, and not from the future.
    for calls in (fast_calls, slow_calls):
        stamps = [t.ts_ns for _, t in calls]
        assert stamps == sorted(stamps)
        assert all(t.ts_ns <= now for now, t in calls)

    # No minimum interval: every INFY notice is a call. With 10 s: calls at least 10 s apart on the
    # engine clock, so at most one per 10 s of the run (plus the first), and the rest coalesced.
    assert stats["fast"]["ticks_coalesced"] == 0
    assert stats["fast"]["ticks"] == len(fast_calls)
    slow_times = [now for now, _ in slow_calls]
    gaps = [b - a for a, b in itertools.pairwise(slow_times)]
    assert gaps
    assert min(gaps) >= SLOW_MS * 1_000_000
    run_ns = out["end_ns"] - slow_times[0]
    assert len(slow_calls) <= run_ns // (SLOW_MS * 1_000_000) + 1
    assert len(slow_calls) < len(fast_calls)
    assert stats["slow"]["ticks_coalesced"] > 0
    assert len(slow_calls) + stats["slow"]["ticks_coalesced"] >= len(fast_calls)

    # Bars: every bar reaches an on_bar strategy once, ticks or not.
    for counter in (fast, slow, sbin):
        assert counter.bars, "no bar reached the strategy"
        assert set(counter.bars.values()) == {1}, counter.bars.most_common(3)
    assert stats["ma_crossover"]["bars"] > 0
    assert stats["ma_crossover"]["ticks"] == 0

    # Chains: NIFTY snapshots to the NIFTY instances (whatever name they use), BANKNIFTY to BANKNIFTY.
    for name, underlying in (("nifty", "NIFTY"), ("nifty_nfo", "NIFTY"), ("bank", "BANKNIFTY")):
        chains = strategies[name].chains
        assert chains, f"no chain reached {name}"
        assert {u for u, _ in chains} == {underlying}, name
    assert strategies["nifty"].chains == strategies["nifty_nfo"].chains
    assert stats["slow"]["chains"] == stats["ma_crossover"]["chains"] == 0
    # Tick and chain hooks are timed with the bar hooks (``alphastock live --stats``, the summary);
    # the warm-up resets them, so the count is of the calls since.
    assert 0 < out["hooks"]["slow"]["calls"] <= stats["slow"]["ticks"] + stats["slow"]["bars"]
    assert 0 < out["hooks"]["nifty"]["calls"] <= stats["nifty"]["chains"]
    assert set(out["summary"].strategy_hooks) >= {"slow", "fast", "sbin", "nifty", "bank"}
