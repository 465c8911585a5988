"""StrategyManager: ticks to the instances that define ``on_tick`` (by token, with a minimum interval on
the engine clock) and chains to the instances whose symbols name the chain's underlying."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alphastock.events import Bar
from alphastock.models import Instrument
from alphastock.refdata.lookup import StaticInstruments
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.config import RunnersConfig
from alphastock.signals.model import Signal
from alphastock.strategies import (
    StrategiesConfig,
    Strategy,
    StrategyInstanceConfig,
    StrategyManager,
    StrategyParams,
    load_strategies,
)
from alphastock.strategies.base import TICK_TIMEFRAME, TickView
from alphastock.ticks import Tick, TickStore

T0 = 1_767_843_900_000_000_000  # 2026-01-08 09:15 IST
MS = 1_000_000
INFY, SBIN, NIFTY_IDX, NIFTY_FUT, BANK_IDX = 408065, 779521, 256265, 13238786, 260105


def _inst(token: int, symbol: str, exchange: str, kind: str, name: str = "", segment: str = "") -> Instrument:
    return Instrument(
        instrument_token=token, exchange_token=token >> 8, tradingsymbol=symbol, name=name, tick_size=0.05,
        lot_size=1, instrument_type=kind, segment=segment or exchange, exchange=exchange,
    )  # fmt: skip


def master() -> StaticInstruments:
    """An instrument master of a few instruments (what InstrumentStore.instrument answers)."""
    return StaticInstruments(
        [
            _inst(INFY, "INFY", "NSE", "EQ", "INFOSYS"),
            _inst(SBIN, "SBIN", "NSE", "EQ", "STATE BANK OF INDIA"),
            _inst(NIFTY_IDX, "NIFTY 50", "NSE", "EQ", "NIFTY 50", "INDICES"),
            _inst(BANK_IDX, "NIFTY BANK", "NSE", "EQ", "NIFTY BANK", "INDICES"),
            _inst(NIFTY_FUT, "NIFTY26JANFUT", "NFO", "FUT", "NIFTY", "NFO-FUT"),
        ]
    )


class TickParams(StrategyParams):
    signal_above: float = 1e12


class TickRecorder(Strategy[TickParams]):
    """Keeps every tick it gets with the engine time of the call; BUYs above ``signal_above``."""

    name = "tick_recorder"
    Params = TickParams

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticks: list[TickView] = []
        self.called_ns: list[int] = []

    def on_tick(self, tick: TickView) -> Signal | None:
        self.ticks.append(tick)
        self.called_ns.append(self.ctx.now_ns())
        if tick.last_price <= self.params.signal_above:
            return None
        return self.make_signal(
            tick, "BUY", entry=tick.last_price, stop_loss=tick.last_price - 10,
            target=tick.last_price + 20, confidence=0.8, reason="tick",
        )  # fmt: skip


class BarOnly(Strategy[StrategyParams]):
    """Counts bars; defines no on_tick or on_chain."""

    name = "bar_only"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bars = 0

    def on_bar(self, bar: Bar) -> None:
        self.bars += 1


class ChainRecorder(Strategy[StrategyParams]):
    name = "chain_recorder"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chains: list[Any] = []

    def on_chain(self, chain: Any) -> None:
        self.chains.append(chain)


class Clock:
    """An engine context's clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0
        self.log = __import__("logging").getLogger("test")

    def now_ns(self) -> int:
        return self.now

    def instrument(self, symbol: str) -> Instrument | None:
        return None

    def emit(self, signal: Signal) -> None:
        raise AssertionError("not expected")


REGISTRY: dict[str, type[Strategy[Any]]] = {
    **load_strategies(),
    "tick_recorder": TickRecorder,
    "bar_only": BarOnly,
    "chain_recorder": ChainRecorder,
}


def _manager(*specs: dict[str, Any], **kw: Any) -> tuple[StrategyManager, Clock]:
    config = StrategiesConfig(instances=[StrategyInstanceConfig(**s) for s in specs], **kw)
    m = StrategyManager.from_config(config, registry=REGISTRY, instruments=master())
    clock = Clock()
    m.start(lambda _name: clock)
    return m, clock


