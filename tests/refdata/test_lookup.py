"""StaticInstruments: an InstrumentLookup over a list, missing with the one reference-data error."""

from __future__ import annotations

import pytest

from alphastock.models import Instrument
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.lookup import InstrumentLookup, StaticInstruments

SBIN = Instrument(
    instrument_token=779521, exchange_token=3045, tradingsymbol="SBIN", name="STATE BANK OF INDIA",
    tick_size=0.05, lot_size=1, instrument_type="EQ", segment="NSE", exchange="NSE",
)  # fmt: skip


def test_static_instruments_find_by_exchange_and_tradingsymbol() -> None:
    lookup: InstrumentLookup = StaticInstruments([SBIN])
    assert lookup.instrument("NSE", "SBIN") is SBIN
    with pytest.raises(UnknownInstrumentError, match="unknown instrument 'BSE:SBIN'") as info:
        lookup.instrument("BSE", "SBIN")
    assert info.value.symbol == "BSE:SBIN"
    assert info.value.suggestions == []


def test_the_error_names_close_matches_when_given() -> None:
    error = UnknownInstrumentError("RELIANC", ["RELIANCE"], " on NSE")
    assert str(error) == "unknown instrument 'RELIANC' on NSE; did you mean RELIANCE?"
