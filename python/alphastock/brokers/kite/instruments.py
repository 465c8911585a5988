"""The daily instruments dump in DuckDB, and the questions the engine asks of it.

:meth:`InstrumentStore.refresh` downloads Kite's dump (``GET /instruments``) at most
once per trading day: when the store already holds the dump of that date (IST) it
does nothing. Freeze quantities are not in the dump; they come from configuration
(``instruments.freeze_quantities``, units per order by underlying name) and are
stored on the F&O rows (FUT/CE/PE) of those underlyings.

Every query reads the latest stored dump (or the one of ``dump_date``). Expiries are
read from the data, never from weekday rules: the *weekly* expiry of an underlying is
its nearest listed option expiry on or after a date, and *monthly* expiries are the
last listed expiry of each calendar month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pyarrow as pa

from alphastock.brokers.errors import InvalidInput
from alphastock.models import IST, Instrument
from alphastock.store import Store

DERIVATIVE_TYPES = ("FUT", "CE", "PE")
"""Instrument types a freeze quantity applies to."""

OPTION_TYPES = ("CE", "PE")


class InstrumentSource(Protocol):
    """Anything with the protocol's ``instruments`` call (a KiteBroker, a PaperBroker)."""

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """The instruments dump."""
        ...


def today_ist() -> dt.date:
    """Today's date in India (the dump's date)."""
    return dt.datetime.now(IST).date()


def instruments_table(
    instruments: Sequence[Instrument], freeze_quantities: Mapping[str, int] | None = None
) -> pa.Table:
    """Columns for :meth:`Store.write_instruments`, with ``freeze_quantity`` set from ``freeze_quantities``
    (by underlying name) on FUT/CE/PE rows."""
    freeze = dict(freeze_quantities or {})
    columns: dict[str, list[Any]] = {
        name: []
        for name in (
            "instrument_token", "exchange_token", "tradingsymbol", "name", "last_price", "expiry",
            "strike", "tick_size", "lot_size", "instrument_type", "segment", "exchange", "freeze_quantity",
        )
    }  # fmt: skip
    for inst in instruments:
        for name in columns:
            if name != "freeze_quantity":
                columns[name].append(getattr(inst, name))
        value = inst.freeze_quantity
        if value is None and inst.instrument_type in DERIVATIVE_TYPES:
            value = freeze.get(inst.name)
        columns["freeze_quantity"].append(value)
    types = {
        "instrument_token": pa.int64(), "exchange_token": pa.int64(), "last_price": pa.float64(),
        "expiry": pa.date32(), "strike": pa.float64(), "tick_size": pa.float64(), "lot_size": pa.int64(),
        "freeze_quantity": pa.int64(),
    }  # fmt: skip
    return pa.table(
        {name: pa.array(values, type=types.get(name, pa.string())) for name, values in columns.items()}
    )


