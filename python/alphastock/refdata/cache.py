"""Memoised instrument lookups for the trading path (:class:`InstrumentCache`)."""

from __future__ import annotations

from alphastock.models import Instrument
from alphastock.refdata.store import InstrumentStore


class InstrumentCache:
    """Memoised :meth:`InstrumentStore.instrument` for the trading path: a DuckDB query costs about a
    millisecond, a dict read well under a microsecond. The dump changes once a day; call
    :meth:`clear` after a refresh."""

    def __init__(self, source: InstrumentStore) -> None:
        self.source = source
        self._cache: dict[tuple[str, str], Instrument] = {}
        self._freeze: dict[tuple[str, str], tuple[int, int] | None] = {}

    def instrument(self, exchange: str, tradingsymbol: str) -> Instrument:
        """The instrument; raises :class:`~alphastock.refdata.errors.UnknownInstrumentError` as the store
        does when unknown (failures are not cached)."""
        key = (exchange, tradingsymbol)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.source.instrument(exchange, tradingsymbol)
        return found

    def freeze_lookup(self, exchange: str, tradingsymbol: str) -> tuple[int, int] | None:
        """Memoised :meth:`InstrumentStore.freeze_lookup` (KiteBroker asks it on every placement)."""
        key = (exchange, tradingsymbol)
        if key not in self._freeze:
            self._freeze[key] = self.source.freeze_lookup(exchange, tradingsymbol)
        return self._freeze[key]

    def clear(self) -> None:
        """Forget everything (after a new dump)."""
        self._cache.clear()
        self._freeze.clear()


__all__ = ["InstrumentCache"]
