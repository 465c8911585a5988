"""The signal router: the rule table by value, exactly one executor per signal, REJECTED with the reason."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from alphastock.brokers.paper import PaperBroker, TickStoreMarket
from alphastock.execution.router import DIRECT, OPTIONS, ROUTES, SignalRouter
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.signals import AssetType, Signal, SignalStatus
from alphastock.signals.manager import SignalManager
from alphastock.store import Store
from alphastock.ticks import TickStore
from tests.execution._harness import ManualClock, RecordingBus, build, signal


def test_the_rule_table() -> None:
    assert dict(ROUTES) == {
        AssetType.EQUITY: "direct",
        AssetType.FUTURES: "direct",
        AssetType.COMMODITY: "direct",
        AssetType.OPTIONS: "options",
        AssetType.INDEX: "options",
    }
    assert AssetType.CURRENCY not in ROUTES  # no executor trades currency derivatives


class Recorder:
    """An executor that keeps what it is handed."""

    def __init__(self) -> None:
        self.got: list[tuple[str, int]] = []

    def __call__(self, signal: Signal, handed_ns: int) -> str:
        self.got.append((signal.id, handed_ns))
        return f"order for {signal.id}"


@pytest.fixture
def manager(tmp_path: Path) -> Any:
    store = Store.open(":memory:")
    journal = Journal(tmp_path / "journal.jsonl")
    writer = StoreWriter(store).start()
    manager = SignalManager(journal, writer, RecordingBus(), ManualClock())
    yield manager
    writer.close()
    journal.close()
    store.close()


def _sig(sid: str, asset: AssetType) -> Signal:
    return signal(id=sid, asset_type=asset)


def test_each_signal_goes_to_exactly_one_executor(manager: SignalManager) -> None:
    direct, options = Recorder(), Recorder()
    router = SignalRouter(manager)
    router.add_executor(DIRECT, direct)
    router.add_executor(OPTIONS, options)
    for i, asset in enumerate(AssetType):
        if asset is not AssetType.CURRENCY:
            assert router.on_signal(_sig(f"S{i}", asset), 7) == f"order for S{i}"
    assert [sid for sid, _ in direct.got] == ["S0", "S1", "S4"]  # equity, futures, commodity
    assert [sid for sid, _ in options.got] == ["S2", "S3"]  # options, index
    assert {ns for _, ns in direct.got + options.got} == {7}  # handed on with the hand-over time
    assert router.executor_for(AssetType.INDEX) == OPTIONS
    assert router.executor_for(AssetType.CURRENCY) is None


def test_a_signal_no_executor_takes_is_rejected_with_the_reason_counted_and_logged_once(
    manager: SignalManager, caplog: pytest.LogCaptureFixture
) -> None:
    direct = Recorder()
    router = SignalRouter(manager)
    router.add_executor(DIRECT, direct)
    manager.add_consumer(router.on_signal)
    caplog.set_level(logging.INFO, logger="alphastock.execution.router")
    manager.submit(_sig("idx1", AssetType.INDEX))
    manager.submit(_sig("idx2", AssetType.INDEX))
    manager.submit(_sig("opt", AssetType.OPTIONS))
    manager.submit(_sig("usd", AssetType.CURRENCY))
    manager.submit(_sig("eq", AssetType.EQUITY))
    reasons = {
        sid: (manager.get(sid).status, manager.get(sid).metadata.get("rejected_reason"))  # type: ignore[union-attr]
        for sid in ("idx1", "idx2", "opt", "usd", "eq")
    }
    assert reasons == {
        "idx1": (SignalStatus.REJECTED, "no executor for index signals: the options executor is not enabled"),
        "idx2": (SignalStatus.REJECTED, "no executor for index signals: the options executor is not enabled"),
        "opt": (
            SignalStatus.REJECTED,
            "no executor for options signals: the options executor is not enabled",
        ),
        "usd": (SignalStatus.REJECTED, "no executor for currency signals: none trades them"),
        "eq": (SignalStatus.NEW, None),  # handed to the direct executor (which did nothing with it here)
    }
    assert [sid for sid, _ in direct.got] == ["eq"]
    assert router.stats() == {"rejected_index": 2, "rejected_options": 1, "rejected_currency": 1}
    logged = [r.getMessage() for r in caplog.records if r.name == "alphastock.execution.router"]
    assert len(logged) == 3  # once per asset type
    assert logged[0].startswith("signal idx1 rejected: no executor for index signals")


def test_registering_is_checked(manager: SignalManager) -> None:
    router = SignalRouter(manager)
    router.add_executor(DIRECT, Recorder())
    with pytest.raises(ValueError, match="already registered"):
        router.add_executor(DIRECT, Recorder())
    with pytest.raises(ValueError, match="no asset type is routed"):
        router.add_executor("bonds", Recorder())


def test_the_builder_makes_the_router_the_only_consumer(tmp_path: Path) -> None:
    # An index signal on the full stack: rejected by the router with no order, the equity one traded.
    ticks = TickStore(64)
    stack = build(PaperBroker(TickStoreMarket(ticks)), tmp_path, ticks=ticks)
    try:
        stack.signals.submit(signal(id="nifty", symbol="NIFTY 50", asset_type="index"))
        (refused,) = stack.signals.recent(1)
        assert refused.status is SignalStatus.REJECTED
        assert refused.metadata["rejected_reason"] == (
            "no executor for index signals: the options executor is not enabled"
        )
        assert stack.oms.orders() == []
        assert stack.executor.rejected == 0
    finally:
        stack.close()
