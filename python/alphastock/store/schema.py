"""The store's tables, as created by the migrations (see :mod:`alphastock.store.migrations`).

Conventions, for every table:

* **Timestamps** are ``BIGINT`` UTC epoch nanoseconds in columns named ``*_ns``
  (``ts_ns``, ``start_ns``, ``created_ns`` ...), exactly the int64 the rest of
  AlphaStock uses; nothing converts them on the way in or out. To read one as a
  time in SQL: ``make_timestamp(ts_ns // 1000)`` (UTC) or
  ``make_timestamp(ts_ns // 1000) AT TIME ZONE 'Asia/Kolkata'`` for IST display.
  Calendar dates (``expiry``, ``dump_date``, ``daily_pnl.date``) are ``DATE``.
* **Prices and money** are ``DOUBLE`` in rupees; **quantities** are ``BIGINT`` in
  units (shares, or contracts' units), never lots.
* **JSON** columns hold a JSON document (text); the writers serialise dicts.
* Ticks and bars have no primary key: they are append-only, written in Arrow
  batches, and ranges are found through DuckDB's per-row-group min/max (zone maps).

=================  ==================================================================================
Table              Rows
=================  ==================================================================================
``instruments``    The Kite instruments dump, one row per (``dump_date``, ``instrument_token``), so a
                   backtest can see the lot size and expiries of its day. ``freeze_quantity`` comes
                   from config (NULL where none applies). PK (dump_date, instrument_token).
``ticks``          One row per stored tick: ``token, ts_ns, last_price, last_qty, volume`` (cumulative
                   day volume, as Kite sends it), ``oi, bid, ask, bid_qty, ask_qty``; bid/ask are NaN
                   where not carried, quantities 0 (the TickStore's conventions, kept as is).
``bars``           Closed OHLCV bars: ``token, interval`` ("1m", "5m", "1h", "1d" ...), ``start_ns``
                   (the bar's label, its start), ``open, high, low, close, volume`` (units) and
                   ``ticks`` (ticks aggregated; 0 for a gap-filling bar).
``signals``        Strategy signals: ``id`` (PK), ``ts_ns, symbol, token, asset_type, strategy, action``
                   (BUY/SELL), ``price, quantity, confidence`` (0-1), ``target, stop_loss, status``
                   (NEW/ACTIVE/CLOSED/EXPIRED/REJECTED), ``expected_move_pct, metadata`` (JSON),
                   ``updated_ns``.
``orders``         One row per order, keyed by ``idempotency_key`` (the Kite ``tag``, <= 20 chars),
                   written before the order is sent: ``broker_order_id`` (NULL until the broker
                   answers), ``parent_id`` (the parent's key for a sliced order), ``signal_id, token,
                   symbol, exchange, product, side, order_type, variety, validity, quantity, price,
                   trigger_price, state, filled_quantity, average_price, status_message, created_ns,
                   updated_ns``.
``order_events``   Every state transition of an order: ``order_key, seq`` (PK; 1, 2, ... per order),
                   ``ts_ns, from_state, to_state, payload`` (JSON: the broker update or reason).
``fills``          Executions: ``trade_id, order_key`` (PK (order_key, trade_id): a trade redelivered
                   for its order is ignored, while trade ids that repeat across orders — the
                   exchanges' own on other days or segments, a paper broker's or the simulator's in
                   every session — are all kept), ``broker_order_id, token, symbol, side, quantity,
                   price, ts_ns, charges`` (rupees).
``positions``      Position snapshots: ``ts_ns, token, symbol, product, quantity`` (signed: negative
                   is short; as Kite counts it, lots on MCX), ``average_price, realised, unrealised``
                   and ``multiplier`` (rupees = price x quantity x multiplier). PK (ts_ns, token, product).
``daily_pnl``      One row per trading date (PK ``date``): ``realised, unrealised, charges, gross,
                   net, trades, peak`` (the day's high-water mark of net P&L) and ``drawdown``.
``risk_events``    Risk engine decisions and state changes: ``id`` (PK, increasing), ``ts_ns, kind,
                   code, message, state_from, state_to, payload`` (JSON).
``audit_log``      Who did what: ``id`` (PK, increasing), ``ts_ns, actor, action, detail`` (JSON).
``sessions``       One row per engine run: ``session_id`` (PK), ``started_ns, ended_ns`` (NULL while
                   running), ``mode`` (live/paper/sim/backtest), ``config`` (JSON), ``version``.
=================  ==================================================================================

``schema_migrations`` (``version, name, applied_ns``) records the migrations applied.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

TABLES: Final[tuple[str, ...]] = (
    "instruments",
    "ticks",
    "bars",
    "signals",
    "orders",
    "order_events",
    "fills",
    "positions",
    "daily_pnl",
    "risk_events",
    "audit_log",
    "sessions",
    "option_trades",
    "option_trade_events",
)
"""The data tables, in the order the migrations create them."""

TICK_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        ("token", pa.int64()),
        ("ts_ns", pa.int64()),
        ("last_price", pa.float64()),
        ("last_qty", pa.int64()),
        ("volume", pa.int64()),
        ("oi", pa.int64()),
        ("bid", pa.float64()),
        ("ask", pa.float64()),
        ("bid_qty", pa.int64()),
        ("ask_qty", pa.int64()),
    ]
)
"""Arrow schema of a tick batch, column for column the ``ticks`` table."""

BAR_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        ("token", pa.int64()),
        ("interval", pa.string()),
        ("start_ns", pa.int64()),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.int64()),
        ("ticks", pa.int64()),
    ]
)
"""Arrow schema of a bar batch, column for column the ``bars`` table."""

INITIAL_DDL: Final[str] = """
CREATE TABLE instruments (
    dump_date        DATE    NOT NULL,
    instrument_token BIGINT  NOT NULL,
    exchange_token   BIGINT,
    tradingsymbol    VARCHAR NOT NULL,
    name             VARCHAR,
    last_price       DOUBLE,
    expiry           DATE,
    strike           DOUBLE,
    tick_size        DOUBLE,
    lot_size         BIGINT,
    instrument_type  VARCHAR,
    segment          VARCHAR,
    exchange         VARCHAR,
    freeze_quantity  BIGINT,
    PRIMARY KEY (dump_date, instrument_token)
);
CREATE TABLE ticks (
    token      BIGINT NOT NULL,
    ts_ns      BIGINT NOT NULL,
    last_price DOUBLE,
    last_qty   BIGINT,
    volume     BIGINT,
    oi         BIGINT,
    bid        DOUBLE,
    ask        DOUBLE,
    bid_qty    BIGINT,
    ask_qty    BIGINT
);
CREATE TABLE bars (
    token    BIGINT  NOT NULL,
    interval VARCHAR NOT NULL,
    start_ns BIGINT  NOT NULL,
    open     DOUBLE,
    high     DOUBLE,
    low      DOUBLE,
    close    DOUBLE,
    volume   BIGINT,
    ticks    BIGINT
);
CREATE TABLE signals (
    id                VARCHAR PRIMARY KEY,
    ts_ns             BIGINT  NOT NULL,
    symbol            VARCHAR NOT NULL,
    token             BIGINT,
    asset_type        VARCHAR,
    strategy          VARCHAR NOT NULL,
    action            VARCHAR NOT NULL,
    price             DOUBLE,
    quantity          BIGINT,
    confidence        DOUBLE,
    target            DOUBLE,
    stop_loss         DOUBLE,
    status            VARCHAR NOT NULL,
    expected_move_pct DOUBLE,
    metadata          JSON,
    updated_ns        BIGINT  NOT NULL
);
CREATE TABLE orders (
    idempotency_key VARCHAR PRIMARY KEY,
    broker_order_id VARCHAR,
    parent_id       VARCHAR,
    signal_id       VARCHAR,
    token           BIGINT,
    symbol          VARCHAR NOT NULL,
    exchange        VARCHAR NOT NULL,
    product         VARCHAR NOT NULL,
    side            VARCHAR NOT NULL,
    order_type      VARCHAR NOT NULL,
    variety         VARCHAR NOT NULL,
    validity        VARCHAR,
    quantity        BIGINT  NOT NULL,
    price           DOUBLE,
    trigger_price   DOUBLE,
    state           VARCHAR NOT NULL,
    filled_quantity BIGINT  NOT NULL DEFAULT 0,
    average_price   DOUBLE,
    status_message  VARCHAR,
    created_ns      BIGINT  NOT NULL,
    updated_ns      BIGINT  NOT NULL
);
CREATE TABLE order_events (
    order_key  VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,
    ts_ns      BIGINT  NOT NULL,
    from_state VARCHAR,
    to_state   VARCHAR NOT NULL,
    payload    JSON,
    PRIMARY KEY (order_key, seq)
);
CREATE TABLE fills (
    trade_id        VARCHAR PRIMARY KEY,
    order_key       VARCHAR,
    broker_order_id VARCHAR,
    token           BIGINT,
    symbol          VARCHAR NOT NULL,
    side            VARCHAR NOT NULL,
    quantity        BIGINT  NOT NULL,
    price           DOUBLE  NOT NULL,
    ts_ns           BIGINT  NOT NULL,
    charges         DOUBLE
);
CREATE TABLE positions (
    ts_ns         BIGINT  NOT NULL,
    token         BIGINT  NOT NULL,
    symbol        VARCHAR NOT NULL,
    product       VARCHAR NOT NULL,
    quantity      BIGINT  NOT NULL,
    average_price DOUBLE,
    realised      DOUBLE,
    unrealised    DOUBLE,
    PRIMARY KEY (ts_ns, token, product)
);
CREATE TABLE daily_pnl (
    date       DATE PRIMARY KEY,
    realised   DOUBLE,
    unrealised DOUBLE,
    charges    DOUBLE,
    gross      DOUBLE,
    net        DOUBLE,
    trades     BIGINT,
    peak       DOUBLE,
    drawdown   DOUBLE
);
CREATE SEQUENCE risk_events_id;
CREATE TABLE risk_events (
    id         BIGINT PRIMARY KEY DEFAULT nextval('risk_events_id'),
    ts_ns      BIGINT  NOT NULL,
    kind       VARCHAR NOT NULL,
    code       VARCHAR,
    message    VARCHAR,
    state_from VARCHAR,
    state_to   VARCHAR,
    payload    JSON
);
CREATE SEQUENCE audit_log_id;
CREATE TABLE audit_log (
    id     BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id'),
    ts_ns  BIGINT  NOT NULL,
    actor  VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    detail JSON
);
CREATE TABLE sessions (
    session_id VARCHAR PRIMARY KEY,
    started_ns BIGINT  NOT NULL,
    ended_ns   BIGINT,
    mode       VARCHAR NOT NULL,
    config     JSON,
    version    VARCHAR
);
"""
"""Migration 1: every data table."""

QUERY_INDEXES_DDL: Final[str] = """
CREATE INDEX orders_state ON orders (state);
CREATE INDEX orders_broker_order_id ON orders (broker_order_id);
CREATE INDEX signals_status ON signals (status);
CREATE INDEX fills_order_key ON fills (order_key);
"""
"""Migration 2: indexes for the readers' point lookups (orders by state or broker id, ...)."""

