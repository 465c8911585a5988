"""The store's exception, part of the :class:`~alphastock.AlphaStockError` hierarchy."""

from __future__ import annotations

from alphastock.errors import AlphaStockError


class StoreError(AlphaStockError):
    """The database cannot be opened, migrated or written (the message says why)."""


__all__ = ["StoreError"]
