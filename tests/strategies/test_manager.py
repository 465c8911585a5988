"""StrategyManager: config building, routing, aggregation by value, isolation, fills, stats."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from alphastock.errors import ConfigError
from alphastock.events import Bar, FillInfo
from alphastock.models import Instrument
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.signals.model import Signal, SignalAction
from alphastock.strategies import (
    StrategiesConfig,
    Strategy,
    StrategyInstanceConfig,
    StrategyManager,
    StrategyParams,
    aggregate,
    load_strategies,
)
from alphastock.strategies.base import NullContext
from alphastock.strategies.ma_crossover import MaCrossover
from tests.strategies._bars import nifty

T0 = 1_617_248_700_000_000_000  # 2021-04-01 09:15 IST


def bar(symbol: str = "INFY", close: float = 100.0, i: int = 0, exchange: str = "NSE") -> Bar:
    return Bar(
        1,
        symbol,
        "1m",
        T0 + i * 60_000_000_000,
        close,
        close + 1,
        close - 1,
        close,
        1000.0,
        exchange=exchange,
    )


class FixedParams(StrategyParams):
    action: str = "BUY"
    confidence: float = 0.5


class Fixed(Strategy[FixedParams]):
    """Signals every bar with a fixed side and confidence."""

    name = "fixed"
    Params = FixedParams

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fills: list[FillInfo] = []

    def on_bar(self, bar: Bar) -> Signal:
        side = 1 if self.params.action == "BUY" else -1
        return self.make_signal(
            bar,
            self.params.action,
            entry=bar.close,
            stop_loss=bar.close - side,
            target=bar.close + 2 * side,
            confidence=self.params.confidence,
        )

    def on_fill(self, fill: FillInfo) -> None:
        self.fills.append(fill)


class Boom(Strategy[StrategyParams]):
    name = "boom"
    calls: ClassVar[int] = 0

    def on_bar(self, bar: Bar) -> None:
        raise RuntimeError("strategy bug")


class Emitter(Strategy[StrategyParams]):
    name = "emitter"

    def on_bar(self, bar: Bar) -> None:
        self.emit(
            self.make_signal(
                bar, "SELL", entry=bar.close, stop_loss=bar.close + 1, target=bar.close - 3, confidence=0.9
            )
        )


REGISTRY: dict[str, type[Strategy[Any]]] = {"fixed": Fixed, "boom": Boom, "emitter": Emitter}


def manager(specs: list[dict[str, Any]], **cfg: Any) -> StrategyManager:
    config = StrategiesConfig(instances=[StrategyInstanceConfig(**s) for s in specs], **cfg)
    m = StrategyManager.from_config(config, registry=REGISTRY)
    m.start()
    return m


def fixed(name: str, action: str, conf: float, symbols: list[str] | None = None) -> dict[str, Any]:
    return {
        "strategy": "fixed",
        "name": name,
        "symbols": symbols or ["NSE:INFY"],
        "params": {"action": action, "confidence": conf},
    }


def test_default_config_builds_from_the_registry() -> None:
    m = StrategyManager.from_config(StrategiesConfig())
    assert set(m.strategies) == {"ma_crossover", "mean_reversion", "breakout", "ma_crossover_index"}
    subs = m.subscriptions()
    assert ("NSE", "RELIANCE", "1m") in subs
    assert ("NSE", "TCS", "1m") in subs
    # The index instance (traded through options): NIFTY 50 and NIFTY BANK.
    assert ("NSE", "NIFTY 50", "1m") in subs
    assert ("NSE", "NIFTY BANK", "1m") in subs
    assert len(subs) == 7


def test_unknown_strategy_lists_the_registered_ones() -> None:
    config = StrategiesConfig(instances=[StrategyInstanceConfig(strategy="nope", symbols=["X"])])
    with pytest.raises(ConfigError, match=r"unknown strategy 'nope'; registered: .*breakout.*ma_crossover"):
        StrategyManager.from_config(config)


def test_bad_params_name_the_strategy_and_field() -> None:
    with pytest.raises(ConfigError, match=r"'ma_crossover'.*slow: Input should be a valid integer"):
        MaCrossover({"slow": "many"})
    with pytest.raises(ConfigError, match=r"fast \(30\) must be shorter than slow \(21\)"):
        MaCrossover({"fast": 30})
    with pytest.raises(ConfigError, match=r"bogus: Extra inputs are not permitted"):
        MaCrossover({"bogus": 1})
    config = StrategiesConfig(
        instances=[
            StrategyInstanceConfig(strategy="ma_crossover", name="mac", symbols=["X"], params={"fast": 0})
        ]
    )
    with pytest.raises(ConfigError, match=r"instances\[0\] \(mac\).*fast: Input should be greater"):
        StrategyManager.from_config(config, registry=load_strategies())
    with pytest.raises(ValueError, match="interval"):
        StrategyInstanceConfig(strategy="x", timeframe="7x")


def test_routing_by_symbol_interval_and_exchange() -> None:
    m = manager([fixed("a", "BUY", 0.5, ["NSE:INFY"]), fixed("b", "BUY", 0.5, ["SBIN"])])
    assert m.subscriptions() == {("NSE", "INFY", "1m"), ("NSE", "SBIN", "1m")}
    assert [s.strategy for s in m.on_bar(bar("INFY"))] == ["a"]
    assert [s.strategy for s in m.on_bar(bar("SBIN"))] == ["b"]
    assert m.on_bar(bar("TCS")) == []
    assert m.on_bar(bar("INFY", exchange="BSE")) == []
    assert m.stats()["bars_seen"] == 4


def test_first_takes_config_order() -> None:
    m = manager([fixed("a", "SELL", 0.3), fixed("b", "BUY", 0.9)], aggregation="first")
    (s,) = m.on_bar(bar())
    assert (s.strategy, s.action, s.confidence) == ("a", SignalAction.SELL, 0.3)
    assert [c["strategy"] for c in s.metadata["contributors"]] == ["a", "b"]


def test_majority_votes_and_tie() -> None:
    m = manager(
        [fixed("a", "SELL", 0.9), fixed("b", "BUY", 0.2), fixed("c", "BUY", 0.3)], aggregation="majority"
    )
    (s,) = m.on_bar(bar())
    assert (s.strategy, s.action, s.confidence) == ("b", SignalAction.BUY, 0.2)
    tie = manager([fixed("a", "SELL", 0.9), fixed("b", "BUY", 0.2)], aggregation="majority")
    assert tie.on_bar(bar()) == []
    assert tie.stats()["aggregation_conflicts"] == 1


def test_weighted_share_and_margin() -> None:
    m = manager([fixed("a", "SELL", 0.2), fixed("b", "BUY", 0.6), fixed("c", "BUY", 0.4)])
    (s,) = m.on_bar(bar())
    # share = 1.0 / 1.2; mean BUY confidence 0.5; the best BUY is b.
    assert s.strategy == "b"
    assert s.action is SignalAction.BUY
    assert s.confidence == pytest.approx((1.0 / 1.2) * 0.5)
    assert s.metadata["aggregation"] == "weighted"
    close = manager([fixed("a", "SELL", 0.45), fixed("b", "BUY", 0.55)])  # share 0.55 < 0.6
    assert close.on_bar(bar()) == []
    assert close.stats()["aggregation_conflicts"] == 1


def test_min_confidence_drops_and_counts() -> None:
    m = manager([fixed("a", "BUY", 0.05), fixed("b", "BUY", 0.5)], min_confidence=0.1)
    (s,) = m.on_bar(bar())
    assert s.strategy == "b"
    assert s.confidence == 0.5
    assert "aggregation" not in s.metadata
    assert m.stats()["dropped_low_confidence"] == 1


def test_aggregate_direct() -> None:
    assert aggregate([], "weighted").signal is None
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate([Fixed().on_bar(bar()), Fixed().on_bar(bar())], "vote")  # type: ignore[arg-type]


def test_raising_strategy_is_isolated_then_disabled() -> None:
    m = manager([{"strategy": "boom", "symbols": ["INFY"]}, fixed("a", "BUY", 0.5)], max_errors=3)
    for i in range(5):
        (s,) = m.on_bar(bar(i=i))
        assert s.strategy == "a"
    st = m.stats()["instances"]
    assert st["boom"]["errors"] == 3
    assert st["boom"]["disabled"] is True
    assert st["boom"]["last_error"] == "RuntimeError: strategy bug"
    assert st["a"]["signals"] == 5
    assert st["a"]["errors"] == 0


def test_every_hook_call_is_timed_per_instance_even_when_it_raises() -> None:
    m = manager([{"strategy": "boom", "symbols": ["INFY"]}, fixed("a", "BUY", 0.5)], max_errors=3)
    assert m.hook_latency_us() == {}
    for i in range(5):
        m.on_bar(bar(i=i))
    hooks = m.hook_latency_us()
    assert set(hooks) == {"boom", "a"}
    assert hooks["a"]["calls"] == 5
    assert hooks["boom"]["calls"] == 3  # disabled after its third error: no more calls to time
    for timing in hooks.values():
        assert 0 < timing["p50"] <= timing["p99"] <= timing["max"]
    m.reset_hook_timings()
    assert m.hook_latency_us() == {}
    m.on_bar(bar(i=9))
    assert m.hook_latency_us()["a"]["calls"] == 1


def test_emit_joins_the_hook_output_and_fills_route_to_the_owner() -> None:
    m = manager([{"strategy": "emitter", "symbols": ["INFY"]}, fixed("a", "BUY", 0.5, ["SBIN"])])
    (s,) = m.on_bar(bar())
    assert s.strategy == "emitter"
    assert s.action is SignalAction.SELL
    (b,) = m.on_bar(bar("SBIN"))
    fill = FillInfo("t1", "k1", "o1", 1, "SBIN", "NSE", "BUY", 10, 100.0, T0, signal_id=b.id)
    m.on_fill(fill)
    a = m.strategies["a"]
    assert isinstance(a, Fixed)
    assert a.fills == [fill]
    m.on_fill(FillInfo("t2", "k2", "o2", 1, "SBIN", "NSE", "BUY", 10, 100.0, T0, signal_id="unknown"))
    assert len(a.fills) == 1


def test_manager_on_real_bars_matches_the_strategy_alone() -> None:
    series = nifty()
    spec = {"strategy": "ma_crossover", "symbols": ["NFO:NIFTY21APRFUT"]}
    config = StrategiesConfig(instances=[StrategyInstanceConfig(**spec)], min_confidence=0.0)
    m = StrategyManager.from_config(config)
    m.start()
    alone = MaCrossover()
    via_manager = [s for b in series.bars for s in m.on_bar(b)]
    direct = [s for b in series.bars if (s := alone.on_bar(b)) is not None]
    assert [(s.ts_ns, s.action, s.entry, s.stop_loss) for s in via_manager] == [
        (s.ts_ns, s.action, s.entry, s.stop_loss) for s in direct
    ]
    assert m.stats()["instances"]["ma_crossover"]["signals"] == len(direct) > 0


class ChainWatcher(Strategy[StrategyParams]):
    """Counts chains and ticks; signals nothing."""

    name = "chain_watcher"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chains: list[Any] = []
        self.ticks: list[Any] = []

    def on_chain(self, chain: Any) -> None:
        self.chains.append(chain)

    def on_tick(self, tick: Any) -> None:
        self.ticks.append(tick)


def test_chains_reach_only_instances_with_the_hook_and_symbol() -> None:
    # Ticks: tests/strategies/test_manager_ticks.py (routed by token, with a minimum interval).
    registry: dict[str, type[Strategy[Any]]] = {**REGISTRY, "chain_watcher": ChainWatcher}
    specs = [
        {"strategy": "chain_watcher", "name": "nifty", "symbols": ["NSE:NIFTY"]},
        {"strategy": "chain_watcher", "name": "bank", "symbols": ["NSE:BANKNIFTY"]},
        fixed("plain", "BUY", 0.5, ["NSE:NIFTY"]),
    ]
    config = StrategiesConfig(instances=[StrategyInstanceConfig(**s) for s in specs])
    m = StrategyManager.from_config(config, registry=registry)
    m.start()
    nifty_w, bank_w = m.strategies["nifty"], m.strategies["bank"]
    assert isinstance(nifty_w, ChainWatcher)
    assert isinstance(bank_w, ChainWatcher)
    assert m.on_chain("chain-1", "NIFTY") == []
    assert m.on_chain("chain-2", None) == []  # no symbol: every instance with the hook
    assert m.on_chain("chain-3", "BANKNIFTY") == []
    assert nifty_w.chains == ["chain-1", "chain-2"]
    assert bank_w.chains == ["chain-2", "chain-3"]
    assert m.stats()["instances"]["bank"]["chains"] == 2


class Instruments:
    """An instrument master with one instrument (tick 0.1) that counts its lookups."""

    def __init__(self) -> None:
        self.lookups: list[tuple[str, str]] = []

    def instrument(self, exchange: str, tradingsymbol: str) -> Instrument:
        self.lookups.append((exchange, tradingsymbol))
        if tradingsymbol != "INFY":
            raise UnknownInstrumentError(f"{exchange}:{tradingsymbol}")
        return Instrument(
            instrument_token=1, exchange_token=1, tradingsymbol="INFY", tick_size=0.1, lot_size=1,
            instrument_type="EQ", segment="NSE", exchange="NSE",
        )  # fmt: skip


def test_make_signal_rounds_to_the_instruments_tick_and_looks_it_up_once() -> None:
    master = Instruments()
    m = StrategyManager(
        [(Fixed(instance_name="a"), [("NSE", "INFY"), ("NSE", "TCS")], "1m")], instruments=master
    )
    m.start()
    s1 = m.strategies["a"].make_signal(
        bar("INFY"), "BUY", entry=100.04, stop_loss=98.96, target=102.07, confidence=0.5
    )
    s2 = m.strategies["a"].make_signal(
        bar("INFY", i=1), "BUY", entry=100.06, stop_loss=99.0, target=102.0, confidence=0.5
    )
    unknown = m.strategies["a"].make_signal(
        bar("TCS"), "BUY", entry=100.04, stop_loss=98.96, target=102.07, confidence=0.5
    )
    assert (s1.entry, s1.stop_loss, s1.target, s2.entry) == (100.0, 99.0, 102.1, 100.1)
    assert (unknown.entry, unknown.stop_loss, unknown.target) == (100.05, 98.95, 102.05)  # default 0.05
    assert master.lookups == [("NSE", "INFY"), ("NSE", "TCS")]
    # What make_signal builds without pydantic is a signal validation accepts unchanged.
    minute = 60_000_000_000
    assert [s.ts_ns for s in (s1, s2, unknown)] == [T0 + minute, T0 + 2 * minute, T0 + minute]
    for s in (s1, s2, unknown):
        assert Signal.model_validate(s.model_dump()) == s


def test_make_signal_forgets_tick_sizes_when_bound_to_another_context() -> None:
    class Ticked(NullContext):
        def __init__(self, tick: float) -> None:
            super().__init__()
            self.tick = tick

        def instrument(self, symbol: str) -> Instrument | None:
            return Instruments().instrument("NSE", "INFY").model_copy(update={"tick_size": self.tick})

    strategy = Fixed()
    entries = []
    for tick in (0.1, 0.05):
        strategy.bind(Ticked(tick))
        entries.append(
            strategy.make_signal(bar(), "BUY", entry=100.04, stop_loss=99, target=102, confidence=1).entry
        )
    assert entries == [100.0, 100.05]


class BadReturn(Strategy[StrategyParams]):
    name = "bad_return"

    def on_bar(self, bar: Bar) -> Any:
        return ["not a signal"]


def test_a_bar_without_exchange_reaches_every_exchange_and_a_bad_return_is_an_error() -> None:
    nse, bse = Fixed(instance_name="nse"), Fixed(instance_name="bse")
    bad = BadReturn(instance_name="bad")
    m = StrategyManager(
        [(nse, [("NSE", "INFY")], "1m"), (bse, [("BSE", "INFY")], "1m"), (bad, [("NSE", "INFY")], "1m")],
        config=StrategiesConfig(instances=[], aggregation="first", max_errors=2),
    )
    m.start()
    (s,) = m.on_bar(bar(exchange=""))
    assert [c["strategy"] for c in s.metadata["contributors"]] == ["nse", "bse"]
    assert [x.strategy for x in m.on_bar(bar(exchange="BSE"))] == ["bse"]
    m.on_bar(bar(exchange="NSE"))
    stats = m.stats()["instances"]
    assert (stats["bad"]["errors"], stats["bad"]["disabled"]) == (2, True)
    assert stats["bad"]["last_error"] == "TypeError: a strategy hook returned str, not a Signal"
    assert (stats["nse"]["bars"], stats["bse"]["bars"], stats["bad"]["bars"]) == (2, 2, 2)
