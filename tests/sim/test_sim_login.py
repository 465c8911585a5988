"""Kite's login with an api_secret: request tokens from /connect/login, single use, and the checksum."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.auth import AuthError, RedirectListener, exchange_request_token, login_url
from alphastock.sim import SimServer
from alphastock.sim.state import REQUEST_TOKEN_TTL_S
from tests.sim.conftest import make_config


def _login_redirect(sim: SimServer, api_key: str) -> requests.Response:
    return requests.get(
        f"{sim.rest_url}/connect/login",
        params={"v": "3", "api_key": api_key},
        allow_redirects=False,
        timeout=5,
    )


def test_strict_login_takes_an_issued_token_once_with_the_checksum() -> None:
    config = make_config(api_key="key1", api_secret="secret1", redirect_url="http://127.0.0.1:5123/")
    with SimServer(config) as sim:
        redirect = _login_redirect(sim, "key1")
        assert redirect.status_code == 302
        location = urlsplit(redirect.headers["Location"])
        assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1:5123", "/")
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert (query["action"], query["status"]) == ("login", "success")
        token = query["request_token"]
        assert len(token) == 32

        # A token the simulator never issued: refused, even with the right checksum.
        with pytest.raises(kex.TokenException, match="Token is invalid or has expired") as info:
            KiteConnect("key1", root=sim.rest_url).generate_session("made-up-token", api_secret="secret1")
        assert info.value.code == 403
        # The wrong secret: Kite's checksum error, and the token stays usable.
        with pytest.raises(kex.TokenException, match=r"Invalid `checksum`\.") as info:
            KiteConnect("key1", root=sim.rest_url).generate_session(token, api_secret="wrong")
        assert info.value.code == 403
        # Another app's key.
        with pytest.raises(kex.TokenException, match=r"Invalid `api_key`\."):
            KiteConnect("other", root=sim.rest_url).generate_session(token, api_secret="secret1")

        kite = KiteConnect("key1", root=sim.rest_url)
        session = kite.generate_session(token, api_secret="secret1")
        assert session["api_key"] == "key1"
        assert kite.profile()["user_id"] == "SIM001"
        # Single use: the same token again is refused.
        with pytest.raises(kex.TokenException, match="Token is invalid or has expired"):
            KiteConnect("key1", root=sim.rest_url).generate_session(token, api_secret="secret1")


def test_the_checksum_is_sha256_of_key_token_secret() -> None:
    """The raw POST /session/token (https://kite.trade/docs/connect/v3/user/#login-flow), without the SDK."""
    with SimServer(make_config(api_key="key1", api_secret="secret1")) as sim:
        headers = {"X-Kite-Version": "3"}
        token = sim.call(lambda ex: ex.state.issue_request_token())
        bad = requests.post(
            f"{sim.rest_url}/session/token",
            data={"api_key": "key1", "request_token": token, "checksum": hashlib.sha256(b"x").hexdigest()},
            headers=headers,
            timeout=5,
        )
        assert bad.status_code == 403
        assert bad.json() == {
            "status": "error", "message": "Invalid `checksum`.", "data": None, "error_type": "TokenException"
        }  # fmt: skip
        checksum = hashlib.sha256(f"key1{token}secret1".encode()).hexdigest()
        good = requests.post(
            f"{sim.rest_url}/session/token",
            data={"api_key": "key1", "request_token": token, "checksum": checksum},
            headers=headers,
            timeout=5,
        )
        assert good.status_code == 200
        assert good.json()["data"]["user_id"] == "SIM001"


def test_a_request_token_expires() -> None:
    with SimServer(make_config(api_key="key1", api_secret="secret1")) as sim:
        now = [1000.0]
        sim.call(lambda ex: setattr(ex.state, "wall", lambda: now[0]))
        token = sim.call(lambda ex: ex.state.issue_request_token())
        now[0] += REQUEST_TOKEN_TTL_S + 1
        with pytest.raises(kex.TokenException, match="Token is invalid or has expired"):
            KiteConnect("key1", root=sim.rest_url).generate_session(token, api_secret="secret1")
        fresh = sim.call(lambda ex: ex.state.issue_request_token())
        now[0] += REQUEST_TOKEN_TTL_S - 1
        assert KiteConnect("key1", root=sim.rest_url).generate_session(fresh, api_secret="secret1")[
            "access_token"
        ]


def test_strict_login_page_refuses_another_key() -> None:
    with SimServer(make_config(api_key="key1", api_secret="secret1")) as sim:
        answer = _login_redirect(sim, "other")
        assert answer.status_code == 403
        assert answer.json()["error_type"] == "TokenException"


def test_alphastock_login_flow_against_the_strict_simulator() -> None:
    """Our own login flow end to end: login URL -> redirect to the loopback listener -> checksum exchange."""
    with RedirectListener(port=0) as listener:
        config = make_config(api_key="key1", api_secret="secret1", redirect_url=listener.redirect_url)
        with SimServer(config) as sim:
            landed = requests.get(login_url("key1", base=sim.rest_url), timeout=5)  # follows the redirect
            assert landed.status_code == 200
            token = listener.wait(5)
            session = exchange_request_token("key1", "secret1", token, root=sim.rest_url)
            assert (session.api_key, session.user_id) == ("key1", "SIM001")
            with pytest.raises(AuthError, match="Token is invalid or has expired"):  # a token serves once
                exchange_request_token("key1", "secret1", token, root=sim.rest_url)
