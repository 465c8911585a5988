"""Kite postbacks and WebSocket order updates, verified by their checksum.

Kite signs every order update with ``checksum = sha256(order_id + order_timestamp +
api_secret)`` (hex), ``order_timestamp`` being the payload's string as sent
(``"2022-03-03 09:24:25"``). An update whose checksum does not match did not come
from Kite (or not for this app) and is rejected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from alphastock.auth.redact import Secret
from alphastock.errors import AlphaStockError
from alphastock.models import OrderUpdate


class PostbackError(AlphaStockError, ValueError):
    """A postback or order update is malformed or its checksum does not match."""


def _secret(api_secret: str) -> str:
    return api_secret.reveal() if isinstance(api_secret, Secret) else api_secret


def postback_checksum(order_id: str, order_timestamp: str, api_secret: str) -> str:
    """Kite's checksum of an order update: hex sha256 of ``order_id + order_timestamp + api_secret``."""
    text = f"{order_id}{order_timestamp}{_secret(api_secret)}"
    return hashlib.sha256(text.encode()).hexdigest()


def verify_postback(payload: dict[str, Any], api_secret: str) -> bool:
    """True when ``payload["checksum"]`` is Kite's checksum for this app's ``api_secret``.

    Compared in constant time; a payload missing ``order_id``, ``order_timestamp`` or
    ``checksum`` (or with non-string values) is not verified.
    """
    order_id, timestamp, checksum = (payload.get(k) for k in ("order_id", "order_timestamp", "checksum"))
    if not isinstance(checksum, str) or order_id is None or not isinstance(timestamp, str):
        return False
    expected = postback_checksum(str(order_id), timestamp, api_secret)
    return hmac.compare_digest(expected.encode(), checksum.lower().encode())


def parse_postback(payload: dict[str, Any] | str | bytes, api_secret: str) -> OrderUpdate:
    """Verify and parse an order update (a dict, or the JSON body of a postback request).

    Raises :class:`PostbackError` when the body is not a JSON object or the checksum
    does not match (the message names the order, never the secret or the checksum).
    """
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise PostbackError(f"postback body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PostbackError(f"postback body must be a JSON object, got {type(payload).__name__}")
    if not verify_postback(payload, api_secret):
        raise PostbackError(
            f"postback checksum mismatch for order {payload.get('order_id')!r}: "
            "not signed by Kite with this app's api_secret; rejected"
        )
    return OrderUpdate.from_kite(payload)


__all__ = ["PostbackError", "parse_postback", "postback_checksum", "verify_postback"]
