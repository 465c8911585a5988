"""The login flow: URL, loopback redirect capture, pasted tokens, the exchange against the simulator."""

from __future__ import annotations

import datetime as dt
import json
import socket
import stat
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphastock.auth import (
    IST,
    AuthError,
    KiteSession,
    RedirectListener,
    exchange_request_token,
    load_session,
    login_url,
    parse_request_token,
    save_session,
)
from alphastock.cli import app
from alphastock.sim import SimServer
from tests.sim.conftest import make_config

SECRET = "sim-app-secret-0042"
ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}


@pytest.fixture
def strict_sim() -> Iterator[SimServer]:
    server = SimServer(make_config(api_secret=SECRET)).start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def _issued(sim: SimServer) -> str:
    """A request_token as the simulator's ``/connect/login`` issues it (single use, as on Kite)."""
    token: str = sim.call(lambda ex: ex.state.issue_request_token())
    return token


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_login_url() -> None:
    assert login_url("abc123") == "https://kite.zerodha.com/connect/login?v=3&api_key=abc123"
    assert login_url("k", "http://127.0.0.1:9/") == "http://127.0.0.1:9/connect/login?v=3&api_key=k"


@pytest.mark.parametrize(
    "text",
    [
        "rt0123456789",
        "  rt0123456789\n",
        "http://127.0.0.1:5123/?request_token=rt0123456789&action=login&status=success",
        "/?action=login&type=login&status=success&request_token=rt0123456789",
        "request_token=rt0123456789&action=login",
    ],
)
def test_pasted_token_or_url(text: str) -> None:
    assert parse_request_token(text) == "rt0123456789"


def test_pasted_url_without_token_or_failed() -> None:
    with pytest.raises(AuthError, match="no request_token"):
        parse_request_token("http://127.0.0.1:5123/?action=login")
    with pytest.raises(AuthError, match="failed login"):
        parse_request_token("http://127.0.0.1:5123/?request_token=x&status=cancelled")
    with pytest.raises(AuthError, match="empty"):
        parse_request_token("   ")


def test_loopback_listener_captures_the_redirect() -> None:
    with RedirectListener(port=0) as listener:
        assert listener.redirect_url == f"http://127.0.0.1:{listener.port}/"
        status, body = _get(listener.redirect_url + "favicon.ico")
        assert status == 400
        assert "Login not completed" in body
        assert not listener.finished
        status, body = _get(
            f"{listener.redirect_url}?action=login&type=login&status=success&request_token=tok-777"
        )
        assert status == 200
        assert "received the Kite login" in body
        assert listener.wait(1.0) == "tok-777"
    with pytest.raises(OSError, match=r"refused|Errno"):  # the port is released after capture
        socket.create_connection(("127.0.0.1", listener.port), timeout=1).close()


def test_loopback_listener_times_out() -> None:
    with RedirectListener(port=0) as listener, pytest.raises(AuthError, match="no login redirect"):
        listener.wait(0.05)


def test_exchange_against_the_strict_simulator(strict_sim: SimServer) -> None:
    session = exchange_request_token(
        strict_sim.api_key, SECRET, _issued(strict_sim), root=strict_sim.rest_url
    )
    assert session.user_id == "SIM001"
    assert session.api_key == strict_sim.api_key
    assert session.login_time == dt.datetime(2026, 1, 12, 9, 15, tzinfo=IST)
    assert session.expiry == dt.datetime(2026, 1, 13, 6, 0, tzinfo=IST)
    token = session.access_token.get_secret_value()
    assert len(token) == 32
    assert strict_sim.call(lambda ex: token in ex.state.sessions)  # the simulator issued it


def test_exchange_with_a_wrong_secret_fails(strict_sim: SimServer) -> None:
    with pytest.raises(
        AuthError, match=r"Kite refused the login \(TokenException\): Invalid `checksum`"
    ) as info:
        exchange_request_token(strict_sim.api_key, "wrong-secret-9", "rt-abc", root=strict_sim.rest_url)
    assert "wrong-secret-9" not in str(info.value)


def test_cli_login_with_pasted_token(strict_sim: SimServer, tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "session.json"
    result = CliRunner().invoke(
        app,
        ["login", "--request-token", f"http://127.0.0.1:5123/?request_token={_issued(strict_sim)}&status=success",
         "--root", strict_sim.rest_url, "--session-file", str(path)],
        env={**ENV, "ALPHASTOCK_KITE_API_KEY": strict_sim.api_key, "ALPHASTOCK_KITE_API_SECRET": SECRET},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Logged in as SIM001; session saved to {path} (mode 0600)." in result.output
    assert "expires at 2026-01-13 06:00 IST" in result.output
    assert SECRET not in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = load_session(path, now=dt.datetime(2026, 1, 12, 10, 0, tzinfo=IST))
    assert stored.user_id == "SIM001"
    assert json.loads(path.read_text())["expiry"] == "2026-01-13T06:00:00+05:30"


def test_cli_login_through_the_loopback_redirect(strict_sim: SimServer, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/?action=login&status=success&request_token={_issued(strict_sim)}"

    def redirect() -> None:  # the browser, once the listener is up
        for _ in range(200):
            try:
                _get(url)
                return
            except OSError:
                time.sleep(0.02)

    browser = threading.Thread(target=redirect, daemon=True)
    browser.start()
    result = CliRunner().invoke(
        app,
        ["login", "--api-key", strict_sim.api_key, "--api-secret", SECRET, "--port", str(port),
         "--no-browser", "--root", strict_sim.rest_url, "--session-file", str(tmp_path / "s.json"),
         "--timeout", "10"],
        env=ENV,
    )  # fmt: skip
    browser.join(5)
    assert result.exit_code == 0, result.output
    assert "https://kite.zerodha.com/connect/login?v=3&api_key=sim_api_key" in result.output
    assert f"Waiting for Kite's redirect to http://127.0.0.1:{port}/" in result.output
    assert "Logged in as SIM001" in result.output
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o600


def test_cli_login_wrong_secret_and_missing_credentials(
    strict_sim: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALPHASTOCK_KITE_API_KEY", raising=False)
    monkeypatch.delenv("ALPHASTOCK_KITE_API_SECRET", raising=False)
    result = CliRunner().invoke(
        app,
        ["login", "--api-key", strict_sim.api_key, "--api-secret", "bad-secret-1", "--request-token", "rt",
         "--root", strict_sim.rest_url, "--session-file", str(tmp_path / "s.json")],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Invalid `checksum`" in result.output
    assert not (tmp_path / "s.json").exists()
    result = CliRunner().invoke(app, ["login", "--request-token", "rt"], env=ENV)
    assert result.exit_code == 2
    assert "--api-key and --api-secret" in result.output


def test_cli_login_status(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["login", "--status", "--session-file", str(tmp_path / "none.json")], env=ENV
    )
    assert result.exit_code == 2
    assert "no Kite session" in result.output


def test_cli_login_status_of_a_stored_session(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    save_session(KiteSession.create("k1", "t" * 32, "AB1234", dt.datetime.now(IST)), path)
    result = CliRunner().invoke(app, ["login", "--status", "--session-file", str(path)], env=ENV)
    assert result.exit_code == 0, result.output
    assert "Kite session of AB1234 valid until" in result.output
    assert "06:00 IST" in result.output
    assert "t" * 32 not in result.output
