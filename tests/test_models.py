"""Domain models: every ``from_kite`` against the kite-mocks files, by value; request validation."""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

import pytest
from pydantic import ValidationError

from alphastock.models import (
    IST,
    Candle,
    ChargeBreakdown,
    ChargeOrder,
    ContractNote,
    Exchange,
    Fill,
    Holding,
    Instrument,
    Ltp,
    Margins,
    Ohlc,
    Order,
    OrderMargin,
    OrderRequest,
    OrderStatus,
    OrderType,
    OrderUpdate,
    PositionsBook,
    Product,
    Quote,
    SegmentMargin,
    Trade,
    TransactionType,
    Validity,
    Variety,
    datetime_to_ns,
    kite_ts_to_ns,
    ns_to_datetime,
)
from tests._data import KITE_MOCKS


def _data(name: str) -> Any:
    return json.loads((KITE_MOCKS / name).read_text(encoding="utf-8"))["data"]


def _ist_ns(text: str) -> int:
    """Independent reference: IST wall clock to UTC ns via the standard library."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=IST).timestamp()) * 1_000_000_000


def test_timestamps_are_utc_nanoseconds() -> None:
    # 2021-05-31 09:18:57 IST is 03:48:57 UTC.
    expected = int(dt.datetime(2021, 5, 31, 3, 48, 57, tzinfo=dt.UTC).timestamp()) * 1_000_000_000
    assert kite_ts_to_ns("2021-05-31 09:18:57") == expected
    assert kite_ts_to_ns(dt.datetime(2021, 5, 31, 9, 18, 57)) == expected  # kiteconnect SDK: naive IST
    assert kite_ts_to_ns("2021-05-31T09:18:57+0530") == expected
    assert kite_ts_to_ns(expected) == expected
    assert kite_ts_to_ns(None) is None
    assert kite_ts_to_ns("") is None
    assert ns_to_datetime(expected) == dt.datetime(2021, 5, 31, 9, 18, 57, tzinfo=IST)
    assert datetime_to_ns(ns_to_datetime(expected + 123_000)) == expected + 123_000
    with pytest.raises(TypeError):
        kite_ts_to_ns(True)


def test_orders_from_kite() -> None:
    raw = _data("orders.json")
    orders = [Order.from_kite(item) for item in raw]
    assert len(orders) == len(raw) == 10
    first = orders[0]
    assert first.order_id == "100000000000000"
    assert first.exchange_order_id == "200000000000000"
    assert first.status == OrderStatus.CANCELLED
    assert first.order_timestamp == _ist_ns("2021-05-31 09:18:57")
    assert first.exchange_update_timestamp == _ist_ns("2021-05-31 09:18:58")
    assert first.exchange_timestamp == _ist_ns("2021-05-31 09:15:38")
    assert (first.exchange, first.tradingsymbol, first.instrument_token) == (
        Exchange.CDS,
        "USDINR21JUNFUT",
        412675,
    )
    assert (first.order_type, first.transaction_type, first.validity) == (
        OrderType.LIMIT,
        TransactionType.BUY,
        Validity.DAY,
    )
    assert (first.product, first.variety, first.price, first.quantity) == (
        Product.NRML,
        Variety.REGULAR,
        72.0,
        1,
    )
    assert (first.pending_quantity, first.cancelled_quantity, first.filled_quantity) == (1, 1, 0)
    assert first.tag is None
    assert first.tags == []
    rejected = orders[3]
    assert rejected.status == OrderStatus.REJECTED
    assert rejected.status_message is not None
    assert rejected.status_message.startswith("Insufficient funds. Required margin is 95417.84")
    assert rejected.exchange_order_id is None
    assert rejected.exchange_timestamp is None
    assert (rejected.variety, rejected.validity, rejected.validity_ttl) == (Variety.ICEBERG, Validity.TTL, 2)
    assert rejected.meta["iceberg"]["legs"] == 5
    assert (rejected.tag, rejected.tags) == ("icebergord", ["icebergord"])
    assert orders[4].average_price == 4852.0
    assert orders[5].tags == ["connect test order2", "XXXXX"]
    assert (orders[6].variety, orders[6].auction_number) == (Variety.AUCTION, "22")
    assert (orders[7].product, orders[7].account_id) == (Product.MTF, "XXXXXX")
    last = orders[9]
    assert (last.exchange, last.order_type, last.quantity, last.average_price) == (
        Exchange.NFO,
        OrderType.MARKET,
        150,
        12.3,
    )
    assert last.status.is_terminal
    assert not OrderStatus.OPEN.is_terminal


def test_order_history_from_kite_walks_kite_statuses() -> None:
    history = [Order.from_kite(item) for item in _data("order_info.json")]
    assert [order.status for order in history] == [
        OrderStatus.PUT_ORDER_REQ_RECEIVED,
        OrderStatus.VALIDATION_PENDING,
        OrderStatus.OPEN_PENDING,
        OrderStatus.OPEN,
        OrderStatus.MODIFY_VALIDATION_PENDING,
        OrderStatus.MODIFY_PENDING,
        OrderStatus.MODIFIED,
        OrderStatus.OPEN,
    ]
    assert history[-1].price == 300.1
    assert history[3].exchange_order_id == "1300000001887410"
    assert history[4].order_timestamp == _ist_ns("2017-12-29 11:08:16")
    assert OrderStatus.TRIGGER_PENDING == "TRIGGER PENDING"


def test_order_from_sdk_datetimes() -> None:
    raw = dict(_data("orders.json")[1])
    raw["order_timestamp"] = dt.datetime(2021, 5, 31, 15, 20, 28)
    assert Order.from_kite(raw).order_timestamp == _ist_ns("2021-05-31 15:20:28")


def test_order_update_from_postback() -> None:
    raw = json.loads((KITE_MOCKS / "postback.json").read_text(encoding="utf-8"))
    update = OrderUpdate.from_kite(raw)
    assert isinstance(update, Order)
    assert (update.user_id, update.app_id, update.unfilled_quantity) == ("AB1234", 1234, 0)
    assert update.checksum == "2011845d9348bd6795151bf4258102a03431e3bb12a79c0df73fcb4b7fde4b5d"
    assert (update.order_id, update.status, update.average_price) == (
        "220303000308932",
        OrderStatus.COMPLETE,
        470.0,
    )
    assert update.order_timestamp == _ist_ns("2022-03-03 09:24:25")


def test_trades_from_kite() -> None:
    trades = [Trade.from_kite(item) for item in _data("trades.json")]
    assert [t.trade_id for t in trades] == ["10000000", "40000000", "70000000", "90000000"]
    first = trades[0]
    assert (first.order_id, first.exchange, first.tradingsymbol, first.instrument_token) == (
        "200000000000000",
        Exchange.NSE,
        "SBIN",
        779521,
    )
    assert (first.product, first.transaction_type, first.average_price, first.quantity) == (
        Product.CNC,
        TransactionType.BUY,
        420.65,
        1,
    )
    assert first.fill_timestamp == _ist_ns("2021-05-31 09:16:39")
    assert first.order_timestamp == _ist_ns("2021-05-31 09:16:39")  # bare "09:16:39", dated by the fill
    assert first.value == 420.65
    assert trades[1].average_price == 72.755
    assert trades[3].exchange_timestamp == _ist_ns("2021-05-31 16:08:41")
    assert Fill is Trade
    (order_trade,) = [Trade.from_kite(item) for item in _data("order_trades.json")]
    assert (order_trade.exchange, order_trade.average_price) == (Exchange.MCX, 4852.0)


def test_positions_from_kite() -> None:
    book = PositionsBook.from_kite(_data("positions.json"))
    assert [p.tradingsymbol for p in book.net] == ["LEADMINI17DECFUT", "GOLDGUINEA17DECFUT", "SBIN"]
    assert [p.tradingsymbol for p in book.day] == ["GOLDGUINEA17DECFUT", "LEADMINI17DECFUT", "SBIN"]
    lead = book.net[0]
    assert (lead.quantity, lead.multiplier, lead.average_price, lead.value) == (1, 1000.0, 161.05, -161050.0)
    assert (lead.buy_value, lead.day_buy_price, lead.sell_quantity) == (161050.0, 161.05, 0)
    gold = book.net[1]
    assert (gold.overnight_quantity, gold.pnl, gold.m2m, gold.unrealised) == (3, 801.0, 276.0, 801.0)
    assert (gold.buy_price, gold.sell_price, gold.close_price) == (23139.75, 23340.0, 23232.0)
    assert book.day[0].quantity == -3
    assert book.net[2].product == Product.CO


def test_holdings_from_kite() -> None:
    holdings = [Holding.from_kite(item) for item in _data("holdings.json")]
    aaron, sbin = holdings
    assert (aaron.tradingsymbol, aaron.isin, aaron.quantity, aaron.average_price) == (
        "AARON",
        "INE721Z01010",
        1,
        161.0,
    )
    assert (aaron.last_price, aaron.close_price, aaron.pnl) == (352.95, 352.35, 191.95)
    assert aaron.authorised_date == _ist_ns("2025-01-17 00:00:00")
    assert aaron.mtf is not None
    assert (aaron.mtf.quantity, aaron.mtf.value) == (1000, 100000.0)
    assert (sbin.exchange, sbin.average_price, sbin.day_change_percentage) == (
        Exchange.BSE,
        801.78125,
        -0.5153966597077155,
    )


def test_margins_from_kite() -> None:
    margins = Margins.from_kite(_data("margins.json"))
    assert margins.equity is not None
    assert margins.commodity is not None
    assert margins.equity.net == 99725.05000000002
    assert margins.equity.available.cash == 245431.6
    assert margins.equity.utilised.debits == 145706.55
    assert margins.equity.utilised.span == 101989.0
    assert margins.equity.utilised.m2m_realised == 761.7
    assert margins.commodity.net == 100661.7
    assert SegmentMargin.from_kite(_data("margins_equity.json")) == margins.equity
    commodity = SegmentMargin.from_kite(_data("margin_commodity.json"))
    assert (commodity.net, commodity.available.live_balance, commodity.utilised.exposure) == (
        96426.33,
        96426.32999999999,
        117.35,
    )


def test_order_margins_from_kite() -> None:
    (margin,) = [OrderMargin.from_kite(item) for item in _data("order_margins.json")]
    assert (margin.type, margin.tradingsymbol, margin.exchange, margin.var, margin.total) == (
        "equity",
        "INFY",
        "NSE",
        1498.0,
        1498.0,
    )
    charges = margin.charges
    assert (charges.transaction_tax, charges.transaction_tax_type) == (1.498, "stt")
    assert (charges.exchange_turnover_charge, charges.sebi_turnover_charge) == (0.051681, 0.001498)
    assert (charges.brokerage, charges.stamp_duty) == (0.01, 0.22)
    assert charges.gst.igst == 0.011372219999999999
    assert charges.gst.total == 0.011372219999999999
    assert charges.total == 1.79255122


def test_contract_note_from_kite() -> None:
    notes = [ContractNote.from_kite(item) for item in _data("virtual_contract_note.json")]
    assert [n.tradingsymbol for n in notes] == ["SBIN", "GOLDPETAL23JULFUT", "NIFTY2371317900PE"]
    mcx = notes[1]
    assert (mcx.transaction_type, mcx.price, mcx.charges.transaction_tax_type) == (
        TransactionType.SELL,
        5862.0,
        "ctt",
    )
    assert mcx.charges.brokerage == 1.7586
    assert mcx.charges.gst.total == 0.34503732
    assert notes[2].charges.total == 23.689427000000002
    order = ChargeOrder.from_kite(_data("virtual_contract_note.json")[2])
    assert (order.average_price, order.quantity, order.exchange) == (1.5, 100, Exchange.NFO)
    assert order.to_kite()["average_price"] == 1.5
    assert ChargeBreakdown() == ChargeBreakdown.from_kite({})


def test_quotes_from_kite() -> None:
    quote = Quote.from_kite(_data("quote.json")["NSE:INFY"])
    assert (quote.instrument_token, quote.last_price, quote.last_quantity, quote.volume) == (
        408065,
        1412.95,
        5,
        7360198,
    )
    assert quote.timestamp == _ist_ns("2021-06-08 15:45:56")
    assert quote.last_trade_time == _ist_ns("2021-06-08 15:45:52")
    assert (quote.lower_circuit_limit, quote.upper_circuit_limit) == (1250.7, 1528.6)
    assert (quote.ohlc.open, quote.ohlc.high, quote.ohlc.low, quote.ohlc.close) == (
        1396.0,
        1421.75,
        1395.55,
        1389.65,
    )
    assert quote.best_bid is None
    assert quote.best_ask is not None
    assert (quote.best_ask.price, quote.best_ask.quantity, quote.best_ask.orders) == (1412.95, 5191, 13)
    assert len(quote.depth.buy) == len(quote.depth.sell) == 5
    ohlc = Ohlc.from_kite(_data("ohlc.json")["NSE:INFY"])
    assert (ohlc.last_price, ohlc.ohlc.open, ohlc.ohlc.close) == (1075.0, 1085.8, 1075.8)
    ltp = Ltp.from_kite(_data("ltp.json")["NSE:INFY"])
    assert (ltp.instrument_token, ltp.last_price) == (408065, 1074.35)


def test_candles_from_kite() -> None:
    candles = [Candle.from_kite(row) for row in _data("historical_minute.json")["candles"]]
    assert len(candles) == 6
    first = candles[0]
    assert first.ts == _ist_ns("2017-12-15 09:15:00")
    assert (first.open, first.high, first.low, first.close, first.volume, first.oi) == (
        1704.5,
        1705.0,
        1699.25,
        1702.8,
        2499,
        None,
    )
    assert candles[-1].ts - first.ts == 5 * 60 * 1_000_000_000
    with_oi = [Candle.from_kite(row) for row in _data("historical_oi.json")["candles"]]
    assert (with_oi[0].close, with_oi[0].volume, with_oi[0].oi) == (12001.5, 163275, 13667775)
    sdk = {
        "date": dt.datetime(2017, 12, 15, 9, 15, tzinfo=IST),
        "open": 1,
        "high": 2,
        "low": 0.5,
        "close": 1.5,
        "volume": 10,
    }
    assert Candle.from_kite(sdk).ts == first.ts
    with pytest.raises(ValueError, match="6 or 7 values"):
        Candle.from_kite([1, 2, 3])


@pytest.mark.parametrize("name", ["instruments_all.csv", "instruments_nse.csv"])
def test_instruments_from_kite(name: str) -> None:
    with (KITE_MOCKS / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    instruments = [Instrument.from_kite(row) for row in rows]
    assert len(instruments) == len(rows)
    first = instruments[0]
    assert (first.instrument_token, first.exchange_token, first.tradingsymbol, first.name) == (
        3813889,
        14898,
        "CENTRALBK-BE",
        "CENTRAL BANK OF INDIA",
    )
    assert (first.tick_size, first.lot_size, first.instrument_type, first.expiry) == (0.05, 1, "EQ", None)
    assert first.key == "NSE:CENTRALBK-BE"
    assert first.freeze_quantity is None
    if name == "instruments_all.csv":
        options = [i for i in instruments if i.segment == "NFO-OPT"]
        assert len(options) == 25
        assert all(i.expiry is not None and i.strike > 0 for i in options)
        by_row = {row["tradingsymbol"]: row for row in rows}
        option = options[0]
        assert option.expiry == dt.date.fromisoformat(by_row[option.tradingsymbol]["expiry"])
        assert option.strike == float(by_row[option.tradingsymbol]["strike"])
        assert option.lot_size == int(by_row[option.tradingsymbol]["lot_size"])
    with_freeze = Instrument.from_kite({**rows[0], "freeze_quantity": "1800"})
    assert with_freeze.freeze_quantity == 1800


def _request(**changes: Any) -> OrderRequest:
    base: dict[str, Any] = {
        "tag": "oms-000001",
        "exchange": "NFO",
        "tradingsymbol": "NIFTY26JAN25000CE",
        "instrument_token": 1234,
        "transaction_type": "BUY",
        "quantity": 65,
        "product": "MIS",
        "order_type": "LIMIT",
        "price": 101.5,
    }
    base.update(changes)
    return OrderRequest.model_validate(base)


def test_order_request_to_kite_and_back() -> None:
    request = _request()
    assert request.to_kite() == {
        "variety": "regular",
        "exchange": "NFO",
        "tradingsymbol": "NIFTY26JAN25000CE",
        "transaction_type": "BUY",
        "quantity": 65,
        "product": "MIS",
        "order_type": "LIMIT",
        "validity": "DAY",
        "tag": "oms-000001",
        "price": 101.5,
    }
    assert OrderRequest.from_kite({**request.to_kite(), "instrument_token": 1234}) == request
    market = _request(order_type="MARKET", price=None, market_protection=2.0, autoslice=True)
    assert market.to_kite()["market_protection"] == 2.0
    assert market.to_kite()["autoslice"] is True
    assert market.is_buy


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tag": ""}, "tag"),
        ({"tag": "x" * 21}, "at most 20 characters"),
        ({"quantity": 0}, "greater than 0"),
        ({"price": None}, "LIMIT order needs a price"),
        ({"order_type": "MARKET", "price": None}, "needs market_protection"),
        ({"order_type": "MARKET", "price": None, "market_protection": 0}, r"market_protection must be in"),
        ({"order_type": "MARKET"}, "MARKET order takes no price"),
        ({"order_type": "SL"}, "SL order needs a trigger_price"),
        ({"order_type": "SL-M", "price": None, "market_protection": -1}, "SL-M order needs a trigger_price"),
        ({"trigger_price": 100.0}, "LIMIT order takes no trigger_price"),
        ({"validity": "TTL"}, "validity_ttl"),
        ({"variety": "iceberg"}, "iceberg_legs"),
        ({"variety": "auction"}, "auction_number"),
        ({"exchange": "NYSE"}, "exchange"),
        ({"unknown": 1}, "Extra inputs"),
    ],
)
def test_order_request_validation(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _request(**changes)


def test_models_are_frozen() -> None:
    order = Order.from_kite(_data("orders.json")[0])
    with pytest.raises(ValidationError, match="frozen"):
        order.price = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        _request().quantity = 1  # type: ignore[misc]
