"""Logging for a live run: a file per run under ``<data dir>/logs``, secrets redacted everywhere.

Headless runs also log to stderr; with the live view on, stderr stays quiet
(the view owns the terminal) and warnings show in the view's notes.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from alphastock.auth.redact import install_redaction
from alphastock.models import IST

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_path(data_dir: Path, started: dt.datetime) -> Path:
    """``<data_dir>/logs/live-YYYYmmdd-HHMMSS.log`` (IST)."""
    return data_dir / "logs" / f"live-{started.astimezone(IST):%Y%m%d-%H%M%S}.log"


def setup_logging(
    path: Path, *, level: str = "INFO", stderr: bool, secrets: tuple[str | None, ...] = ()
) -> list[logging.Handler]:
    """Attach a file handler (and a stderr handler when ``stderr``) to the root logger, with the
    redaction filter registered for ``secrets``; returns the handlers (remove them at the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if stderr:
        handlers.append(logging.StreamHandler())
    root = logging.getLogger()
    redaction = install_redaction(*secrets)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(redaction)
        root.addHandler(handler)
    root.setLevel(getattr(logging, level))
    # The websockets and aiohttp access logs are noise at INFO in a live run.
    for noisy in ("websockets", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handlers


def remove_handlers(handlers: list[logging.Handler]) -> None:
    """Detach and close what :func:`setup_logging` attached."""
    root = logging.getLogger()
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()


__all__ = ["log_path", "remove_handlers", "setup_logging"]