FILLS_KEYED_BY_ORDER_DDL: Final[str] = """
CREATE TABLE fills_keyed (
    trade_id        VARCHAR NOT NULL,
    order_key       VARCHAR NOT NULL,
    broker_order_id VARCHAR,
    token           BIGINT,
    symbol          VARCHAR NOT NULL,
    side            VARCHAR NOT NULL,
    quantity        BIGINT  NOT NULL,
    price           DOUBLE  NOT NULL,
    ts_ns           BIGINT  NOT NULL,
    charges         DOUBLE,
    PRIMARY KEY (order_key, trade_id)
);
INSERT INTO fills_keyed
    SELECT trade_id, coalesce(order_key, 'unknown:' || trade_id), broker_order_id, token, symbol, side,
           quantity, price, ts_ns, charges
    FROM fills;
DROP INDEX fills_order_key;
DROP TABLE fills;
ALTER TABLE fills_keyed RENAME TO fills;
"""
"""Migration 3: ``fills`` keyed by (order_key, trade_id) instead of trade_id alone, which silently
dropped a second session's fills whenever a broker reused a trade id (the simulator and the paper
broker number trades from the same start every session). Rows keep their values; a row without an
order key (none are written so) gets ``unknown:<trade_id>``. The PK's index serves lookups by
order key, so the separate index goes."""

