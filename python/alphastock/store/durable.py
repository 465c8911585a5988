"""Synchronous, committed writes: signals, orders and their events, fills, risk events, audit, sessions.

Every method here returns only after its transaction has COMMITted: the rows are
then in DuckDB's write-ahead log and survive a crash (even ``kill -9``) of the
process, so the engine may act on them (publish a signal, send an order).
Methods that write several rows (an order and its first event, a transition and
its event) do so in one transaction: all or nothing.

Writes from different threads are serialised by the store's write lock; each
thread uses its own DuckDB connection (:meth:`StoreBase.cursor`). A blocking
write belongs in an executor, not on the engine's event loop.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import astuple, fields
from typing import Any

import duckdb
import pyarrow as pa

from alphastock.store._base import StoreBase, first_row
from alphastock.store.errors import StoreError
from alphastock.store.records import (
    MAX_KEY_LENGTH,
    OPTION_TRADE_STATUSES,
    SESSION_MODES,
    SIGNAL_ACTIONS,
    SIGNAL_STATUSES,
    DailyPnlRecord,
    FillRecord,
    OptionTradeRecord,
    OrderRecord,
    PositionRecord,
    SignalRecord,
)

INSTRUMENT_COLUMNS = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
    "freeze_quantity",
)
"""Columns of an instruments dump as :meth:`DurableWrites.write_instruments` takes it (``freeze_quantity``
may be missing: NULL)."""


def to_json(value: Mapping[str, Any] | None) -> str | None:
    """Serialise a JSON column's value (``None`` stays NULL); NaN/inf and non-JSON types raise ValueError."""
    if value is None:
        return None
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not JSON-serialisable: {exc}") from exc


def _check_key(key: str, what: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"{what} must be 1 to {MAX_KEY_LENGTH} characters (the Kite tag), got {key!r}")


def _changed(cur: duckdb.DuckDBPyConnection) -> int:
    row = first_row(cur)
    return 0 if row is None else int(row[0])


