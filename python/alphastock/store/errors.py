"""The store's exception, part of the :class:`~alphastock.AlphaStockError` hierarchy."""

from __future__ import annotations

from alphastock.errors import AlphaStockError


class StoreError(AlphaStockError):
    """The database cannot be opened, migrated or written (the message says why)."""


class StoreDamagedError(StoreError):
    """The database file is damaged (truncated, or a block fails to read); the message names the
    command that moves it aside and rebuilds it from the journal (``alphastock db rebuild``)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message
        """What is wrong, without the advice."""


__all__ = ["StoreDamagedError", "StoreError"]
