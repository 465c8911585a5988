"""Builders shared by the risk tests: instruments, intents and engines with one rule switched on at a time."""

from __future__ import annotations

from typing import Any

from alphastock.risk import Limits, OrderIntent, RiskEngine

T0 = 1_767_225_600_000_000_000  # 2026-01-01 00:00:00 UTC, ns
SECOND = 1_000_000_000

NIFTY_CE = 256_265  # NIFTY 24500 CE: lot 65, freeze 1800
NIFTY_PE = 256_521
NIFTY_FUT = 256_777
INFY = 408_065
CRUDE_FUT = 738_561

# Every limit off: each test switches on the rule it is about.
UNLIMITED: dict[str, Any] = {
    "max_order_quantity": None,
    "max_order_notional": None,
    "max_position_quantity": None,
    "max_underlying_quantity": None,
    "max_open_positions": None,
    "max_daily_loss": None,
    "max_drawdown": None,
    "max_trades_per_day": None,
    "max_orders_per_second": None,
    "max_orders_per_minute": None,
    "max_orders_per_day": None,
    "option_collar_pct": None,
    "future_collar_pct": None,
    "equity_collar_pct": None,
    "max_data_age_s": None,
    "min_cash_reserve": None,
    "approval_notional": None,
}


def limits(**changes: Any) -> Limits:
    """Limits with every rule off except the given ones (validated like any Limits)."""
    return Limits(**{**UNLIMITED, **changes})


def engine(**changes: Any) -> RiskEngine:
    """An engine with `limits(**changes)` whose instruments all ticked at T0."""
    e = RiskEngine(limits(**changes))
    for token in (NIFTY_CE, NIFTY_PE, NIFTY_FUT, INFY, CRUDE_FUT):
        e.on_tick(token, T0)
    return e


def option(**changes: Any) -> OrderIntent:
    """BUY 650 (10 lots) NIFTY 24500 CE at 120.05, reference 120."""
    fields: dict[str, Any] = {
        "token": NIFTY_CE,
        "symbol": "NIFTY26JAN24500CE",
        "exchange": "NFO",
        "product": "NRML",
        "side": "BUY",
        "quantity": 650,
        "price": 120.05,
        "reference_price": 120.0,
        "lot_size": 65,
        "tick_size": 0.05,
        "freeze_quantity": 1800,
        "underlying": "NIFTY",
        "kind": "CE",
    }
    return OrderIntent(**{**fields, **changes})


def put(**changes: Any) -> OrderIntent:
    """BUY 650 NIFTY 24500 PE at 80.0, reference 80."""
    fields: dict[str, Any] = {
        "token": NIFTY_PE,
        "symbol": "NIFTY26JAN24500PE",
        "kind": "PE",
        "price": 80.0,
        "reference_price": 80.0,
    }
    return option(**{**fields, **changes})


def future(**changes: Any) -> OrderIntent:
    """BUY 65 NIFTY futures at 24500.00, reference 24500."""
    fields: dict[str, Any] = {
        "token": NIFTY_FUT,
        "symbol": "NIFTY26JANFUT",
        "kind": "FUT",
        "quantity": 65,
        "price": 24500.0,
        "reference_price": 24500.0,
    }
    return option(**{**fields, **changes})


def equity(**changes: Any) -> OrderIntent:
    """BUY 10 INFY (CNC) at 1500.00, reference 1500."""
    fields: dict[str, Any] = {
        "token": INFY,
        "symbol": "INFY",
        "exchange": "NSE",
        "product": "CNC",
        "side": "BUY",
        "quantity": 10,
        "price": 1500.0,
        "reference_price": 1500.0,
    }
    return OrderIntent(**{**fields, **changes})