class Ticks:
    """The newest tick per token (what TickStore.latest answers), with a count of reads."""

    def __init__(self) -> None:
        self.newest: dict[int, Tick] = {}
        self.reads = 0

    def put(self, token: int, ts_ns: int, price: float) -> None:
        self.newest[token] = Tick(token, ts_ns, price, 1, 0, 0, price - 0.05, price + 0.05, 10, 10)

    def latest(self, token: int) -> Tick | None:
        self.reads += 1
        return self.newest.get(token)


def test_only_instances_defining_on_tick_get_the_ticks_of_their_tokens() -> None:
    m, clock = _manager(
        {"strategy": "tick_recorder", "name": "infy", "symbols": ["NSE:INFY"]},
        {"strategy": "tick_recorder", "name": "both", "symbols": ["NSE:INFY", "NSE:SBIN", "NSE:INFY"]},
        {"strategy": "bar_only", "name": "bars", "symbols": ["NSE:INFY", "NSE:SBIN"]},
        {"strategy": "ma_crossover", "symbols": ["NSE:INFY"]},
    )
    assert m.wants_ticks
    assert m.tick_tokens() == {INFY, SBIN}
    ticks = Ticks()
    ticks.put(INFY, T0 + 1, 1500.0)
    ticks.put(SBIN, T0 + 2, 800.0)
    ticks.put(42, T0 + 3, 1.0)  # nobody trades it
    # INFY twice in one (conflated) batch: one call per instance, one TickStore read.
    assert m.on_ticks([INFY, 42, SBIN, INFY], ticks.latest, clock.now, recv_ns=77) == []
    infy, both, bars = m.strategies["infy"], m.strategies["both"], m.strategies["bars"]
    assert isinstance(infy, TickRecorder)
    assert isinstance(both, TickRecorder)
    assert isinstance(bars, BarOnly)
    assert infy.ticks == [
        TickView(INFY, T0 + 1, 1500.0, 1, 0, 0, 1499.95, 1500.05, 10, 10, "INFY", "NSE", 77)
    ]
    assert [(t.symbol, t.last_price) for t in both.ticks] == [("INFY", 1500.0), ("SBIN", 800.0)]
    assert ticks.reads == 2
    assert bars.bars == 0
    stats = m.stats()["instances"]
    assert (stats["infy"]["ticks"], stats["both"]["ticks"], stats["bars"]["ticks"]) == (1, 2, 0)
    assert set(m.hook_latency_us()) == {"infy", "both"}  # tick hooks are timed like bar hooks


def test_no_on_tick_instance_means_no_tick_work() -> None:
    m, clock = _manager({"strategy": "ma_crossover", "symbols": ["NSE:INFY"]})
    ticks = Ticks()
    ticks.put(INFY, T0, 1500.0)
    assert not m.wants_ticks
    assert m.tick_tokens() == frozenset()
    assert m.on_ticks([INFY], ticks.latest, clock.now) == []
    assert ticks.reads == 0


