"""Every REST call of the official kiteconnect SDK against the simulator, asserting on values."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from alphastock.brokers.charges import compute_charges
from alphastock.models.charges import ChargeOrder
from alphastock.sim import SimServer
from tests.sim.conftest import DAY, make_config

NIFTY_FUT = "NIFTY26JANFUT"
NIFTY_CE = "NIFTY26JAN25500CE"


def test_generate_session_accepts_any_token_by_default(sim: SimServer) -> None:
    kite = KiteConnect("any-key", root=sim.rest_url)
    session = kite.generate_session("any-request-token", api_secret="whatever")
    assert session["login_time"] == dt.datetime(2026, 1, 12, 9, 15)
    assert session["user_id"] == "SIM001"
    assert session["api_key"] == "any-key"
    assert kite.access_token == session["access_token"]
    assert len(session["access_token"]) == 32
    assert kite.profile()["user_name"] == "AlphaStock Simulator"
    kite.invalidate_access_token()
    with pytest.raises(kex.TokenException) as info:
        kite.profile()
    assert info.value.code == 403


def test_profile(kite: KiteConnect) -> None:
    profile = kite.profile()
    assert profile["broker"] == "ZERODHA"
    assert {"NSE", "NFO", "MCX"} <= set(profile["exchanges"])
    assert profile["order_types"] == ["MARKET", "LIMIT", "SL", "SL-M"]


def test_instruments_dump(kite: KiteConnect) -> None:
    rows = kite.instruments()
    by_symbol = {(r["exchange"], r["tradingsymbol"]): r for r in rows}
    indices = {r["tradingsymbol"]: r["instrument_token"] for r in rows if r["segment"] == "INDICES"}
    assert indices == {
        "NIFTY 50": 256265, "NIFTY BANK": 260105, "NIFTY FIN SERVICE": 257801,
        "NIFTY MID SELECT": 288009, "INDIA VIX": 264969,
    }  # fmt: skip
    segment_ids = {"NSE": 1, "NFO": 2, "MCX": 7}
    for r in rows:
        expected = 9 if r["segment"] == "INDICES" else segment_ids[r["exchange"]]
        assert r["instrument_token"] & 0xFF == expected
        assert r["instrument_token"] >> 8 == int(r["exchange_token"])
    lots = {r["name"]: r["lot_size"] for r in rows if r["segment"] == "NFO-OPT"}
    assert lots["NIFTY"] == 65
    assert lots["BANKNIFTY"] == 30
    assert lots["FINNIFTY"] == 60
    assert lots["MIDCPNIFTY"] == 120
    nifty_expiries = sorted({r["expiry"] for r in rows if r["name"] == "NIFTY" and r["segment"] == "NFO-OPT"})
    assert all(e.weekday() == 1 for e in nifty_expiries)
    assert nifty_expiries[:4] == [
        dt.date(2026, 1, 13),
        dt.date(2026, 1, 20),
        dt.date(2026, 1, 27),
        dt.date(2026, 2, 3),
    ]
    bank_expiries = sorted(
        {r["expiry"] for r in rows if r["name"] == "BANKNIFTY" and r["segment"] == "NFO-OPT"}
    )
    assert bank_expiries == [dt.date(2026, 1, 27), dt.date(2026, 2, 24), dt.date(2026, 3, 31)]
    assert ("NFO", "NIFTY2611325500CE") in by_symbol  # weekly symbol: YY, month code, DD
    ce = by_symbol[("NFO", NIFTY_CE)]
    assert (ce["strike"], ce["tick_size"], ce["instrument_type"]) == (25500.0, 0.05, "CE")
    # As Kite's: an MCX lot_size of 1 (the quantity counts lots); the multiplier is not in the dump.
    assert by_symbol[("MCX", "CRUDEOIL26JANFUT")]["lot_size"] == 1
    assert "multiplier" not in by_symbol[("MCX", "CRUDEOIL26JANFUT")]
    assert by_symbol[("NSE", "RELIANCE")]["instrument_token"] == 738561
    strikes = sorted({r["strike"] for r in rows if r["name"] == "MIDCPNIFTY" and r["segment"] == "NFO-OPT"})
    assert {b - a for a, b in itertools.pairwise(strikes)} == {25.0}
    nfo = kite.instruments("NFO")
    assert nfo
    assert {r["exchange"] for r in nfo} == {"NFO"}


def _on_tick(price: float, tick: float = 0.05) -> bool:
    return abs(price / tick - round(price / tick)) < 1e-6


def test_quote_ohlc_ltp_agree(kite: KiteConnect) -> None:
    keys = ["NSE:INFY", f"NFO:{NIFTY_CE}", f"NFO:{NIFTY_FUT}", "NSE:NIFTY 50", "NSE:NOSUCH"]
    quotes = kite.quote(keys)
    ohlc = kite.ohlc(keys)
    ltp = kite.ltp(keys)
    assert set(quotes) == set(ohlc) == set(ltp) == set(keys[:4])  # unknown keys are left out, as Kite does
    for key in keys[:4]:
        assert quotes[key]["last_price"] == ohlc[key]["last_price"] == ltp[key]["last_price"]
        assert quotes[key]["ohlc"] == ohlc[key]["ohlc"]
    q = quotes[f"NFO:{NIFTY_CE}"]
    assert q["timestamp"] == dt.datetime(2026, 1, 12, 9, 15)
    buys, sells = q["depth"]["buy"], q["depth"]["sell"]
    assert len(buys) == len(sells) == 5
    assert [b["price"] for b in buys] == sorted((b["price"] for b in buys), reverse=True)
    assert [s["price"] for s in sells] == sorted(s["price"] for s in sells)
    assert buys[0]["price"] < sells[0]["price"]
    assert all(_on_tick(level["price"]) and level["quantity"] % 65 == 0 for level in buys + sells)
    assert 50 < q["last_price"] < 1000
    assert q["oi"] > 0
    assert q["lower_circuit_limit"] < q["last_price"] < q["upper_circuit_limit"]
    assert quotes["NSE:NIFTY 50"]["last_price"] == 25500.0
    assert kite.ltp(["256265"])["256265"]["last_price"] == 25500.0  # tokens work as keys too


def test_historical_data(sim: SimServer, kite: KiteConnect) -> None:
    sim.advance(10 * 60)
    today = kite.historical_data(408065, "2026-01-12 09:15:00", "2026-01-12 15:30:00", "minute")
    assert [c["date"].strftime("%H:%M") for c in today] == [f"09:{m}" for m in range(15, 26)]
    assert all(
        c["low"] <= min(c["open"], c["close"]) and c["high"] >= max(c["open"], c["close"]) for c in today
    )
    ltp = kite.ltp(["NSE:INFY"])["NSE:INFY"]["last_price"]
    assert today[-1]["close"] == ltp
    five = kite.historical_data(408065, "2026-01-12 09:15:00", "2026-01-12 15:30:00", "5minute")
    assert [c["date"].strftime("%H:%M") for c in five] == ["09:15", "09:20", "09:25"]
    assert five[0]["high"] == max(c["high"] for c in today[:5])
    days = kite.historical_data(
        408065, dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 12, 15, 30), "day", oi=True
    )
    assert [c["date"].date() for c in days] == [dt.date(2026, 1, d) for d in (5, 6, 7, 8, 9, 12)]
    assert all("oi" in c for c in days)
    again = kite.historical_data(408065, dt.datetime(2026, 1, 7), dt.datetime(2026, 1, 9, 15, 30), "day")
    assert [c["close"] for c in again] == [
        c["close"] for c in days[2:5]
    ]  # the same past, whatever the window
    with pytest.raises(kex.InputException):
        kite.historical_data(408065, "2026-01-12 09:15:00", "2026-01-12 15:30:00", "7minute")


def _depth(kite: KiteConnect, key: str) -> dict[str, list[dict[str, float]]]:
    depth: dict[str, list[dict[str, float]]] = kite.quote([key])[key]["depth"]
    return depth


def _vwap_through(levels: list[dict[str, float]], quantity: int) -> tuple[float, int]:
    left, value, used = quantity, 0.0, 0
    for level in levels:
        take = min(left, int(level["quantity"]))
        value += take * level["price"]
        left -= take
        used += 1
        if left == 0:
            break
    return value / quantity, used


def test_market_buy_walks_the_book_and_shows_in_positions(kite: KiteConnect) -> None:
    asks = _depth(kite, "NSE:INFY")["sell"]
    quantity = int(asks[0]["quantity"]) + int(asks[1]["quantity"]) // 2  # into the second level
    expected_price, levels = _vwap_through(asks, quantity)
    assert levels == 2
    order_id = kite.place_order(
        "regular", "NSE", "INFY", "BUY", quantity, "MIS", "MARKET", market_protection=-1, tag="idem-1"
    )
    order = kite.order_history(order_id)[-1]
    assert order["status"] == "COMPLETE"
    assert order["filled_quantity"] == quantity
    assert order["tag"] == "idem-1"
    assert order["average_price"] == pytest.approx(expected_price, abs=1e-4)
    assert order["average_price"] > asks[0]["price"]  # slippage beyond the best offer
    fills = kite.order_trades(order_id)
    assert len(fills) == levels
    assert sum(f["quantity"] for f in fills) == quantity
    assert [f["average_price"] for f in fills] == [a["price"] for a in asks[:levels]]
    assert [t["trade_id"] for t in kite.trades()] == [f["trade_id"] for f in fills]
    (pos,) = kite.positions()["net"]
    assert (pos["tradingsymbol"], pos["quantity"], pos["product"]) == ("INFY", quantity, "MIS")
    assert pos["average_price"] == pytest.approx(expected_price, abs=1e-4)
    assert pos["buy_value"] == pytest.approx(expected_price * quantity, abs=1e-2)
    margins = kite.margins("equity")
    assert margins["utilised"]["exposure"] == pytest.approx(0.2 * expected_price * quantity, abs=0.01)
    statuses = [h["status"] for h in kite.order_history(order_id)]
    assert statuses[:4] == ["PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING", "OPEN"]
    assert statuses[-1] == "COMPLETE"


def test_option_buy_blocks_its_premium(kite: KiteConnect) -> None:
    ask = _depth(kite, f"NFO:{NIFTY_CE}")["sell"][0]
    order_id = kite.place_order("regular", "NFO", NIFTY_CE, "BUY", 65, "NRML", "MARKET", market_protection=-1)
    assert kite.order_history(order_id)[-1]["average_price"] == ask["price"]
    margins = kite.margins("equity")
    assert margins["utilised"]["option_premium"] == pytest.approx(ask["price"] * 65, abs=0.01)
    assert margins["net"] == pytest.approx(
        1_000_000 - ask["price"] * 65 + margins["utilised"]["m2m_unrealised"], abs=0.02
    )


def test_limit_rests_until_crossed_then_fills_at_or_better(sim: SimServer, kite: KiteConnect) -> None:
    key = f"NFO:{NIFTY_CE}"
    ask = _depth(kite, key)["sell"][0]["price"]
    limit = round(ask - 0.5, 2)
    order_id = kite.place_order("regular", "NFO", NIFTY_CE, "BUY", 65, "NRML", "LIMIT", price=limit)
    assert kite.order_history(order_id)[-1]["status"] == "OPEN"
    assert kite.order_trades(order_id) == []
    for _ in range(200):
        sim.advance(5)
        if kite.order_history(order_id)[-1]["status"] == "COMPLETE":
            break
    order = kite.order_history(order_id)[-1]
    assert order["status"] == "COMPLETE"
    assert order["average_price"] <= limit


def test_modify_and_cancel(kite: KiteConnect) -> None:
    bid = _depth(kite, "NSE:INFY")["buy"][0]["price"]
    order_id = kite.place_order("regular", "NSE", "INFY", "BUY", 10, "CNC", "LIMIT", price=round(bid - 5, 2))
    assert kite.modify_order("regular", order_id, quantity=20, price=round(bid - 4, 2)) == order_id
    order = kite.order_history(order_id)[-1]
    assert (order["status"], order["quantity"], order["price"], order["modified"]) == (
        "OPEN",
        20,
        round(bid - 4, 2),
        True,
    )
    assert kite.cancel_order("regular", order_id) == order_id
    history = kite.order_history(order_id)
    assert history[-1]["status"] == "CANCELLED"
    assert history[-1]["cancelled_quantity"] == 20
    assert "MODIFIED" in [h["status"] for h in history]
    with pytest.raises(kex.InputException, match="cancelled"):
        kite.cancel_order("regular", order_id)
    listed = {o["order_id"]: o for o in kite.orders()}
    assert listed[order_id]["status"] == "CANCELLED"


def test_stop_loss_triggers(sim: SimServer, kite: KiteConnect) -> None:
    ltp = kite.ltp(["NSE:SBIN"])["NSE:SBIN"]["last_price"]
    trigger = round(ltp + 0.5, 2)
    order_id = kite.place_order("regular", "NSE", "SBIN", "BUY", 5, "MIS", "SL", price=round(trigger + 1, 2),
                                trigger_price=trigger)  # fmt: skip
    assert kite.order_history(order_id)[-1]["status"] == "TRIGGER PENDING"
    for _ in range(300):
        sim.advance(5)
        if kite.order_history(order_id)[-1]["status"] == "COMPLETE":
            break
    order = kite.order_history(order_id)[-1]
    assert order["status"] == "COMPLETE"
    assert order["average_price"] <= trigger + 1
    statuses = [h["status"] for h in kite.order_history(order_id)]
    assert statuses.index("TRIGGER PENDING") < statuses.index("OPEN") < statuses.index("COMPLETE")
    slm = kite.place_order(
        "regular",
        "NSE",
        "SBIN",
        "SELL",
        5,
        "MIS",
        "SL-M",
        trigger_price=round(ltp + 50, 2),
        market_protection=-1,
    )
    assert kite.order_history(slm)[-1]["status"] == "COMPLETE"  # sell stop above the market triggers at once


@pytest.mark.parametrize(
    ("symbol", "quantity", "kwargs", "message"),
    [
        ("INFY", 1, {"order_type": "LIMIT", "price": 1550.03}, "Tick size for this script is 0.05"),
        (NIFTY_CE, 1885, {"order_type": "MARKET", "market_protection": -1}, "freeze limit of 1800"),
        (NIFTY_CE, 65, {"order_type": "LIMIT", "price": 999.95}, "price protection"),
        (
            NIFTY_CE,
            65,
            {"order_type": "SL-M", "trigger_price": 400.0, "market_protection": -1},
            "SL-M orders are not allowed",
        ),
        (
            NIFTY_FUT,
            1755,
            {"order_type": "MARKET", "market_protection": -1},
            "Insufficient funds. Required margin is",
        ),
    ],
)
def test_rms_rejections(
    kite: KiteConnect, symbol: str, quantity: int, kwargs: dict[str, object], message: str
) -> None:
    exchange = "NSE" if symbol == "INFY" else "NFO"
    product = "MIS" if symbol == "INFY" else "NRML"
    order_id = kite.place_order("regular", exchange, symbol, "BUY", quantity, product, **kwargs)  # type: ignore[arg-type]
    order = kite.order_history(order_id)[-1]
    assert order["status"] == "REJECTED"
    assert message in order["status_message"]
    assert kite.trades() == []


def test_invalid_input_raises(kite: KiteConnect) -> None:
    with pytest.raises(kex.InputException, match="lot size"):
        kite.place_order("regular", "NFO", NIFTY_CE, "BUY", 10, "NRML", "MARKET", market_protection=-1)
    with pytest.raises(kex.InputException, match="tradingsymbol"):
        kite.place_order("regular", "NSE", "NOSUCH", "BUY", 1, "CNC", "MARKET", market_protection=-1)
    with pytest.raises(kex.InputException, match="product"):
        kite.place_order("regular", "NFO", NIFTY_CE, "BUY", 65, "CNC", "MARKET", market_protection=-1)
    with pytest.raises(kex.InputException, match="variety"):
        kite.place_order("iceberg", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)


def test_amo_waits_for_the_open() -> None:
    with SimServer(make_config(start_time=dt.time(9, 0))) as sim:
        kite = KiteConnect(sim.api_key, sim.access_token, root=sim.rest_url)
        closed = kite.place_order("regular", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)
        assert "Markets are closed" in kite.order_history(closed)[-1]["status_message"]
        order_id = kite.place_order("amo", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)
        assert kite.order_history(order_id)[-1]["status"] == "AMO REQ RECEIVED"
        sim.advance(16 * 60)
        assert kite.order_history(order_id)[-1]["status"] == "COMPLETE"


def test_holdings_margins_and_order_margins(kite: KiteConnect) -> None:
    (holding,) = kite.holdings()
    ltp = kite.ltp(["NSE:SBIN"])["NSE:SBIN"]["last_price"]
    assert (holding["tradingsymbol"], holding["quantity"], holding["average_price"]) == ("SBIN", 100, 800.0)
    assert holding["pnl"] == pytest.approx((ltp - 800.0) * 100, abs=0.01)
    both = kite.margins()
    assert both["equity"]["net"] == both["commodity"]["net"] == 1_000_000.0
    fut = kite.ltp([f"NFO:{NIFTY_FUT}"])[f"NFO:{NIFTY_FUT}"]["last_price"]
    rows = kite.order_margins([
        {"exchange": "NFO", "tradingsymbol": NIFTY_FUT, "transaction_type": "BUY", "variety": "regular",
         "product": "NRML", "order_type": "MARKET", "quantity": 65, "price": 0, "trigger_price": 0},
        {"exchange": "NSE", "tradingsymbol": "INFY", "transaction_type": "BUY", "variety": "regular",
         "product": "MIS", "order_type": "LIMIT", "quantity": 10, "price": 1500, "trigger_price": 0},
    ])  # fmt: skip
    assert rows[0]["type"] == "equity"
    assert rows[0]["total"] == pytest.approx(0.12 * 65 * fut, abs=0.02)
    assert rows[0]["span"] + rows[0]["exposure"] == pytest.approx(rows[0]["total"], abs=0.02)
    assert rows[1]["total"] == pytest.approx(0.2 * 10 * 1500, abs=0.01)


def test_contract_note_equals_the_paper_brokers_charges(kite: KiteConnect) -> None:
    """The simulator's /charges/orders and the PaperBroker price trades with one module and one rate table."""
    order_id = kite.place_order("regular", "NSE", "SBIN", "BUY", 10, "MIS", "MARKET", market_protection=-1)
    fill = kite.order_history(order_id)[-1]
    trades = [
        {"order_id": order_id, "exchange": "NSE", "tradingsymbol": "SBIN", "transaction_type": "BUY",
         "variety": "regular", "product": "MIS", "order_type": "MARKET", "quantity": 10,
         "average_price": fill["average_price"]},
        {"order_id": "2", "exchange": "NFO", "tradingsymbol": NIFTY_FUT, "transaction_type": "SELL",
         "variety": "regular", "product": "NRML", "order_type": "LIMIT", "quantity": 65,
         "average_price": 22_500.0},
    ]  # fmt: skip
    notes = kite.get_virtual_contract_note(trades)
    expected = [compute_charges(ChargeOrder.from_kite(trade)) for trade in trades]
    assert [n["charges"]["total"] for n in notes] == pytest.approx([e.total for e in expected], rel=1e-12)
    assert notes[0]["charges"]["transaction_tax_type"] == "stt"
    # Intraday equity buy: no STT on the buy side, brokerage min(20, 0.03%), stamp 0.003%.
    turnover = 10 * fill["average_price"]
    assert notes[0]["charges"]["transaction_tax"] == 0.0
    assert notes[0]["charges"]["brokerage"] == pytest.approx(min(20.0, 0.0003 * turnover))
    assert notes[0]["charges"]["stamp_duty"] == pytest.approx(0.00003 * turnover)
    # Futures sell: STT 0.05% of turnover (2026), no stamp duty on the sell side.
    assert notes[1]["charges"]["transaction_tax"] == pytest.approx(0.0005 * 65 * 22_500.0)
    assert notes[1]["charges"]["stamp_duty"] == 0.0
    with pytest.raises(kex.InputException, match="tradingsymbol"):
        kite.get_virtual_contract_note([{**trades[0], "tradingsymbol": "NOPE"}])


def test_day_is_the_configured_date(kite: KiteConnect) -> None:
    order_id = kite.place_order("regular", "NSE", "INFY", "BUY", 1, "CNC", "MARKET", market_protection=-1)
    assert order_id.startswith(DAY.strftime("%y%m%d"))
    assert len(order_id) == 15
