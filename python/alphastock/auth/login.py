"""The Kite Connect login flow: login URL -> request_token (loopback redirect or pasted) -> session.

1. :func:`login_url` gives ``https://kite.zerodha.com/connect/login?v=3&api_key=...``.
2. After the user logs in, Kite redirects the browser to the app's redirect URL
   with ``?request_token=...&action=login&status=success``. With the redirect URL
   set to ``http://127.0.0.1:PORT/`` in the Kite developer console,
   :func:`capture_request_token` (a one-shot HTTP listener on loopback) catches it;
   otherwise the user pastes the token or the whole redirected URL
   (:func:`parse_request_token`).
3. :func:`exchange_request_token` calls ``KiteConnect.generate_session`` (which
   sends ``checksum = sha256(api_key + request_token + api_secret)``) and returns a
   :class:`~alphastock.auth.session.KiteSession` valid until the next 06:00 IST.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import urllib.parse
from typing import Any, Final

from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_exceptions

from alphastock.auth.redact import Secret
from alphastock.auth.session import IST, AuthError, KiteSession

KITE_LOGIN_BASE: Final = "https://kite.zerodha.com"
"""Where Kite's login page lives."""
DEFAULT_PORT: Final = 5123
"""Default loopback port of the redirect listener (the redirect URL is ``http://127.0.0.1:5123/``)."""

_PAGE = (
    "<!doctype html><meta charset=utf-8><title>AlphaStock login</title>"
    "<h3>{}</h3><p>You can close this tab and return to the terminal.</p>"
)


def login_url(api_key: str, base: str = KITE_LOGIN_BASE) -> str:
    """Kite's login page for ``api_key`` (``base`` is configurable for tests)."""
    query = urllib.parse.urlencode({"v": 3, "api_key": api_key})
    return f"{base.rstrip('/')}/connect/login?{query}"


def parse_request_token(text: str) -> str:
    """The request_token in ``text``: a bare token, or a redirect URL / query string carrying it.

    Raises :class:`AuthError` when a URL carries no token or reports a failed login.
    """
    value = text.strip()
    if not value:
        raise AuthError("empty request_token")
    if "=" not in value and "/" not in value and "?" not in value:
        return value
    query = urllib.parse.urlsplit(value).query if "://" in value or value.startswith("/") else value
    params = urllib.parse.parse_qs(query.lstrip("?"))
    if params.get("status", ["success"])[0] != "success":
        raise AuthError(f"Kite reported a failed login (status={params['status'][0]!r})")
    tokens = params.get("request_token")
    if not tokens or not tokens[0]:
        raise AuthError("no request_token in the pasted URL")
    return tokens[0]


class _Capture(http.server.BaseHTTPRequestHandler):
    server: _CaptureServer

    def do_GET(self) -> None:
        try:
            token = parse_request_token(self.path)
        except AuthError as exc:
            self._reply(400, f"Login not completed: {exc}")
            if "failed login" in str(exc):
                self.server.error = str(exc)
                self.server.done.set()
            return
        self._reply(200, "AlphaStock received the Kite login.")
        self.server.token = token
        self.server.done.set()

    def _reply(self, status: int, text: str) -> None:
        body = _PAGE.format(text).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes the request line (with the request_token) to stderr.
        return


class _CaptureServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Capture)
        self.token: str | None = None
        self.error: str | None = None
        self.done = threading.Event()


class RedirectListener:
    """A one-shot HTTP listener on ``host:port`` (loopback) for Kite's login redirect.

    ``port=0`` picks a free port (:attr:`port`). Use as a context manager, or call
    :meth:`start` / :meth:`close`; :meth:`wait` returns the request_token.
    """

    def __init__(self, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> None:
        self._host = host
        self._server = _CaptureServer((host, port))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    @property
    def redirect_url(self) -> str:
        """The URL to register as the app's redirect URL."""
        return f"http://{self._host}:{self.port}/"

    def start(self) -> RedirectListener:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def finished(self) -> bool:
        """Whether the redirect arrived (with a token or a failed-login status)."""
        return self._server.done.is_set()

    def wait(self, timeout: float | None) -> str:
        """Block until the redirect arrives (raises :class:`AuthError` on timeout or a failed login)."""
        if not self._server.done.wait(timeout):
            raise AuthError(f"no login redirect on {self.redirect_url} within {timeout} s")
        if self._server.error is not None:
            raise AuthError(self._server.error)
        assert self._server.token is not None
        return self._server.token

    def close(self) -> None:
        """Stop listening and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> RedirectListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def capture_request_token(port: int = DEFAULT_PORT, timeout: float | None = 300.0) -> str:
    """Listen on ``127.0.0.1:port`` until Kite's redirect brings the request_token (or time out)."""
    with RedirectListener(port) as listener:
        return listener.wait(timeout)


def _login_time(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=IST)
    if isinstance(value, str) and value:
        return dt.datetime.fromisoformat(value).replace(tzinfo=IST)
    return dt.datetime.now(IST)


def exchange_request_token(
    api_key: str, api_secret: str, request_token: str, *, root: str | None = None, timeout: float = 10.0
) -> KiteSession:
    """Exchange ``request_token`` for a session via ``KiteConnect.generate_session``.

    ``root`` overrides the API root (the simulator). Raises :class:`AuthError` with
    Kite's message (never the secret) when Kite refuses (bad checksum, used token).
    """
    secret = api_secret.reveal() if isinstance(api_secret, Secret) else api_secret
    kite = KiteConnect(api_key, root=root, timeout=timeout) if root else KiteConnect(api_key, timeout=timeout)
    try:
        data = kite.generate_session(request_token, api_secret=secret)
    except kite_exceptions.KiteException as exc:
        raise AuthError(f"Kite refused the login ({type(exc).__name__}): {exc}") from None
    if not isinstance(data, dict) or not data.get("access_token"):
        raise AuthError("Kite's session response carries no access_token")
    return KiteSession.create(
        api_key=api_key,
        access_token=str(data["access_token"]),
        user_id=str(data.get("user_id") or ""),
        login_time=_login_time(data.get("login_time")),
    )


__all__ = [
    "DEFAULT_PORT",
    "KITE_LOGIN_BASE",
    "RedirectListener",
    "capture_request_token",
    "exchange_request_token",
    "login_url",
    "parse_request_token",
]
