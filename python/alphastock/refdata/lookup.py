"""What the trading path asks of reference data (:class:`InstrumentLookup`), and a lookup over a fixed
list of instruments (:class:`StaticInstruments`, for paper runs, tests and benches)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from alphastock.models import Instrument
from alphastock.refdata.errors import UnknownInstrumentError


class InstrumentLookup(Protocol):
    """``instrument(exchange, tradingsymbol) -> Instrument``, raising
    :class:`~alphastock.refdata.errors.UnknownInstrumentError` when unknown.

    :class:`~alphastock.refdata.store.InstrumentStore`, :class:`~alphastock.refdata.cache.InstrumentCache`
    and :class:`StaticInstruments` have it.
    """

    def instrument(self, exchange: str, tradingsymbol: str) -> Instrument:
        """The instrument ``EXCHANGE:TRADINGSYMBOL``; raises UnknownInstrumentError when unknown."""
        ...


class StaticInstruments:
    """An :class:`InstrumentLookup` over a list of instruments (paper trading, tests)."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._by_key = {(i.exchange, i.tradingsymbol): i for i in instruments}

    def instrument(self, exchange: str, tradingsymbol: str) -> Instrument:
        """The instrument; raises :class:`UnknownInstrumentError` when it is not in the list."""
        found = self._by_key.get((exchange, tradingsymbol))
        if found is None:
            raise UnknownInstrumentError(f"{exchange}:{tradingsymbol}")
        return found


__all__ = ["InstrumentLookup", "StaticInstruments"]
