"""Secrets never reach log output: registered values and Kite's credential shapes are masked."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from alphastock.auth import RedactionFilter, Secret, install_redaction, uninstall_redaction
from alphastock.auth.redact import MASK

API_KEY = "kitefront123"
API_SECRET = "s3cr3t-api-secret-value"
ACCESS_TOKEN = "Xa9bC0d1E2f3G4h5I6j7K8l9M0n1O2p3"
log = logging.getLogger("alphastock.tests.redact")


@pytest.fixture
def redaction() -> Iterator[RedactionFilter]:
    flt = install_redaction(API_SECRET, Secret(ACCESS_TOKEN))
    try:
        yield flt
    finally:
        uninstall_redaction()


def _text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(caplog.handler.format(r) for r in caplog.records)


@pytest.mark.usefixtures("redaction")
@pytest.mark.parametrize(
    ("fmt", "args"),
    [
        ("Authorization: token %s:%s", (API_KEY, ACCESS_TOKEN)),
        ("headers %s", ({"Authorization": f"token {API_KEY}:{ACCESS_TOKEN}", "X-Kite-Version": "3"},)),
        ("body %s", (json.dumps({"api_key": API_KEY, "access_token": ACCESS_TOKEN, "user_id": "AB1"}),)),
        ("session %r", ({"api_key": API_KEY, "access_token": ACCESS_TOKEN, "api_secret": API_SECRET},)),
        ("GET ws://kite/?api_key=%s&access_token=%s", (API_KEY, ACCESS_TOKEN)),
        ("form api_key=%s&request_token=rt123&checksum=%s", (API_KEY, "abc" * 20)),
        ("plain secret %s and token %s", (API_SECRET, ACCESS_TOKEN)),
    ],
)
def test_every_form_is_masked(caplog: pytest.LogCaptureFixture, fmt: str, args: tuple[object, ...]) -> None:
    with caplog.at_level(logging.INFO):
        log.info(fmt, *args)
    text = _text(caplog)
    assert ACCESS_TOKEN not in text
    assert API_SECRET not in text
    assert "abc" * 20 not in text
    assert MASK in text
    assert API_KEY in text or "plain" in text  # the key itself is not a secret


def test_unregistered_credential_shapes_are_masked() -> None:
    flt = RedactionFilter()
    assert flt.redact("Authorization: token k1:zzzzz") == f"Authorization: token k1:{MASK}"
    assert flt.redact('{"access_token": "zzzzz", "x": 1}') == f'{{"access_token": "{MASK}", "x": 1}}'
    assert flt.redact("{'api_secret': 'zzzzz'}") == f"{{'api_secret': '{MASK}'}}"
    assert flt.redact("a=1&access_token=zzzzz&b=2") == f"a=1&access_token={MASK}&b=2"
    assert flt.redact("nothing secret here: token count 3") == "nothing secret here: token count 3"


@pytest.mark.usefixtures("redaction")
def test_exception_text_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError(f"failed with token {ACCESS_TOKEN}")
    except RuntimeError:
        log.exception("request failed for %s", API_KEY)
    text = _text(caplog)
    assert "RuntimeError: failed with token ***" in text
    assert ACCESS_TOKEN not in text


@pytest.mark.usefixtures("redaction")
def test_child_logger_records_are_masked_before_any_handler() -> None:
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    child = logging.getLogger("alphastock.tests.redact.child")
    handler = Keep()
    child.addHandler(handler)  # added after installation, on a child logger
    try:
        child.warning("token is %s", ACCESS_TOKEN)
    finally:
        child.removeHandler(handler)
    assert seen == [f"token is {MASK}"]


def test_secret_wrapper_masks_str_repr_and_format() -> None:
    secret = Secret(API_SECRET)
    assert str(secret) == MASK
    assert repr(secret) == "Secret('***')"
    assert f"{secret}" == MASK
    assert f"{[secret]}" == "[Secret('***')]"
    assert secret.reveal() == API_SECRET
    assert type(secret.reveal()) is str
    assert secret == API_SECRET


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        RedactionFilter(["abc"])
