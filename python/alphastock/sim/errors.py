"""Kite's error responses: ``{"status": "error", "message": ..., "error_type": ..., "data": null}``.

The official client turns ``error_type`` into its exception class of the same
name (TokenException, InputException, OrderException, NetworkException, ...)
and keeps the HTTP status as ``code``.
"""

from __future__ import annotations

from typing import Any

from alphastock.errors import AlphaStockError


class KiteError(AlphaStockError):
    """An error the simulator answers with Kite's error body and HTTP status."""

    def __init__(self, message: str, error_type: str = "InputException", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.status = status

    def body(self) -> dict[str, Any]:
        """The JSON body Kite sends for this error."""
        return {"status": "error", "message": self.message, "data": None, "error_type": self.error_type}


def input_error(message: str) -> KiteError:
    """HTTP 400 InputException: a missing or invalid parameter."""
    return KiteError(message, "InputException", 400)


def token_error(message: str = "Incorrect `api_key` or `access_token`.") -> KiteError:
    """HTTP 403 TokenException: no, a wrong or an expired session."""
    return KiteError(message, "TokenException", 403)


def rate_error() -> KiteError:
    """HTTP 429 NetworkException: a rate limit was exceeded."""
    return KiteError("Too many requests", "NetworkException", 429)


__all__ = ["KiteError", "input_error", "rate_error", "token_error"]
