"""The options executor on the execution harness (PaperBroker, simulated clock, synchronous bus): each
validation failure by its reason, the contract, the sizing (never rounded up to one lot), the chase
policy, partial fills of the entry (protection sized to what filled) and idempotency across a restart."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alphastock.brokers.paper import PaperBroker, TickStoreMarket
from alphastock.brokers.paper.settings import PaperSettings
from alphastock.execution import ExecutionConfig
from alphastock.execution.options import OptionsExecutor, OptionTradingConfig, TradeStatus
from alphastock.execution.transitions import OrderState
from alphastock.kernel.execution import OptionsSetup
from alphastock.options.selector import select_contract
from alphastock.refdata.store import instruments_table
from alphastock.risk import Limits
from alphastock.signals.assets import AssetType
from alphastock.signals.model import SignalStatus
from alphastock.store import Store
from alphastock.ticks import TickStore
from tests.execution._harness import T0, ManualClock, Stack, build, signal
from tests.execution.options._chain import LOT, NIFTY_INDEX, NiftyOptions, fill_book, quote, quote_index
from tests.execution.test_paper_round_trip import settle

SPOT = 24_512.0
LIMITS = Limits(max_order_notional=5_000_000.0, max_data_age_s=600.0)


def _config(**fields: Any) -> OptionTradingConfig:
    base: dict[str, Any] = {
        "capital": 1_000_000.0,
        "risk_per_trade_pct": 1.0,
        "levels": {"method": "premium_pct", "sl_pct": 30.0},
    }
    base.update(fields)
    return OptionTradingConfig.model_validate(base)


def setup(
    tmp_path: Path,
    config: OptionTradingConfig | None = None,
    *,
    store: Store | None = None,
    paper: dict[str, Any] | None = None,
    qty: int = 6500,
) -> tuple[Stack, PaperBroker, OptionsExecutor, NiftyOptions]:
    clock = ManualClock()
    ticks = TickStore(1024)
    refdata = NiftyOptions()
    broker = PaperBroker(
        TickStoreMarket(ticks), PaperSettings(**(paper or {})), clock=clock,
        instruments=list(refdata.contracts.values()),
    )  # fmt: skip
    setup_ = OptionsSetup(config or _config(), ("NIFTY", "BANKNIFTY"), refdata, store)
    stack = build(
        broker, tmp_path, ticks=ticks, clock=clock, config=ExecutionConfig(capital=1_000_000.0),
        limits=LIMITS, options=setup_, store=store, instruments=list(refdata.contracts.values()),
    )  # fmt: skip
    executor = stack.execution.options
    chains = stack.execution.chains
    assert executor is not None
    assert chains is not None
    quote_index(ticks, clock.now_ns(), SPOT)
    fill_book(chains, quote(refdata, ticks, clock.now_ns(), SPOT, qty=qty))
    return stack, broker, executor, refdata


def nifty(**fields: Any) -> Any:
    base: dict[str, Any] = {
        "symbol": "NSE:NIFTY 50", "token": NIFTY_INDEX, "asset_type": AssetType.INDEX, "entry": SPOT,
        "stop_loss": SPOT - 245.0, "target": SPOT + 490.0, "expected_move_pct": 2.0,
    }  # fmt: skip
    base.update(fields)
    return signal(**base)


def _run(stack: Stack, body: Any) -> None:
    async def run() -> None:
        await stack.oms.start()
        try:
            await body()
            await settle(stack)
        finally:
            await stack.oms.stop()

    asyncio.run(run())


def _reason(stack: Stack, signal_id: str) -> tuple[SignalStatus, str]:
    """The signal's status and the rejection reason stored with it."""
    rows = stack.store.query("SELECT metadata FROM signals WHERE id = ?", [signal_id]).to_pylist()
    got = stack.signals.get(signal_id)
    assert got is not None
    return got.status, json.loads(rows[0]["metadata"]).get("rejected_reason", "") if rows else ""


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"symbol": "TEST_NIFTY"}, "test_symbol", "test symbol TEST_NIFTY ignored"),
        ({"symbol": "NSE:FINNIFTY"}, "symbol", "not a configured options underlying"),
        ({"ts_ns": T0 - 61_000_000_000}, "stale", "signal is 61.0 s old (limit 60 s for test)"),
    ],
)
def test_each_validation_failure_rejects_with_its_reason(
    tmp_path: Path, fields: dict[str, Any], code: str, text: str
) -> None:
    stack, _, executor, _ = setup(tmp_path)
    try:
        s = nifty(**fields)

        async def body() -> None:
            assert stack.signals.submit(s)

        _run(stack, body)
        status, metadata = _reason(stack, s.id)
        assert status is SignalStatus.REJECTED
        assert text in metadata
        assert dict(executor.rejected) == {code: 1}
        assert stack.oms.orders() == []
    finally:
        stack.close()


