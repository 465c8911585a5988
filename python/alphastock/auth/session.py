"""The Kite session (access token) on disk, and when it dies.

Kite access tokens expire at 06:00 IST the day after login (a login before 06:00
lasts until 06:00 that same day). The session is kept as JSON in
``platformdirs.user_config_dir("alphastock")/session.json``, readable by its owner
only (mode 0600), written atomically (temp file + rename).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Final

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from alphastock.errors import AlphaStockError

IST: Final = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
"""India Standard Time (UTC+05:30, no daylight saving)."""
EXPIRY_TIME_IST: Final = dt.time(6, 0)
"""Kite access tokens die at this IST wall time every day."""
SESSION_FILE: Final = "session.json"
FILE_MODE: Final = 0o600

log = logging.getLogger(__name__)


class AuthError(AlphaStockError):
    """Login or session handling failed; the message says why (never with a secret in it)."""


class SessionExpiredError(AuthError):
    """The stored Kite session expired (06:00 IST); run ``alphastock login`` again."""


class NoSessionError(AuthError):
    """No stored Kite session; run ``alphastock login``."""


def next_expiry(login_time: dt.datetime) -> dt.datetime:
    """The first 06:00 IST strictly after ``login_time`` (timezone-aware; naive means IST)."""
    when = login_time if login_time.tzinfo is not None else login_time.replace(tzinfo=IST)
    local = when.astimezone(IST)
    expiry = dt.datetime.combine(local.date(), EXPIRY_TIME_IST, tzinfo=IST)
    if expiry <= local:
        expiry += dt.timedelta(days=1)
    return expiry


class KiteSession(BaseModel):
    """A Kite Connect session: who, the access token, and its lifetime (aware datetimes, IST).

    ``access_token`` is a :class:`pydantic.SecretStr`: its repr and str are masked;
    use ``session.access_token.get_secret_value()`` where it must be sent.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    api_key: str
    access_token: SecretStr
    user_id: str = ""
    login_time: dt.datetime = Field(description="login instant, timezone-aware")
    expiry: dt.datetime = Field(description="when the token dies: the next 06:00 IST after login")

    @field_validator("login_time", "expiry")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=IST)

    @classmethod
    def create(
        cls, api_key: str, access_token: str, user_id: str = "", login_time: dt.datetime | None = None
    ) -> KiteSession:
        """A session logged in at ``login_time`` (default now), expiring at the next 06:00 IST."""
        when = login_time or dt.datetime.now(IST)
        when = when if when.tzinfo is not None else when.replace(tzinfo=IST)
        return cls(
            api_key=api_key,
            access_token=SecretStr(access_token),
            user_id=user_id,
            login_time=when,
            expiry=next_expiry(when),
        )

    def expired(self, now: dt.datetime | None = None) -> bool:
        """Whether the token is dead at ``now`` (default: the current time)."""
        return (now or dt.datetime.now(IST)) >= self.expiry

    def remaining(self, now: dt.datetime | None = None) -> dt.timedelta:
        """Time left until expiry (negative once expired)."""
        return self.expiry - (now or dt.datetime.now(IST))

    def to_json(self) -> str:
        """The on-disk JSON (with the token in clear: the file is 0600)."""
        data = {
            "api_key": self.api_key,
            "access_token": self.access_token.get_secret_value(),
            "user_id": self.user_id,
            "login_time": self.login_time.isoformat(),
            "expiry": self.expiry.isoformat(),
        }
        return json.dumps(data, indent=2) + "\n"


def default_session_path() -> Path:
    """``user_config_dir("alphastock")/session.json``."""
    return Path(platformdirs.user_config_dir("alphastock")) / SESSION_FILE


