"""End-of-session reconciliation: our store's orders, fills and positions against the broker's own book.

Compared, by value: every broker order carrying one of our tags has a row in
``orders`` with the same broker order id, quantity, filled quantity and average
price (to a paisa) and a state consistent with the broker's status; every
broker trade of those orders is a row in ``fills`` with the same broker order id and trade id
(quantity, price; trade ids alone may repeat across orders);
the net quantity per instrument from our fills equals the broker's net
position. Orders placed outside AlphaStock (no tag of ours) are ignored.

:func:`resolve_stored_unknown` settles, at the next start, orders an earlier session
left UNKNOWN in the store (their tag looked up in the broker's order book).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alphastock.execution.transitions import OrderState, state_from_kite
from alphastock.live.summary import Reconciliation
from alphastock.models import IST, Order, Position, Trade

PRICE_TOLERANCE = 0.005
"""Rupees: half a paisa."""

# Broker status -> the OMS states it is consistent with.
_STATES: Mapping[str, frozenset[str]] = {
    "COMPLETE": frozenset({"FILLED"}),
    "CANCELLED": frozenset({"CANCELLED"}),
    "REJECTED": frozenset({"REJECTED"}),
    "OPEN": frozenset({"OPEN", "PARTIALLY_FILLED", "CANCEL_PENDING", "SUBMITTED"}),
    "TRIGGER PENDING": frozenset({"TRIGGER_PENDING", "OPEN", "CANCEL_PENDING", "SUBMITTED"}),
}


def reconcile(
    orders: Sequence[Mapping[str, Any]],
    fills: Sequence[Mapping[str, Any]],
    broker_orders: Iterable[Order],
    broker_trades: Iterable[Trade],
    broker_positions: Iterable[Position],
) -> Reconciliation:
    """Compare store rows (``orders``/``fills`` tables as dicts) with the broker's book."""
    by_key = {str(row["idempotency_key"]): row for row in orders}
    by_broker_id = {str(row["broker_order_id"]): row for row in orders if row.get("broker_order_id")}
    ours = [o for o in broker_orders if o.tag and o.tag in by_key]
    differences: list[str] = []
    matched_orders = 0
    for order in ours:
        row = by_key[str(order.tag)]
        problems = []
        if row.get("broker_order_id") != order.order_id:
            problems.append(f"broker id {row.get('broker_order_id')} != {order.order_id}")
        if int(row["quantity"]) != order.quantity:
            problems.append(f"quantity {row['quantity']} != {order.quantity}")
        if int(row["filled_quantity"]) != order.filled_quantity:
            problems.append(f"filled {row['filled_quantity']} != {order.filled_quantity}")
        if (
            order.filled_quantity
            and abs(float(row["average_price"] or 0.0) - order.average_price) > PRICE_TOLERANCE
        ):
            problems.append(f"average price {row['average_price']} != {order.average_price}")
        allowed = _STATES.get(str(order.status))
        if allowed is not None and row["state"] not in allowed:
            problems.append(f"state {row['state']} vs broker {order.status}")
        if problems:
            differences.append(f"order {order.tag} ({order.tradingsymbol}): " + "; ".join(problems))
        else:
            matched_orders += 1
    our_ids = {o.order_id for o in ours}
    fills_by_trade = {(str(row["broker_order_id"]), str(row["trade_id"])): row for row in fills}
    trades = [t for t in broker_trades if t.order_id in our_ids]
    matched_trades = 0
    for trade in trades:
        fill = fills_by_trade.get((trade.order_id, trade.trade_id))
        if fill is None:
            differences.append(f"trade {trade.trade_id} of order {trade.order_id} is not in fills")
        elif (
            int(fill["quantity"]) != trade.quantity
            or abs(float(fill["price"]) - trade.average_price) > PRICE_TOLERANCE
        ):
            differences.append(
                f"trade {trade.trade_id}: ours {fill['quantity']} @ {fill['price']}, "
                f"broker {trade.quantity} @ {trade.average_price}"
            )
        else:
            matched_trades += 1
    broker_trade_ids = {(t.order_id, t.trade_id) for t in trades}
    for (order_id, trade_id), _fill in fills_by_trade.items():
        if (order_id, trade_id) not in broker_trade_ids and order_id in by_broker_id:
            differences.append(f"fill {trade_id} of order {order_id} is not a broker trade")
    net: dict[str, int] = defaultdict(int)
    for fill in fills:
        sign = 1 if fill["side"] == "BUY" else -1
        net[str(fill["symbol"])] += sign * int(fill["quantity"])
    broker_net: dict[str, int] = defaultdict(int)
    for position in broker_positions:
        broker_net[position.tradingsymbol] += position.quantity
    for symbol in sorted(set(net) | {s for s, q in broker_net.items() if q}):
        if net.get(symbol, 0) != broker_net.get(symbol, 0):
            differences.append(
                f"net position {symbol}: ours {net.get(symbol, 0)}, broker {broker_net.get(symbol, 0)}"
            )
    return Reconciliation(
        broker_orders=len(ours),
        broker_trades=len(trades),
        matched_orders=matched_orders,
        matched_trades=matched_trades,
        differences=tuple(differences),
    )