def test_min_interval_coalesces_ticks_and_delivers_the_newest_when_it_passes() -> None:
    m, clock = _manager(
        {"strategy": "tick_recorder", "name": "slow", "symbols": ["NSE:INFY"], "min_tick_interval_ms": 1000},
        {"strategy": "tick_recorder", "name": "every", "symbols": ["NSE:INFY"]},
    )
    ticks = Ticks()
    slow, every = m.strategies["slow"], m.strategies["every"]
    assert isinstance(slow, TickRecorder)
    assert isinstance(every, TickRecorder)
    # 10 engine seconds of ticks every 100 ms (100 ticks), then quiet.
    for i in range(100):
        clock.now = T0 + i * 100 * MS
        ticks.put(INFY, clock.now, 1000.0 + i)
        m.on_ticks([INFY], ticks.latest, clock.now)
        assert m.flush_ticks(ticks.latest, clock.now) == []
    assert len(every.ticks) == 100
    # Calls at 0, 1 s, ... 9 s: each the tick of that moment; the 90 in between coalesced.
    assert slow.called_ns == [T0 + k * 1000 * MS for k in range(10)]
    assert [t.last_price for t in slow.ticks] == [1000.0 + 10 * k for k in range(10)]
    assert m.stats()["instances"]["slow"]["ticks_coalesced"] == 90
    # The ticks of 9.1 s .. 9.9 s wait for the interval to pass (10 s), then the newest one comes.
    assert m.next_tick_due_ns() == T0 + 10_000 * MS
    clock.now = T0 + 10_000 * MS - 1
    m.flush_ticks(ticks.latest, clock.now)
    assert len(slow.ticks) == 10
    clock.now = T0 + 10_000 * MS
    m.flush_ticks(ticks.latest, clock.now)
    assert slow.called_ns[-1] == T0 + 10_000 * MS
    assert slow.ticks[-1].last_price == 1099.0
    assert slow.ticks[-1].ts_ns == T0 + 9_900 * MS
    assert m.next_tick_due_ns() is None
    assert len(slow.ticks) == 11
    gaps = [b - a for a, b in zip(slow.called_ns, slow.called_ns[1:], strict=False)]
    assert min(gaps) >= 1000 * MS


def test_a_coalesced_tick_is_never_stale() -> None:
    m, clock = _manager(
        {"strategy": "tick_recorder", "name": "slow", "symbols": ["NSE:INFY"], "min_tick_interval_ms": 500}
    )
    ticks = Ticks()
    ticks.put(INFY, T0, 100.0)
    m.on_ticks([INFY], ticks.latest, T0)
    ticks.put(INFY, T0 + 100 * MS, 101.0)
    m.on_ticks([INFY], ticks.latest, T0 + 100 * MS)  # coalesced
    # A newer tick was stored but its notice never came (a full queue): the flush reads the store.
    ticks.put(INFY, T0 + 200 * MS, 102.0)
    clock.now = T0 + 500 * MS
    m.flush_ticks(ticks.latest, clock.now)
    slow = m.strategies["slow"]
    assert isinstance(slow, TickRecorder)
    assert [(t.ts_ns, t.last_price) for t in slow.ticks] == [(T0, 100.0), (T0 + 200 * MS, 102.0)]
    # The interval runs from the last call: a notice at 0.9 s is inside it, one at 1.0 s is not.
    assert m.on_ticks([INFY], ticks.latest, T0 + 900 * MS) == []
    assert len(slow.ticks) == 2
    m.on_ticks([INFY], ticks.latest, T0 + 1000 * MS)
    assert len(slow.ticks) == 3
    assert m.next_tick_due_ns() is None


def test_tick_signals_pass_the_same_filter_and_carry_the_tick() -> None:
    m, clock = _manager(
        {
            "strategy": "tick_recorder",
            "name": "hot",
            "symbols": ["NSE:INFY"],
            "params": {"signal_above": 100},
        },
        min_confidence=0.5,
    )
    ticks = Ticks()
    ticks.put(INFY, T0 + 5, 100.0)
    assert m.on_ticks([INFY], ticks.latest, clock.now) == []
    ticks.put(INFY, T0 + 6, 101.03)
    (signal,) = m.on_ticks([INFY], ticks.latest, clock.now, recv_ns=123)
    assert (signal.symbol, signal.exchange, signal.token, signal.strategy) == ("INFY", "NSE", INFY, "hot")
    assert (signal.ts_ns, signal.timeframe, signal.recv_ns) == (T0 + 6, TICK_TIMEFRAME, 123)
    assert (signal.entry, signal.stop_loss, signal.target) == (101.05, 91.05, 121.05)  # 0.05 ticks
    assert signal.metadata["reason"] == "tick"
    assert Signal.model_validate(signal.model_dump()) == signal
    assert m.stats()["instances"]["hot"]["signals"] == 1


class Raising(Strategy[StrategyParams]):
    name = "raising"

    def on_tick(self, tick: TickView) -> None:
        raise RuntimeError("tick bug")


