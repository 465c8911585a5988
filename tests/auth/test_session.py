"""The stored Kite session: 0600 file, atomic write, expiry at 06:00 IST, expired sessions refused."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest

from alphastock.auth import (
    IST,
    KiteSession,
    NoSessionError,
    SessionExpiredError,
    load_session,
    next_expiry,
    save_session,
    session_warning,
)

TOKEN = "abcdefabcdefabcdefabcdefabcdef12"


@pytest.mark.parametrize(
    ("login", "expiry"),
    [
        (dt.datetime(2026, 1, 12, 9, 15, tzinfo=IST), dt.datetime(2026, 1, 13, 6, 0, tzinfo=IST)),
        (dt.datetime(2026, 1, 12, 5, 59, tzinfo=IST), dt.datetime(2026, 1, 12, 6, 0, tzinfo=IST)),
        (dt.datetime(2026, 1, 12, 6, 0, tzinfo=IST), dt.datetime(2026, 1, 13, 6, 0, tzinfo=IST)),
        # 23:00 UTC on the 11th is 04:30 IST on the 12th
        (dt.datetime(2026, 1, 11, 23, 0, tzinfo=dt.UTC), dt.datetime(2026, 1, 12, 6, 0, tzinfo=IST)),
        (dt.datetime(2026, 1, 31, 20, 0), dt.datetime(2026, 2, 1, 6, 0, tzinfo=IST)),  # naive = IST
    ],
)
def test_next_expiry_by_value(login: dt.datetime, expiry: dt.datetime) -> None:
    got = next_expiry(login)
    assert got == expiry
    assert got.utcoffset() == dt.timedelta(hours=5, minutes=30)


def test_session_file_is_0600_and_round_trips(tmp_path: Path) -> None:
    login = dt.datetime(2026, 1, 12, 9, 20, tzinfo=IST)
    session = KiteSession.create("key1", TOKEN, "AB1234", login)
    path = save_session(session, tmp_path / "cfg" / "session.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["session.json"]  # no temp file left behind
    on_disk = json.loads(path.read_text())
    assert on_disk["expiry"] == "2026-01-13T06:00:00+05:30"
    assert on_disk["access_token"] == TOKEN
    loaded = load_session(path, now=login + dt.timedelta(hours=1))
    assert loaded == session
    assert loaded.access_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(loaded)
    assert TOKEN not in str(loaded)


def test_expired_session_is_detected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    session = KiteSession.create("key1", TOKEN, "AB1234", dt.datetime(2026, 1, 12, 9, 20, tzinfo=IST))
    path = save_session(session, tmp_path / "session.json")
    after = dt.datetime(2026, 1, 13, 6, 0, tzinfo=IST)
    assert session.expired(after)
    assert not session.expired(after - dt.timedelta(seconds=1))
    with pytest.raises(SessionExpiredError, match=r"expired at 2026-01-13 06:00 IST.*alphastock login"):
        load_session(path, now=after)
    assert load_session(path, now=after, allow_expired=True) == session
    assert "expired" in caplog.text


def test_missing_and_loose_session_files(tmp_path: Path) -> None:
    with pytest.raises(NoSessionError, match="alphastock login"):
        load_session(tmp_path / "none.json")
    path = save_session(KiteSession.create("k", TOKEN, login_time=dt.datetime.now(IST)), tmp_path / "s.json")
    path.chmod(0o644)
    load_session(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(NoSessionError, match="unreadable"):
        load_session(tmp_path / "bad.json")


def test_session_warning_messages() -> None:
    session = KiteSession.create("key1", TOKEN, "AB1234", dt.datetime(2026, 1, 12, 9, 20, tzinfo=IST))
    now = dt.datetime(2026, 1, 12, 15, 30, tzinfo=IST)
    assert session_warning(now, session) == (
        "Kite session of AB1234 valid until 2026-01-13 06:00 IST (14h30m left); "
        "tokens die daily at 06:00 IST."
    )
    later = dt.datetime(2026, 1, 13, 7, 0, tzinfo=IST)
    assert session_warning(later, session) == (
        "The Kite session expired at 2026-01-13 06:00 IST (tokens die daily at 06:00 IST): "
        "run `alphastock login`."
    )


def test_session_warning_without_a_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("alphastock.auth.session.default_session_path", lambda: tmp_path / "none.json")
    assert session_warning().startswith("No Kite session: run `alphastock login`")
