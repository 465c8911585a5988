"""GTT triggers on the simulator through the official SDK's GTT calls: place, list, get, modify, delete,
the market firing a leg into a real order, expiry, and Kite's rejections by value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.sim import SimExchange, SimServer
from alphastock.sim.gtt import min_distance
from alphastock.sim.matching import SimOrder
from alphastock.sim.state import SimState
from tests.sim.conftest import make_config

CE = "NIFTY26JAN25500CE"
LOT = 65


def _tick(price: float) -> float:
    return round(round(price / 0.05) * 0.05, 2)


def _ltp(kite: KiteConnect, symbol: str = CE, exchange: str = "NFO") -> float:
    return float(kite.ltp([f"{exchange}:{symbol}"])[f"{exchange}:{symbol}"]["last_price"])


def _leg(
    side: str, price: float, *, qty: int = LOT, product: str = "NRML", kind: str = "LIMIT"
) -> dict[str, Any]:
    return {"transaction_type": side, "quantity": qty, "order_type": kind, "product": product, "price": price}


def _move_spot(sim: SimServer, name: str, factor: float) -> None:
    """Move an underlying's spot by ``factor`` (the options reprice on the next step)."""

    def move(ex: SimExchange) -> None:
        model = ex.state.model
        model.spot[model.und_names.index(name)] *= factor

    sim.call(move)


def _advance_until(sim: SimServer, kite: KiteConnect, trigger_id: int, steps: int = 120) -> dict[str, Any]:
    """Step the market a second at a time until the GTT leaves ``active`` (at most ``steps``)."""
    for _ in range(steps):
        sim.advance(1)
        gtt: dict[str, Any] = kite.get_gtt(trigger_id)
        if gtt["status"] != "active":
            return gtt
    raise AssertionError(f"GTT {trigger_id} still active after {steps} steps")


def _listen(sim: SimServer) -> list[tuple[str, str]]:
    """(order id, status) of every order update the simulator streams from now on."""
    seen: list[tuple[str, str]] = []

    def add(ex: SimExchange) -> None:
        ex.state.engine.listeners.append(lambda o: seen.append((o.order_id, o.status)))

    sim.call(add)
    return seen


