"""Logging for a live run: a file per run under ``<data dir>/logs`` (files 0600 in a 0700 directory),
secrets redacted everywhere.

Headless runs also log to stderr; with the live view on, stderr stays quiet
(the view owns the terminal) and warnings show in the view's notes.

The engine thread never writes a log line itself: records go through a
``QueueHandler`` to a ``QueueListener`` thread that writes them. A file write
releases the GIL, and a thread waiting for it (the broker SDK's sender) could
then hold the engine thread up to its switch interval (5 ms) in the middle of a
decision; a queue put does not.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import queue
from pathlib import Path

from alphastock.auth.redact import install_redaction
from alphastock.models import IST
from alphastock.private import create_private_file, private_dir, private_file

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_path(data_dir: Path, started: dt.datetime) -> Path:
    """``<data_dir>/logs/live-YYYYmmdd-HHMMSS.log`` (IST)."""
    return data_dir / "logs" / f"live-{started.astimezone(IST):%Y%m%d-%H%M%S}.log"


class QueueFront(logging.handlers.QueueHandler):
    """The root logger's handler: queues records for :attr:`listener`, which writes them."""

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord], sinks: list[logging.Handler]) -> None:
        super().__init__(records)
        self.listener = logging.handlers.QueueListener(records, *sinks, respect_handler_level=True)


def setup_logging(
    path: Path, *, level: str = "INFO", stderr: bool, secrets: tuple[str | None, ...] = ()
) -> list[logging.Handler]:
    """Log to a file (and stderr when ``stderr``) through a queue and a writer thread, with the
    redaction filter registered for ``secrets``. Returns the handler attached to the root logger
    (pass it to :func:`remove_handlers` at the end, which writes out what is queued)."""
    # Logs name orders, fills and the account: the directory 0700, every log file in it 0600.
    private_dir(path.parent, markers=("live-*.log",))
    for old in path.parent.glob("live-*.log"):
        private_file(old)
    create_private_file(path)
    sinks: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if stderr:
        sinks.append(logging.StreamHandler())
    redaction = install_redaction(*secrets)
    for sink in sinks:
        sink.setFormatter(logging.Formatter(FORMAT))
        sink.addFilter(redaction)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    front = QueueFront(records, sinks)
    front.addFilter(redaction)
    front.listener.start()
    root = logging.getLogger()
    root.addHandler(front)
    root.setLevel(getattr(logging, level))
    # The websockets and aiohttp access logs are noise at INFO in a live run.
    for noisy in ("websockets", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return [front]


def remove_handlers(handlers: list[logging.Handler]) -> None:
    """Detach what :func:`setup_logging` attached; queued records are written before it returns."""
    root = logging.getLogger()
    for handler in handlers:
        root.removeHandler(handler)
        listener = getattr(handler, "listener", None)
        if listener is not None:
            listener.stop()
            for sink in listener.handlers:
                sink.close()
        handler.close()


__all__ = ["QueueFront", "log_path", "remove_handlers", "setup_logging"]
