"""The daily instruments dump in DuckDB, and the questions the engine asks of it (:class:`InstrumentStore`).

:meth:`InstrumentStore.refresh` downloads the dump (Kite's ``GET /instruments``, through any
:class:`~alphastock.ports.InstrumentSource`) at most once per trading day: when the store already holds
the dump of that date (IST) it does nothing. Freeze quantities are not in the dump; they come from
configuration (``instruments.freeze_quantities``, units per order by underlying name) and are stored
on the F&O rows (FUT/CE/PE) of those underlyings.

Every query reads the latest stored dump (or the one of ``dump_date``) and costs about a millisecond
(DuckDB): start-up and timers use it, the trading path uses the
:class:`~alphastock.refdata.cache.InstrumentCache`. A miss raises
:class:`~alphastock.refdata.errors.UnknownInstrumentError`. Expiries follow
:mod:`alphastock.refdata.expiries`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from alphastock.models import Instrument
from alphastock.ports import InstrumentSource
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.expiries import monthly, nearest_on_or_after, today_ist
from alphastock.store import Store

DERIVATIVE_TYPES = ("FUT", "CE", "PE")
"""Instrument types a freeze quantity applies to."""

OPTION_TYPES = ("CE", "PE")

_NO_DUMP = " (no instruments dump stored: refresh it first)"


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
            raise UnknownInstrumentError("*", where=_NO_DUMP)
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

    def _column(self, sql: str, params: Sequence[Any], dump_date: dt.date | None) -> list[Any]:
        """The first column of ``sql``, whose first ``?`` is the dump date."""
        rows = self.store.cursor().execute(sql, [self._date(dump_date), *params]).fetchall()
        return [row[0] for row in rows]

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
        """The instrument ``EXCHANGE:TRADINGSYMBOL`` (raises UnknownInstrumentError when unknown)."""
        found = self._rows("exchange = ? AND tradingsymbol = ?", [exchange, tradingsymbol], dump_date)
        if not found:
            raise UnknownInstrumentError(f"{exchange}:{tradingsymbol}")
        return found[0]

    def listings(
        self, tradingsymbol: str, exchange: str | None = None, *, dump_date: dt.date | None = None
    ) -> list[Instrument]:
        """Every instrument with exactly this tradingsymbol (on ``exchange`` when given), any order."""
        if exchange is None:
            return self._rows("tradingsymbol = ?", [tradingsymbol], dump_date)
        return self._rows("tradingsymbol = ? AND exchange = ?", [tradingsymbol, exchange], dump_date)

    def by_token(self, instrument_token: int, *, dump_date: dt.date | None = None) -> Instrument:
        """The instrument with ``instrument_token`` (raises UnknownInstrumentError when unknown)."""
        found = self._rows("instrument_token = ?", [int(instrument_token)], dump_date)
        if not found:
            raise UnknownInstrumentError(f"token {instrument_token}")
        return found[0]

    def tradingsymbols(self, exchange: str | None = None, *, dump_date: dt.date | None = None) -> list[str]:
        """Distinct tradingsymbols other than options (on ``exchange`` when given), for close matches."""
        sql = (
            "SELECT DISTINCT tradingsymbol FROM instruments WHERE dump_date = ? "
            "AND instrument_type NOT IN ('CE', 'PE')"
        )
        if exchange is None:
            return self._column(sql, [], dump_date)
        return self._column(sql + " AND exchange = ?", [exchange], dump_date)

    def derivative_names(self, *, dump_date: dt.date | None = None) -> list[str]:
        """Underlying names with futures or options listed (NIFTY, CRUDEOIL ...)."""
        return self._column(
            "SELECT DISTINCT name FROM instruments WHERE dump_date = ? "
            "AND instrument_type IN ('FUT', 'CE', 'PE')",
            [],
            dump_date,
        )

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
        """``(freeze quantity, lot size)`` in units, or None (unknown instrument, or no freeze quantity):
        the ``freeze_lookup`` of :class:`~alphastock.brokers.kite.broker.KiteBroker`."""
        try:
            inst = self.instrument(exchange, tradingsymbol)
        except UnknownInstrumentError:
            return None
        return None if inst.freeze_quantity is None else (inst.freeze_quantity, max(inst.lot_size, 1))

    # ----- derivatives -----------------------------------------------------------------------------

    def futures(
        self, underlying: str, exchange: str | None = None, *, dump_date: dt.date | None = None
    ) -> list[Instrument]:
        """Listed futures of the derivative name ``underlying`` (NIFTY, CRUDEOIL), nearest expiry first."""
        where, params = "name = ? AND instrument_type = 'FUT'", [underlying]
        if exchange is not None:
            where += " AND exchange = ?"
            params.append(exchange)
        return self._rows(where, params, dump_date, "ORDER BY expiry")

    def expiries(
        self, underlying: str, segment: str | None = None, *, dump_date: dt.date | None = None
    ) -> list[dt.date]:
        """Listed expiries of ``underlying`` (name, e.g. NIFTY), ascending; ``segment`` (e.g. NFO-OPT,
        NFO-FUT) narrows them."""
        sql = (
            "SELECT DISTINCT expiry FROM instruments WHERE dump_date = ? AND name = ? AND expiry IS NOT NULL"
        )
        params: list[Any] = [underlying]
        if segment is not None:
            sql += " AND segment = ?"
            params.append(segment)
        return self._column(sql + " ORDER BY expiry", params, dump_date)

    def option_expiries(self, underlying: str, *, dump_date: dt.date | None = None) -> list[dt.date]:
        """Listed option (CE/PE) expiries of ``underlying``, ascending."""
        return self._column(
            "SELECT DISTINCT expiry FROM instruments WHERE dump_date = ? AND name = ? "
            "AND expiry IS NOT NULL AND instrument_type IN ('CE', 'PE') ORDER BY expiry",
            [underlying],
            dump_date,
        )

    def nearest_weekly_expiry(
        self, underlying: str, today: dt.date, *, dump_date: dt.date | None = None
    ) -> dt.date | None:
        """The nearest option expiry of ``underlying`` on or after ``today`` (None when none is listed).
        Where no weeklies are listed this is the nearest monthly, as the data says."""
        return nearest_on_or_after(self.option_expiries(underlying, dump_date=dump_date), today)

    def monthly_expiries(self, underlying: str, *, dump_date: dt.date | None = None) -> list[dt.date]:
        """The last listed option expiry of each calendar month, ascending."""
        return monthly(self.option_expiries(underlying, dump_date=dump_date))

    def nearest_monthly_expiry(
        self, underlying: str, today: dt.date, *, dump_date: dt.date | None = None
    ) -> dt.date | None:
        """The nearest monthly option expiry of ``underlying`` on or after ``today`` (None when none)."""
        return nearest_on_or_after(self.monthly_expiries(underlying, dump_date=dump_date), today)

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


__all__ = ["DERIVATIVE_TYPES", "OPTION_TYPES", "InstrumentStore", "instruments_table"]
