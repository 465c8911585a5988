"""The start-up line about the Kite token's death at 06:00 IST: helpers, logging and ``data fetch``."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphastock.auth.session import (
    IST,
    KiteSession,
    NoSessionError,
    SessionExpiredError,
    load_session_for_startup,
    save_session,
    startup_message,
)
from alphastock.cli import app

LOGIN = dt.datetime(2026, 1, 5, 8, 30, tzinfo=IST)
LOGGER = "alphastock.auth.session"
VALID = "Kite session of AB1234 valid until 2026-01-06 06:00 IST"
DAILY = "tokens die daily at 06:00 IST."


def _stored(tmp_path: Path) -> Path:
    return save_session(KiteSession.create("key1", "tok-secret", "AB1234", LOGIN), tmp_path / "s.json")


def test_load_session_for_startup_logs_the_expiry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _stored(tmp_path)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        session = load_session_for_startup(path, now=LOGIN + dt.timedelta(hours=2))
        late = load_session_for_startup(path, now=dt.datetime(2026, 1, 6, 5, 30, tzinfo=IST))
    assert session.access_token.get_secret_value() == "tok-secret"
    assert late == session
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "INFO",
            f"{VALID} (19h30m left); {DAILY}",
        ),
        (
            "WARNING",
            f"{VALID} (0h30m left); {DAILY}",
        ),
    ]
    assert "tok-secret" not in caplog.text
    with pytest.raises(SessionExpiredError, match="2026-01-06 06:00 IST"):
        load_session_for_startup(path, now=dt.datetime(2026, 1, 6, 6, 0, tzinfo=IST))
    with pytest.raises(NoSessionError):
        load_session_for_startup(tmp_path / "none.json", now=LOGIN)


def test_startup_message_for_stored_direct_and_missing_tokens(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _stored(tmp_path)
    now = LOGIN + dt.timedelta(hours=1)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        stored = startup_message("tok-secret", now=now, path=path)
        direct = startup_message("other-token", now=now, path=path)
        missing = startup_message(None, now=now, path=tmp_path / "none.json")
    assert stored == (f"{VALID} (20h30m left); {DAILY}")
    assert direct == (
        "Kite access token given directly: it dies at 2026-01-06 06:00 IST at the latest "
        "(tokens die daily at 06:00 IST; run `alphastock login` each morning)."
    )
    assert missing.startswith("No Kite session: run `alphastock login`")
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "WARNING"]
    before_six = startup_message("x", now=dt.datetime(2026, 1, 5, 5, 15, tzinfo=IST), path=path)
    assert "2026-01-05 06:00 IST" in before_six


def test_data_fetch_says_when_the_token_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _stored(tmp_path)
    monkeypatch.setattr("alphastock.auth.session.default_session_path", lambda: path)
    monkeypatch.setattr("alphastock.auth.session._now", lambda: LOGIN + dt.timedelta(hours=3))
    calls: list[str] = []

    async def fake_fetch(*args: object) -> tuple[int, int, int]:
        calls.append(str(args[0]))
        return 3, 1, 779521

    monkeypatch.setattr("alphastock.cli_data._fetch", fake_fetch)
    args = [
        "data",
        "fetch",
        "SBIN",
        "--from",
        "2026-01-06",
        "--to",
        "2026-01-06",
        "--data-dir",
        str(tmp_path),
    ]
    env = {"ALPHASTOCK_KITE_API_KEY": "key1", "ALPHASTOCK_KITE_ACCESS_TOKEN": "tok-secret"}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert calls == ["SBIN"]
    assert "Kite session of AB1234 valid until 2026-01-06 06:00 IST (18h30m left)" in result.output
    assert "stored 3 minute bars of NSE:SBIN (token 779521)" in result.output
    assert "tok-secret" not in result.output
    env["ALPHASTOCK_KITE_ACCESS_TOKEN"] = "fresh-token"
    direct = CliRunner().invoke(app, args, env=env)
    assert direct.exit_code == 0, direct.output
    assert "Kite access token given directly: it dies at 2026-01-06 06:00 IST at the latest" in direct.output
