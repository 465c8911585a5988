"""PaperBroker: fills, statuses, margins, square-off, P&L and charges by value, on a simulated clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from alphastock.brokers.charges import compute_charges
from alphastock.brokers.errors import OrderNotFound, OrderRejected
from alphastock.brokers.paper import (
    SQUARE_OFF_TAG,
    MarketSnapshot,
    PaperBroker,
    PaperSettings,
    StaticMarket,
    TickStoreMarket,
)
from alphastock.models import (
    IST,
    ChargeOrder,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    datetime_to_ns,
)
from alphastock.ports import MarketDataClient, TradingClient

S = OrderStatus
SBIN = 779521
NIFTY_CE = 10189826
T0 = datetime_to_ns(dt.datetime(2026, 1, 6, 10, 0, tzinfo=IST))
INSTRUMENTS = [
    Instrument(
        instrument_token=SBIN,
        exchange_token=3045,
        tradingsymbol="SBIN",
        tick_size=0.05,
        lot_size=1,
        instrument_type="EQ",
        segment="NSE",
        exchange="NSE",
    ),
    Instrument(
        instrument_token=NIFTY_CE,
        exchange_token=39804,
        tradingsymbol="NIFTY26JAN25000CE",
        tick_size=0.05,
        lot_size=65,
        instrument_type="CE",
        segment="NFO-OPT",
        exchange="NFO",
        strike=25000.0,
        expiry=dt.date(2026, 1, 27),
    ),
]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1e9)


def _broker(**settings: Any) -> tuple[PaperBroker, StaticMarket, Clock]:
    market = StaticMarket()
    market.set(SBIN, MarketSnapshot(last_price=800.0, bid=799.9, ask=800.1, bid_qty=500, ask_qty=500))
    market.set(NIFTY_CE, MarketSnapshot(last_price=100.0, bid=99.9, ask=100.1, bid_qty=650, ask_qty=650))
    clock = Clock()
    broker = PaperBroker(market, PaperSettings(**settings), clock=clock, instruments=INSTRUMENTS)
    return broker, market, clock


def _sbin(side: str = "BUY", qty: int = 10, product: str = "MIS", **extra: Any) -> OrderRequest:
    fields: dict[str, Any] = {"order_type": "MARKET", "market_protection": -1}
    fields.update(extra)
    return OrderRequest(
        tag="t1",
        exchange="NSE",
        tradingsymbol="SBIN",
        instrument_token=SBIN,
        transaction_type=side,
        quantity=qty,
        product=product,
        **fields,
    )


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_plays_execution_and_account_not_market_data() -> None:
    broker, _, _ = _broker()
    assert isinstance(broker, TradingClient)
    assert not isinstance(broker, MarketDataClient)  # prices come from the run's market-data client
    assert not hasattr(broker, "historical")


def test_market_buy_at_ask_with_slippage() -> None:
    broker, _, _ = _broker(slippage_bps=5.0, slippage_ticks=1)

    async def go() -> Any:
        oid = await broker.place_order(_sbin(qty=10))
        return oid, await broker.order_history(oid), await broker.trades()

    oid, history, trades = _run(go())
    # 800.1 + 5 bps (0.40005) + 1 tick (0.05) = 800.55005 -> rounded up to the tick: 800.6
    assert [o.status for o in history] == [
        S.PUT_ORDER_REQ_RECEIVED,
        S.VALIDATION_PENDING,
        S.OPEN_PENDING,
        S.OPEN,
        S.COMPLETE,
    ]
    assert (history[-1].average_price, history[-1].filled_quantity, history[-1].pending_quantity) == (
        800.6,
        10,
        0,
    )
    assert [(t.order_id, t.average_price, t.quantity, t.fill_timestamp) for t in trades] == [
        (oid, 800.6, 10, T0)
    ]
    sell = _run(broker.place_order(_sbin("SELL", 10)))
    # 799.9 - 0.39995 - 0.05 = 799.45005 -> down to 799.45
    assert _run(broker.order_history(sell))[-1].average_price == 799.45


def test_market_falls_back_to_last_price_without_book() -> None:
    broker, market, _ = _broker()
    market.set(SBIN, MarketSnapshot(last_price=801.0))
    oid = _run(broker.place_order(_sbin(qty=3)))
    assert _run(broker.order_history(oid))[-1].average_price == 801.0


def test_limit_rests_then_fills_on_crossing_update() -> None:
    broker, market, clock = _broker()
    oid = _run(broker.place_order(_sbin(qty=10, order_type="LIMIT", price=799.0, market_protection=None)))
    assert _run(broker.orders())[0].status == S.OPEN
    market.update(SBIN, last_price=799.2, bid=799.0, ask=799.5)
    broker.on_market_update([SBIN])
    assert _run(broker.orders())[0].status == S.OPEN  # ask 799.5 > limit 799
    clock.advance(1)
    market.update(SBIN, last_price=798.9, bid=798.8, ask=798.95)
    broker.on_market_update([SBIN])
    order = _run(broker.orders())[0]
    assert (order.status, order.average_price, order.filled_quantity) == (S.COMPLETE, 798.95, 10)
    assert _run(broker.order_trades(oid))[0].fill_timestamp == T0 + 1_000_000_000


def test_stop_loss_triggers() -> None:
    broker, market, _ = _broker()
    _run(broker.place_order(_sbin(qty=10)))  # long 10 at 800.1
    stop = _run(broker.place_order(_sbin("SELL", 10, order_type="SL-M", trigger_price=795.0)))
    assert _run(broker.order_history(stop))[-1].status == S.TRIGGER_PENDING
    market.update(SBIN, last_price=796.0, bid=795.9, ask=796.1)
    broker.poll()
    assert _run(broker.order_history(stop))[-1].status == S.TRIGGER_PENDING
    market.update(SBIN, last_price=794.5, bid=794.4, ask=794.6)
    broker.poll()
    statuses = [o.status for o in _run(broker.order_history(stop))]
    assert statuses[-3:] == [S.TRIGGER_PENDING, S.OPEN, S.COMPLETE]
    assert _run(broker.order_history(stop))[-1].average_price == 794.4
    limit_stop = _run(
        broker.place_order(
            _sbin("BUY", 5, order_type="SL", trigger_price=796.0, price=796.5, market_protection=None)
        )
    )
    market.update(SBIN, last_price=796.2, bid=796.3, ask=796.4)
    broker.poll()
    assert _run(broker.order_history(limit_stop))[-1].average_price == 796.4


def test_partial_fills_against_shallow_depth() -> None:
    broker, market, _ = _broker()
    market.update(SBIN, ask_qty=30)
    oid = _run(broker.place_order(_sbin(qty=100)))
    order = _run(broker.order_history(oid))[-1]
    assert (order.status, order.filled_quantity, order.pending_quantity) == (S.OPEN, 30, 70)
    market.update(SBIN, ask=800.2, ask_qty=50)
    broker.poll()
    order = _run(broker.order_history(oid))[-1]
    assert (order.filled_quantity, order.pending_quantity) == (80, 20)
    market.update(SBIN, ask=800.3, ask_qty=500)
    broker.poll()
    order = _run(broker.order_history(oid))[-1]
    assert order.status == S.COMPLETE
    assert order.average_price == pytest.approx((30 * 800.1 + 50 * 800.2 + 20 * 800.3) / 100, abs=1e-9)
    assert [t.quantity for t in _run(broker.order_trades(oid))] == [30, 50, 20]
    # One executed order: brokerage is charged once, on the whole order.
    charges = broker.order_charges(oid)
    assert charges.brokerage == 20.0
    assert broker.total_charges == pytest.approx(charges.total, abs=1e-9)


def test_rejection_for_margin() -> None:
    broker, _, _ = _broker(starting_cash=10_000.0)
    # CNC needs the full notional: 20 x 800.1 = 16,002 > 10,000.
    oid = _run(broker.place_order(_sbin(qty=20, product="CNC")))
    order = _run(broker.order_history(oid))[-1]
    assert order.status == S.REJECTED
    assert order.status_message == (
        "Insufficient funds. Required margin is 16002.00 but available margin is 10000.00."
    )
    assert _run(broker.trades()) == []
    # MIS needs 20 %: 3,200.40 fits.
    ok = _run(broker.place_order(_sbin(qty=20, product="MIS")))
    assert _run(broker.order_history(ok))[-1].status == S.COMPLETE
    assert _run(broker.order_history(_run(broker.place_order(_sbin("SELL", 5, product="CNC")))))[
        -1
    ].status == (S.REJECTED)


def test_cancel_and_modify() -> None:
    broker, market, _ = _broker()
    oid = _run(broker.place_order(_sbin(qty=10, order_type="LIMIT", price=790.0, market_protection=None)))
    _run(broker.modify_order(oid, price=795.0, quantity=12))
    history = _run(broker.order_history(oid))
    assert [o.status for o in history[-4:]] == [
        S.MODIFY_VALIDATION_PENDING,
        S.MODIFY_PENDING,
        S.MODIFIED,
        S.OPEN,
    ]
    assert (history[-1].price, history[-1].quantity, history[-1].modified) == (795.0, 12, True)
    _run(broker.cancel_order(oid))
    last = _run(broker.order_history(oid))[-1]
    assert (last.status, last.cancelled_quantity, last.filled_quantity) == (S.CANCELLED, 12, 0)
    market.update(SBIN, ask=780.0)
    broker.poll()
    assert _run(broker.trades()) == []
    with pytest.raises(OrderRejected, match="cannot be cancelled as it is CANCELLED"):
        _run(broker.cancel_order(oid))
    with pytest.raises(OrderRejected, match="cannot be modified"):
        _run(broker.modify_order(oid, price=1.0))
    with pytest.raises(OrderNotFound):
        _run(broker.cancel_order("nope"))


def test_latency_on_the_simulated_clock() -> None:
    broker, _, clock = _broker(latency_ns=250_000_000)
    oid = _run(broker.place_order(_sbin(qty=1)))
    assert _run(broker.order_history(oid))[-1].status == S.OPEN
    clock.advance(0.2)
    broker.poll()
    assert _run(broker.order_history(oid))[-1].status == S.OPEN
    clock.advance(0.05)
    broker.poll()
    assert _run(broker.trades())[0].fill_timestamp == T0 + 250_000_000


def test_mis_square_off_at_1520_ist() -> None:
    broker, market, clock = _broker()
    _run(broker.place_order(_sbin(qty=10)))  # MIS long 10 at 800.1
    resting = _run(
        broker.place_order(_sbin("SELL", 10, order_type="LIMIT", price=900.0, market_protection=None))
    )
    cnc = _run(broker.place_order(_sbin(qty=2, product="CNC")))
    clock.now = datetime_to_ns(dt.datetime(2026, 1, 6, 15, 19, 59, tzinfo=IST))
    broker.poll()
    assert all(p.quantity for p in _run(broker.positions()).net)
    clock.now = datetime_to_ns(dt.datetime(2026, 1, 6, 15, 20, tzinfo=IST))
    market.update(SBIN, last_price=805.0, bid=804.9, ask=805.1)
    broker.poll()
    assert _run(broker.order_history(resting))[-1].status == S.CANCELLED
    squares = [o for o in _run(broker.orders()) if o.tag == SQUARE_OFF_TAG]
    assert [(o.transaction_type, o.quantity, o.status, o.average_price) for o in squares] == [
        ("SELL", 10, S.COMPLETE, 804.9)
    ]
    book = {p.product: p for p in _run(broker.positions()).net}
    assert book["MIS"].quantity == 0
    assert book["MIS"].realised == pytest.approx((804.9 - 800.1) * 10, abs=1e-9)
    assert book["CNC"].quantity == 2  # delivery is not squared off
    assert _run(broker.order_history(cnc))[-1].status == S.COMPLETE
    late = _run(broker.place_order(_sbin(qty=1)))
    assert _run(broker.order_history(late))[-1].status_message == (
        "MIS orders are blocked after the square-off time (15:20 IST)."
    )
    broker.poll()  # once per day
    assert len([o for o in _run(broker.orders()) if o.tag == SQUARE_OFF_TAG]) == 1


def test_round_trip_pnl_and_charges_by_value() -> None:
    broker, market, _ = _broker()

    def option(side: str) -> OrderRequest:
        return OrderRequest(
            tag="rt",
            exchange="NFO",
            tradingsymbol="NIFTY26JAN25000CE",
            instrument_token=NIFTY_CE,
            transaction_type=side,
            quantity=65,
            product="NRML",
            order_type="MARKET",
            market_protection=-1,
        )

    _run(broker.place_order(option("BUY")))  # 65 at 100.1
    market.set(NIFTY_CE, MarketSnapshot(last_price=110.0, bid=109.9, ask=110.1, bid_qty=650, ask_qty=650))
    (pos,) = _run(broker.positions()).net
    assert (pos.quantity, pos.average_price, pos.last_price) == (65, 100.1, 110.0)
    assert pos.unrealised == pytest.approx((110.0 - 100.1) * 65, abs=1e-9)
    _run(broker.place_order(option("SELL")))  # 65 at 109.9
    (pos,) = _run(broker.positions()).net
    assert pos.quantity == 0
    assert pos.realised == pytest.approx((109.9 - 100.1) * 65, abs=1e-9)  # 637.0
    assert pos.pnl == pytest.approx(637.0, abs=1e-9)
    assert (pos.buy_value, pos.sell_value) == (pytest.approx(6506.5), pytest.approx(7143.5))
    # Buy: premium 6,506.5: exch 0.0355 % = 2.3098075; SEBI 0.0065065; stamp 0.003 % = 0.195195;
    #   GST 18 % of (20 + 2.3098075 + 0.0065065) = 4.01693652; total 26.52844552.
    # Sell: premium 7,143.5: STT 0.15 % = 10.71525; exch 2.5359425; SEBI 0.0071435;
    #   GST 18 % of (20 + 2.5359425 + 0.0071435) = 4.05775548; total 37.31609148.
    orders = _run(broker.orders())
    buy, sell = (broker.order_charges(o.order_id) for o in orders)
    assert buy.total == pytest.approx(26.52844552, abs=1e-8)
    assert sell.total == pytest.approx(37.31609148, abs=1e-8)
    assert sell.transaction_tax == pytest.approx(10.71525, abs=1e-9)
    assert broker.total_charges == pytest.approx(26.52844552 + 37.31609148, abs=1e-8)
    # The same numbers the simulator's /charges/orders gives: both use alphastock.brokers.charges.
    note = _run(
        broker.charges(
            [
                ChargeOrder(
                    exchange="NFO",
                    tradingsymbol="NIFTY26JAN25000CE",
                    transaction_type="SELL",
                    product="NRML",
                    quantity=65,
                    average_price=109.9,
                )
            ]
        )
    )
    assert note[0] == sell
    margins = _run(broker.margins())
    assert margins.equity is not None
    assert margins.equity.net == pytest.approx(1_000_000 + 637.0 - 26.52844552 - 37.31609148, abs=1e-6)


def test_order_update_stream() -> None:
    broker, _, _ = _broker()

    async def go() -> list[OrderUpdate]:
        stream = broker.order_updates()
        oid = await broker.place_order(_sbin(qty=4))
        got = [await anext(stream) for _ in range(5)]
        await stream.aclose()  # type: ignore[attr-defined]
        assert all(u.order_id == oid for u in got)
        return got

    updates = _run(go())
    assert [u.status for u in updates] == [
        S.PUT_ORDER_REQ_RECEIVED,
        S.VALIDATION_PENDING,
        S.OPEN_PENDING,
        S.OPEN,
        S.COMPLETE,
    ]
    done = updates[-1]
    assert (done.filled_quantity, done.unfilled_quantity, done.average_price, done.tag) == (4, 0, 800.1, "t1")


def test_ioc_cancels_the_rest() -> None:
    broker, market, _ = _broker()
    market.update(SBIN, ask_qty=3)
    oid = _run(broker.place_order(_sbin(qty=10, validity="IOC")))
    last = _run(broker.order_history(oid))[-1]
    assert (last.status, last.filled_quantity, last.cancelled_quantity) == (S.CANCELLED, 3, 7)


def test_account_answers() -> None:
    broker, _, _ = _broker()
    assert _run(broker.holdings()) == []
    (margin,) = _run(broker.order_margins([_sbin(qty=10)]))
    assert margin.total == pytest.approx(10 * 800.1 * 0.2, abs=1e-9)
    assert margin.charges == compute_charges(
        ChargeOrder(
            exchange="NSE",
            tradingsymbol="SBIN",
            transaction_type="BUY",
            product="MIS",
            quantity=10,
            average_price=800.1,
        )
    )


def test_option_sell_margin_uses_the_strike() -> None:
    broker, _, _ = _broker(starting_cash=100_000.0)
    sell = OrderRequest(
        tag="s",
        exchange="NFO",
        tradingsymbol="NIFTY26JAN25000CE",
        instrument_token=NIFTY_CE,
        transaction_type="SELL",
        quantity=65,
        product="NRML",
        order_type="LIMIT",
        price=99.0,
    )
    (margin,) = _run(broker.order_margins([sell]))
    assert margin.total == pytest.approx(65 * 25000 * 0.12, abs=1e-6)  # 195,000 > 100,000
    oid = _run(broker.place_order(sell))
    assert _run(broker.order_history(oid))[-1].status == S.REJECTED


def test_tick_store_adapter() -> None:
    class Store:
        def latest(self, token: int) -> Any:
            if token != 5:
                return None
            return (5, 123, 101.5, 10, 1000, 7, float("nan"), 101.6, 0, 40)

    market = TickStoreMarket(Store())
    assert market.latest(6) is None
    assert market.latest(5) == MarketSnapshot(
        last_price=101.5, bid=0.0, ask=101.6, bid_qty=0, ask_qty=40, volume=1000, oi=7.0, ts_ns=123
    )


def test_deterministic() -> None:
    def session() -> list[Any]:
        broker, market, clock = _broker(slippage_bps=3.0)
        _run(broker.place_order(_sbin(qty=10)))
        _run(broker.place_order(_sbin("SELL", 4, order_type="LIMIT", price=801.0, market_protection=None)))
        clock.advance(2)
        market.update(SBIN, bid=801.2)
        broker.poll()
        return [*_run(broker.orders()), *_run(broker.trades())]

    assert session() == session()
