"""The broker roles: each concrete broker (and each monitored wrapper) has exactly the calls of the roles
it declares, with the protocols' signatures, and declares its capabilities."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.brokers.kite.broker import KITE_CAPABILITIES
from alphastock.brokers.paper import PaperBroker, StaticMarket
from alphastock.brokers.paper.broker import PAPER_CAPABILITIES
from alphastock.execution.broker_health import (
    MONITORED_CALLS,
    BrokerHealth,
    MonitoredAccount,
    MonitoredBroker,
    MonitoredExecution,
    MonitoredMarketData,
    MonitoredTrading,
)
from alphastock.ports import (
    AccountClient,
    Broker,
    BrokerCapabilities,
    ExecutionClient,
    GttClient,
    HistoricalSource,
    InstrumentSource,
    MarketDataClient,
    QuoteSource,
    TradingClient,
)

ROLES: tuple[type[Any], ...] = (ExecutionClient, AccountClient, MarketDataClient)


def _members(protocol: type[Any]) -> dict[str, Any]:
    """The protocol's calls (its own and inherited), by name; ``capabilities`` excepted (a property)."""
    found: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass is object or klass.__name__ in ("Protocol", "Generic"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and callable(value):
                found[name] = value
    return found


def _shape(fn: Any) -> tuple[bool, list[tuple[str, Any, Any]]]:
    """Coroutine or not, and every parameter after ``self``: name, kind, default."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    return inspect.iscoroutinefunction(fn), [(p.name, p.kind, p.default) for p in params]


SATISFIES: list[tuple[type[Any], tuple[type[Any], ...]]] = [
    (KiteBroker, (*ROLES, GttClient)),
    (PaperBroker, (ExecutionClient, AccountClient)),
    (MonitoredExecution, (ExecutionClient,)),
    (MonitoredAccount, (AccountClient,)),
    (MonitoredMarketData, (MarketDataClient,)),
    (MonitoredTrading, (ExecutionClient, AccountClient)),
    (MonitoredBroker, ROLES),
]


@pytest.mark.parametrize(("cls", "roles"), SATISFIES, ids=[c.__name__ for c, _ in SATISFIES])
def test_each_class_has_its_roles_calls_with_the_protocols_signatures(
    cls: type[Any], roles: tuple[type[Any], ...]
) -> None:
    for role in roles:
        for name, member in _members(role).items():
            assert _shape(getattr(cls, name)) == _shape(member), f"{cls.__name__}.{name} vs {role.__name__}"
    if ExecutionClient in roles:
        assert "capabilities" in dir(cls)
    assert "__getattr__" not in dir(cls)  # nothing forwarded by magic


def test_the_concrete_brokers_are_instances_of_exactly_their_roles() -> None:
    kite = KiteBroker("key", "token", root="http://127.0.0.1:9")
    paper = PaperBroker(StaticMarket())
    try:
        for role in (
            *ROLES,
            TradingClient,
            Broker,
            QuoteSource,
            HistoricalSource,
            InstrumentSource,
            GttClient,
        ):
            assert isinstance(kite, role), role.__name__
        assert not isinstance(paper, GttClient)  # the PaperBroker keeps no GTTs (capabilities.gtt False)
        for role in (ExecutionClient, AccountClient, TradingClient):
            assert isinstance(paper, role), role.__name__
        for role in (MarketDataClient, QuoteSource, HistoricalSource, InstrumentSource, Broker):
            assert not isinstance(paper, role), role.__name__
        health = BrokerHealth()
        assert isinstance(MonitoredBroker(kite, health), Broker)
        assert isinstance(MonitoredTrading(paper, health), TradingClient)
        assert not isinstance(MonitoredTrading(paper, health), MarketDataClient)
        assert isinstance(MonitoredMarketData(kite, health), MarketDataClient)
        assert not isinstance(MonitoredMarketData(kite, health), ExecutionClient)
    finally:
        kite.close()


def test_every_role_call_is_monitored() -> None:
    coroutines = {
        name
        for role in ROLES
        for name, member in _members(role).items()
        if inspect.iscoroutinefunction(member)
    }
    assert coroutines == MONITORED_CALLS


def test_the_brokers_declare_their_capabilities() -> None:
    assert KiteBroker.capabilities is KITE_CAPABILITIES
    assert PaperBroker.capabilities is PAPER_CAPABILITIES
    assert (KITE_CAPABILITIES.streams_order_updates, KITE_CAPABILITIES.immediate_placement) == (True, True)
    assert (PAPER_CAPABILITIES.streams_order_updates, PAPER_CAPABILITIES.immediate_placement) == (True, False)
    assert KITE_CAPABILITIES.market_protection
    assert (KITE_CAPABILITIES.gtt, PAPER_CAPABILITIES.gtt) == (True, False)
    # SL-M: refused on NSE options and anywhere on BSE at Kite; accepted on NSE cash and futures.
    refused = [
        s
        for s in ("NSE", "NFO-FUT", "NFO-OPT", "BSE", "BFO-OPT", "MCX-FUT")
        if not KITE_CAPABILITIES.supports_slm(s)
    ]
    assert refused == ["NFO-OPT", "BSE", "BFO-OPT"]
    assert PAPER_CAPABILITIES.supports_slm("NFO-OPT")
    assert BrokerCapabilities() == BrokerCapabilities(
        streams_order_updates=False, immediate_placement=False, market_protection=False,
        slm_refused_segments=frozenset(), gtt=False,
    )  # fmt: skip
    with pytest.raises(AttributeError):
        KITE_CAPABILITIES.gtt = True  # type: ignore[misc]  # frozen


STATIC_CHECK = """
from alphastock.ports import Broker, TradingClient
from alphastock.brokers.kite import KiteBroker
from alphastock.brokers.paper import PaperBroker
from alphastock.execution.broker_health import BrokerHealth, MonitoredBroker, MonitoredTrading


def kite(broker: KiteBroker) -> Broker:
    return broker


def paper(broker: PaperBroker) -> TradingClient:
    return broker


def monitored(broker: KiteBroker, health: BrokerHealth) -> Broker:
    return MonitoredBroker(broker, health)


def monitored_trading(broker: PaperBroker, health: BrokerHealth) -> TradingClient:
    return MonitoredTrading(broker, health)


def paper_is_no_market_data(broker: PaperBroker) -> Broker:
    return broker  # the one error expected
"""


def test_mypy_sees_each_broker_satisfy_its_roles_statically(tmp_path: Path) -> None:
    from mypy import api

    module = tmp_path / "roles_check.py"
    module.write_text(STATIC_CHECK)
    config = Path(__file__).resolve().parents[2] / "pyproject.toml"
    out, err, status = api.run(
        ["--strict", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"),
         "--config-file", str(config), "--no-error-summary", str(module)]
    )  # fmt: skip
    errors = [line.split(": error: ", 1)[1] for line in out.splitlines() if ": error: " in line]
    assert errors == [
        'Incompatible return value type (got "PaperBroker", expected "Broker")  [return-value]'
    ], out + err
    assert status == 1