UNRESOLVABLE = "unresolvable:"
"""Start of the note on an UNKNOWN order of an earlier trading day (written once)."""


@dataclass(frozen=True, slots=True)
class StoredResolution:
    """What the next start found for an order the store still held as UNKNOWN."""

    key: str
    state: str
    """The state to record (UNKNOWN when it cannot be told)."""
    message: str
    broker_order_id: str | None = None
    filled_quantity: int | None = None
    average_price: float | None = None


def resolve_stored_unknown(
    rows: Sequence[Mapping[str, Any]],
    broker_orders: Iterable[Order],
    *,
    today: dt.date,
    session_id: str,
    simulator: bool = False,
) -> list[StoredResolution]:
    """Resolve orders an earlier session left UNKNOWN (store rows) against today's broker order book.

    Found by tag: the broker's state, id and filled quantity. Absent and created today: never placed
    (Kite's book lists every order of the day, rejected ones too), so REJECTED; on the embedded
    simulator, whose book starts empty every run, the outcome died with that run, and it is closed as
    REJECTED saying so. Absent and from an earlier day: Kite's book no longer lists it, so it stays
    UNKNOWN with a note (once) telling where to look.
    """
    by_tag = {o.tag: o for o in broker_orders if o.tag}
    out: list[StoredResolution] = []
    for row in rows:
        key = str(row["idempotency_key"])
        found = by_tag.get(key)
        if found is not None:
            state = state_from_kite(found.status, found.filled_quantity, found.quantity)
            out.append(
                StoredResolution(
                    key,
                    (state or OrderState.UNKNOWN).value,
                    f"resolved at the start of session {session_id}: broker order {found.order_id} "
                    f"{found.status}, {found.filled_quantity}/{found.quantity} filled (fills not booked "
                    "here: see the broker's trade book)",
                    found.order_id,
                    found.filled_quantity,
                    found.average_price or None,
                )
            )
            continue
        created = dt.datetime.fromtimestamp(int(row["created_ns"]) / 1e9, IST).date()
        if simulator:
            message = (
                f"not in the simulator's order book at the start of session {session_id}: the embedded "
                "simulator starts an empty book every run, so this outcome ended with the earlier run"
            )
            out.append(StoredResolution(key, OrderState.REJECTED.value, message))
        elif created >= today:
            message = (
                f"not in the broker's order book at the start of session {session_id} (it lists every "
                "order of the day): never placed"
            )
            out.append(StoredResolution(key, OrderState.REJECTED.value, message))
        elif not str(row.get("status_message") or "").startswith(UNRESOLVABLE):
            message = (
                f"{UNRESOLVABLE} placed on {created}, and the broker's order book lists only today's "
                "orders; check that day's contract note"
            )
            out.append(StoredResolution(key, OrderState.UNKNOWN.value, message))
    return out


__all__ = ["PRICE_TOLERANCE", "UNRESOLVABLE", "StoredResolution", "reconcile", "resolve_stored_unknown"]
