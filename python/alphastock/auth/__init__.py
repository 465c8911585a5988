"""Kite login, the stored session, secret redaction and postback verification.

- :mod:`~alphastock.auth.session`: :class:`KiteSession` on disk (0600), expiry at 06:00 IST.
- :mod:`~alphastock.auth.login`: the login flow (URL, loopback redirect capture, token exchange).
- :mod:`~alphastock.auth.redact`: the logging filter and :class:`Secret` keeping secrets out of logs.
- :mod:`~alphastock.auth.postback`: checksum verification of postbacks and order updates.
"""

from alphastock.auth.login import (
    DEFAULT_PORT,
    RedirectListener,
    capture_request_token,
    exchange_request_token,
    login_url,
    parse_request_token,
)
from alphastock.auth.postback import PostbackError, parse_postback, postback_checksum, verify_postback
from alphastock.auth.redact import RedactionFilter, Secret, install_redaction, redact, uninstall_redaction
from alphastock.auth.session import (
    IST,
    AuthError,
    KiteSession,
    NoSessionError,
    SessionExpiredError,
    default_session_path,
    load_session,
    load_session_for_startup,
    next_expiry,
    save_session,
    session_warning,
    startup_message,
)

__all__ = [
    "DEFAULT_PORT",
    "IST",
    "AuthError",
    "KiteSession",
    "NoSessionError",
    "PostbackError",
    "RedactionFilter",
    "RedirectListener",
    "Secret",
    "SessionExpiredError",
    "capture_request_token",
    "default_session_path",
    "exchange_request_token",
    "install_redaction",
    "load_session",
    "load_session_for_startup",
    "login_url",
    "next_expiry",
    "parse_postback",
    "parse_request_token",
    "postback_checksum",
    "redact",
    "save_session",
    "session_warning",
    "startup_message",
    "uninstall_redaction",
    "verify_postback",
]