def test_two_leg_gtt_place_list_modify_delete_and_the_stop_fires(sim: SimServer, kite: KiteConnect) -> None:
    ask = kite.quote([f"NFO:{CE}"])[f"NFO:{CE}"]["depth"]["sell"][0]["price"]
    entry = kite.place_order("regular", "NFO", CE, "BUY", LOT, "NRML", "LIMIT", price=ask)
    assert kite.order_history(entry)[-1]["status"] == "COMPLETE"
    ltp = _ltp(kite)
    lower, upper = _tick(ltp * 0.96), _tick(ltp * 1.25)
    placed = kite.place_gtt(
        "two-leg", CE, "NFO", [lower, upper], ltp, [_leg("SELL", _tick(lower * 0.9)), _leg("SELL", upper)]
    )
    trigger_id = placed["trigger_id"]
    assert trigger_id == 100001
    gtt = kite.get_gtt(trigger_id)
    assert (gtt["id"], gtt["type"], gtt["status"], gtt["user_id"]) == (
        trigger_id,
        "two-leg",
        "active",
        "SIM001",
    )
    assert gtt["condition"] == {
        "exchange": "NFO", "last_price": ltp, "tradingsymbol": CE, "trigger_values": [lower, upper],
        "instrument_token": sim.call(lambda ex: ex.state.by_key[f"NFO:{CE}"].instrument_token),
    }  # fmt: skip
    assert [o["price"] for o in gtt["orders"]] == [_tick(lower * 0.9), upper]
    assert {(o["product"], o["order_type"], o["transaction_type"], o["quantity"]) for o in gtt["orders"]} == {
        ("NRML", "LIMIT", "SELL", LOT)
    }
    assert [o["result"] for o in gtt["orders"]] == [None, None]
    assert (gtt["created_at"], gtt["updated_at"]) == ("2026-01-12 09:15:00", "2026-01-12 09:15:00")
    assert gtt["expires_at"] == "2026-01-27 15:30:00"  # an F&O GTT lives until its contract expires

    other = kite.place_gtt("single", CE, "NFO", [_tick(ltp * 1.5)], ltp, [_leg("SELL", _tick(ltp * 1.5))])
    assert [g["id"] for g in kite.get_gtts()] == [other["trigger_id"], trigger_id]  # newest first

    sim.advance(2)
    lower, upper = _tick(ltp * 0.97), _tick(ltp * 1.3)
    stop_price = _tick(lower * 0.75)  # room below the trigger: the price may gap through it
    assert kite.modify_gtt(
        trigger_id, "two-leg", CE, "NFO", [lower, upper], ltp, [_leg("SELL", stop_price), _leg("SELL", upper)]
    ) == {"trigger_id": trigger_id}
    modified = kite.get_gtt(trigger_id)
    assert modified["condition"]["trigger_values"] == [lower, upper]
    assert [o["price"] for o in modified["orders"]] == [stop_price, upper]
    assert (modified["created_at"], modified["updated_at"]) == ("2026-01-12 09:15:00", "2026-01-12 09:15:02")

    assert kite.delete_gtt(other["trigger_id"]) == {"trigger_id": other["trigger_id"]}
    assert kite.get_gtt(other["trigger_id"])["status"] == "deleted"
    assert [g["id"] for g in kite.get_gtts()] == [trigger_id]
    with pytest.raises(kex.InputException, match="cannot be deleted as it is deleted"):
        kite.delete_gtt(other["trigger_id"])
    with pytest.raises(kex.InputException, match="cannot be modified as it is deleted"):
        kite.modify_gtt(other["trigger_id"], "single", CE, "NFO", [upper], ltp, [_leg("SELL", upper)])

    updates = _listen(sim)
    _move_spot(sim, "NIFTY", 0.998)  # about 50 index points down: the call loses about 10%
    fired = _advance_until(sim, kite, trigger_id)
    assert fired["status"] == "triggered"
    stop, target = fired["orders"]
    assert target["result"] is None  # OCO: only the crossed leg fires
    result = stop["result"]
    assert result["triggered_at"] <= lower
    assert (result["transaction_type"], result["quantity"], result["price"]) == ("SELL", LOT, stop_price)
    assert (result["product"], result["order_type"], result["validity"]) == ("NRML", "LIMIT", "DAY")
    assert result["order_result"]["status"] == "success"
    order_id = result["order_result"]["order_id"]
    assert result["meta"] == f'{{"app_id": 0, "gtt": {trigger_id}}}'

    order = next(o for o in kite.orders() if o["order_id"] == order_id)
    assert (order["status"], order["filled_quantity"], order["product"]) == ("COMPLETE", LOT, "NRML")
    assert (order["order_type"], order["price"], order["tag"]) == ("LIMIT", stop_price, None)
    assert order["average_price"] >= stop_price
    assert (order_id, "COMPLETE") in updates  # streamed as an order update like any order
    net = {p["tradingsymbol"]: p["quantity"] for p in kite.positions()["net"]}
    assert net[CE] == 0  # the GTT's stop closed the position
    with pytest.raises(kex.InputException, match="cannot be modified as it is triggered"):
        kite.modify_gtt(
            trigger_id, "two-leg", CE, "NFO", [lower, upper], ltp, [_leg("SELL", 1), _leg("SELL", 2)]
        )
    sim.advance(30)
    assert (
        kite.get_gtt(trigger_id)["orders"][0]["result"]["order_result"]["order_id"] == order_id
    )  # fires once


