"""Query helpers: rows come back as ``pyarrow.Table`` (``to_numpy`` turns one into numpy columns).

Time ranges are half-open ``[start_ns, end_ns)`` in UTC epoch ns; ``None`` leaves a
side open. Results are ordered by time (or key) so they are reproducible.
Each call runs on the calling thread's own connection and sees every committed write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from alphastock.store._base import StoreBase, first_row
from alphastock.store.schema import TABLES


def to_numpy(table: pa.Table) -> dict[str, np.ndarray[Any, Any]]:
    """The table's columns as numpy arrays (numbers without nulls zero-copy where Arrow allows)."""
    return {name: table.column(name).to_numpy() for name in table.column_names}


def _range(column: str, start_ns: int | None, end_ns: int | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if start_ns is not None:
        where.append(f"{column} >= ?")
        params.append(int(start_ns))
    if end_ns is not None:
        where.append(f"{column} < ?")
        params.append(int(end_ns))
    return where, params


def _in(column: str, values: str | Iterable[str] | None) -> tuple[list[str], list[Any]]:
    if values is None:
        return [], []
    items = [values] if isinstance(values, str) else list(values)
    if not items:
        return ["FALSE"], []
    return [f"{column} IN ({', '.join('?' * len(items))})"], items


def _where(clauses: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


class Readers(StoreBase):
    """Read helpers (mixed into :class:`~alphastock.store.Store`)."""

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run any SELECT on this thread's connection; the result as an Arrow table."""
        return self.cursor().sql(sql, params=list(params) if params is not None else None).to_arrow_table()

    def count(self, table: str) -> int:
        """Rows in one of :data:`~alphastock.store.schema.TABLES` (or ``schema_migrations``)."""
        if table not in TABLES and table != "schema_migrations":
            raise ValueError(f"unknown table {table!r}")
        cur = self.cursor()
        cur.execute(f"SELECT count(*) FROM {table}")
        row = first_row(cur)
        return 0 if row is None else int(row[0])

    def ticks(self, token: int, start_ns: int | None = None, end_ns: int | None = None) -> pa.Table:
        """One instrument's ticks in ``[start_ns, end_ns)``, by time (insertion order among equal times)."""
        where, params = _range("ts_ns", start_ns, end_ns)
        return self.query(
            f"SELECT * FROM ticks{_where(['token = ?', *where])} ORDER BY ts_ns",
            [int(token), *params],
        )

    def bars(
        self, token: int, interval: str, start_ns: int | None = None, end_ns: int | None = None
    ) -> pa.Table:
        """One instrument's bars of ``interval`` starting in ``[start_ns, end_ns)``, by start."""
        where, params = _range("start_ns", start_ns, end_ns)
        return self.query(
            f"SELECT * FROM bars{_where(['token = ?', 'interval = ?', *where])} ORDER BY start_ns",
            [int(token), interval, *params],
        )

    def signals(self, status: str | Iterable[str] | None = None, since_ns: int | None = None) -> pa.Table:
        """Signals with the given status(es) (all when ``None``) from ``since_ns`` on, by time then id."""
        where, params = _in("status", status)
        since, since_params = _range("ts_ns", since_ns, None)
        return self.query(
            f"SELECT * FROM signals{_where([*where, *since])} ORDER BY ts_ns, id", [*params, *since_params]
        )

    def orders(self, state: str | Iterable[str] | None = None, keys: Iterable[str] | None = None) -> pa.Table:
        """Orders in the given state(s) and with the given idempotency keys (all when ``None``), by
        creation time then key."""
        by_state, state_params = _in("state", state)
        by_key, key_params = _in("idempotency_key", keys)
        return self.query(
            f"SELECT * FROM orders{_where([*by_state, *by_key])} ORDER BY created_ns, idempotency_key",
            [*state_params, *key_params],
        )

    def order(self, key: str) -> dict[str, Any] | None:
        """One order's row as a dict (``None`` if there is none with this idempotency key)."""
        rows = self.query("SELECT * FROM orders WHERE idempotency_key = ?", [key]).to_pylist()
        return rows[0] if rows else None

    def order_by_broker_id(self, broker_order_id: str) -> dict[str, Any] | None:
        """The order the broker knows as ``broker_order_id``, as a dict (``None`` if unknown)."""
        rows = self.query("SELECT * FROM orders WHERE broker_order_id = ?", [broker_order_id]).to_pylist()
        return rows[0] if rows else None

    def order_events(self, key: str) -> pa.Table:
        """One order's transitions, by ``seq``."""
        return self.query("SELECT * FROM order_events WHERE order_key = ? ORDER BY seq", [key])

    def fills(self, order_key: str | Iterable[str] | None = None, since_ns: int | None = None) -> pa.Table:
        """Fills of one order or of several (all when ``None``) from ``since_ns`` on, by time then
        trade id."""
        where, params = _in("order_key", order_key)
        since, since_params = _range("ts_ns", since_ns, None)
        return self.query(
            f"SELECT * FROM fills{_where([*where, *since])} ORDER BY ts_ns, trade_id",
            [*params, *since_params],
        )

    def latest_positions(self) -> pa.Table:
        """The most recent positions snapshot (the rows with the greatest ``ts_ns``), by token."""
        return self.query(
            "SELECT * FROM positions WHERE ts_ns = (SELECT max(ts_ns) FROM positions) ORDER BY token, product"
        )

    def daily_pnl(self, start: dt.date | None = None, end: dt.date | None = None) -> pa.Table:
        """Daily P&L rows with ``start <= date <= end`` (inclusive dates), by date."""
        where: list[str] = []
        params: list[Any] = []
        if start is not None:
            where.append("date >= ?")
            params.append(start)
        if end is not None:
            where.append("date <= ?")
            params.append(end)
        return self.query(f"SELECT * FROM daily_pnl{_where(where)} ORDER BY date", params)

    def instruments(self, dump_date: dt.date | None = None) -> pa.Table:
        """The instruments dump of ``dump_date`` (the latest stored when ``None``), by token."""
        if dump_date is None:
            return self.query(
                "SELECT * FROM instruments WHERE dump_date = (SELECT max(dump_date) FROM instruments) "
                "ORDER BY instrument_token"
            )
        return self.query(
            "SELECT * FROM instruments WHERE dump_date = ? ORDER BY instrument_token", [dump_date]
        )

    def option_trades(self, status: str | Iterable[str] | None = None) -> pa.Table:
        """The options executor's trades (latest state each), oldest first; ``status`` filters."""
        where, params = _in("status", status)
        return self.query(f"SELECT * FROM option_trades{_where(where)} ORDER BY opened_ns, trade_id", params)

    def option_trade_events(self, trade_id: str | None = None) -> pa.Table:
        """Steps of the option trades (or of one), in order."""
        if trade_id is None:
            return self.query("SELECT * FROM option_trade_events ORDER BY ts_ns, rowid")
        return self.query(
            "SELECT * FROM option_trade_events WHERE trade_id = ? ORDER BY ts_ns, rowid", [trade_id]
        )

    def risk_events(self, since_ns: int | None = None) -> pa.Table:
        """Risk events from ``since_ns`` on, in the order they were recorded."""
        where, params = _range("ts_ns", since_ns, None)
        return self.query(f"SELECT * FROM risk_events{_where(where)} ORDER BY id", params)

    def audit_log(self, since_ns: int | None = None) -> pa.Table:
        """Audit entries from ``since_ns`` on, in the order they were recorded."""
        where, params = _range("ts_ns", since_ns, None)
        return self.query(f"SELECT * FROM audit_log{_where(where)} ORDER BY id", params)
