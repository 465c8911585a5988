"""Broker errors, rooted at :class:`alphastock.AlphaStockError`.

Kite answers errors with an ``error_type`` (TokenException, InputException,
OrderException, NetworkException, DataException, GeneralException,
PermissionException, MarginException) and an HTTP status; every
:class:`BrokerError` keeps both, and :func:`from_kite_error` picks the subclass.
"""

# The names follow the issue and Kite (TokenExpired, RateLimited, ...), not the "Error" suffix rule.
# ruff: noqa: N818

from __future__ import annotations

from alphastock.errors import AlphaStockError

KITE_ERROR_TYPES = (
    "TokenException",
    "InputException",
    "OrderException",
    "NetworkException",
    "DataException",
    "GeneralException",
    "PermissionException",
    "MarginException",
)
"""The ``error_type`` values Kite Connect documents."""


class BrokerError(AlphaStockError):
    """A broker call failed. ``error_type`` is Kite's exception name, ``status`` the HTTP status if any."""

    default_error_type = "GeneralException"

    def __init__(self, message: str, *, error_type: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type or self.default_error_type
        self.status = status


class TokenExpired(BrokerError):
    """The access token is invalid or expired (HTTP 403; Kite tokens expire 06:00 IST daily):
    run ``alphastock login``."""

    default_error_type = "TokenException"

    def __init__(self, message: str = "", *, error_type: str | None = None, status: int | None = 403) -> None:
        hint = "access token expired or invalid: run `alphastock login`"
        super().__init__(f"{message} ({hint})" if message else hint, error_type=error_type, status=status)


class PermissionDenied(BrokerError):
    """The account or app may not do this (Kite PermissionException)."""

    default_error_type = "PermissionException"


class InvalidInput(BrokerError, ValueError):
    """The request is malformed or names something unknown (Kite InputException)."""

    default_error_type = "InputException"


class OrderNotFound(InvalidInput):
    """No order with this id."""


class OrderRejected(BrokerError):
    """The order was refused or cannot be changed in its state (Kite OrderException)."""

    default_error_type = "OrderException"


class InsufficientMargin(OrderRejected):
    """Not enough funds for the order (Kite MarginException)."""

    default_error_type = "MarginException"


class RateLimited(BrokerError):
    """Too many requests (HTTP 429); retry after ``retry_after_s`` seconds when known."""

    default_error_type = "NetworkException"

    def __init__(
        self,
        message: str = "too many requests",
        *,
        error_type: str | None = None,
        status: int | None = 429,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, error_type=error_type, status=status)
        self.retry_after_s = retry_after_s


class BrokerNetworkError(BrokerError):
    """The broker could not be reached or failed upstream (Kite NetworkException, HTTP 502/503/504)."""

    default_error_type = "NetworkException"


class BrokerDataError(BrokerError):
    """The broker's answer could not be parsed or is inconsistent (Kite DataException)."""

    default_error_type = "DataException"


class AmbiguousOrderOutcome(BrokerError):
    """An order request was sent but its outcome is unknown (timeout, dropped connection).

    The order may exist: the OMS must reconcile by ``tag`` (its idempotency key)
    from the order book before retrying, never blindly resend.
    """

    default_error_type = "NetworkException"

    def __init__(
        self, message: str, *, tag: str, error_type: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message, error_type=error_type, status=status)
        self.tag = tag


_BY_TYPE: dict[str, type[BrokerError]] = {
    "TokenException": TokenExpired,
    "InputException": InvalidInput,
    "OrderException": OrderRejected,
    "MarginException": InsufficientMargin,
    "NetworkException": BrokerNetworkError,
    "DataException": BrokerDataError,
    "PermissionException": PermissionDenied,
    "GeneralException": BrokerError,
}


def from_kite_error(message: str, error_type: str | None, status: int | None = None) -> BrokerError:
    """The :class:`BrokerError` subclass for a Kite error answer (HTTP 429 is always :class:`RateLimited`)."""
    if status == 429:
        return RateLimited(message, error_type=error_type, status=status)
    cls = _BY_TYPE.get(error_type or "GeneralException", BrokerError)
    return cls(message, error_type=error_type, status=status)


__all__ = [
    "KITE_ERROR_TYPES",
    "AmbiguousOrderOutcome",
    "BrokerDataError",
    "BrokerError",
    "BrokerNetworkError",
    "InsufficientMargin",
    "InvalidInput",
    "OrderNotFound",
    "OrderRejected",
    "PermissionDenied",
    "RateLimited",
    "TokenExpired",
    "from_kite_error",
]