def test_single_gtt_fires_upwards_in_the_direction_of_its_last_price(
    sim: SimServer, kite: KiteConnect
) -> None:
    ltp = _ltp(kite)
    trigger = _tick(ltp * 1.03)
    limit = _tick(trigger * 1.15)
    trigger_id = kite.place_gtt("single", CE, "NFO", [trigger], ltp, [_leg("BUY", limit)])["trigger_id"]
    sim.advance(3)
    assert kite.get_gtt(trigger_id)["status"] == "active"
    _move_spot(sim, "NIFTY", 1.002)
    fired = _advance_until(sim, kite, trigger_id)
    (leg,) = fired["orders"]
    assert leg["result"]["triggered_at"] >= trigger
    order = next(o for o in kite.orders() if o["order_id"] == leg["result"]["order_result"]["order_id"])
    assert (order["transaction_type"], order["status"], order["filled_quantity"]) == ("BUY", "COMPLETE", LOT)
    assert order["average_price"] <= limit


def test_a_fired_leg_the_exchange_refuses_leaves_the_gtt_triggered_with_the_reason(
    sim: SimServer, kite: KiteConnect
) -> None:
    ltp = _ltp(kite)
    lower = _tick(ltp * 0.97)
    # A limit far below the band: accepted as a GTT, refused by the RMS when it fires (as Kite does).
    trigger_id = kite.place_gtt("single", CE, "NFO", [lower], ltp, [_leg("SELL", _tick(ltp * 0.3))])[
        "trigger_id"
    ]
    _move_spot(sim, "NIFTY", 0.996)
    fired = _advance_until(sim, kite, trigger_id)
    outcome = fired["orders"][0]["result"]["order_result"]
    assert fired["status"] == "triggered"
    assert outcome["status"] == "failed"
    assert "outside the price protection range" in outcome["rejection_reason"]
    assert next(o for o in kite.orders() if o["order_id"] == outcome["order_id"])["status"] == "REJECTED"


def test_equity_gtt_is_cnc_and_lives_a_year(kite: KiteConnect) -> None:
    ltp = _ltp(kite, "SBIN", "NSE")
    trigger = _tick(ltp * 0.95)
    trigger_id = kite.place_gtt(
        "single", "SBIN", "NSE", [trigger], ltp, [_leg("BUY", trigger, qty=10, product="CNC")]
    )["trigger_id"]
    gtt = kite.get_gtt(trigger_id)
    assert gtt["expires_at"] == "2027-01-12 09:15:00"
    assert gtt["orders"][0]["product"] == "CNC"
    with pytest.raises(kex.InputException, match=r"GTT for equity is allowed only with CNC"):
        kite.place_gtt("single", "SBIN", "NSE", [trigger], ltp, [_leg("BUY", trigger, qty=10, product="MIS")])


def test_fo_gtt_expires_with_its_contract() -> None:
    state = SimState(make_config(date=dt.date(2026, 1, 13), start_time=dt.time(15, 28)))  # a weekly expiry
    symbol = "NIFTY2611325500CE"
    inst = state.by_key[f"NFO:{symbol}"]
    ltp = float(state.model.ltp[inst.index])
    trigger = _tick(ltp * 2)
    form = {
        "type": "single",
        "condition": f'{{"exchange": "NFO", "tradingsymbol": "{symbol}", "trigger_values": [{trigger}], '
        f'"last_price": {ltp}}}',
        "orders": f'[{{"exchange": "NFO", "tradingsymbol": "{symbol}", "transaction_type": "SELL", '
        f'"quantity": 65, "order_type": "LIMIT", "product": "NRML", "price": {trigger}}}]',
    }
    gtt = state.gtt.place(form)
    assert gtt.to_kite("SIM001")["expires_at"] == "2026-01-13 15:30:00"
    state.step(60)
    assert gtt.status == "active"
    state.step(61)  # past 15:30 IST
    assert gtt.status == "expired"
    assert gtt.results == [None]


