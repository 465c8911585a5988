"""Sample rows for the store tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from alphastock.store import OrderRecord, SignalRecord

T0 = 1_767_240_900_000_000_000  # 2026-01-01 09:45 IST, UTC epoch ns


def tick_columns(n: int, *, seed: int = 7, start_ns: int = T0, tokens: int = 50) -> dict[str, np.ndarray]:
    """``n`` ticks over ``tokens`` instruments, 1 ms apart, as the TickStore hands them out (plus token)."""
    rng = np.random.default_rng(seed)
    return {
        "token": rng.integers(256_000, 256_000 + tokens, n).astype(np.int64),
        "ts_ns": start_ns + np.arange(n, dtype=np.int64) * 1_000_000,
        "last_price": np.round(rng.uniform(100.0, 500.0, n), 2),
        "last_qty": rng.integers(1, 500, n).astype(np.int64),
        "volume": np.cumsum(rng.integers(1, 500, n)).astype(np.int64),
        "oi": rng.integers(0, 10_000, n).astype(np.int64),
        "bid": np.round(rng.uniform(99.0, 499.0, n), 2),
        "ask": np.round(rng.uniform(101.0, 501.0, n), 2),
        "bid_qty": rng.integers(0, 1_000, n).astype(np.int64),
        "ask_qty": rng.integers(0, 1_000, n).astype(np.int64),
    }


def order(key: str = "AS0001", **changes: Any) -> OrderRecord:
    """A NIFTY option limit order in state PENDING."""
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "symbol": "NIFTY26JAN24500CE",
        "exchange": "NFO",
        "product": "MIS",
        "side": "BUY",
        "order_type": "LIMIT",
        "variety": "regular",
        "validity": "DAY",
        "quantity": 130,
        "price": 120.05,
        "state": "PENDING",
        "created_ns": T0,
        "token": 12_345_602,
        "signal_id": "sig-1",
    }
    fields.update(changes)
    return OrderRecord(**fields)


def signal(signal_id: str = "sig-1", **changes: Any) -> SignalRecord:
    """A BUY signal on a NIFTY option."""
    fields: dict[str, Any] = {
        "id": signal_id,
        "ts_ns": T0,
        "symbol": "NIFTY26JAN24500CE",
        "token": 12_345_602,
        "asset_type": "OPTION",
        "strategy": "momentum",
        "action": "BUY",
        "price": 120.05,
        "quantity": 130,
        "confidence": 0.72,
        "target": 150.0,
        "stop_loss": 105.0,
        "expected_move_pct": 2.5,
        "metadata": {"iv": 0.14, "reason": "breakout"},
    }
    fields.update(changes)
    return SignalRecord(**fields)
