"""Keep Kite secrets (api_secret, access_token) out of logs and reprs.

Two layers:

- :class:`RedactionFilter`, a :class:`logging.Filter` that rewrites a record's
  message (after ``%`` formatting), its exception text and its stack text: every
  registered secret is replaced by ``***``, and so is the value in the shapes Kite's
  credentials travel in even when the value was never registered:
  ``Authorization: token KEY:ACCESS_TOKEN``, JSON ``"access_token": "..."``, dict
  reprs ``'access_token': '...'`` and query strings ``access_token=...`` (likewise
  ``api_secret``, ``request_token``, ``refresh_token``, ``enctoken``, ``checksum``).
- :class:`Secret`, a ``str`` whose ``str()``, ``repr()`` and ``format()`` are masked;
  :meth:`Secret.reveal` gives the value to the code that must send it.

:func:`install_redaction` registers secrets and installs the filter process-wide.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final

MASK: Final = "***"
"""What a redacted value is replaced with."""
SECRET_FIELDS: Final[tuple[str, ...]] = (
    "access_token",
    "api_secret",
    "request_token",
    "refresh_token",
    "enctoken",
    "checksum",
)
"""Field names whose values are always redacted, registered or not."""
MIN_SECRET_LENGTH: Final = 4
"""Shorter registered values are refused: masking them would mangle ordinary text."""

_FIELDS = "|".join(SECRET_FIELDS)
_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # Authorization: token api_key:access_token  (header, or its repr in a dict)
    (re.compile(r"(?i)(\btoken\s+[^\s:'\",]+:)([^\s'\",}]+)"), rf"\g<1>{MASK}"),
    # "access_token": "...", 'access_token': '...', access_token: ...
    (re.compile(rf"""(?i)(["']?(?:{_FIELDS})["']?\s*:\s*)(["'])(.*?)(\2)"""), rf"\g<1>\g<2>{MASK}\g<4>"),
    # access_token=... in query strings and form bodies
    (re.compile(rf"(?i)(\b(?:{_FIELDS})=)([^&\s'\"]+)"), rf"\g<1>{MASK}"),
)


class Secret(str):
    """A string that never shows itself: ``str``, ``repr`` and ``format`` give ``***``.

    It is still a ``str`` (comparisons, hashing, ``len`` work on the value); call
    :meth:`reveal` to get a plain ``str`` for the one place the value must be sent.
    """

    __slots__ = ()

    def reveal(self) -> str:
        """The secret value as a plain ``str``."""
        return str.__str__(self)

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)


def _plain(value: str) -> str:
    return value.reveal() if isinstance(value, Secret) else str(value)


class RedactionFilter(logging.Filter):
    """A logging filter masking registered secrets and Kite's credential shapes.

    It always lets the record through (returns True) after rewriting it: the
    message is formatted once (``record.getMessage()``), redacted and stored back
    with ``args`` cleared; ``exc_text`` (formatted from ``exc_info``) and
    ``stack_info`` are redacted too.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Register more values to mask wherever they appear (None and empty values are ignored)."""
        values = [_plain(s) for s in secrets if s]
        for value in values:
            if len(value) < MIN_SECRET_LENGTH:
                raise ValueError(f"a secret must have at least {MIN_SECRET_LENGTH} characters")
        with self._lock:
            # Longest first, so a secret containing another is masked whole.
            merged = set(self._secrets) | set(values)
            self._secrets = tuple(sorted(merged, key=len, reverse=True))

    @property
    def count(self) -> int:
        """Number of registered secret values."""
        return len(self._secrets)

    def redact(self, text: str) -> str:
        """``text`` with every registered secret and every credential-shaped value masked."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always True."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep logging's own error path
            return True
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_installed: RedactionFilter | None = None
_previous_factory: Callable[..., logging.LogRecord] | None = None
_install_lock = threading.Lock()


def install_redaction(*secrets: str | None) -> RedactionFilter:
    """Install (once) the process-wide :class:`RedactionFilter` and register ``secrets`` with it.

    The filter goes on the root logger and its current handlers, and wraps the
    log-record factory so that records of every logger are redacted before any
    handler (including ones added later) sees them. Calling again only registers
    more secrets. Returns the filter.
    """
    global _installed, _previous_factory
    with _install_lock:
        if _installed is None:
            flt = RedactionFilter()
            root = logging.getLogger()
            root.addFilter(flt)
            for handler in root.handlers:
                handler.addFilter(flt)
            previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
            _previous_factory = previous

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                flt.filter(record)
                return record

            logging.setLogRecordFactory(factory)
            _installed = flt
        _installed.add(*secrets)
        return _installed


def uninstall_redaction() -> None:
    """Remove what :func:`install_redaction` installed (the filter, the record factory)."""
    global _installed, _previous_factory
    with _install_lock:
        if _installed is None:
            return
        root = logging.getLogger()
        root.removeFilter(_installed)
        for handler in root.handlers:
            handler.removeFilter(_installed)
        logging.setLogRecordFactory(_previous_factory or logging.LogRecord)
        _installed = None


def redact(text: str) -> str:
    """``text`` redacted with the installed filter (credential shapes only if none is installed)."""
    return (_installed or RedactionFilter()).redact(text)


__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SECRET_FIELDS",
    "RedactionFilter",
    "Secret",
    "install_redaction",
    "redact",
    "uninstall_redaction",
]
