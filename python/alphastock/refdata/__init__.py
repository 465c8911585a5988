"""Reference data: what the instruments are, and the rules their prices and quantities follow.

- :mod:`~alphastock.refdata.store`: :class:`InstrumentStore`, the daily instruments dump in DuckDB
  (download once a day, lookups by symbol or token, lot size, tick size, freeze quantity, futures,
  expiries, option chains).
- :mod:`~alphastock.refdata.cache`: :class:`InstrumentCache`, memoised lookups for the trading path.
- :mod:`~alphastock.refdata.resolver`: :class:`SymbolResolver`, configured symbols to instruments
  (aliases, an underlying's nearest future, the spot of an underlying).
- :mod:`~alphastock.refdata.lookup`: :class:`InstrumentLookup`, the one protocol the trading path asks
  instruments through, and :class:`StaticInstruments` over a fixed list.
- :mod:`~alphastock.refdata.expiries`: expiry rules from the listed dates (nearest, monthly).
- :mod:`~alphastock.refdata.ticks`: :func:`round_to_tick`, the one tick-rounding rule.
- :mod:`~alphastock.refdata.errors`: :class:`UnknownInstrumentError`, the one error of a miss.

This package depends only on models, the store and errors, never on brokers, runners, execution,
strategies or live (``tests/test_import_graph.py`` checks it). Names load on first use, so the tick
rule does not pull in DuckDB or Arrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphastock._lazy import lazy_exports

if TYPE_CHECKING:
    from alphastock.refdata.cache import InstrumentCache
    from alphastock.refdata.errors import UnknownInstrumentError
    from alphastock.refdata.expiries import monthly, nearest_on_or_after, today_ist
    from alphastock.refdata.lookup import InstrumentLookup, StaticInstruments
    from alphastock.refdata.resolver import SymbolResolver
    from alphastock.refdata.store import DERIVATIVE_TYPES, InstrumentStore, instruments_table
    from alphastock.refdata.ticks import TickRounding, TickRoundingError, round_to_tick

_LAZY = {
    "DERIVATIVE_TYPES": "store", "InstrumentCache": "cache", "InstrumentLookup": "lookup",
    "InstrumentStore": "store", "StaticInstruments": "lookup",
    "SymbolResolver": "resolver", "TickRounding": "ticks", "TickRoundingError": "ticks",
    "UnknownInstrumentError": "errors", "instruments_table": "store", "monthly": "expiries",
    "nearest_on_or_after": "expiries", "round_to_tick": "ticks", "today_ist": "expiries",
}  # fmt: skip

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "DERIVATIVE_TYPES",
    "InstrumentCache",
    "InstrumentLookup",
    "InstrumentStore",
    "StaticInstruments",
    "SymbolResolver",
    "TickRounding",
    "TickRoundingError",
    "UnknownInstrumentError",
    "instruments_table",
    "monthly",
    "nearest_on_or_after",
    "round_to_tick",
    "today_ist",
]