def test_disabled_max_positions_and_risk_state_are_refused(tmp_path: Path) -> None:
    stack, _, executor, _ = setup(tmp_path, _config(max_open_positions=1))
    try:
        first, second = nifty(), nifty(ts_ns=T0 + 1)

        async def body() -> None:
            stack.signals.submit(first)
            await settle(stack)
            stack.signals.submit(second)  # one trade open already
            stack.risk.kill("test")
            stack.signals.submit(nifty(ts_ns=T0 + 2, strategy="other"))

        _run(stack, body)
        # The open trade fills the one position slot: both later signals stop there, before the
        # risk state is looked at.
        assert dict(executor.rejected) == {"max_positions": 2}
        assert _reason(stack, second.id)[0] is SignalStatus.REJECTED
    finally:
        stack.close()
    stack, _, executor, _ = setup(tmp_path / "b", _config(enabled=False))
    try:

        async def off() -> None:
            stack.signals.submit(nifty())
            stack.risk.kill("test")

        _run(stack, off)
        assert dict(executor.rejected) == {"disabled": 1}
    finally:
        stack.close()
    stack, _, executor, _ = setup(tmp_path / "c")
    try:

        async def halted() -> None:
            stack.risk.kill("test")
            stack.signals.submit(nifty())

        _run(stack, halted)
        assert dict(executor.rejected) == {"risk_state": 1}
    finally:
        stack.close()


