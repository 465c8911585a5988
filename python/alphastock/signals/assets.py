"""What a signal trades: :class:`AssetType`, and :func:`asset_type_of`, the one rule that derives it.

The asset type is decided once, when the signal is made, from the signal's instrument (its
Kite ``exchange``, ``segment`` and ``instrument_type``) and the configured options underlyings;
the signal router (:mod:`alphastock.execution.router`) hands the signal to the one executor
that trades that asset type.

Kite's instruments dump lists these segments: NSE, BSE, INDICES, NFO-FUT, NFO-OPT, MCX-FUT,
MCX-OPT, CDS-FUT, CDS-OPT, BCD, BCD-FUT, BCD-OPT (Zerodha on the Kite forum,
https://kite.trade/forum/discussion/comment/40625); BFO (BSE F&O) and NCO (NSE commodity) follow
the same ``-FUT`` / ``-OPT`` pattern. Index rows are ``segment INDICES`` with ``instrument_type EQ``
(https://kite.trade/forum/discussion/comment/13537/; ``alphastock.sim.instruments`` lists them so).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from alphastock.models import Instrument


class AssetType(StrEnum):
    """The kind of instrument a signal is traded through (stored as its lower-case value)."""

    EQUITY = "equity"
    """A cash share on NSE or BSE."""
    FUTURES = "futures"
    """An index or stock future on NFO or BFO."""
    OPTIONS = "options"
    """Options: a signal on an option contract, or on a spot instrument configured as an options
    underlying (the options executor picks the contract)."""
    INDEX = "index"
    """An index (segment INDICES): not tradable itself; only its options or futures are."""
    COMMODITY = "commodity"
    """An MCX or NCO contract."""
    CURRENCY = "currency"
    """A CDS or BCD (currency derivatives) contract."""

    @classmethod
    def _missing_(cls, value: object) -> AssetType | None:
        # Before the enum the column was a free string: old rows and journals may say "OPTION",
        # "Equity" or "future". Accepted case-insensitively, singular or plural.
        if isinstance(value, str):
            return _LEGACY.get(value.strip().lower())
        return None


_LEGACY: Final[dict[str, AssetType]] = {
    **{name: AssetType.EQUITY for name in ("equity", "equities", "eq")},
    **{name: AssetType.FUTURES for name in ("futures", "future", "fut")},
    **{name: AssetType.OPTIONS for name in ("options", "option", "opt")},
    **{name: AssetType.INDEX for name in ("index", "indices")},
    **{name: AssetType.COMMODITY for name in ("commodity", "commodities")},
    **{name: AssetType.CURRENCY for name in ("currency", "currencies")},
}

CASH_EXCHANGES: Final = frozenset({"NSE", "BSE"})
"""Exchanges of cash shares (and, segment INDICES, of indices)."""
COMMODITY_EXCHANGES: Final = frozenset({"MCX", "NCO"})
CURRENCY_EXCHANGES: Final = frozenset({"CDS", "BCD"})
OPTION_TYPES: Final = frozenset({"CE", "PE"})
"""Kite ``instrument_type`` of call and put options."""


def asset_type_of(
    exchange: str,
    instrument: Instrument | None = None,
    *,
    underlying: str | None = None,
    options_underlyings: Collection[str] = (),
) -> AssetType:
    """The asset type of a signal on ``exchange``'s ``instrument`` (None when the instrument master
    does not know it: the exchange decides alone).

    Rules, in order: a call or put (``CE``/``PE``) is OPTIONS; an index (segment ``INDICES``) is
    INDEX; on MCX/NCO a contract is COMMODITY, on CDS/BCD CURRENCY; any other derivative (``FUT``,
    or an unknown instrument on NFO/BFO) is FUTURES; a cash instrument on NSE/BSE is OPTIONS when
    ``underlying`` (the derivatives' name of the instrument, e.g. ``RELIANCE``; default its
    tradingsymbol) is one of ``options_underlyings`` — its signals are traded through options —
    and EQUITY otherwise. Names are compared upper-case.
    """
    exchange = exchange.upper()
    if instrument is not None:
        exchange = instrument.exchange.upper() or exchange
        kind = instrument.instrument_type.upper()
        if kind in OPTION_TYPES:
            return AssetType.OPTIONS
        if instrument.segment.upper() == "INDICES":
            return AssetType.INDEX
    else:
        kind = ""
    if exchange in COMMODITY_EXCHANGES:
        return AssetType.COMMODITY
    if exchange in CURRENCY_EXCHANGES:
        return AssetType.CURRENCY
    if exchange not in CASH_EXCHANGES or kind == "FUT":
        return AssetType.FUTURES
    name = underlying or (instrument.tradingsymbol if instrument is not None else "")
    if name and options_underlyings and name.upper() in {u.upper() for u in options_underlyings}:
        return AssetType.OPTIONS
    return AssetType.EQUITY


__all__ = ["AssetType", "asset_type_of"]
