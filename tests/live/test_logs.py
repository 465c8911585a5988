"""Live-run logging: records leave the engine thread through a queue; secrets never reach the file."""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path

from alphastock.auth.redact import uninstall_redaction
from alphastock.live.logs import QueueFront, remove_handlers, setup_logging


def test_records_are_written_by_the_listener_thread_with_secrets_redacted(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "live.log"
    written_by: list[str] = []

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            written_by.append(threading.current_thread().name)

    handlers = setup_logging(path, stderr=False, secrets=("tok-SECRET-123",))
    try:
        (front,) = handlers
        assert isinstance(front, QueueFront)
        front.listener.handlers = (*front.listener.handlers, Spy())
        log = logging.getLogger("alphastock.test.logs")
        log.info("placing with token %s", "tok-SECRET-123")
        log.warning("plain line")
    finally:
        remove_handlers(handlers)  # writes out what is queued
        uninstall_redaction()
    text = path.read_text()
    assert "placing with token" in text
    assert "plain line" in text
    assert "tok-SECRET-123" not in text
    assert written_by
    assert threading.main_thread().name not in written_by
    assert not any(isinstance(h, logging.handlers.QueueHandler) for h in logging.getLogger().handlers)