def test_a_raising_on_tick_is_isolated_and_disabled_after_max_errors() -> None:
    m, _clock = _manager(
        {"strategy": "raising", "symbols": ["NSE:INFY"]},
        {"strategy": "tick_recorder", "name": "ok", "symbols": ["NSE:INFY"]},
        max_errors=3,
    )
    ticks = Ticks()
    for i in range(5):
        ticks.put(INFY, T0 + i, 100.0)
        m.on_ticks([INFY], ticks.latest, T0 + i)
    stats = m.stats()["instances"]
    assert (stats["raising"]["errors"], stats["raising"]["disabled"]) == (3, True)
    assert stats["ok"]["ticks"] == 5


REGISTRY["raising"] = Raising


def test_ticks_from_a_real_tick_store() -> None:
    m, _clock = _manager({"strategy": "tick_recorder", "symbols": ["NSE:SBIN"], "min_tick_interval_ms": 250})
    store = TickStore(64)
    for i in range(10):
        store.push(SBIN, T0 + i * 100 * MS, 800.0 + i)
        m.on_ticks([SBIN], store.latest, T0 + i * 100 * MS)
    m.flush_ticks(store.latest, T0 + 1000 * MS)
    rec = m.strategies["tick_recorder"]
    assert isinstance(rec, TickRecorder)
    # Calls at 0, 300, 600 and 900 ms (the first notice 250 ms or more after the last call); none due after.
    assert [t.last_price for t in rec.ticks] == [800.0, 803.0, 806.0, 809.0]
    assert m.next_tick_due_ns() is None


def test_min_tick_interval_ms_is_strict() -> None:
    spec = StrategyInstanceConfig(strategy="tick_recorder", min_tick_interval_ms=2.5)
    assert spec.min_tick_interval_ns == 2_500_000
    assert StrategyInstanceConfig(strategy="x").min_tick_interval_ns == 0
    for bad in (-1, True, "fast"):
        with pytest.raises(ValidationError):
            StrategyInstanceConfig(strategy="x", min_tick_interval_ms=bad)


def test_chains_reach_instances_whose_symbols_name_the_underlying() -> None:
    runners = RunnersConfig()
    # Only the alias tables are read (no instrument store is needed for underlying_name).
    resolver = SymbolResolver(None, runners.aliases, runners.underlying_names)  # type: ignore[arg-type]
    config = StrategiesConfig(
        instances=[
            StrategyInstanceConfig(strategy="chain_recorder", name="index", symbols=["NSE:NIFTY 50"]),
            StrategyInstanceConfig(strategy="chain_recorder", name="nfo", symbols=["NFO:NIFTY"]),
            StrategyInstanceConfig(strategy="chain_recorder", name="plain", symbols=["NIFTY"]),
            StrategyInstanceConfig(strategy="chain_recorder", name="future", symbols=["NFO:NIFTY26JANFUT"]),
            StrategyInstanceConfig(strategy="chain_recorder", name="nifty50", symbols=["NIFTY50"]),
            StrategyInstanceConfig(strategy="chain_recorder", name="bank", symbols=["NSE:NIFTY BANK"]),
            StrategyInstanceConfig(strategy="chain_recorder", name="stock", symbols=["NSE:INFY"]),
            StrategyInstanceConfig(strategy="bar_only", name="bars", symbols=["NSE:NIFTY 50"]),
        ]
    )
    m = StrategyManager.from_config(
        config, registry=REGISTRY, instruments=master(), underlying_name=resolver.underlying_name
    )
    m.start()
    assert m.on_chain("nifty-chain", "NIFTY") == []
    assert m.on_chain("bank-chain", "BANKNIFTY") == []
    assert m.on_chain("infy-chain", "INFY") == []
    got = {name: getattr(s, "chains", None) for name, s in m.strategies.items()}
    assert got == {
        "index": ["nifty-chain"],
        "nfo": ["nifty-chain"],
        "plain": ["nifty-chain"],
        "future": ["nifty-chain"],
        "nifty50": ["nifty-chain"],
        "bank": ["bank-chain"],
        "stock": ["infy-chain"],
        "bars": None,
    }
    assert m.stats()["instances"]["bars"]["chains"] == 0
    assert m.chains_seen == 3
