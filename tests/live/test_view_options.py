"""The live view's option positions: each live trade of the options executor's book with its last premium,
P&L, IV and greeks from the newest chain snapshot, stop, target and status; nothing when there are none."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from alphastock.events import FillInfo
from alphastock.execution.options import ChainBook, OptionTrade, TradeBook, TradeStatus
from alphastock.execution.portfolio import Portfolio
from alphastock.live.snapshot import OptionPositionRow, kernel_option_positions, option_position_rows
from alphastock.live.view import render
from alphastock.models import IST
from alphastock.options.chain import ChainSnapshot
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.store import Store
from alphastock.ticks import TickStore
from tests.execution._harness import RecordingBus
from tests.execution.options._chain import EXPIRY, NEXT_EXPIRY, NiftyOptions, quote
from tests.live.test_view import _snapshot

NS = 1_000_000_000
NOW = int(dt.datetime(2026, 1, 12, 10, 30, tzinfo=IST).timestamp()) * NS
SPOT = 24_500.0
OFF_LADDER_TOKEN = 77_001
"""A contract with a tick but a strike the chain snapshot does not list."""
UNQUOTED_TOKEN = 77_002
"""A contract of an expiry with no snapshot and no tick yet."""


@dataclasses.dataclass
class Scene:
    book: TradeBook
    ticks: TickStore
    chains: ChainBook
    portfolio: Portfolio
    snapshot: ChainSnapshot
    refdata: NiftyOptions


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    store = Store.open(":memory:")
    journal = Journal(tmp_path / "journal.jsonl")
    writer = StoreWriter(store).start()
    refdata = NiftyOptions()
    ticks = TickStore(1024)
    snapshot = quote(refdata, ticks, NOW, SPOT)
    chains = ChainBook(ticks)
    chains.add(snapshot)
    yield Scene(TradeBook(journal, writer), ticks, chains, Portfolio(RecordingBus()), snapshot, refdata)
    writer.close()
    journal.close()
    store.close()


def _token(scene: Scene, strike: float, kind: str) -> int:
    tokens = scene.refdata.tokens(EXPIRY, kind)
    return tokens[[float(k) for k in scene.snapshot.strike.tolist()].index(strike)]


def _trade(n: int, status: TradeStatus, token: int, strike: float, kind: str, **kw: object) -> OptionTrade:
    values: dict[str, object] = dict(
        trade_id=f"OT{n}", signal_key=f"K{n}", signal_id=f"S{n}", strategy="ma_crossover", underlying="NIFTY",
        action="BUY" if kind == "CE" else "SELL", opened_ns=NOW + n * NS, status=status, exchange="NFO",
        tradingsymbol=f"NIFTY26JAN{int(strike)}{kind}", token=token, expiry=EXPIRY, strike=strike,
        option_type=kind, product="MIS", lot_size=65,
    )  # fmt: skip
    values.update(kw)
    return OptionTrade(**values)  # type: ignore[arg-type]


def _fill(scene: Scene, trade: OptionTrade, price: float) -> None:
    assert trade.token is not None
    assert trade.tradingsymbol is not None
    assert trade.quantity is not None
    scene.portfolio.on_fill(
        FillInfo(f"F{trade.trade_id}", f"E{trade.trade_id}", None, trade.token, trade.tradingsymbol, "NFO",
                 "BUY", trade.quantity, price, NOW, product="MIS")
    )  # fmt: skip


def _fill_book(scene: Scene) -> dict[str, OptionTrade]:
    """Five trades: OPEN held in the portfolio (CE 24500), PENDING (PE 24400), OPEN off the snapshot's
    ladder and not in the portfolio, CLOSING of an expiry without a snapshot or a tick, and a CLOSED one."""
    ce, pe = _token(scene, 24_500.0, "CE"), _token(scene, 24_400.0, "PE")
    trades = {
        "held": _trade(1, TradeStatus.OPEN, ce, 24_500.0, "CE", lots=2, quantity=130, filled_quantity=130,
                       entry_premium=120.0, stop=96.0, target=168.0),
        "pending": _trade(2, TradeStatus.PENDING, pe, 24_400.0, "PE", lots=1, quantity=65, entry_premium=88.5,
                          stop=70.8, target=123.9),
        "off_ladder": _trade(3, TradeStatus.OPEN, OFF_LADDER_TOKEN, 30_000.0, "CE", lots=1, quantity=65,
                             filled_quantity=65, entry_premium=2.0, stop=1.0, target=4.0),
        "unquoted": _trade(4, TradeStatus.CLOSING, UNQUOTED_TOKEN, 24_500.0, "CE", expiry=NEXT_EXPIRY, lots=3,
                           quantity=195, filled_quantity=195, entry_premium=150.0, stop=120.0, target=210.0),
        "closed": _trade(5, TradeStatus.CLOSED, ce, 24_500.0, "CE", lots=1, quantity=65, filled_quantity=65,
                         entry_premium=110.0, exit_reason="target"),
    }  # fmt: skip
    for trade in trades.values():
        scene.book.add(trade, trade.opened_ns)
    _fill(scene, trades["held"], 119.5)  # filled a tick better than the planned entry
    scene.ticks.push(OFF_LADDER_TOKEN, NOW, 2.6)
    return trades


def _last(scene: Scene, token: int) -> float:
    tick = scene.ticks.latest(token)
    assert tick is not None
    return float(tick.last_price)


def test_rows_show_each_live_trade_with_premium_pnl_and_greeks(scene: Scene) -> None:
    trades = _fill_book(scene)
    held_last = _last(scene, trades["held"].token or 0)
    scene.portfolio.mark(trades["held"].token or 0, held_last, NOW)
    rows = option_position_rows(scene.book.live(), scene.ticks, scene.portfolio, scene.chains)
    assert [r.trade_id for r in rows] == ["OT1", "OT2", "OT3", "OT4"]  # the CLOSED one left out, oldest first
    held, pending, off_ladder, unquoted = rows

    ce = scene.snapshot.row(24_500.0)
    assert held == OptionPositionRow(
        "OT1", "NIFTY", "NIFTY26JAN24500CE", 2, 130, 130, 120.0, held_last,
        pytest.approx((held_last - 119.5) * 130),  # type: ignore[arg-type]  # the portfolio's average, not 120
        ce["call_iv"], ce["call_delta"], ce["call_gamma"], ce["call_theta"], 96.0, 168.0, "OPEN",
    )  # fmt: skip
    assert 0.10 < ce["call_iv"] < 0.20
    assert 0.4 < ce["call_delta"] < 0.6
    assert ce["call_theta"] < 0

    pe = scene.snapshot.row(24_400.0)
    assert pending == OptionPositionRow(
        "OT2", "NIFTY", "NIFTY26JAN24400PE", 1, 65, 0, 88.5, _last(scene, trades["pending"].token or 0), 0.0,
        pe["put_iv"], pe["put_delta"], pe["put_gamma"], pe["put_theta"], 70.8, 123.9, "PENDING",
    )  # fmt: skip
    assert pe["put_delta"] < 0

    # Not in the portfolio: (last - entry) x filled; a strike the snapshot lacks has no greeks.
    assert off_ladder == OptionPositionRow(
        "OT3", "NIFTY", "NIFTY26JAN30000CE", 1, 65, 65, 2.0, 2.6, pytest.approx(0.6 * 65),  # type: ignore[arg-type]
        None, None, None, None, 1.0, 4.0, "OPEN",
    )  # fmt: skip
    # No tick, no snapshot of its expiry: nothing made up.
    assert unquoted == OptionPositionRow(
        "OT4", "NIFTY", "NIFTY26JAN24500CE", 3, 195, 195, 150.0, None, None, None, None, None, None, 120.0,
        210.0, "CLOSING",
    )  # fmt: skip


def test_a_closed_trade_leaves_the_rows(scene: Scene) -> None:
    trades = _fill_book(scene)
    trades["held"].status = TradeStatus.CLOSED
    scene.book.save(trades["held"], NOW + 10 * NS, "closed")
    rows = option_position_rows(scene.book.live(), scene.ticks, scene.portfolio, scene.chains)
    assert [r.trade_id for r in rows] == ["OT2", "OT3", "OT4"]


def test_the_kernel_rows_come_from_its_options_executor(scene: Scene) -> None:
    trades = _fill_book(scene)
    execution = SimpleNamespace(options=SimpleNamespace(book=scene.book), chains=scene.chains)
    kernel = SimpleNamespace(execution=execution, ticks=scene.ticks, portfolio=scene.portfolio)
    rows = kernel_option_positions(kernel)  # type: ignore[arg-type]
    assert rows == option_position_rows(trades.values(), scene.ticks, scene.portfolio, scene.chains)
    assert len(rows) == 4
    kernel.execution = SimpleNamespace(options=None, chains=None)
    assert kernel_option_positions(kernel) == ()  # type: ignore[arg-type]


def _cells(text: str) -> dict[str, list[str]]:
    """The option positions table's rows, by status and contract, as their cells."""
    rows = {}
    for line in text.splitlines():
        if "NIFTY26JAN" in line:
            cells = [cell.strip() for cell in line.split("│")[1:-1]]
            rows[f"{cells[-1]} {cells[0]}"] = cells
    return rows