class DurableWrites(StoreBase):
    """Committed writes (mixed into :class:`~alphastock.store.Store`)."""

    # ------------------------------------------------------------------------------------------ signals

    def insert_signal(self, signal: SignalRecord) -> bool:
        """Persist a new signal; False (and nothing written) if a signal with this ``id`` exists."""
        if signal.action not in SIGNAL_ACTIONS:
            raise ValueError(f"signal action must be one of {sorted(SIGNAL_ACTIONS)}, got {signal.action!r}")
        if signal.status not in SIGNAL_STATUSES:
            raise ValueError(f"signal status must be one of {sorted(SIGNAL_STATUSES)}, got {signal.status!r}")
        values = [
            signal.id,
            int(signal.ts_ns),
            signal.symbol,
            signal.token,
            signal.asset_type,
            signal.strategy,
            signal.action,
            signal.price,
            signal.quantity,
            signal.confidence,
            signal.target,
            signal.stop_loss,
            signal.status,
            signal.expected_move_pct,
            to_json(signal.metadata),
            int(signal.ts_ns if signal.updated_ns is None else signal.updated_ns),
        ]
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO signals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                values,
            )
            return _changed(cur) == 1

    def update_signal_status(
        self, signal_id: str, status: str, updated_ns: int, *, metadata: Mapping[str, Any] | None = None
    ) -> bool:
        """Set a signal's status (and replace its metadata if given); False if no such signal."""
        if status not in SIGNAL_STATUSES:
            raise ValueError(f"signal status must be one of {sorted(SIGNAL_STATUSES)}, got {status!r}")
        with self.transaction() as cur:
            if metadata is None:
                cur.execute(
                    "UPDATE signals SET status = ?, updated_ns = ? WHERE id = ?",
                    [status, int(updated_ns), signal_id],
                )
            else:
                cur.execute(
                    "UPDATE signals SET status = ?, updated_ns = ?, metadata = ? WHERE id = ?",
                    [status, int(updated_ns), to_json(metadata), signal_id],
                )
            return _changed(cur) == 1

    # ------------------------------------------------------------------------------------------- orders

    def insert_order(self, order: OrderRecord, *, payload: Mapping[str, Any] | None = None) -> bool:
        """Persist a new order and its first event (seq 1: NULL -> ``order.state``) in one transaction.

        Returns False, writing nothing, if an order with this idempotency key exists
        (a retry of the same intent must not create a second order).
        """
        _check_key(order.idempotency_key, "idempotency_key")
        updated = order.created_ns if order.updated_ns is None else order.updated_ns
        values = [
            order.idempotency_key,
            order.broker_order_id,
            order.parent_id,
            order.signal_id,
            order.token,
            order.symbol,
            order.exchange,
            order.product,
            order.side,
            order.order_type,
            order.variety,
            order.validity,
            int(order.quantity),
            order.price,
            order.trigger_price,
            order.state,
            int(order.filled_quantity),
            order.average_price,
            order.status_message,
            int(order.created_ns),
            int(updated),
        ]
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                values,
            )
            if _changed(cur) != 1:
                return False
            cur.execute(
                "INSERT INTO order_events VALUES (?, 1, ?, NULL, ?, ?)",
                [order.idempotency_key, int(order.created_ns), order.state, to_json(payload)],
            )
            return True

    def transition_order(
        self,
        key: str,
        to_state: str,
        ts_ns: int,
        *,
        payload: Mapping[str, Any] | None = None,
        broker_order_id: str | None = None,
        filled_quantity: int | None = None,
        average_price: float | None = None,
        status_message: str | None = None,
        quantity: int | None = None,
        price: float | None = None,
        trigger_price: float | None = None,
    ) -> int:
        """Move an order to ``to_state`` and record the event, in one transaction; returns the event's seq.

        The fields given (not ``None``) are updated too; ``updated_ns`` becomes ``ts_ns``.
        ``quantity`` (units), ``price`` and ``trigger_price`` (rupees) are the order's terms as the
        broker confirmed a modification of them. Raises :class:`StoreError` if no order has this key.
        The transition table itself belongs to the OMS: the store records what it is told.
        """
        sets = ["state = ?", "updated_ns = ?"]
        params: list[Any] = [to_state, int(ts_ns)]
        for column, value in (
            ("broker_order_id", broker_order_id),
            ("filled_quantity", None if filled_quantity is None else int(filled_quantity)),
            ("average_price", average_price),
            ("status_message", status_message),
            ("quantity", None if quantity is None else int(quantity)),
            ("price", price),
            ("trigger_price", trigger_price),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        with self.transaction() as cur:
            cur.execute(
                "SELECT o.state, (SELECT coalesce(max(seq), 0) FROM order_events e WHERE e.order_key = ?) "
                "FROM orders o WHERE o.idempotency_key = ?",
                [key, key],
            )
            row = first_row(cur)
            if row is None:
                raise StoreError(f"no order with idempotency key {key!r}")
            from_state, last_seq = row[0], int(row[1])
            cur.execute(f"UPDATE orders SET {', '.join(sets)} WHERE idempotency_key = ?", [*params, key])
            seq = last_seq + 1
            cur.execute(
                "INSERT INTO order_events VALUES (?, ?, ?, ?, ?, ?)",
                [key, seq, int(ts_ns), from_state, to_state, to_json(payload)],
            )
            return seq

    # -------------------------------------------------------------------------------------------- fills

    def insert_fill(self, fill: FillRecord) -> bool:
        """Persist an execution; False (nothing written) if this ``(order_key, trade_id)`` is already
        stored. ValueError without an ``order_key`` (every fill belongs to one of our orders)."""
        if not fill.order_key:
            raise ValueError(f"fill {fill.trade_id} has no order_key")
        values = [
            fill.trade_id,
            fill.order_key,
            fill.broker_order_id,
            fill.token,
            fill.symbol,
            fill.side,
            int(fill.quantity),
            float(fill.price),
            int(fill.ts_ns),
            fill.charges,
        ]
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO fills VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", values
            )
            return _changed(cur) == 1

    # ------------------------------------------------------------------------------ risk, audit, sessions

    def record_risk_event(
        self,
        ts_ns: int,
        kind: str,
        *,
        code: str | None = None,
        message: str | None = None,
        state_from: str | None = None,
        state_to: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> int:
        """Persist a risk event (a rejection, a kill-switch change ...); returns its id (increasing)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO risk_events (ts_ns, kind, code, message, state_from, state_to, payload) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [int(ts_ns), kind, code, message, state_from, state_to, to_json(payload)],
            )
            row = first_row(cur)
        assert row is not None
        return int(row[0])

    def audit(self, ts_ns: int, actor: str, action: str, detail: Mapping[str, Any] | None = None) -> int:
        """Persist an audit entry (``actor`` did ``action``); returns its id (increasing)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO audit_log (ts_ns, actor, action, detail) VALUES (?, ?, ?, ?) RETURNING id",
                [int(ts_ns), actor, action, to_json(detail)],
            )
            row = first_row(cur)
        assert row is not None
        return int(row[0])

    def start_session(
        self,
        session_id: str,
        started_ns: int,
        mode: str,
        *,
        config: Mapping[str, Any] | None = None,
        version: str | None = None,
    ) -> None:
        """Record the start of an engine run (``mode`` live/paper/sim/backtest); a reused id raises."""
        if mode not in SESSION_MODES:
            raise ValueError(f"session mode must be one of {sorted(SESSION_MODES)}, got {mode!r}")
        try:
            with self.transaction() as cur:
                cur.execute(
                    "INSERT INTO sessions VALUES (?, ?, NULL, ?, ?, ?)",
                    [session_id, int(started_ns), mode, to_json(config), version],
                )
        except duckdb.ConstraintException as exc:
            raise StoreError(f"session {session_id!r} already exists") from exc

    def end_session(self, session_id: str, ended_ns: int) -> bool:
        """Record the end of an engine run; False if no such session."""
        with self.transaction() as cur:
            cur.execute("UPDATE sessions SET ended_ns = ? WHERE session_id = ?", [int(ended_ns), session_id])
            return _changed(cur) == 1

    # ------------------------------------------------------------------------------------ option trades

    def upsert_option_trade(self, trade: OptionTradeRecord) -> None:
        """Insert or replace an options executor's trade (one row per ``trade_id``, its latest state)."""
        if trade.status not in OPTION_TRADE_STATUSES:
            raise ValueError(f"option trade status must be one of {sorted(OPTION_TRADE_STATUSES)}")
        row = {f.name: getattr(trade, f.name) for f in fields(trade)}
        for name in ("choice", "sizing", "levels"):
            row[name] = to_json(row[name])
        names = list(row)
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "trade_id")
        with self.transaction() as cur:
            cur.execute(
                f"INSERT INTO option_trades ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT (trade_id) DO UPDATE SET {updates}",
                list(row.values()),
            )

    def record_option_trade_event(
        self, trade_id: str, ts_ns: int, event: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        """Append one step of an option trade (``event``: selected, entry_sent, filled, protected, ...)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO option_trade_events VALUES (?, ?, ?, ?)",
                [trade_id, int(ts_ns), event, to_json(detail)],
            )

    # --------------------------------------------------------------------------- positions, P&L, instruments

    def write_positions(self, positions: Sequence[PositionRecord]) -> int:
        """Persist a snapshot of positions (a row per (ts_ns, token, product), replaced if re-sent)."""
        if not positions:
            return 0
        columns = [f.name for f in fields(PositionRecord)]
        rows = [astuple(p) for p in positions]
        table = pa.table(
            {name: [row[i] for row in rows] for i, name in enumerate(columns)},
            schema=_POSITION_SCHEMA,
        )
        return self._insert_arrow("positions", table, replace=True)

    def upsert_daily_pnl(self, pnl: DailyPnlRecord) -> None:
        """Insert or replace the P&L row of ``pnl.date``."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO daily_pnl VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(astuple(pnl))
            )

    def write_instruments(self, dump: pa.Table | Mapping[str, Any], dump_date: dt.date) -> int:
        """Store an instruments dump as the one of ``dump_date`` (replacing that date's rows); returns rows.

        ``dump`` is an Arrow table or a dict of columns named as :data:`INSTRUMENT_COLUMNS`
        (``expiry`` as dates or NULL; ``freeze_quantity`` may be absent).
        """
        table = dump if isinstance(dump, pa.Table) else pa.table(dict(dump))
        missing = [c for c in INSTRUMENT_COLUMNS if c != "freeze_quantity" and c not in table.column_names]
        if missing:
            raise ValueError(f"instruments dump lacks columns {missing}")
        if "freeze_quantity" not in table.column_names:
            table = table.append_column("freeze_quantity", pa.nulls(table.num_rows, pa.int64()))
        table = table.select(list(INSTRUMENT_COLUMNS))
        with self.transaction() as cur:
            cur.execute("DELETE FROM instruments WHERE dump_date = ?", [dump_date])
            cur.register("_instruments_batch", table)
            try:
                cur.execute(
                    f"INSERT INTO instruments (dump_date, {', '.join(INSTRUMENT_COLUMNS)}) "
                    f"SELECT ?::DATE, {', '.join(INSTRUMENT_COLUMNS)} FROM _instruments_batch",
                    [dump_date],
                )
                return _changed(cur)
            finally:
                cur.unregister("_instruments_batch")

    def _insert_arrow(self, table_name: str, batch: pa.Table, *, replace: bool = False) -> int:
        """Insert an Arrow table whose columns are named as ``table_name``'s, in one committed transaction."""
        verb = "INSERT OR REPLACE INTO" if replace else "INSERT INTO"
        columns = ", ".join(batch.column_names)
        with self.transaction() as cur:
            cur.register("_arrow_batch", batch)
            try:
                cur.execute(f"{verb} {table_name} ({columns}) SELECT {columns} FROM _arrow_batch")
                return _changed(cur)
            finally:
                cur.unregister("_arrow_batch")


_POSITION_SCHEMA = pa.schema(
    [
        ("ts_ns", pa.int64()),
        ("token", pa.int64()),
        ("symbol", pa.string()),
        ("product", pa.string()),
        ("quantity", pa.int64()),
        ("average_price", pa.float64()),
        ("realised", pa.float64()),
        ("unrealised", pa.float64()),
        ("multiplier", pa.float64()),
    ]
)