def _reject(kite: KiteConnect, call: Callable[[], object], match: str) -> None:
    with pytest.raises(kex.InputException, match=match) as info:
        call()
    assert info.value.code == 400


def test_rejections_by_value(kite: KiteConnect) -> None:
    ltp = _ltp(kite)
    lower, upper = _tick(ltp * 0.9), _tick(ltp * 1.1)

    def two_leg(values: list[float], legs: list[dict[str, Any]]) -> Callable[[], object]:
        return lambda: kite.place_gtt("two-leg", CE, "NFO", values, ltp, legs)

    sell_lower, sell_upper = _leg("SELL", lower), _leg("SELL", upper)
    _reject(
        kite,
        two_leg([lower, upper], [_leg("SELL", lower, product="MIS"), sell_upper]),
        r"Invalid `product` \(MIS\): GTT for F&O is allowed only with NRML",
    )
    _reject(kite, two_leg([lower, upper], [_leg("SELL", lower, kind="SL"), sell_upper]), "can only be LIMIT")
    _reject(
        kite, two_leg([lower, upper], [sell_lower, _leg("SELL", upper, kind="MARKET")]), "can only be LIMIT"
    )
    above = _tick(ltp * 1.05)
    _reject(kite, two_leg([above, upper], [sell_lower, sell_upper]), "must be below and the second")
    _reject(kite, two_leg([upper, lower], [sell_lower, sell_upper]), "must be below and the second")
    _reject(kite, two_leg([lower, upper], [_leg("SELL", lower, qty=LOT + 1), sell_upper]), r"lot size \(65\)")
    _reject(kite, two_leg([lower, upper], [sell_lower]), "a two-leg GTT has 2 order")
    _reject(
        kite,
        lambda: kite.place_gtt("single", CE, "NFO", [ltp], ltp, [sell_lower]),
        "too close to the last price",
    )
    near = _tick(ltp + min_distance(ltp) / 2)
    _reject(
        kite,
        lambda: kite.place_gtt("single", CE, "NFO", [near], ltp, [sell_lower]),
        "too close to the last price",
    )
    _reject(
        kite,
        lambda: kite.place_gtt("single", CE, "NFO", [lower], ltp, [_leg("SELL", lower + 0.01)]),
        "Tick size",
    )
    crude = _ltp(kite, "CRUDEOIL26JANFUT", "MCX")
    _reject(
        kite,
        lambda: kite.place_gtt(
            "single", "CRUDEOIL26JANFUT", "MCX", [_tick(crude * 0.9)], crude, [_leg("SELL", 1, qty=1)]
        ),
        "Currency and Commodity",
    )
    with pytest.raises(kex.InputException, match="trigger_id") as info:
        kite.get_gtt(999)
    assert info.value.code == 400
    assert kite.get_gtts() == []  # nothing refused was stored


def test_gtt_orders_are_placed_only_while_the_market_is_open() -> None:
    state = SimState(make_config(start_time=dt.time(15, 29)))
    inst = state.by_key[f"NFO:{CE}"]
    ltp = float(state.model.ltp[inst.index])
    trigger = _tick(ltp * 1.01)
    form = {
        "type": "single",
        "condition": f'{{"exchange": "NFO", "tradingsymbol": "{CE}", "trigger_values": [{trigger}], '
        f'"last_price": {ltp}}}',
        "orders": f'[{{"exchange": "NFO", "tradingsymbol": "{CE}", "transaction_type": "BUY", '
        f'"quantity": 65, "order_type": "LIMIT", "product": "NRML", "price": {trigger}}}]',
    }
    gtt = state.gtt.place(form)
    state.step(61)  # 15:30:01: closed
    state.model.ltp[inst.index] = trigger + 5  # a print at the trigger after the close does not fire it
    state.step(1)
    assert gtt.status == "active"
    assert [o for o in state.engine.orders.values() if isinstance(o, SimOrder)] == []