def test_a_buy_signal_buys_the_scored_call_sized_to_the_budget(tmp_path: Path) -> None:
    stack, _, executor, refdata = setup(tmp_path)
    try:
        s = nifty()

        async def body() -> None:
            stack.signals.submit(s)

        _run(stack, body)
        (trade,) = executor.book.all()
        snapshot = stack.execution.chains.latest("NIFTY", trade.expiry)  # type: ignore[union-attr,arg-type]
        expected = select_contract(snapshot, "BUY", executor.config.selection).chosen  # type: ignore[arg-type]
        assert expected is not None
        assert (trade.token, trade.option_type, trade.strike) == (expected.token, "CE", expected.strike)
        # Entry at the ask; premium_pct: stop 30% under it (rounded toward the entry).
        assert trade.entry_premium == pytest.approx(expected.ask)
        assert trade.stop == pytest.approx(trade.entry_premium * 0.7, abs=0.05)
        assert trade.stop >= trade.entry_premium * 0.7 - 1e-9  # type: ignore[operator]
        risk_per_lot = (trade.entry_premium - trade.stop) * LOT  # type: ignore[operator]
        assert trade.lots == min(int(10_000 // risk_per_lot), 20)
        assert trade.quantity == trade.lots * LOT  # type: ignore[operator]
        (entry,) = stack.oms.orders()[:1]
        assert (entry.request.order_type, entry.request.price, entry.request.quantity) == (
            "LIMIT", trade.entry_premium, trade.quantity,
        )  # fmt: skip
        assert entry.state is OrderState.FILLED
        assert trade.status is TradeStatus.OPEN
        # Protection rests: an SL (never SL-M) under the stop and a LIMIT target, for what filled.
        protective = {o.purpose: o for o in stack.oms.orders() if o.purpose in ("stop", "target")}
        stop, target = protective["stop"], protective["target"]
        assert (stop.request.order_type, stop.request.transaction_type) == ("SL", "SELL")
        assert stop.request.trigger_price == pytest.approx(trade.stop)
        assert stop.request.price < stop.request.trigger_price  # type: ignore[operator]
        assert (target.request.order_type, target.request.price) == ("LIMIT", trade.target)
        assert stop.request.quantity == target.request.quantity == trade.quantity
        assert stop.parent_key == target.parent_key == entry.key
        assert stack.signals.get(s.id).status is SignalStatus.ACTIVE  # type: ignore[union-attr]
        rows = stack.store.option_trades().to_pylist()
        assert [(r["trade_id"], r["status"], r["lots"]) for r in rows] == [
            (trade.trade_id, "OPEN", trade.lots)
        ]
        assert refdata.describe(trade.token or 0) is not None
    finally:
        stack.close()


def test_a_sell_signal_buys_a_put_and_one_lot_too_risky_is_skipped(tmp_path: Path) -> None:
    stack, _, executor, _ = setup(tmp_path, _config(capital=10_000.0))
    try:
        s = nifty(action="SELL", stop_loss=SPOT + 245.0, target=SPOT - 490.0)

        async def body() -> None:
            stack.signals.submit(s)

        _run(stack, body)
        # 1% of 10,000 is 100 rupees: one lot of an ATM put risks 30% x premium x 65, far more.
        assert dict(executor.rejected) == {"size": 1}
        status, text = _reason(stack, s.id)
        assert status is SignalStatus.REJECTED
        assert "one lot risks" in text
        assert "more than the budget ₹100.00" in text
        assert stack.oms.orders() == []
    finally:
        stack.close()


def test_partial_entry_fills_are_protected_as_they_fill(tmp_path: Path) -> None:
    # The book shows 65 units a side: each fill is one lot, so the entry fills in parts.
    stack, paper, executor, refdata = setup(tmp_path, qty=65)
    try:

        async def body() -> None:
            stack.signals.submit(nifty())
            await settle(stack)
            trade = executor.book.all()[0]
            assert trade.lots is not None
            assert trade.lots > 1
            protected = [o.request.quantity for o in stack.oms.orders() if o.purpose == "stop"]
            assert sum(protected) == trade.filled_quantity == LOT  # protection = what filled
            for _ in range(trade.lots - 1):
                stack.clock.advance(1.0)
                quote(refdata, stack.ticks, stack.clock.now_ns(), SPOT, qty=65)
                paper.on_market_update(list(refdata.contracts))
                await settle(stack)

        _run(stack, body)
        trade = executor.book.all()[0]
        assert trade.filled_quantity == trade.quantity
        stops = [
            o for o in stack.oms.orders() if o.purpose == "stop" and o.state is OrderState.TRIGGER_PENDING
        ]
        assert sum(o.request.quantity - o.filled_quantity for o in stops) == trade.quantity
        events = [e["event"] for e in stack.store.option_trade_events(trade.trade_id).to_pylist()]
        assert events.count("protection_grown") == (trade.lots or 0) - 1
    finally:
        stack.close()


def test_an_unfilled_entry_is_chased_then_cancelled_with_its_reason(tmp_path: Path) -> None:
    config = _config(entry={"chase_ticks": 1, "max_chases": 2, "chase_interval_s": 2.0})
    # Latency: the paper broker cannot fill before 10 s, so the entry rests and is chased.
    stack, _, executor, refdata = setup(tmp_path, config, paper={"latency_ns": 60_000_000_000})
    try:

        async def body() -> None:
            stack.signals.submit(nifty())
            await settle(stack)
            for _ in range(3):
                stack.clock.advance(2.0)
                executor.manage(stack.clock.now_ns())
                await settle(stack)
                await executor.idle()
                await settle(stack)

        _run(stack, body)
        (trade,) = executor.book.all()
        (entry,) = [o for o in stack.oms.orders() if o.purpose == "entry"]
        assert trade.chases == 2
        assert entry.request.price == pytest.approx((trade.entry_premium or 0) + 0.10)
        assert entry.state is OrderState.CANCELLED
        assert trade.status is TradeStatus.CANCELLED
        assert trade.exit_reason == "entry not filled after 2 chases: cancelled"
        steps = [e["event"] for e in stack.store.option_trade_events(trade.trade_id).to_pylist()]
        assert steps == [
            "selected",
            "entry_sent",
            "entry_chase",
            "entry_chase",
            "entry_cancel",
            "entry_ended",
        ]
        assert refdata.describe(entry.request.instrument_token) is not None
    finally:
        stack.close()


def test_a_signal_acted_on_before_a_restart_is_not_traded_again(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    store = Store.open(path)
    stack, _, executor, _ = setup(tmp_path / "a", store=store)
    s = nifty(id="S-first")
    try:

        async def body() -> None:
            stack.signals.submit(s)

        _run(stack, body)
        assert len(executor.book.all()) == 1
    finally:
        stack.writer.close()
        stack.journal.close()
    # The same strategy's same signal (same time), made again with a new id after a restart.
    stack, _, executor, _ = setup(tmp_path / "b", store=store)
    try:
        again = nifty(id="S-again")

        async def restart() -> None:
            await executor.start()
            stack.signals.submit(again)

        _run(stack, restart)
        assert dict(executor.rejected) == {"duplicate": 1}
        assert "already acted on (key test|NIFTY|BUY|" in _reason(stack, again.id)[1]
    finally:
        stack.close()


def test_historical_levels_use_the_elasticity_measured_from_recorded_ticks(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.duckdb")
    refdata = NiftyOptions()
    store.write_instruments(instruments_table(list(refdata.contracts.values())), dt.date(2026, 1, 6))
    # Six hours before T0: NIFTY swings ±0.3% around 24,500 over 3 hours (one-hour moves well above
    # the 0.05% floor), each call near the money at 150 x (S / K)^20: an elasticity of ~20.
    start = T0 - 6 * 3_600_000_000_000
    stamps = np.arange(start, T0 - 1, 30_000_000_000, dtype=np.int64)
    spot = 24_500.0 * (1 + 0.003 * np.sin(2 * np.pi * (stamps - start) / 1.08e13))
    near = [
        i for i in refdata.contracts.values() if i.instrument_type == "CE" and 24_400 <= i.strike <= 24_600
    ]
    recorded = [(NIFTY_INDEX, spot)] + [(c.instrument_token, 150.0 * (spot / c.strike) ** 20) for c in near]
    with store.writer() as writer:
        for token, prices in recorded:
            n = len(stamps)
            columns = {"token": np.full(n, token, np.int64), "ts_ns": stamps, "last_price": prices,
                       "volume": np.zeros(n, np.int64)}  # fmt: skip
            assert writer.offer_ticks(columns)
    config = _config(levels={"method": "historical", "min_samples": 3})
    stack, _, executor, _ = setup(tmp_path / "run", config, store=store)
    try:

        async def body() -> None:
            await executor.start()
            stack.signals.submit(nifty())

        _run(stack, body)
        value, samples = executor.elasticity["NIFTY"].elasticity(0.0, 7.2)
        assert samples >= 3
        assert value == pytest.approx(20.0, rel=0.05)
        (trade,) = executor.book.all()
        # The chosen call's bucket (near the money, a week to expiry) holds the measured windows: its
        # levels move ~20x the underlying's percent move from the entry premium.
        assert 24_400 <= (trade.strike or 0) <= 24_600
        assert trade.levels["method"] == "historical"
        assert "fallback" not in trade.levels
        assert trade.levels["samples"] >= 3
        assert trade.levels["elasticity"] == pytest.approx(20.0, rel=0.05)
    finally:
        stack.close()


def test_the_stop_trails_in_steps_once_the_premium_has_gained_enough(tmp_path: Path) -> None:
    config = _config(levels={"method": "premium_pct", "sl_pct": 30.0, "target_multiplier": 20.0})
    stack, paper, executor, _ = setup(tmp_path, config)
    stops: list[float] = []
    try:

        async def body() -> None:
            stack.signals.submit(nifty())
            await settle(stack)
            (trade,) = executor.book.all()
            entry = trade.entry_premium or 0.0
            for gain in (1.10, 1.25, 1.26, 1.36):  # below activation, activated, under a step, a step
                stack.clock.advance(1.0)
                last = round(entry * gain / 0.05) * 0.05
                now = stack.clock.now_ns()
                stack.ticks.push_batch(
                    [trade.token], [now], [last], bid=[last - 0.05], ask=[last + 0.05], bid_qty=[6500],
                    ask_qty=[6500],
                )  # fmt: skip
                stack.risk.on_mark(trade.token or 0, last, now)
                paper.on_market_update([trade.token or 0])
                executor.manage(now)
                await settle(stack)
                await executor.protection.idle()
                await settle(stack)
                (stop,) = [o for o in stack.oms.orders() if o.purpose == "stop" and not o.state.is_terminal]
                stops.append(stop.request.trigger_price or 0.0)

        _run(stack, body)
        (trade,) = executor.book.all()
        entry = trade.entry_premium or 0.0
        first = trade.levels["stop"]
        trailed = [e["detail"] for e in stack.store.option_trade_events(trade.trade_id).to_pylist()
                   if e["event"] == "trailed"]  # fmt: skip
        assert len(trailed) == 2  # 1.25 and 1.36: the 1.26 move was under the 5% step
        assert stops[0] == pytest.approx(first)
        assert stops[1] == pytest.approx(round(entry * 1.25 * 0.85 / 0.05 - 0.5) * 0.05, abs=0.051)
        assert stops[2] == stops[1]
        assert stops[3] == pytest.approx(entry * 1.36 * 0.85, abs=0.1)
        assert stops[3] >= stops[1] + entry * 0.05 - 1e-9
        assert trade.status is TradeStatus.OPEN
    finally:
        stack.close()


def test_a_stop_gapped_through_its_limit_is_replaced_by_a_market_exit(tmp_path: Path) -> None:
    stack, paper, executor, _ = setup(tmp_path, _config(exits={"stop_gap_exit_s": 5.0}))
    states: list[str] = []
    try:

        async def body() -> None:
            stack.signals.submit(nifty())
            await settle(stack)
            (trade,) = executor.book.all()
            gap = round((trade.stop or 0.0) * 0.5 / 0.05) * 0.05  # far under the stop's limit
            for step in range(3):  # the gap, then 3 and 6 engine seconds later
                stack.clock.advance(3.0 if step else 1.0)
                now = stack.clock.now_ns()
                stack.ticks.push_batch(
                    [trade.token], [now], [gap], bid=[gap - 0.05], ask=[gap + 0.05], bid_qty=[6500],
                    ask_qty=[6500],
                )  # fmt: skip
                stack.risk.on_mark(trade.token or 0, gap, now)
                paper.on_market_update([trade.token or 0])
                await settle(stack)
                executor.manage(now)
                await settle(stack)
                await executor.protection.idle()
                await settle(stack)
                states.append(str(trade.status))

        _run(stack, body)
        (trade,) = executor.book.all()
        # The stop triggered (its limit above the bid: it rests unfilled), then 6 s later the exit.
        assert states[:2] == ["OPEN", "OPEN"]
        assert trade.status is TradeStatus.CLOSED
        assert (trade.exit_reason or "").startswith("stop gapped through its limit")
        stop = next(o for o in stack.oms.orders() if o.purpose == "stop")
        assert stop.state is OrderState.CANCELLED
        exits = [o for o in stack.oms.orders() if o.purpose == "exit"]
        assert [o.state for o in exits] == [OrderState.FILLED]
        assert exits[0].request.quantity == trade.quantity
    finally:
        stack.close()
