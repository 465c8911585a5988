"""make_signal sets the signal's asset type from its instrument and the configured options underlyings."""

from __future__ import annotations

from typing import Any

import pytest

from alphastock.events import Bar
from alphastock.signals import AssetType, Signal
from alphastock.strategies import (
    StrategiesConfig,
    Strategy,
    StrategyInstanceConfig,
    StrategyManager,
    StrategyParams,
)
from alphastock.strategies.base import NullContext
from tests.strategies.test_manager_ticks import BANK_IDX, INFY, NIFTY_FUT, NIFTY_IDX, SBIN, T0, master


class AlwaysBuy(Strategy[StrategyParams]):
    """A BUY on every bar: 1 % stop, 2 % target."""

    name = "always_buy"

    def on_bar(self, bar: Bar) -> Signal:
        return self.make_signal(
            bar, "BUY", entry=bar.close, stop_loss=bar.close * 0.99, target=bar.close * 1.02, confidence=0.9
        )


def _bar(token: int, symbol: str, exchange: str) -> Bar:
    return Bar(token, symbol, "1m", T0, 100.0, 101.0, 99.0, 100.0, 1_000.0, 10, exchange)


UNDERLYINGS = {"NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY"}
"""The runners' underlying_names (index tradingsymbol -> derivative name) for this master."""


def _manager(symbols: list[str], options_underlyings: tuple[str, ...]) -> StrategyManager:
    config = StrategiesConfig(
        instances=[StrategyInstanceConfig(strategy="always_buy", name="buy", symbols=symbols)]
    )
    manager = StrategyManager.from_config(
        config,
        registry={"always_buy": AlwaysBuy},
        instruments=master(),
        underlying_name=lambda s: UNDERLYINGS.get(s.upper(), s.upper()),
        options_underlyings=options_underlyings,
    )
    manager.start()
    return manager


@pytest.mark.parametrize(
    ("bar", "options_underlyings", "expected"),
    [
        (_bar(SBIN, "SBIN", "NSE"), ("NIFTY", "BANKNIFTY"), AssetType.EQUITY),
        (_bar(SBIN, "SBIN", "NSE"), ("NIFTY", "SBIN"), AssetType.OPTIONS),  # stock options configured
        (_bar(NIFTY_IDX, "NIFTY 50", "NSE"), ("NIFTY", "BANKNIFTY"), AssetType.INDEX),
        (_bar(BANK_IDX, "NIFTY BANK", "NSE"), (), AssetType.INDEX),
        (_bar(NIFTY_FUT, "NIFTY26JANFUT", "NFO"), ("NIFTY", "BANKNIFTY"), AssetType.FUTURES),
    ],
)
def test_make_signal_derives_the_asset_type(
    bar: Bar, options_underlyings: tuple[str, ...], expected: AssetType
) -> None:
    manager = _manager([f"{bar.exchange}:{bar.symbol}"], options_underlyings)
    (signal,) = manager.on_bar(bar)
    assert signal.asset_type is expected
    assert manager.asset_type(f"{bar.exchange}:{bar.symbol}") is expected


def test_the_asset_type_is_remembered_per_instrument_until_the_next_bind() -> None:
    calls: list[str] = []

    class Counting(NullContext):
        def asset_type(self, symbol: str) -> AssetType:
            calls.append(symbol)
            return AssetType.FUTURES

    strategy = AlwaysBuy()
    strategy.bind(Counting())
    signals = [strategy.on_bar(_bar(INFY, "INFY", "NSE")) for _ in range(3)]
    assert [s.asset_type for s in signals] == [AssetType.FUTURES] * 3
    assert calls == ["NSE:INFY"]
    strategy.bind(NullContext())  # a new context: asked again (NSE without a master: equity)
    assert strategy.on_bar(_bar(INFY, "INFY", "NSE")).asset_type is AssetType.EQUITY


@pytest.mark.parametrize(
    ("exchange", "expected"),
    [("NSE", AssetType.EQUITY), ("NFO", AssetType.FUTURES), ("MCX", AssetType.COMMODITY)],
)
def test_without_an_engine_the_exchange_decides(exchange: str, expected: AssetType) -> None:
    strategy = AlwaysBuy()
    signal: Any = strategy.on_bar(_bar(1, "X", exchange))
    assert signal.asset_type is expected
