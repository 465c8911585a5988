"""AssetType and asset_type_of: what a signal trades (instrument, options underlyings), by value."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alphastock.models import Instrument
from alphastock.signals import AssetType, Signal, SignalAction, asset_type_of
from alphastock.store.records import signal_record


def _inst(symbol: str, exchange: str, kind: str, segment: str, name: str = "") -> Instrument:
    return Instrument(
        instrument_token=1, exchange_token=1, tradingsymbol=symbol, name=name, tick_size=0.05, lot_size=1,
        instrument_type=kind, segment=segment, exchange=exchange,
    )  # fmt: skip


# Kite's instruments dump: exchange, instrument_type and segment as it lists them.
CASES = [
    (_inst("SBIN", "NSE", "EQ", "NSE", "STATE BANK OF INDIA"), AssetType.EQUITY),
    (_inst("SBIN", "BSE", "EQ", "BSE"), AssetType.EQUITY),
    (_inst("NIFTY 50", "NSE", "EQ", "INDICES", "NIFTY 50"), AssetType.INDEX),
    (_inst("SENSEX", "BSE", "EQ", "INDICES", "SENSEX"), AssetType.INDEX),
    (_inst("NIFTY26JANFUT", "NFO", "FUT", "NFO-FUT", "NIFTY"), AssetType.FUTURES),
    (_inst("SBIN26JANFUT", "NFO", "FUT", "NFO-FUT", "SBIN"), AssetType.FUTURES),
    (_inst("SENSEX26JANFUT", "BFO", "FUT", "BFO-FUT", "SENSEX"), AssetType.FUTURES),
    (_inst("CRUDEOIL26JANFUT", "MCX", "FUT", "MCX-FUT", "CRUDEOIL"), AssetType.COMMODITY),
    (_inst("USDINR26JANFUT", "CDS", "FUT", "CDS-FUT", "USDINR"), AssetType.CURRENCY),
    (_inst("NIFTY2610624500CE", "NFO", "CE", "NFO-OPT", "NIFTY"), AssetType.OPTIONS),
    (_inst("NIFTY2610624500PE", "NFO", "PE", "NFO-OPT", "NIFTY"), AssetType.OPTIONS),
    (_inst("CRUDEOIL26JAN5600CE", "MCX", "CE", "MCX-OPT", "CRUDEOIL"), AssetType.OPTIONS),
]


@pytest.mark.parametrize(
    ("instrument", "expected"), CASES, ids=[c[0].tradingsymbol + c[0].exchange for c in CASES]
)
def test_the_instrument_decides(instrument: Instrument, expected: AssetType) -> None:
    assert asset_type_of(instrument.exchange, instrument) is expected
    # The options underlyings change nothing for a derivative or an index.
    if expected is not AssetType.EQUITY:
        assert (
            asset_type_of(instrument.exchange, instrument, options_underlyings=("NIFTY", "SBIN")) is expected
        )


def test_a_share_of_a_configured_options_underlying_is_traded_through_options() -> None:
    sbin = _inst("SBIN", "NSE", "EQ", "NSE", "STATE BANK OF INDIA")
    assert asset_type_of("NSE", sbin, options_underlyings=("sbin",)) is AssetType.OPTIONS  # case-blind
    assert asset_type_of("NSE", sbin, options_underlyings=("NIFTY", "BANKNIFTY")) is AssetType.EQUITY
    # The underlying name given (the resolver's) wins over the tradingsymbol.
    assert asset_type_of("NSE", sbin, underlying="SBI", options_underlyings=("SBI",)) is AssetType.OPTIONS


@pytest.mark.parametrize(
    ("exchange", "expected"),
    [
        ("NSE", AssetType.EQUITY),
        ("bse", AssetType.EQUITY),
        ("NFO", AssetType.FUTURES),
        ("BFO", AssetType.FUTURES),
        ("MCX", AssetType.COMMODITY),
        ("NCO", AssetType.COMMODITY),
        ("CDS", AssetType.CURRENCY),
        ("BCD", AssetType.CURRENCY),
    ],
)
def test_an_unknown_instrument_is_decided_by_its_exchange(exchange: str, expected: AssetType) -> None:
    assert asset_type_of(exchange) is expected


def test_an_unknown_share_named_as_an_options_underlying_is_options() -> None:
    assert asset_type_of("NSE", underlying="NIFTY", options_underlyings=("NIFTY",)) is AssetType.OPTIONS


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("equity", AssetType.EQUITY),
        ("Equity", AssetType.EQUITY),
        ("OPTION", AssetType.OPTIONS),  # what older rows (and the store tests' fixtures) say
        ("options", AssetType.OPTIONS),
        ("future", AssetType.FUTURES),
        (" FUTURES ", AssetType.FUTURES),
        ("indices", AssetType.INDEX),
        ("commodity", AssetType.COMMODITY),
        ("currency", AssetType.CURRENCY),
    ],
)
def test_stored_strings_still_load(stored: str, expected: AssetType) -> None:
    assert AssetType(stored) is expected
    signal = Signal.model_validate(
        {"ts_ns": 1, "symbol": "X", "strategy": "s", "action": "BUY", "entry": 10.0, "stop_loss": 9.0,
         "target": 11.0, "asset_type": stored}
    )  # fmt: skip
    assert signal.asset_type is expected


def test_an_unknown_asset_type_is_refused() -> None:
    with pytest.raises(ValueError, match="'bond' is not a valid AssetType"):
        AssetType("bond")
    with pytest.raises(ValidationError):
        Signal.model_validate(
            {"ts_ns": 1, "symbol": "X", "strategy": "s", "action": "BUY", "entry": 10.0, "stop_loss": 9.0,
             "target": 11.0, "asset_type": "bond"}
        )  # fmt: skip


def test_the_column_stays_a_string_and_a_journal_line_round_trips() -> None:
    signal = Signal(
        ts_ns=1, symbol="NIFTY 50", strategy="s", action="BUY", entry=10.0, stop_loss=9.0, target=11.0,
        asset_type=AssetType.INDEX,
    )  # fmt: skip
    line = signal.model_dump_json()
    assert '"asset_type":"index"' in line
    assert Signal.model_validate_json(line) == signal
    record = signal.to_record()
    assert record.asset_type == "index"
    assert isinstance(record.asset_type, str)
    # A journal line written before the field existed (no asset_type) loads and replays as equity.
    old = {k: v for k, v in signal.model_dump(mode="json").items() if k != "asset_type"}
    assert signal_record(old).asset_type == "equity"
    assert Signal.model_validate(old).asset_type is AssetType.EQUITY


def test_fast_takes_the_enum_and_converts_a_string_through_validation() -> None:
    common: dict[str, Any] = {
        "ts_ns": 1, "symbol": "X", "strategy": "s", "action": SignalAction.BUY, "entry": 10.0,
        "stop_loss": 9.0, "target": 11.0,
    }  # fmt: skip
    assert Signal.fast(asset_type=AssetType.FUTURES, **common).asset_type is AssetType.FUTURES
    converted = Signal.fast(asset_type="Futures", **common)  # an old caller's string: validated
    assert converted.asset_type is AssetType.FUTURES
    assert Signal.fast(**common).asset_type is AssetType.EQUITY
