"""Signal.fast: the same acceptance, values and errors as pydantic's validation of ``Signal``."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alphastock.signals.model import Signal, SignalAction, SignalStatus

T0 = 1_617_248_700_000_000_000
BUY: dict[str, Any] = {
    "ts_ns": T0,
    "symbol": "INFY",
    "exchange": "NSE",
    "token": 408065,
    "strategy": "ma_cross",
    "action": SignalAction.BUY,
    "entry": 100.0,
    "stop_loss": 99.0,
    "target": 102.0,
    "confidence": 0.7,
    "expected_move_pct": 2.0,
    "timeframe": "1m",
    "recv_ns": 5,
    "metadata": {"reason": "cross"},
    "id": "S0000000000001abcdef",
}
SELL = {**BUY, "action": SignalAction.SELL, "stop_loss": 101.0, "target": 98.0}

# Values to try in each field, alone on a valid BUY and SELL: the edges of every constraint, NaN and
# infinities, other types pydantic converts (int, numpy float, str) or refuses.
FLOATS = [
    math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 5e-324, 1e308,
    99.0, 100.0, 101.0, 102.0, 98.0, 100, np.float64(100.0), True, "100.0", "x", None,
]  # fmt: skip
EDGES: dict[str, list[Any]] = {
    "entry": FLOATS,
    "stop_loss": FLOATS,
    "target": FLOATS,
    "confidence": [
        math.nan,
        math.inf,
        -math.inf,
        -0.0,
        0.0,
        1.0,
        1.0000001,
        -1e-9,
        0.5,
        1,
        0,
        True,
        "0.5",
        0.3,
    ],
    "id": [None, "", "x", "x" * 64, "x" * 65, "é" * 64, 5],
    "symbol": ["", "A", " ", 1, None],
    "strategy": ["", "s", 1, None],
    "exchange": ["", "NFO", None],
    "asset_type": ["", "futures", None],
    "token": [-1, 0, 1, 2**70, True, 1.0, 1.5, "7", None],
    "ts_ns": [-5, 0, 2**70, 1.0, 1.5, "1", None],
    "recv_ns": [-1, 0, 5, 5.0, None],
    "quantity": [None, 0, 1, -3, 1.0, 2.5, "3"],
    "expected_move_pct": [None, math.nan, math.inf, 2, "x", "2.5"],
    "timeframe": [None, "", "1m", 5],
    "action": [SignalAction.BUY, SignalAction.SELL, "BUY", "SELL", "sell", "HOLD", None],
    "metadata": [None, {}, {"a": 1}, {1: 2}, {"nested": {"x": [1]}}, [("a", 1)], "x"],
}


def _validated(kwargs: dict[str, Any]) -> Signal:
    """What ``Signal(...)`` makes of ``kwargs`` (a None id or metadata meaning "not given")."""
    return Signal.model_validate(
        {k: v for k, v in kwargs.items() if not (k in ("id", "metadata") and v is None)}
    )


def _outcome(make: Any, kwargs: dict[str, Any]) -> tuple[Signal | None, Exception | None]:
    try:
        return make(kwargs), None
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        return None, exc


def _fields(signal: Signal, *, with_id: bool) -> dict[str, tuple[type, str]]:
    # Type and repr per field: == would take 1 for 1.0 and refuse NaN == NaN.
    return {k: (type(v), repr(v)) for k, v in signal.__dict__.items() if with_id or k != "id"}


def _errors(exc: Exception) -> list[tuple[str, tuple[Any, ...], str]] | str:
    if isinstance(exc, ValidationError):
        return [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    return f"{type(exc).__name__}: {exc}"


def assert_same(kwargs: dict[str, Any]) -> None:
    """Signal.fast(**kwargs) raises iff validation does (the same errors), else makes an equal model."""
    fast, fast_exc = _outcome(lambda kw: Signal.fast(**kw), kwargs)
    slow, slow_exc = _outcome(_validated, kwargs)
    assert (fast_exc is None) == (slow_exc is None), (kwargs, fast_exc, slow_exc)
    if fast_exc is not None:
        assert slow_exc is not None
        assert type(fast_exc) is type(slow_exc)
        assert _errors(fast_exc) == _errors(slow_exc)
        return
    assert fast is not None
    assert slow is not None
    given_id = kwargs.get("id") is not None
    assert _fields(fast, with_id=given_id) == _fields(slow, with_id=given_id)
    assert list(fast.__dict__) == list(slow.__dict__)  # the same field order (repr, iteration)
    if not given_id:
        assert re.fullmatch(r"S[0-9a-f]{19}", fast.id)
    if given_id and fast.model_dump() == fast.model_dump():  # NaN never equals itself
        assert fast == slow
        assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json(exclude={"id"}) == slow.model_dump_json(exclude={"id"})


@pytest.mark.parametrize("base", [BUY, SELL], ids=["BUY", "SELL"])
@pytest.mark.parametrize("field", sorted(EDGES))
def test_fast_accepts_and_refuses_as_validation_does_on_every_edge(base: dict[str, Any], field: str) -> None:
    for value in EDGES[field]:
        assert_same({**base, field: value})


def test_fast_on_valid_signals_is_equal_to_the_validated_one() -> None:
    for base in (BUY, SELL):
        fast = Signal.fast(**base)
        assert fast == _validated(base)
        assert fast.model_dump() == _validated(base).model_dump()
        assert fast.model_dump_json() == _validated(base).model_dump_json()
        assert (fast.status, fast.updated_ns, fast.quantity) == (SignalStatus.NEW, None, None)


def test_fast_defaults_are_the_fields_defaults() -> None:
    minimal = {k: BUY[k] for k in ("ts_ns", "symbol", "strategy", "action", "entry", "stop_loss", "target")}
    fast = Signal.fast(**minimal)
    slow = Signal(**minimal)
    assert fast.model_dump(exclude={"id"}) == slow.model_dump(exclude={"id"})
    assert (fast.exchange, fast.token, fast.confidence, fast.metadata) == ("NSE", 0, 0.5, {})
    assert re.fullmatch(r"S[0-9a-f]{19}", fast.id)
    assert fast.id != Signal.fast(**minimal).id


def test_fast_levels_on_the_wrong_side_raise_the_validators_message() -> None:
    with pytest.raises(ValidationError, match=r"a BUY needs stop_loss < entry < target, got 101.0 / 100.0"):
        Signal.fast(**{**BUY, "stop_loss": 101.0})
    with pytest.raises(
        ValidationError, match=r"a SELL needs target < entry < stop_loss, got 98.0 / 100.0 / 99"
    ):
        Signal.fast(**{**SELL, "stop_loss": 99.0})


def test_fast_copies_the_metadata_and_makes_models_that_copy_and_transition() -> None:
    metadata = {"reason": "cross"}
    a = Signal.fast(**{**BUY, "metadata": metadata})
    b = Signal.fast(**{**BUY, "metadata": metadata})
    assert a.metadata == metadata
    assert a.metadata is not metadata
    assert a.metadata is not b.metadata
    assert a.model_fields_set == set(Signal.model_fields)
    assert a.model_fields_set is not b.model_fields_set
    active = a.with_status(SignalStatus.ACTIVE, T0 + 1, order="o1")
    assert (active.status, active.updated_ns, active.metadata) == (
        SignalStatus.ACTIVE,
        T0 + 1,
        {"reason": "cross", "order": "o1"},
    )
    assert a.status is SignalStatus.NEW
    assert a.with_quantity(3).quantity == 3
    with pytest.raises(ValidationError):  # frozen, as a validated one
        a.entry = 1.0  # type: ignore[misc]


def test_fast_relies_on_no_model_hook_it_would_skip() -> None:
    # Signal.fast fills __dict__ and the slots itself; a post-init or private attribute would be skipped.
    assert not Signal.__private_attributes__
    assert Signal.__pydantic_post_init__ is None
    assert Signal.model_config.get("extra") == "forbid"


levels = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([98.0, 99.0, 100.0, 101.0, 102.0, 0.0]),
    st.integers(-2, 200),
)


@settings(max_examples=400, deadline=None)
@given(
    entry=levels,
    stop_loss=levels,
    target=levels,
    confidence=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-1, 2)),
    action=st.sampled_from([SignalAction.BUY, SignalAction.SELL, "BUY", "SELL", "hold"]),
    token=st.integers(-3, 2**40),
    recv_ns=st.integers(-3, 2**62),
    quantity=st.one_of(st.none(), st.integers(-2, 10)),
    symbol=st.text(max_size=3),
    sid=st.one_of(st.none(), st.text(max_size=70)),
)
def test_fast_matches_validation_on_random_inputs(
    entry: Any,
    stop_loss: Any,
    target: Any,
    confidence: Any,
    action: Any,
    token: int,
    recv_ns: int,
    quantity: int | None,
    symbol: str,
    sid: str | None,
) -> None:
    assert_same(
        {
            **BUY,
            "entry": entry,
            "stop_loss": stop_loss,
            "target": target,
            "confidence": confidence,
            "action": action,
            "token": token,
            "recv_ns": recv_ns,
            "quantity": quantity,
            "symbol": symbol,
            "id": sid,
        }
    )