class InstrumentStore:
    """Instruments kept in the :class:`~alphastock.store.Store` and queried from there.

    ``freeze_quantities`` maps underlying names to units per order (config
    ``instruments.freeze_quantities``).
    """

    def __init__(self, store: Store, freeze_quantities: Mapping[str, int] | None = None) -> None:
        self.store = store
        self.freeze_quantities = dict(freeze_quantities or {})
        self.downloads = 0
        """Dumps downloaded by :meth:`refresh` through this object."""

    # ----- loading ---------------------------------------------------------------------------------

    def has_dump(self, dump_date: dt.date) -> bool:
        """True when the store holds a dump of ``dump_date``."""
        # fetchall, never fetchone: an unfinished result would block this thread's connection.
        rows = (
            self.store.cursor()
            .execute("SELECT count(*) FROM instruments WHERE dump_date = ?", [dump_date])
            .fetchall()
        )
        return bool(rows and rows[0][0])

    async def refresh(
        self, source: InstrumentSource, *, today: dt.date | None = None, force: bool = False
    ) -> int:
        """Download and store the dump of ``today`` (IST by default) unless it is already stored;
        returns the rows written (0 when skipped)."""
        day = today or today_ist()
        if not force and self.has_dump(day):
            return 0
        instruments = await source.instruments()
        self.downloads += 1
        return self.store.write_instruments(instruments_table(instruments, self.freeze_quantities), day)

    # ----- queries ---------------------------------------------------------------------------------

    def _date(self, dump_date: dt.date | None) -> dt.date:
        if dump_date is not None:
            return dump_date
        rows = self.store.cursor().execute("SELECT max(dump_date) FROM instruments").fetchall()
        if not rows or rows[0][0] is None:
            raise InvalidInput("no instruments dump stored: run a refresh first")
        value: dt.date = rows[0][0]
        return value

    def _rows(
        self, where: str, params: Sequence[Any], dump_date: dt.date | None, order: str = ""
    ) -> list[Instrument]:
        day = self._date(dump_date)
        table = self.store.query(
            f"SELECT * EXCLUDE (dump_date) FROM instruments WHERE dump_date = ? AND {where} {order}",
            [day, *params],
        )
        return [Instrument.from_kite(row) for row in table.to_pylist()]

    def all_instruments(
        self, exchange: str | None = None, *, dump_date: dt.date | None = None
    ) -> list[Instrument]:
        """Every instrument of the dump (of one ``exchange`` when given), by token."""
        if exchange is None:
            return self._rows("TRUE", [], dump_date, "ORDER BY instrument_token")
        return self._rows("exchange = ?", [exchange], dump_date, "ORDER BY instrument_token")

    def instrument(
        self, exchange: str, tradingsymbol: str, *, dump_date: dt.date | None = None
    ) -> Instrument:
        """The instrument ``EXCHANGE:TRADINGSYMBOL`` (raises InvalidInput when unknown)."""
        found = self._rows("exchange = ? AND tradingsymbol = ?", [exchange, tradingsymbol], dump_date)
        if not found:
            raise InvalidInput(f"unknown instrument {exchange}:{tradingsymbol}")
        return found[0]

    def by_token(self, instrument_token: int, *, dump_date: dt.date | None = None) -> Instrument:
        """The instrument with ``instrument_token`` (raises InvalidInput when unknown)."""
        found = self._rows("instrument_token = ?", [int(instrument_token)], dump_date)
        if not found:
            raise InvalidInput(f"unknown instrument token {instrument_token}")
        return found[0]

    def lot_size(self, exchange: str, tradingsymbol: str) -> int:
        """Lot size, units."""
        return self.instrument(exchange, tradingsymbol).lot_size

    def tick_size(self, exchange: str, tradingsymbol: str) -> float:
        """Tick size, rupees."""
        return self.instrument(exchange, tradingsymbol).tick_size

    def freeze_quantity(self, exchange: str, tradingsymbol: str) -> int | None:
        """Freeze quantity (max units per order), None where none is configured."""
        return self.instrument(exchange, tradingsymbol).freeze_quantity

    def freeze_lookup(self, exchange: str, tradingsymbol: str) -> tuple[int, int] | None:
        """``(freeze quantity, lot size)`` in units, or None: the ``freeze_lookup`` of
        :class:`~alphastock.brokers.kite.broker.KiteBroker`."""
        try:
            inst = self.instrument(exchange, tradingsymbol)
        except InvalidInput:
            return None
        return None if inst.freeze_quantity is None else (inst.freeze_quantity, max(inst.lot_size, 1))

    def expiries(
        self, underlying: str, segment: str | None = None, *, dump_date: dt.date | None = None
    ) -> list[dt.date]:
        """Listed expiries of ``underlying`` (name, e.g. NIFTY), ascending; ``segment`` (e.g. NFO-OPT,
        NFO-FUT) narrows them."""
        day = self._date(dump_date)
        sql = (
            "SELECT DISTINCT expiry FROM instruments WHERE dump_date = ? AND name = ? AND expiry IS NOT NULL"
        )
        params: list[Any] = [day, underlying]
        if segment is not None:
            sql += " AND segment = ?"
            params.append(segment)
        rows = self.store.cursor().execute(sql + " ORDER BY expiry", params).fetchall()
        return [row[0] for row in rows]

    def _option_expiries(self, underlying: str, dump_date: dt.date | None) -> list[dt.date]:
        day = self._date(dump_date)
        rows = (
            self.store.cursor()
            .execute(
                "SELECT DISTINCT expiry FROM instruments WHERE dump_date = ? AND name = ? "
                "AND expiry IS NOT NULL AND instrument_type IN ('CE', 'PE') ORDER BY expiry",
                [day, underlying],
            )
            .fetchall()
        )
        return [row[0] for row in rows]

    def nearest_weekly_expiry(
        self, underlying: str, today: dt.date, *, dump_date: dt.date | None = None
    ) -> dt.date | None:
        """The nearest option expiry of ``underlying`` on or after ``today`` (None when none is listed).
        Where no weeklies are listed this is the nearest monthly, as the data says."""
        return next((e for e in self._option_expiries(underlying, dump_date) if e >= today), None)

    def monthly_expiries(self, underlying: str, *, dump_date: dt.date | None = None) -> list[dt.date]:
        """The last listed option expiry of each calendar month, ascending."""
        last: dict[tuple[int, int], dt.date] = {}
        for expiry in self._option_expiries(underlying, dump_date):
            last[(expiry.year, expiry.month)] = expiry
        return sorted(last.values())

    def nearest_monthly_expiry(
        self, underlying: str, today: dt.date, *, dump_date: dt.date | None = None
    ) -> dt.date | None:
        """The nearest monthly option expiry of ``underlying`` on or after ``today`` (None when none)."""
        return next((e for e in self.monthly_expiries(underlying, dump_date=dump_date) if e >= today), None)

    def option_chain(
        self, underlying: str, expiry: dt.date, *, dump_date: dt.date | None = None
    ) -> list[Instrument]:
        """Every CE and PE of ``underlying`` expiring on ``expiry``, by strike then type."""
        return self._rows(
            "name = ? AND expiry = ? AND instrument_type IN ('CE', 'PE')",
            [underlying, expiry],
            dump_date,
            "ORDER BY strike, instrument_type",
        )

    def option_chain_tokens(
        self, underlying: str, expiry: dt.date, *, dump_date: dt.date | None = None
    ) -> list[int]:
        """Instrument tokens of :meth:`option_chain` (to subscribe a feed), same order."""
        return [inst.instrument_token for inst in self.option_chain(underlying, expiry, dump_date=dump_date)]


class InstrumentCache:
    """Memoised :meth:`InstrumentStore.instrument` for the trading path: a DuckDB query costs about a
    millisecond, a dict read well under a microsecond. The dump changes once a day; call
    :meth:`clear` after a refresh."""

    def __init__(self, source: InstrumentStore) -> None:
        self.source = source
        self._cache: dict[tuple[str, str], Instrument] = {}
        self._freeze: dict[tuple[str, str], tuple[int, int] | None] = {}

    def instrument(self, exchange: str, tradingsymbol: str) -> Instrument:
        """The instrument (raises as the store does when unknown; failures are not cached)."""
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


__all__ = [
    "DERIVATIVE_TYPES",
    "InstrumentCache",
    "InstrumentSource",
    "InstrumentStore",
    "instruments_table",
    "today_ist",
]
