"""Reconciliation of our book with the broker's, by value."""

from __future__ import annotations

from typing import Any

from alphastock.live.reconcile import reconcile
from alphastock.models import Order, Position, Trade


def _order(order_id: str, tag: str, status: str, qty: int, filled: int, avg: float) -> Order:
    return Order.model_validate({
        "order_id": order_id, "status": status, "variety": "regular", "exchange": "NSE",
        "tradingsymbol": "SBIN", "instrument_token": 779521, "order_type": "MARKET",
        "transaction_type": "BUY", "validity": "DAY", "product": "MIS", "quantity": qty,
        "filled_quantity": filled, "average_price": avg, "tag": tag,
    })  # fmt: skip


def _trade(trade_id: str, order_id: str, qty: int, price: float, side: str = "BUY") -> Trade:
    return Trade.model_validate({
        "trade_id": trade_id, "order_id": order_id, "exchange": "NSE", "tradingsymbol": "SBIN",
        "instrument_token": 779521, "product": "MIS", "transaction_type": side, "average_price": price,
        "quantity": qty,
    })  # fmt: skip


def _position(qty: int) -> Position:
    return Position.model_validate({
        "tradingsymbol": "SBIN", "exchange": "NSE", "instrument_token": 779521, "product": "MIS",
        "quantity": qty,
    })  # fmt: skip


ORDERS: list[dict[str, Any]] = [
    {"idempotency_key": "AS1", "broker_order_id": "1001", "quantity": 10, "filled_quantity": 10,
     "average_price": 850.125, "state": "FILLED"},
]  # fmt: skip
FILLS: list[dict[str, Any]] = [
    {"trade_id": "T1", "broker_order_id": "1001", "symbol": "SBIN", "side": "BUY", "quantity": 4,
     "price": 850.0},
    {"trade_id": "T2", "broker_order_id": "1001", "symbol": "SBIN", "side": "BUY", "quantity": 6,
     "price": 850.2},
]  # fmt: skip


def test_matching_books() -> None:
    result = reconcile(
        ORDERS,
        FILLS,
        [_order("1001", "AS1", "COMPLETE", 10, 10, 850.12), _order("9", "manual", "COMPLETE", 1, 1, 1.0)],
        [_trade("T1", "1001", 4, 850.0), _trade("T2", "1001", 6, 850.2), _trade("T9", "9", 1, 1.0)],
        [_position(10)],
    )
    assert result.ok, result.differences
    assert (result.broker_orders, result.matched_orders) == (1, 1)
    assert (result.broker_trades, result.matched_trades) == (2, 2)


def test_every_difference_is_named() -> None:
    result = reconcile(
        ORDERS,
        FILLS[:1],
        [_order("1001", "AS1", "OPEN", 10, 6, 850.2)],
        [_trade("T1", "1001", 4, 850.0), _trade("T2", "1001", 6, 850.2)],
        [_position(7)],
    )
    text = "\n".join(result.differences)
    assert "filled 10 != 6" in text
    assert "state FILLED vs broker OPEN" in text
    assert "trade T2 of order 1001 is not in fills" in text
    assert "net position SBIN: ours 4, broker 7" in text
    assert result.matched_orders == 0
    assert result.matched_trades == 1


def test_a_trade_id_repeated_by_another_order_is_matched_to_its_own_order() -> None:
    # The simulator and the paper broker number trades from the same start every session; an
    # exchange may repeat a trade number in another segment. A trade is (its order, its id).
    orders = [*ORDERS, {"idempotency_key": "AS2", "broker_order_id": "1002", "quantity": 5,
                        "filled_quantity": 5, "average_price": 851.0, "state": "FILLED"}]  # fmt: skip
    fills = [*FILLS, {"trade_id": "T1", "broker_order_id": "1002", "symbol": "SBIN", "side": "SELL",
                      "quantity": 5, "price": 851.0}]  # fmt: skip
    broker_orders = [
        _order("1001", "AS1", "COMPLETE", 10, 10, 850.12),
        _order("1002", "AS2", "COMPLETE", 5, 5, 851.0),
    ]
    trades = [
        _trade("T1", "1001", 4, 850.0),
        _trade("T2", "1001", 6, 850.2),
        _trade("T1", "1002", 5, 851.0, "SELL"),
    ]
    result = reconcile(orders, fills, broker_orders, trades, [_position(5)])
    assert result.ok, result.differences
    assert (result.broker_trades, result.matched_trades) == (3, 3)
    wrong = reconcile(orders, [*FILLS, {**fills[-1], "price": 852.0}], broker_orders, trades, [_position(5)])
    assert wrong.differences == ("trade T1: ours 5 @ 852.0, broker 5 @ 851.0",)


def test_orders_left_unknown_are_resolved_at_the_next_start() -> None:
    import datetime as dt

    from alphastock.live.reconcile import UNRESOLVABLE, StoredResolution, resolve_stored_unknown
    from alphastock.models import IST

    today = dt.date(2026, 1, 12)
    at = int(dt.datetime(2026, 1, 12, 10, 0, tzinfo=IST).timestamp() * 1e9)
    yesterday = at - 86_400 * 10**9
    rows = [
        {"idempotency_key": "ASplaced", "created_ns": at, "status_message": "HTTP 503"},
        {"idempotency_key": "ASnever", "created_ns": at, "status_message": None},
        {"idempotency_key": "ASold", "created_ns": yesterday, "status_message": None},
        {"idempotency_key": "ASnoted", "created_ns": yesterday, "status_message": f"{UNRESOLVABLE} seen"},
    ]
    book = [_order("1001", "ASplaced", "COMPLETE", 17, 17, 1550.5), _order("9", "other", "OPEN", 1, 0, 0.0)]
    out = resolve_stored_unknown(rows, book, today=today, session_id="sim-2")
    assert out[0] == StoredResolution(
        "ASplaced", "FILLED",
        "resolved at the start of session sim-2: broker order 1001 COMPLETE, 17/17 filled (fills not "
        "booked here: see the broker's trade book)",
        "1001", 17, 1550.5,
    )  # fmt: skip
    assert (out[1].key, out[1].state) == ("ASnever", "REJECTED")
    assert out[1].message == (
        "not in the broker's order book at the start of session sim-2 (it lists every order of the day): "
        "never placed"
    )
    assert (out[2].key, out[2].state) == ("ASold", "UNKNOWN")
    assert out[2].message.startswith(f"{UNRESOLVABLE} placed on 2026-01-11, and the broker's order book")
    assert len(out) == 3  # the one already noted is not noted again
    # On the embedded simulator every run starts an empty book: an absent order's outcome ended with it.
    (sim,) = resolve_stored_unknown(rows[1:2], [], today=today, session_id="sim-3", simulator=True)
    assert sim.state == "REJECTED"
    assert "the embedded simulator starts an empty book every run" in sim.message
