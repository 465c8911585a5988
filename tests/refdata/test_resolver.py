"""SymbolResolver: exact symbols, aliases, underlying names to futures, and unknown symbols."""

from __future__ import annotations

import datetime as dt

import pytest

from alphastock.errors import AlphaStockError
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.resolver import SymbolResolver
from tests.sim.conftest import DAY


def test_exact_tradingsymbols(resolver: SymbolResolver) -> None:
    sbin = resolver.resolve("SBIN")
    assert (sbin.exchange, sbin.tradingsymbol, sbin.instrument_token) == ("NSE", "SBIN", 779521)
    nifty = resolver.resolve("NIFTY 50")
    assert (nifty.segment, nifty.instrument_token) == ("INDICES", 256265)
    future = resolver.resolve("NIFTY26JANFUT")
    assert (future.exchange, future.instrument_type, future.expiry) == ("NFO", "FUT", dt.date(2026, 1, 27))


@pytest.mark.parametrize(
    ("alias", "token"),
    [("NIFTY", 256265), ("BANKNIFTY", 260105), ("NIFTYBANK", 260105), ("INDIAVIX", 264969), ("vix", 264969)],
)
def test_aliases(resolver: SymbolResolver, alias: str, token: int) -> None:
    assert resolver.resolve(alias).instrument_token == token
    assert resolver.describe(token) is not None


def test_underlying_names_and_spots(resolver: SymbolResolver) -> None:
    assert resolver.underlying_name("NIFTYBANK") == "BANKNIFTY"
    assert resolver.underlying_name("NIFTY BANK") == "BANKNIFTY"
    assert resolver.underlying_name("NIFTY") == "NIFTY"
    assert resolver.spot("NIFTY").tradingsymbol == "NIFTY 50"
    assert resolver.spot("BANKNIFTY").tradingsymbol == "NIFTY BANK"
    assert resolver.spot("NIFTYBANK").tradingsymbol == "NIFTY BANK"
    assert resolver.spot("RELIANCE").tradingsymbol == "RELIANCE"


def test_underlying_name_resolves_to_the_nearest_future(resolver: SymbolResolver) -> None:
    crude = resolver.resolve("CRUDEOIL", today=DAY)
    assert (crude.exchange, crude.tradingsymbol, crude.expiry) == (
        "MCX",
        "CRUDEOIL26JANFUT",
        dt.date(2026, 1, 19),
    )
    later = resolver.resolve("CRUDEOIL", today=dt.date(2026, 1, 20))
    assert later.tradingsymbol == "CRUDEOIL26FEBFUT"
    futures = resolver.futures("NIFTYBANK", "NFO")
    assert [f.tradingsymbol for f in futures] == [
        "BANKNIFTY26JANFUT",
        "BANKNIFTY26FEBFUT",
        "BANKNIFTY26MARFUT",
    ]


def test_an_alias_applies_on_the_exchange_asked_for_only(resolver: SymbolResolver) -> None:
    # NIFTY is an alias of the NSE index; on NFO it is the underlying, so its nearest-month future.
    assert resolver.resolve("NIFTY", "NSE").tradingsymbol == "NIFTY 50"
    future = resolver.resolve("NIFTY", "NFO", today=DAY)
    assert (future.exchange, future.instrument_type, future.tradingsymbol) == ("NFO", "FUT", "NIFTY26JANFUT")
    assert resolver.resolve("BANKNIFTY", "NFO", today=DAY).tradingsymbol == "BANKNIFTY26JANFUT"


def test_unknown_symbol_lists_close_matches(resolver: SymbolResolver) -> None:
    with pytest.raises(UnknownInstrumentError) as info:
        resolver.resolve("RELIANC")
    assert info.value.symbol == "RELIANC"
    assert info.value.suggestions[0] == "RELIANCE"
    assert "did you mean RELIANCE" in str(info.value)
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, AlphaStockError)
    with pytest.raises(UnknownInstrumentError, match="no futures"):
        resolver.require_futures("SBINN", "NFO")
    with pytest.raises(UnknownInstrumentError) as nothing:
        resolver.resolve("ZZZQQQ")
    assert nothing.value.suggestions == []


def test_option_expiries_from_the_data(resolver: SymbolResolver) -> None:
    # NIFTY has weekly Tuesday expiries in the simulator; BANKNIFTY only monthlies.
    assert resolver.option_expiries("NIFTY", DAY, 2) == [dt.date(2026, 1, 13), dt.date(2026, 1, 20)]
    assert resolver.option_expiries("NIFTYBANK", DAY, 2) == [dt.date(2026, 1, 27), dt.date(2026, 2, 24)]
    chain = resolver.option_chain("NIFTY", dt.date(2026, 1, 13))
    assert {i.instrument_type for i in chain} == {"CE", "PE"}
    assert len(chain) == 2 * 31  # the simulator lists 15 strikes each side of ATM
