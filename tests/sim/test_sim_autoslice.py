"""Kite's autoslice on POST /orders/regular, through the official SDK (place_autoslice_order)."""

from __future__ import annotations

from typing import Any

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.sim import SimServer
from alphastock.sim.errors import KiteError

OTM_CE = "NIFTY26JAN26200CE"  # cheap enough that three slices fit in the opening cash
FREEZE, LOT = 1800, 65  # NIFTY's freeze quantity and lot: 27 lots (1755 units) per child


def _engine_orders(sim: SimServer) -> dict[str, Any]:
    return sim.call(lambda ex: dict(ex.state.engine.orders))


def test_autoslice_splits_above_the_freeze_quantity(sim: SimServer, kite: KiteConnect) -> None:
    answer = kite.place_autoslice_order(
        "regular", "NFO", OTM_CE, "BUY", LOT * 60, "NRML", "MARKET", market_protection=-1
    )
    children = answer["children"]
    assert len(children) == 3
    assert all(set(c) == {"order_id"} for c in children)
    orders = _engine_orders(sim)
    assert answer["order_id"] not in orders  # the parent id only groups the children
    quantities = [orders[c["order_id"]].quantity for c in children]
    assert quantities == [1755, 1755, 390]
    assert all(q <= FREEZE and q % LOT == 0 for q in quantities)
    assert sum(quantities) == LOT * 60
    history = [kite.order_history(c["order_id"])[-1] for c in children]
    assert [h["status"] for h in history] == ["COMPLETE"] * 3
    assert sum(h["filled_quantity"] for h in history) == LOT * 60
    net = {p["tradingsymbol"]: p["quantity"] for p in kite.positions()["net"]}
    assert net[OTM_CE] == LOT * 60


def test_autoslice_below_the_freeze_or_without_one_is_one_order(sim: SimServer, kite: KiteConnect) -> None:
    small = kite.place_autoslice_order(
        "regular", "NFO", OTM_CE, "BUY", LOT * 2, "NRML", "MARKET", market_protection=-1
    )
    cash = kite.place_autoslice_order(
        "regular", "NSE", "SBIN", "BUY", 5000, "MIS", "MARKET", market_protection=-1
    )
    orders = _engine_orders(sim)
    for answer, quantity in ((small, LOT * 2), (cash, 5000)):
        (child,) = answer["children"]
        assert child["order_id"] == answer["order_id"]
        assert orders[child["order_id"]].quantity == quantity


def test_autoslice_children_report_errors_and_a_bad_request_raises(sim: SimServer, kite: KiteConnect) -> None:
    with pytest.raises(kex.InputException, match="multiple of the lot size"):
        kite.place_autoslice_order(
            "regular", "NFO", OTM_CE, "BUY", LOT * 60 + 1, "NRML", "MARKET", market_protection=-1
        )
    with pytest.raises(kex.InputException, match="tradingsymbol"):
        kite.place_autoslice_order(
            "regular", "NFO", "NOSUCH", "BUY", 4000, "NRML", "MARKET", market_protection=-1
        )
    assert _engine_orders(sim) == {}


def test_a_failing_child_is_an_error_entry_like_kites(sim: SimServer, kite: KiteConnect) -> None:
    def fail_second(ex: Any) -> None:
        engine, place, calls = ex.state.engine, ex.state.engine.place, []

        def place_or_fail(variety: str, params: dict[str, str]) -> Any:
            calls.append(params["quantity"])
            if len(calls) == 2:
                raise KiteError("Insufficient funds. Required margin is 1.00.", "MarginException")
            return place(variety, params)

        engine.place = place_or_fail

    sim.call(fail_second)
    answer = kite.place_autoslice_order(
        "regular", "NFO", OTM_CE, "BUY", LOT * 60, "NRML", "MARKET", market_protection=-1
    )
    first, second, third = answer["children"]
    message = "Insufficient funds. Required margin is 1.00."
    assert second == {
        "error": {"code": 400, "error_type": "MarginException", "message": message, "data": None}
    }
    orders = _engine_orders(sim)
    assert [orders[c["order_id"]].quantity for c in (first, third)] == [1755, 390]
