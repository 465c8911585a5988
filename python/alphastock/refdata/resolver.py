"""Symbols from config to instruments of the daily dump (:class:`SymbolResolver`).

Order of lookup for ``resolve(symbol)``: the exact tradingsymbol (on the given
exchange, else NSE, then the index segment, then any exchange), then the alias
table (``NIFTYBANK`` -> ``NIFTY BANK``), then an underlying name resolved to its
nearest-month future by expiry from the data (``CRUDEOIL`` -> ``CRUDEOIL26JANFUT``).
An unknown symbol raises :class:`~alphastock.refdata.errors.UnknownInstrumentError`
naming close matches.

Lookups read DuckDB (through the :class:`~alphastock.refdata.store.InstrumentStore`), so
they belong to start-up and timers, never to the tick path; :meth:`SymbolResolver.describe`
(token -> instrument) is a dict read for the hot path.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping

from alphastock.models import Instrument
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.expiries import today_ist
from alphastock.refdata.store import InstrumentStore

_EXCHANGE_ORDER = ("NSE", "NFO", "MCX", "BSE", "BFO", "CDS")


class SymbolResolver:
    """Config symbols -> :class:`~alphastock.models.Instrument` through an :class:`InstrumentStore`.

    ``aliases``: symbol -> tradingsymbol (tried after an exact match); ``underlying_names``:
    index tradingsymbol or alias -> derivative name (``NIFTY BANK`` -> ``BANKNIFTY``).
    """

    def __init__(
        self,
        instruments: InstrumentStore,
        aliases: Mapping[str, str] | None = None,
        underlying_names: Mapping[str, str] | None = None,
    ) -> None:
        self.instruments = instruments
        self.aliases = {k.upper(): v for k, v in (aliases or {}).items()}
        self.underlying_names = {k.upper(): v for k, v in (underlying_names or {}).items()}
        self._by_token: dict[int, Instrument] = {}

    def remember(self, inst: Instrument) -> Instrument:
        """Make ``inst`` known to :meth:`describe` (resolution does this for every instrument it returns)."""
        self._by_token[inst.instrument_token] = inst
        return inst

    def describe(self, token: int) -> Instrument | None:
        """The instrument of ``token`` if it was resolved before (a dict read, no DuckDB)."""
        return self._by_token.get(int(token))

    def suggestions(self, symbol: str, exchange: str | None = None, n: int = 5) -> list[str]:
        """Up to ``n`` tradingsymbols (or aliases / underlying names) closest to ``symbol``."""
        names = self.instruments.tradingsymbols(exchange)
        names += list(self.aliases) + self.instruments.derivative_names()
        return difflib.get_close_matches(symbol.upper(), list(dict.fromkeys(names)), n=n, cutoff=0.6)

    # -- resolution ----------------------------------------------------------------------------
    def exact(self, tradingsymbol: str, exchange: str | None = None) -> Instrument | None:
        """The instrument with exactly this tradingsymbol (preferring ``exchange``, then NSE, NFO, MCX)."""
        found = self.instruments.listings(tradingsymbol, exchange)
        if not found:
            return None
        for inst in found:
            self.remember(inst)
        rank = {e: i for i, e in enumerate((exchange, *_EXCHANGE_ORDER) if exchange else _EXCHANGE_ORDER)}
        # Among NSE rows the index segment loses to the stock only when both exist (never in practice).
        return min(found, key=lambda i: (rank.get(i.exchange, 99), i.segment == "INDICES"))

    def resolve(
        self, symbol: str, exchange: str | None = None, *, today: dt.date | None = None
    ) -> Instrument:
        """``symbol`` -> instrument: exact tradingsymbol, alias, then an underlying's nearest-month future.

        Raises :class:`UnknownInstrumentError` with close matches when nothing fits.
        """
        text = symbol.strip()
        inst = self.exact(text, exchange) or self.exact(text.upper(), exchange)
        if inst is not None:
            return inst
        alias = self.aliases.get(text.upper())
        if alias is not None:
            # On the exchange asked for only: NFO:NIFTY must not become the NSE index that the
            # NIFTY alias names, but NIFTY's nearest-month future (below).
            inst = self.exact(alias, exchange) if exchange else self.exact(alias)
            if inst is not None:
                return inst
        futures = self.futures(self.underlying_name(text), exchange)
        if futures:
            day = today or today_ist()
            live = [f for f in futures if f.expiry is not None and f.expiry >= day]
            return (live or futures)[0]
        where = f" on {exchange}" if exchange else ""
        raise UnknownInstrumentError(symbol, self.suggestions(text, exchange), where)

    def underlying_name(self, symbol: str) -> str:
        """The derivative name for ``symbol``: ``NIFTY BANK``/``NIFTYBANK`` -> ``BANKNIFTY``; else itself."""
        key = symbol.strip().upper()
        if key in self.underlying_names:
            return self.underlying_names[key]
        alias = self.aliases.get(key)
        if alias is not None and alias.upper() in self.underlying_names:
            return self.underlying_names[alias.upper()]
        return key

    def spot(self, underlying: str) -> Instrument:
        """The cash instrument under a derivative name: the index (through the aliases) or the NSE stock."""
        name = self.underlying_name(underlying)
        for candidate in (underlying, name):
            alias = self.aliases.get(candidate.upper())
            if alias is not None:
                inst = self.exact(alias)
                if inst is not None:
                    return inst
        for key, value in self.underlying_names.items():
            if value == name:
                inst = self.exact(key)
                if inst is not None and inst.segment == "INDICES":
                    return inst
        inst = self.exact(name, "NSE")
        if inst is None:
            close = self.suggestions(underlying, "NSE")
            raise UnknownInstrumentError(underlying, close, " (no spot instrument)")
        return inst

    def futures(self, underlying: str, exchange: str | None = None) -> list[Instrument]:
        """Listed futures of an underlying name (``NIFTY``, ``CRUDEOIL``), nearest expiry first."""
        found = self.instruments.futures(self.underlying_name(underlying), exchange)
        return [self.remember(i) for i in found]

    def require_futures(self, underlying: str, exchange: str | None = None) -> list[Instrument]:
        """:meth:`futures`, raising :class:`UnknownInstrumentError` (with close matches) when none is
        listed."""
        found = self.futures(underlying, exchange)
        if not found:
            where = f" (no futures on {exchange})" if exchange else " (no futures)"
            raise UnknownInstrumentError(underlying, self.suggestions(underlying, exchange), where)
        return found

    def option_expiries(self, underlying: str, today: dt.date, count: int) -> list[dt.date]:
        """The nearest ``count`` option expiries of an underlying on or after ``today``."""
        listed = self.instruments.option_expiries(self.underlying_name(underlying))
        return [e for e in listed if e >= today][:count]

    def option_chain(self, underlying: str, expiry: dt.date) -> list[Instrument]:
        """Every CE and PE of an underlying for ``expiry``, by strike then type (remembered for describe)."""
        name = self.underlying_name(underlying)
        return [self.remember(i) for i in self.instruments.option_chain(name, expiry)]


__all__ = ["SymbolResolver"]
