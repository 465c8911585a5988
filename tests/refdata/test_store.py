"""The instruments dump in DuckDB (once per day), its queries, expiries and option chains, on the sim's
dump; the cache; one error for every miss."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.errors import AlphaStockError
from alphastock.refdata.cache import InstrumentCache
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.store import InstrumentStore
from alphastock.store import Store
from tests.sim.conftest import DAY


def test_dump_downloaded_once_per_day(broker: KiteBroker) -> None:
    with Store.open(":memory:") as store:
        instruments = InstrumentStore(store)
        _check_one_download_per_day(broker, instruments)


def _check_one_download_per_day(broker: KiteBroker, instruments: InstrumentStore) -> None:
    assert asyncio.run(instruments.refresh(broker, today=DAY)) > 0
    rows = instruments.store.count("instruments")
    assert rows == len(asyncio.run(broker.instruments()))
    assert instruments.downloads == 1
    assert asyncio.run(instruments.refresh(broker, today=DAY)) == 0
    assert instruments.downloads == 1
    assert instruments.store.count("instruments") == rows
    assert asyncio.run(instruments.refresh(broker, today=DAY + dt.timedelta(days=1))) == rows
    assert instruments.downloads == 2
    assert instruments.store.count("instruments") == 2 * rows


def test_instrument_queries(instruments: InstrumentStore) -> None:
    sbin = instruments.instrument("NSE", "SBIN")
    assert (sbin.instrument_token, sbin.lot_size, sbin.tick_size, sbin.freeze_quantity) == (
        779521,
        1,
        0.05,
        None,
    )
    assert instruments.by_token(256265).tradingsymbol == "NIFTY 50"
    option = instruments.instrument("NFO", "NIFTY2611325500CE")
    assert (option.expiry, option.strike, option.segment) == (dt.date(2026, 1, 13), 25500.0, "NFO-OPT")
    assert instruments.lot_size("NFO", "NIFTY2611325500CE") == 65
    assert instruments.tick_size("NFO", "NIFTY2611325500CE") == 0.05
    assert instruments.freeze_quantity("NFO", "NIFTY2611325500CE") == 1800
    assert instruments.freeze_quantity("NSE", "SBIN") is None
    assert instruments.freeze_lookup("NFO", "NIFTY2611325500CE") == (1800, 65)
    assert instruments.freeze_lookup("NSE", "NOSUCH") is None
    with pytest.raises(UnknownInstrumentError, match="unknown instrument 'NSE:NOSUCH'"):
        instruments.instrument("NSE", "NOSUCH")
    with pytest.raises(UnknownInstrumentError, match="unknown instrument 'token 1'"):
        instruments.by_token(1)


def test_expiries_from_the_data(instruments: InstrumentStore) -> None:
    nifty_options = [dt.date(2026, 1, 13), dt.date(2026, 1, 20), dt.date(2026, 1, 27), dt.date(2026, 2, 3),
                     dt.date(2026, 2, 24)]  # fmt: skip
    assert instruments.expiries("NIFTY", "NFO-OPT")[: len(nifty_options)] == nifty_options
    assert instruments.expiries("BANKNIFTY", "NFO-FUT") == [
        dt.date(2026, 1, 27), dt.date(2026, 2, 24), dt.date(2026, 3, 31)
    ]  # fmt: skip
    assert instruments.nearest_weekly_expiry("NIFTY", DAY) == dt.date(2026, 1, 13)
    assert instruments.nearest_weekly_expiry("NIFTY", dt.date(2026, 1, 14)) == dt.date(2026, 1, 20)
    assert instruments.nearest_monthly_expiry("NIFTY", DAY) == dt.date(2026, 1, 27)
    assert instruments.nearest_monthly_expiry("NIFTY", dt.date(2026, 1, 28)) == dt.date(2026, 2, 24)
    # BANKNIFTY lists only monthlies: its nearest expiry is the monthly.
    assert instruments.nearest_weekly_expiry("BANKNIFTY", DAY) == dt.date(2026, 1, 27)
    assert instruments.nearest_weekly_expiry("NIFTY", dt.date(2030, 1, 1)) is None


def test_option_chain_tokens(instruments: InstrumentStore) -> None:
    chain = instruments.option_chain("NIFTY", dt.date(2026, 1, 13))
    assert len(chain) == 2 * 31  # 15 strikes each side of the ATM strike, CE and PE
    assert [i.instrument_type for i in chain[:2]] == ["CE", "PE"]
    assert chain[0].strike == 24750.0
    assert chain[-1].strike == 26250.0
    assert instruments.option_chain_tokens("NIFTY", dt.date(2026, 1, 13)) == [
        i.instrument_token for i in chain
    ]


def test_listings_futures_and_names(instruments: InstrumentStore) -> None:
    assert [(i.exchange, i.segment) for i in instruments.listings("NIFTY 50")] == [("NSE", "INDICES")]
    assert [i.instrument_token for i in instruments.listings("SBIN", "NSE")] == [779521]
    assert instruments.listings("SBIN", "NFO") == []
    futures = instruments.futures("BANKNIFTY", "NFO")
    assert [f.tradingsymbol for f in futures] == [
        "BANKNIFTY26JANFUT",
        "BANKNIFTY26FEBFUT",
        "BANKNIFTY26MARFUT",
    ]
    assert [f.expiry for f in instruments.futures("CRUDEOIL")][:2] == [
        dt.date(2026, 1, 19),
        dt.date(2026, 2, 19),
    ]
    assert instruments.futures("SBIN", "MCX") == []
    symbols = instruments.tradingsymbols("NSE")
    assert {"SBIN", "NIFTY 50"} <= set(symbols)
    assert not any(s.endswith(("CE", "PE")) and s.startswith("NIFTY26") for s in symbols)
    assert {"NIFTY", "BANKNIFTY", "CRUDEOIL"} <= set(instruments.derivative_names())
    assert "INDIAVIX" not in instruments.derivative_names()
    assert instruments.option_expiries("BANKNIFTY")[:2] == [dt.date(2026, 1, 27), dt.date(2026, 2, 24)]
    assert instruments.monthly_expiries("NIFTY")[:2] == [dt.date(2026, 1, 27), dt.date(2026, 2, 24)]


def test_an_empty_store_misses_with_the_same_error() -> None:
    with Store.open(":memory:") as store:
        empty = InstrumentStore(store)
        with pytest.raises(UnknownInstrumentError, match="no instruments dump stored") as info:
            empty.instrument("NSE", "SBIN")
        assert info.value.symbol == "*"
        assert isinstance(info.value, AlphaStockError)
        assert isinstance(info.value, LookupError)
        assert empty.freeze_lookup("NSE", "SBIN") is None


def test_the_cache_answers_as_the_store_and_remembers(instruments: InstrumentStore) -> None:
    cache = InstrumentCache(instruments)
    sbin = cache.instrument("NSE", "SBIN")
    assert sbin == instruments.instrument("NSE", "SBIN")
    assert cache.instrument("NSE", "SBIN") is sbin
    assert cache.freeze_lookup("NFO", "NIFTY2611325500CE") == (1800, 65)
    assert cache.freeze_lookup("NSE", "NOSUCH") is None
    with pytest.raises(UnknownInstrumentError, match="NSE:NOSUCH"):
        cache.instrument("NSE", "NOSUCH")
    cache.clear()
    assert cache.instrument("NSE", "SBIN") is not sbin