POSITIONS_MULTIPLIER_DDL: Final[str] = """
ALTER TABLE positions ADD COLUMN multiplier DOUBLE DEFAULT 1.0;
"""
"""Migration 4: ``positions.multiplier``, the contract multiplier of the position's instrument (MCX
quantities count lots: a row's rupee value is price x quantity x multiplier); earlier rows were all of
multiplier 1 (MCX signals were refused then)."""


OPTION_TRADES_DDL: Final[str] = """
CREATE TABLE option_trades (
    trade_id         VARCHAR PRIMARY KEY,
    signal_key       VARCHAR NOT NULL,
    signal_id        VARCHAR NOT NULL,
    strategy         VARCHAR NOT NULL,
    underlying       VARCHAR NOT NULL,
    action           VARCHAR NOT NULL,
    status           VARCHAR NOT NULL,
    exchange         VARCHAR,
    tradingsymbol    VARCHAR,
    token            BIGINT,
    expiry           DATE,
    strike           DOUBLE,
    option_type      VARCHAR,
    product          VARCHAR,
    lot_size         BIGINT,
    lots             BIGINT,
    quantity         BIGINT,
    filled_quantity  BIGINT,
    entry_premium    DOUBLE,
    stop             DOUBLE,
    target           DOUBLE,
    exit_method      VARCHAR,
    entry_order_key  VARCHAR,
    stop_order_key   VARCHAR,
    target_order_key VARCHAR,
    gtt_id           VARCHAR,
    exit_reason      VARCHAR,
    opened_ns        BIGINT  NOT NULL,
    updated_ns       BIGINT  NOT NULL,
    choice           JSON,
    sizing           JSON,
    levels           JSON
);
CREATE INDEX option_trades_signal_key ON option_trades (signal_key);
CREATE TABLE option_trade_events (
    trade_id VARCHAR NOT NULL,
    ts_ns    BIGINT  NOT NULL,
    event    VARCHAR NOT NULL,
    detail   JSON
);
"""
"""Migration 5: the options executor's trades (issue 15). One row per trade, rewritten on each change:
the contract chosen and why (``choice``: its IV, delta, spread, score, the runner-up and the chain it came
from), the sizing inputs (``sizing``), the premium stop and target and how they were computed
(``levels``), the entry and protective orders' keys and the exit's reason. ``signal_key`` is the
idempotency key of the signal acted on (strategy, underlying, side and the signal's time), so a signal
is never acted on twice, across restarts too. ``option_trade_events`` holds every step of a trade in
order (selected, sized, entry sent, filled, protected, trailed, exited) with its detail. Prices rupees
(premium), quantities units, times UTC epoch ns."""