def save_session(session: KiteSession, path: Path | None = None) -> Path:
    """Write ``session`` atomically with mode 0600 (directory 0700 if created); returns the path."""
    target = path or default_session_path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".session-", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(session.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    os.chmod(target, FILE_MODE)
    return target


def load_session(
    path: Path | None = None, *, now: dt.datetime | None = None, allow_expired: bool = False
) -> KiteSession:
    """Read the stored session.

    Raises :class:`NoSessionError` when there is none or it is unreadable, and
    :class:`SessionExpiredError` when it expired (06:00 IST) unless ``allow_expired``,
    in which case it is returned with a warning logged. A file readable by others
    is tightened to 0600 with a warning.
    """
    source = path or default_session_path()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NoSessionError(f"no Kite session at {source}: run `alphastock login`") from None
    if source.stat().st_mode & 0o077:
        log.warning("session file %s was readable by others; tightened to 0600", source)
        os.chmod(source, FILE_MODE)
    try:
        session = KiteSession.model_validate(json.loads(text))
    except ValueError as exc:
        raise NoSessionError(
            f"unreadable Kite session at {source} ({type(exc).__name__}): run `alphastock login`"
        ) from None
    if session.expired(now):
        message = (
            f"the Kite session of {session.user_id or session.api_key} expired at "
            f"{session.expiry.astimezone(IST):%Y-%m-%d %H:%M} IST: run `alphastock login`"
        )
        if not allow_expired:
            raise SessionExpiredError(message)
        log.warning(message)
    return session


def _fmt_delta(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def session_warning(now: dt.datetime | None = None, session: KiteSession | None = None) -> str:
    """The start-up line about the token's life: when it expires, or that it has / is missing.

    ``session`` defaults to the stored one (none or unreadable gives the "log in" line).
    """
    current = now or dt.datetime.now(IST)
    if session is None:
        try:
            session = load_session(now=current, allow_expired=True)
        except NoSessionError:
            return "No Kite session: run `alphastock login` (access tokens expire daily at 06:00 IST)."
    expiry = f"{session.expiry.astimezone(IST):%Y-%m-%d %H:%M} IST"
    if session.expired(current):
        return (
            f"The Kite session expired at {expiry} (tokens die daily at 06:00 IST): run `alphastock login`."
        )
    return (
        f"Kite session of {session.user_id or session.api_key} valid until {expiry} "
        f"({_fmt_delta(session.remaining(current))} left); tokens die daily at 06:00 IST."
    )


def _now() -> dt.datetime:
    return dt.datetime.now(IST)


def _startup_level(session: KiteSession | None, now: dt.datetime) -> int:
    if session is None or session.remaining(now) < dt.timedelta(hours=1):
        return logging.WARNING
    return logging.INFO


def startup_message(
    access_token: str | None = None, *, now: dt.datetime | None = None, path: Path | None = None
) -> str:
    """The start-up line of a command using Kite credentials, logged (WARNING when the token is
    missing, expired or has under an hour left, else INFO) and returned.

    With no ``access_token``, or the stored session's token, it is :func:`session_warning` of the
    stored session. A token given directly (flag or environment) that is not the stored one gets
    the line naming its latest possible death: the next 06:00 IST after ``now``.
    """
    current = now or _now()
    session: KiteSession | None
    try:
        session = load_session(path, now=current, allow_expired=True)
    except NoSessionError:
        session = None
    if access_token is not None and (
        session is None or session.access_token.get_secret_value() != access_token
    ):
        expiry = next_expiry(current)
        message = (
            f"Kite access token given directly: it dies at {expiry:%Y-%m-%d %H:%M} IST at the latest "
            f"(tokens die daily at 06:00 IST; run `alphastock login` each morning)."
        )
        level = logging.WARNING if expiry - current < dt.timedelta(hours=1) else logging.INFO
    else:
        message = session_warning(current, session)
        level = _startup_level(session, current)
    log.log(level, "%s", message)
    return message


def load_session_for_startup(path: Path | None = None, *, now: dt.datetime | None = None) -> KiteSession:
    """The stored session for a ``KiteBroker`` / ``KiteFeed`` about to start, with its expiry logged.

    Logs :func:`session_warning` (the expiry in IST) at INFO, or WARNING when under an hour is
    left; use ``KiteBroker(s.api_key, s.access_token.get_secret_value())``.

    Raises:
        NoSessionError: no stored session (run ``alphastock login``).
        SessionExpiredError: it died at 06:00 IST.
    """
    current = now or _now()
    session = load_session(path, now=current)
    log.log(_startup_level(session, current), "%s", session_warning(current, session))
    return session


__all__ = [
    "EXPIRY_TIME_IST",
    "IST",
    "AuthError",
    "KiteSession",
    "NoSessionError",
    "SessionExpiredError",
    "default_session_path",
    "load_session",
    "load_session_for_startup",
    "next_expiry",
    "save_session",
    "session_warning",
    "startup_message",
]