def test_view_shows_the_option_positions_panel(scene: Scene) -> None:
    _fill_book(scene)
    rows = option_position_rows(scene.book.live(), scene.ticks, scene.portfolio, scene.chains)
    console = Console(record=True, width=200)
    console.print(render(dataclasses.replace(_snapshot(), option_positions=rows)))
    text = console.export_text()
    assert "option positions (4)" in text
    held, pending, _, _ = rows
    assert _cells(text) == {
        "OPEN NIFTY26JAN24500CE": [
            "NIFTY26JAN24500CE", "2", "130", "120.00", f"{held.last:,.2f}", f"{held.unrealised:,.2f}",
            f"{held.iv:.1%}", f"{held.delta:.2f}", f"{held.gamma:.4f}", f"{held.theta:,.2f}", "96.00",
            "168.00", "OPEN",
        ],
        "PENDING NIFTY26JAN24400PE": [
            "NIFTY26JAN24400PE", "1", "65", "88.50", f"{pending.last:,.2f}", "0.00", f"{pending.iv:.1%}",
            f"{pending.delta:.2f}", f"{pending.gamma:.4f}", f"{pending.theta:,.2f}", "70.80", "123.90",
            "PENDING",
        ],
        "OPEN NIFTY26JAN30000CE": [
            "NIFTY26JAN30000CE", "1", "65", "2.00", "2.60", "39.00", "-", "-", "-", "-", "1.00", "4.00",
            "OPEN",
        ],
        "CLOSING NIFTY26JAN24500CE": [
            "NIFTY26JAN24500CE", "3", "195", "150.00", "-", "-", "-", "-", "-", "-", "120.00", "210.00",
            "CLOSING",
        ],
    }  # fmt: skip
    assert pending.delta is not None
    assert pending.delta < 0


def test_a_partly_filled_entry_shows_filled_of_ordered(scene: Scene) -> None:
    row = OptionPositionRow(
        "OT9", "NIFTY", "NIFTY26JAN24500CE", 2, 130, 65, 120.0, 121.0, 65.0, 0.14, 0.5, 0.0004, -9.5, 96.0,
        168.0, "OPEN",
    )  # fmt: skip
    console = Console(record=True, width=200)
    console.print(render(dataclasses.replace(_snapshot(), option_positions=(row,))))
    assert _cells(console.export_text())["OPEN NIFTY26JAN24500CE"] == [
        "NIFTY26JAN24500CE", "2", "65/130", "120.00", "121.00", "65.00", "14.0%", "0.50", "0.0004", "-9.50",
        "96.00", "168.00", "OPEN",
    ]  # fmt: skip


def test_no_option_positions_no_panel() -> None:
    console = Console(record=True, width=200)
    console.print(render(_snapshot()))
    assert "option positions" not in console.export_text()
