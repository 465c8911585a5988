"""Broker errors: Kite error types map to subclasses rooted at AlphaStockError, keeping type and status."""

from __future__ import annotations

import pytest

from alphastock import AlphaStockError
from alphastock.brokers.errors import (
    KITE_ERROR_TYPES,
    AmbiguousOrderOutcome,
    BrokerDataError,
    BrokerError,
    BrokerNetworkError,
    InsufficientMargin,
    InvalidInput,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    TokenExpired,
    from_kite_error,
)


@pytest.mark.parametrize(
    ("error_type", "cls"),
    [
        ("TokenException", TokenExpired),
        ("InputException", InvalidInput),
        ("OrderException", OrderRejected),
        ("MarginException", InsufficientMargin),
        ("NetworkException", BrokerNetworkError),
        ("DataException", BrokerDataError),
        ("PermissionException", PermissionDenied),
        ("GeneralException", BrokerError),
        ("SomethingNew", BrokerError),
    ],
)
def test_from_kite_error(error_type: str, cls: type[BrokerError]) -> None:
    error = from_kite_error("boom", error_type, 400)
    assert type(error) is cls
    assert isinstance(error, AlphaStockError)
    assert (error.error_type, error.status) == (error_type, 400)
    assert "boom" in str(error)


def test_special_errors() -> None:
    assert len(KITE_ERROR_TYPES) == 8
    limited = from_kite_error("Too many requests", "NetworkException", 429)
    assert isinstance(limited, RateLimited)
    assert limited.status == 429
    expired = TokenExpired("Incorrect `api_key` or `access_token`.")
    assert expired.status == 403
    assert str(expired) == (
        "Incorrect `api_key` or `access_token`. (access token expired or invalid: run `alphastock login`)"
    )
    assert isinstance(InsufficientMargin("no funds"), OrderRejected)
    assert isinstance(InvalidInput("bad"), ValueError)
    ambiguous = AmbiguousOrderOutcome("timed out", tag="oms-1")
    assert (ambiguous.tag, ambiguous.error_type) == ("oms-1", "NetworkException")
    assert RateLimited(retry_after_s=1.5).retry_after_s == 1.5
