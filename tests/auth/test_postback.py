"""Postback checksums on Kite's own postback.json: the right secret verifies, tampering fails."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from alphastock.auth import PostbackError, Secret, parse_postback, postback_checksum, verify_postback
from alphastock.models import OrderUpdate
from tests._data import KITE_MOCKS

SECRET = "my-app-api-secret"


@pytest.fixture
def payload() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((KITE_MOCKS / "postback.json").read_text())
    data["checksum"] = hashlib.sha256(
        (data["order_id"] + data["order_timestamp"] + SECRET).encode()
    ).hexdigest()
    return data


def test_checksum_by_value() -> None:
    expected = hashlib.sha256(b"220303000308932" + b"2022-03-03 09:24:25" + SECRET.encode()).hexdigest()
    assert postback_checksum("220303000308932", "2022-03-03 09:24:25", SECRET) == expected
    assert postback_checksum("220303000308932", "2022-03-03 09:24:25", Secret(SECRET)) == expected


def test_valid_postback_is_accepted_and_parsed(payload: dict[str, Any]) -> None:
    assert verify_postback(payload, SECRET)
    update = parse_postback(json.dumps(payload), SECRET)
    assert isinstance(update, OrderUpdate)
    assert update.order_id == "220303000308932"
    assert update.status == "COMPLETE"
    assert update.average_price == 470.0
    assert update.filled_quantity == 1
    assert update.checksum == payload["checksum"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("order_id", "220303000308933"), ("order_timestamp", "2022-03-03 09:24:26"), ("checksum", "0" * 64)],
)
def test_tampered_postback_is_rejected(payload: dict[str, Any], field: str, value: str) -> None:
    payload[field] = value
    assert not verify_postback(payload, SECRET)
    with pytest.raises(PostbackError, match="checksum mismatch for order"):
        parse_postback(payload, SECRET)


def test_wrong_secret_and_missing_fields_are_rejected(payload: dict[str, Any]) -> None:
    assert not verify_postback(payload, "another-secret")
    assert not verify_postback({k: v for k, v in payload.items() if k != "checksum"}, SECRET)
    with pytest.raises(PostbackError, match="not JSON"):
        parse_postback(b"{oops", SECRET)
    with pytest.raises(PostbackError, match="must be a JSON object"):
        parse_postback("[1, 2]", SECRET)


def test_error_message_never_contains_the_secret(payload: dict[str, Any]) -> None:
    with pytest.raises(PostbackError) as info:
        parse_postback(payload, "wrong-secret-xyz")
    assert "wrong-secret-xyz" not in str(info.value)
    assert payload["checksum"] not in str(info.value)
