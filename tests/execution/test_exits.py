"""Exit plans in the traded instrument's terms, the ExitMonitor on plan levels, no wiring by side effect."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from alphastock.brokers.paper import PaperBroker, TickStoreMarket
from alphastock.events import FillInfo
from alphastock.execution import (
    OMS,
    DirectExecutor,
    ExecutionConfig,
    ExitMonitor,
    ExitPlan,
    ExitPlans,
    Portfolio,
)
from alphastock.execution.orders import ManagedOrder
from alphastock.execution.portfolio import Holding
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.risk import Limits, RiskEngine
from alphastock.signals import SignalStatus
from alphastock.signals.manager import SignalManager
from alphastock.store import Store
from alphastock.ticks import TickStore
from tests.execution._harness import SBIN, SBIN_EQ, T0, ManualClock, RecordingBus, signal
from tests.execution.test_paper_round_trip import push, settle
from tests.execution.test_paper_round_trip import setup as paper_setup

# ----- ExitPlan by value ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "price", "expected"),
    [
        ("BUY", 90.0, None),
        ("BUY", 87.85, "stop loss 87.85 hit at 87.85"),
        ("BUY", 80.0, "stop loss 87.85 hit at 80.0"),
        ("BUY", 130.52, "target 130.52 hit at 130.52"),
        ("SELL", 100.0, None),
        ("SELL", 130.52, "stop loss 130.52 hit at 130.52"),
        ("SELL", 87.85, "target 87.85 hit at 87.85"),
    ],
)
def test_a_plan_is_hit_at_its_levels(side: str, price: float, expected: str | None) -> None:
    # Premium levels of the seed example (issue 15): entry 125.50, stop 87.85, target 130.52.
    stop, target = (87.85, 130.52) if side == "BUY" else (130.52, 87.85)
    assert ExitPlan("S1", 42, "MIS", side, stop, target).hit(price) == expected


def test_a_plan_without_levels_only_waits_for_flat() -> None:
    plan = ExitPlan("S1", 42, "MIS", "SELL")
    assert (plan.watched, plan.hit(1.0), plan.hit(1e9)) == (False, None, None)
    assert ExitPlan("S1", 42, "MIS", "BUY", stop=10.0).hit(9.0) == "stop loss 10.0 hit at 9.0"


def test_a_plan_with_levels_on_the_wrong_side_is_refused() -> None:
    with pytest.raises(ValueError, match="stop below the target"):
        ExitPlan("S1", 42, "MIS", "BUY", stop=130.0, target=90.0)
    with pytest.raises(ValueError, match="stop above the target"):
        ExitPlan("S1", 42, "MIS", "SELL", stop=90.0, target=130.0)
    with pytest.raises(ValueError, match="BUY or SELL"):
        ExitPlan("S1", 42, "MIS", "LONG")


def test_the_book_keeps_a_signals_first_plan() -> None:
    plans = ExitPlans()
    first = ExitPlan("S1", 42, "MIS", "BUY", 1.0, 3.0)
    assert plans.add(first)
    assert not plans.add(ExitPlan("S1", 42, "MIS", "BUY", 0.5, 4.0))
    plans.add(ExitPlan("S2", 43, "MIS", "SELL"))
    assert (plans.get("S1"), len(plans), plans.on_position(42, "MIS")) == (first, 2, [first])
    assert plans.on_position(42, "NRML") == []
    assert plans.remove("S1") == first
    assert plans.get("S1") is None


# ----- the ExitMonitor compares the traded token with the plan ------------------------------------

NIFTY, NIFTY_CE = 256265, 12345678


class FakeCloser:
    def __init__(self) -> None:
        self.closed: list[tuple[Holding, str, str | None]] = []

    def close_position(
        self, holding: Holding, reason: str, *, signal_id: str | None = None, purpose: str = "exit"
    ) -> ManagedOrder | None:
        self.closed.append((holding, reason, signal_id))
        order: Any = type("Order", (), {"key": f"K{len(self.closed)}"})()
        return order  # type: ignore[no-any-return]


class FakePositions:
    def __init__(self, *holdings: Holding) -> None:
        self.book = {(h.token, h.product): h for h in holdings}

    def position(self, token: int, product: str) -> Holding | None:
        return self.book.get((token, product))

    def positions(self, *, open_only: bool = False) -> list[Holding]:
        return [h for h in self.book.values() if h.quantity or not open_only]


class FakeSignals:
    def __init__(self) -> None:
        self.updates: list[tuple[str, SignalStatus, str | None, dict[str, Any]]] = []
        self.status = SignalStatus.ACTIVE

    def get(self, signal_id: str) -> Any:
        return type("S", (), {"status": self.status})()

    def update_status(self, signal_id: str, status: Any, reason: str | None = None, **metadata: Any) -> Any:
        self.updates.append((signal_id, status, reason, metadata))
        return None


class NoOrders:
    def get(self, key: str) -> ManagedOrder | None:
        return None  # a sent exit is unknown here: retried on the next hit


_seq = iter(range(1, 1_000_000))


def _tick(ticks: TickStore, token: int, price: float) -> None:
    ticks.push_batch([token], [T0 + next(_seq)], [price], bid=[price - 0.05], ask=[price + 0.05])


def test_the_monitor_exits_on_the_traded_instruments_price_not_the_signals() -> None:
    # A BUY NIFTY signal (stop 24 255, target 24 990 on the index) traded as a call bought at 125.50:
    # its plan holds premium levels, and only the call's price decides.
    ticks = TickStore(64)
    held = Holding(NIFTY_CE, "NIFTY26JAN24500CE", "NFO", "MIS", quantity=65, average_price=125.5)
    closer, signals = FakeCloser(), FakeSignals()
    plans = ExitPlans()
    plans.add(ExitPlan("SIG", NIFTY_CE, "MIS", "BUY", stop=87.85, target=130.52))
    monitor = ExitMonitor(
        plans, closer=closer, positions=FakePositions(held), signals=signals, orders=NoOrders(), ticks=ticks
    )
    _tick(ticks, NIFTY, 24_200.0)  # the underlying below the signal's stop: not the traded token
    _tick(ticks, NIFTY_CE, 120.0)  # the premium between its stop and target
    assert monitor.on_ticks([NIFTY, NIFTY_CE]) == []
    _tick(ticks, NIFTY_CE, 87.80)
    (order,) = monitor.on_ticks([NIFTY_CE])
    assert closer.closed == [(held, "stop loss 87.85 hit at 87.8", "SIG")]
    assert monitor.exits_sent == 1
    # Its fill leaves the call flat: the signal is CLOSED with the exit's reason, the plan dropped.
    held.quantity = 0
    monitor.on_fill(
        FillInfo("T1", order.key, "B1", NIFTY_CE, "NIFTY26JAN24500CE", "NFO", "SELL", 65, 87.8, T0, "MIS")
    )
    assert signals.updates == [
        ("SIG", SignalStatus.CLOSED, "stop loss 87.85 hit at 87.8", {"exit_price": 87.8})
    ]
    assert len(plans) == 0


def test_a_disabled_monitor_sends_nothing_but_still_closes_signals() -> None:
    ticks = TickStore(64)
    held = Holding(SBIN, "SBIN", "NSE", "MIS", quantity=10, average_price=800.0)
    closer, signals = FakeCloser(), FakeSignals()
    plans = ExitPlans()
    plans.add(ExitPlan("SIG", SBIN, "MIS", "BUY", stop=790.0, target=820.0))
    monitor = ExitMonitor(
        plans, closer=closer, positions=FakePositions(held), signals=signals, orders=NoOrders(), ticks=ticks,
        enabled=False,
    )  # fmt: skip
    _tick(ticks, SBIN, 780.0)
    assert monitor.on_ticks([SBIN]) == []
    assert closer.closed == []
    held.quantity = 0
    monitor.on_fill(FillInfo("T1", None, None, SBIN, "SBIN", "NSE", "SELL", 10, 781.0, T0, "MIS"))
    assert signals.updates == [("SIG", SignalStatus.CLOSED, "position flat", {"exit_price": 781.0})]


# ----- the DirectExecutor records the plan of a filled entry -------------------------------------


def test_a_filled_direct_entry_records_the_signals_levels_on_its_own_instrument(tmp_path: Path) -> None:
    stack, paper = paper_setup(tmp_path)

    async def run() -> None:
        await stack.oms.start()
        await asyncio.sleep(0)
        push(stack, paper, 800.0)
        stack.signals.submit(signal(id="S-entry"))
        await settle(stack)
        await stack.oms.stop()

    try:
        asyncio.run(run())
        assert list(stack.plans) == [ExitPlan("S-entry", SBIN, "MIS", "BUY", stop=790.0, target=820.0)]
    finally:
        stack.close()


# ----- nothing registers itself --------------------------------------------------------------------


class OneInstrument:
    """The instrument lookup of the order path, knowing SBIN only."""

    def instrument(self, exchange: str, tradingsymbol: str) -> Any:
        return SBIN_EQ


def test_constructing_the_executor_and_the_monitor_registers_nothing(tmp_path: Path) -> None:
    store = Store.open(":memory:")
    journal = Journal(tmp_path / "journal.jsonl")
    writer = StoreWriter(store).start()
    bus, clock, ticks = RecordingBus(), ManualClock(), TickStore(64)
    risk = RiskEngine(Limits())
    signals = SignalManager(journal, writer, bus, clock)
    oms = OMS(PaperBroker(TickStoreMarket(ticks)), journal, writer, bus, clock)
    portfolio = Portfolio(bus, writer=writer, risk=risk, ticks=ticks, clock=clock)
    plans = ExitPlans()
    executor = DirectExecutor(
        signals, oms, risk, portfolio, OneInstrument(), ExecutionConfig(capital=100_000.0),
        clock=clock, bus=bus, writer=writer, ticks=ticks, plans=plans,
    )  # fmt: skip
    exits = ExitMonitor(plans, closer=executor, positions=portfolio, signals=signals, orders=oms, ticks=ticks)
    try:
        # Neither knows the other; neither subscribed anywhere: the builder does all of that.
        assert not any(value is exits for value in vars(executor).values())
        assert exits.closer is executor
        assert exits.plans is executor.plans
        assert (oms._order_listeners, oms._fill_listeners, signals._consumers) == ([], [], [])
        signals.submit(signal(id="unrouted"))
        assert signals.get("unrouted").status is SignalStatus.NEW  # type: ignore[union-attr]
        assert oms.orders() == []
        assert not hasattr(exits, "stop")  # no shutdown of its own: execution.squareoff does that
    finally:
        writer.close()
        journal.close()
        store.close()
