"""Every declared fault of FaultConfig, injected from configuration: 503s, 429s, timeouts, RMS rejections,
partial fills and dropped WebSockets, seeded so the same seed injects the same faults."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.sim import FaultConfig, SimServer
from alphastock.sim.faults import DEFAULT_REJECTION, KINDS, Faults
from tests.sim.conftest import make_config


def _server(**faults: object) -> SimServer:
    return SimServer(make_config(faults=FaultConfig.model_validate(faults))).start_in_thread()


def _kite(sim: SimServer, timeout: float = 7) -> KiteConnect:
    return KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url, timeout=timeout)


def _outcomes(sim: SimServer, calls: int) -> list[int]:
    kite, out = _kite(sim), []
    for _ in range(calls):
        try:
            kite.profile()
            out.append(200)
        except kex.KiteException as exc:
            out.append(exc.code)
    return out


def test_rest_error_rate_answers_503() -> None:
    sim = _server(rest_error_rate=1.0)
    try:
        with pytest.raises(kex.NetworkException, match="Simulated upstream failure") as info:
            _kite(sim).ltp(["NSE:INFY"])
        assert info.value.code == 503
        raw = requests.get(f"{sim.rest_url}/user/profile", timeout=5)
        assert raw.status_code == 503
        assert raw.json() == {
            "status": "error", "message": "Simulated upstream failure (fault injection).", "data": None,
            "error_type": "NetworkException",
        }  # fmt: skip
        assert sim.faults.stats() == {**dict.fromkeys(KINDS, 0), "rest_error": 2}
    finally:
        sim.stop()


def test_random_faults_are_seeded() -> None:
    runs = []
    for _ in range(2):
        sim = _server(rest_error_rate=0.5, seed=11)
        try:
            runs.append((_outcomes(sim, 24), sim.faults.stats()["rest_error"]))
        finally:
            sim.stop()
    (first, failed), (second, _) = runs
    assert first == second  # the same seed, the same calls fail
    assert set(first) == {200, 503}
    assert failed == first.count(503)
    other = _server(rest_error_rate=0.5, seed=12)
    try:
        assert _outcomes(other, 24) != first
    finally:
        other.stop()


def test_rate_limit_error_rate_answers_kites_429() -> None:
    sim = _server(rate_limit_error_rate=1.0)
    try:
        with pytest.raises(kex.NetworkException, match="Too many requests") as info:
            _kite(sim).place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=-1)
        assert info.value.code == 429
        raw = requests.get(f"{sim.rest_url}/orders", timeout=5)
        assert raw.status_code == 429
        assert raw.json() == {
            "status": "error", "message": "Too many requests", "data": None, "error_type": "NetworkException"
        }  # fmt: skip
        assert sim.faults.stats()["rate_limited"] == 2
        assert sim.call(lambda ex: list(ex.state.engine.orders)) == []  # the throttled order was not placed
    finally:
        sim.stop()


def test_fail_route_with_429_answers_kites_429(sim: SimServer, kite: KiteConnect) -> None:
    sim.faults.fail_route("/orders", status=429, method="POST")
    with pytest.raises(kex.NetworkException, match="Too many requests") as info:
        kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=-1)
    assert info.value.code == 429
    assert kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=-1)
    assert sim.faults.stats()["rate_limited"] == 1


def test_rest_delay_past_the_client_timeout_is_a_timeout() -> None:
    sim = _server(rest_delay=2.0)
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            _kite(sim, timeout=0.3).profile()
        assert sim.faults.stats()["delayed"] == 1
    finally:
        sim.stop()


def test_rest_delay_rate_delays_a_share_of_calls() -> None:
    sim = _server(rest_delay=0.01, rest_delay_rate=0.0)
    try:
        assert _kite(sim).profile()["user_id"] == "SIM001"
        assert sim.faults.stats()["delayed"] == 0
    finally:
        sim.stop()
    sim = _server(rest_delay=0.01, rest_delay_rate=0.5, seed=3)
    try:
        assert _outcomes(sim, 20) == [200] * 20
        assert 0 < sim.faults.stats()["delayed"] < 20
    finally:
        sim.stop()


def test_order_reject_rate_rejects_valid_orders() -> None:
    sim = _server(order_reject_rate=1.0)
    try:
        kite = _kite(sim)
        order_id = kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", market_protection=-1)
        order = kite.order_history(order_id)[-1]
        assert (order["status"], order["status_message"], order["filled_quantity"]) == (
            "REJECTED", DEFAULT_REJECTION, 0,
        )  # fmt: skip
        assert kite.positions()["net"] == []
        assert sim.faults.stats()["rejected"] == 1
    finally:
        sim.stop()


def test_rejections_do_not_depend_on_other_calls() -> None:
    """One generator per fault kind: reads in between do not shift which orders are rejected."""
    statuses = []
    for reads in (0, 3):
        sim = _server(order_reject_rate=0.5, rest_delay=0.001, rest_delay_rate=0.5, seed=5)
        try:
            kite, seen = _kite(sim), []
            for _ in range(12):
                for _ in range(reads):
                    kite.profile()
                order_id = kite.place_order("regular", "NSE", "SBIN", "BUY", 1, "MIS", "LIMIT", price=800.0)
                seen.append(kite.order_history(order_id)[-1]["status"])
            statuses.append(seen)
        finally:
            sim.stop()
    assert statuses[0] == statuses[1]
    assert {"REJECTED", "OPEN"} <= set(statuses[0])


def test_partial_fill_rate_cuts_fills() -> None:
    sim = _server(partial_fill_rate=1.0, partial_fill_fraction=0.4)
    try:
        kite = _kite(sim)
        order_id = kite.place_order(
            "regular", "NSE", "INFY", "BUY", 100, "MIS", "MARKET", market_protection=-1
        )
        order = kite.order_history(order_id)[-1]
        assert (order["status"], order["filled_quantity"], order["pending_quantity"]) == ("OPEN", 40, 60)
        assert kite.positions()["net"][0]["quantity"] == 40
        assert sim.faults.stats()["partial_fill"] == 1
    finally:
        sim.stop()


def test_ws_drop_interval_drops_the_tick_sockets() -> None:
    sim = _server(ws_drop_interval=0.2)

    async def connect_until_dropped() -> tuple[bool, int]:
        url = f"{sim.ws_url}/?api_key={sim.api_key}&access_token={sim.access_token}"
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            while (await ws.receive(timeout=10)).type not in (
                aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR,
            ):  # fmt: skip
                pass
            return ws.closed, ws.close_code or 0

    try:
        closed, code = asyncio.run(connect_until_dropped())
        assert closed
        assert code != 1000  # an abnormal end, not a clean close
        assert sim.faults.stats()["ws_drop"] >= 1
        assert sim.call(lambda ex: len(ex.connections)) == 0
    finally:
        sim.stop()


def test_faults_never_move_prices() -> None:
    quiet = SimServer(make_config()).start_in_thread()
    noisy = _server(order_reject_rate=1.0, partial_fill_rate=1.0, rest_delay=0.001)
    try:
        for sim in (quiet, noisy):
            sim.advance(600)
        prices = [
            sim.call(lambda ex: [float(ex.state.model.ltp[i]) for i in range(0, 400, 37)])
            for sim in (quiet, noisy)
        ]
        assert prices[0] == prices[1]
    finally:
        quiet.stop()
        noisy.stop()


def test_queued_faults_come_before_the_rates() -> None:
    faults = Faults(FaultConfig(order_reject_rate=0.0), seed=1)
    faults.reject_orders(1, "first")
    assert (faults.take_rejection(), faults.take_rejection()) == ("first", None)
    faults.partial_fills(1, 0.25)
    assert (faults.take_partial(), faults.take_partial()) == (0.25, None)
    faults.fail_route("/quote", status=502, count=1)
    assert faults.rest_fault("GET", "/quote/ltp") == (0.0, 502)
    assert faults.rest_fault("GET", "/quote/ltp") == (0.0, None)
    assert faults.stats() == {**dict.fromkeys(KINDS, 0), "rejected": 1, "partial_fill": 1, "rest_error": 1}
