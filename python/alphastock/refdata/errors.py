"""The one error of a reference-data miss: :class:`UnknownInstrumentError`."""

from __future__ import annotations

from collections.abc import Sequence

from alphastock.errors import AlphaStockError


class UnknownInstrumentError(AlphaStockError, LookupError):
    """No instrument matches: an ``EXCHANGE:TRADINGSYMBOL``, a token, a configured symbol, an underlying's
    futures or spot, or there is no instruments dump at all.

    ``symbol`` is what was asked for (``"*"`` when no dump is stored), ``suggestions`` the closest
    tradingsymbols when the asker computed them (the :class:`~alphastock.refdata.SymbolResolver` does).
    Every instrument lookup (the store, its cache, :class:`~alphastock.refdata.StaticInstruments`, the
    resolver) raises this, so a caller catches one type for one kind of miss.
    """

    def __init__(self, symbol: str, suggestions: Sequence[str] = (), where: str = "") -> None:
        self.symbol = symbol
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown instrument {symbol!r}{where}{hint}")


__all__ = ["UnknownInstrumentError"]
