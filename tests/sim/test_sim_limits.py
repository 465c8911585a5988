"""Rate limits (429), headers and session expiry (403), and fault injection over REST."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.sim import RateLimits, SimServer
from tests.sim.conftest import make_config


def test_quote_and_order_rate_limits_answer_429() -> None:
    with SimServer(make_config(rate_limits=RateLimits())) as sim:
        kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)
        assert kite.ltp(["NSE:INFY"])["NSE:INFY"]["last_price"] > 0
        with pytest.raises(kex.NetworkException, match="Too many requests") as info:
            kite.ltp(["NSE:INFY"])
        assert info.value.code == 429
        placed, limited = 0, 0
        for _ in range(12):
            try:
                kite.place_order("regular", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)
                placed += 1
            except kex.NetworkException:
                limited += 1
        assert placed <= 10
        assert limited >= 2
        raw = requests.get(
            f"{sim.rest_url}/quote/ltp", params={"i": "NSE:INFY"}, timeout=5,
            headers={"X-Kite-Version": "3", "Authorization": f"token {sim.api_key}:{sim.access_token}"},
        )  # fmt: skip
        if raw.status_code == 429:  # the same second: Kite's exact body
            assert raw.json() == {"status": "error", "message": "Too many requests", "data": None,
                                  "error_type": "NetworkException"}  # fmt: skip


def test_headers_are_checked(sim: SimServer) -> None:
    url = f"{sim.rest_url}/user/profile"
    auth = {"Authorization": f"token {sim.api_key}:{sim.access_token}"}
    no_version = requests.get(url, headers=auth, timeout=5)
    assert no_version.status_code == 400
    assert no_version.json()["error_type"] == "InputException"
    wrong_key = requests.get(
        url, headers={"X-Kite-Version": "3", "Authorization": f"token x:{sim.access_token}"}, timeout=5
    )
    assert wrong_key.status_code == 403
    assert wrong_key.json() == {
        "status": "error",
        "message": "Incorrect `api_key` or `access_token`.",
        "data": None,
        "error_type": "TokenException",
    }
    unknown = requests.get(
        f"{sim.rest_url}/no/such/route", headers={"X-Kite-Version": "3", **auth}, timeout=5
    )
    assert unknown.status_code == 404
    assert unknown.json()["error_type"] == "GeneralException"


def test_session_expires_at_six_the_next_morning() -> None:
    with SimServer(make_config(start_time=dt.time(23, 0), step_seconds=60.0)) as sim:
        kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)
        expired: list[bool] = []
        kite.set_session_expiry_hook(lambda: expired.append(True))
        sim.advance(6 * 3600)  # 05:00 IST
        assert kite.profile()["user_id"] == "SIM001"
        sim.advance(3600)  # 06:00 IST
        with pytest.raises(kex.TokenException) as info:
            kite.profile()
        assert info.value.code == 403
        assert expired == [True]
        fresh = KiteConnect(sim.api_key, root=sim.rest_url)
        fresh.generate_session("again", api_secret="x")
        assert fresh.profile()["user_id"] == "SIM001"  # a new login works for another day


def test_failed_and_delayed_routes(sim: SimServer, kite: KiteConnect) -> None:
    sim.faults.fail_route("/quote", status=503, count=2)
    for _ in range(2):
        with pytest.raises(kex.NetworkException) as info:
            kite.ltp(["NSE:INFY"])
        assert info.value.code == 503
    assert kite.ltp(["NSE:INFY"])["NSE:INFY"]["last_price"] > 0
    sim.faults.fail_route("/orders", status=500, method="POST")
    with pytest.raises(kex.NetworkException) as info:
        kite.place_order("regular", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)
    assert info.value.code == 500
    assert kite.orders() == []  # the failed request placed nothing
    sim.faults.delay_route("/user/profile", 0.05)
    assert kite.profile()["user_id"] == "SIM001"


def test_forced_rejections_and_partial_fills(sim: SimServer, kite: KiteConnect) -> None:
    sim.faults.reject_orders(1, "RMS:Margin Exceeds, Required:1, Available:0")
    rejected = kite.place_order("regular", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)
    order = kite.order_history(rejected)[-1]
    assert (order["status"], order["status_message"]) == (
        "REJECTED",
        "RMS:Margin Exceeds, Required:1, Available:0",
    )
    sim.faults.partial_fills(1, fraction=0.4)
    partial = kite.place_order("regular", "NSE", "INFY", "BUY", 100, "MIS", "MARKET", market_protection=-1)
    order = kite.order_history(partial)[-1]
    assert (order["status"], order["filled_quantity"], order["pending_quantity"]) == ("OPEN", 40, 60)
    assert kite.positions()["net"][0]["quantity"] == 40
    sim.advance(40)  # the held remainder fills on a later step
    order = kite.order_history(partial)[-1]
    assert (order["status"], order["filled_quantity"]) == ("COMPLETE", 100)
    assert len(kite.order_trades(partial)) >= 2
