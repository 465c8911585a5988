"""Turning user input (scalars, lists, numpy arrays, option-type strings) into core columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]

_CALL_WORDS = frozenset({"c", "call", "ce"})
_PUT_WORDS = frozenset({"p", "put", "pe"})
MODEL_CODES = {"bsm": 0, "black76": 1}


def model_code(model: str) -> int:
    """The core's integer code for a model name ("bsm" or "black76", any case)."""
    code = MODEL_CODES.get(str(model).lower())
    if code is None:
        raise ValueError(f"model must be one of {sorted(MODEL_CODES)}, got {model!r}")
    return code


def as_call_flags(flag: str | bool | ArrayLike) -> BoolArray:
    """Option types as a bool array, True for calls.

    Accepts "c"/"p", "call"/"put", Kite's "CE"/"PE" (any case), booleans, or
    arrays of either. Anything else raises ValueError naming the bad values.
    """
    if isinstance(flag, str):
        return np.asarray(_word_is_call(flag))
    array = np.asarray(flag)
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind in "US":
        lowered = np.char.lower(np.char.strip(array.astype(str)))
        is_call = np.isin(lowered, list(_CALL_WORDS))
        is_put = np.isin(lowered, list(_PUT_WORDS))
        if not np.all(is_call | is_put):
            bad = sorted(set(array[~(is_call | is_put)].ravel().tolist()))
            raise ValueError(f"option type must be 'c'/'p', 'call'/'put' or 'CE'/'PE'; got {bad[:5]}")
        return is_call
    raise ValueError(f"option type must be a string or a bool array, got dtype {array.dtype}")


def _word_is_call(word: str) -> bool:
    lowered = word.strip().lower()
    if lowered in _CALL_WORDS:
        return True
    if lowered in _PUT_WORDS:
        return False
    raise ValueError(f"option type must be 'c'/'p', 'call'/'put' or 'CE'/'PE', got {word!r}")


def as_float(value: ArrayLike, name: str) -> FloatArray:
    """A float64 array of `value`, with an error naming the argument when it is not numeric."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc


def broadcast_columns(
    named: Sequence[tuple[str, NDArray[Any]]],
) -> tuple[tuple[int, ...], list[NDArray[Any]]]:
    """Broadcast arrays together and flatten each to the 1-D column the core takes.

    A one-element array stays one element (the core repeats it without a
    copy); others are flattened to the broadcast length. Returns the
    broadcast shape, so results can be reshaped (0-d when every input is scalar).
    """
    try:
        shape = np.broadcast_shapes(*(array.shape for _, array in named))
    except ValueError:
        shapes = ", ".join(f"{name}{array.shape}" for name, array in named)
        raise ValueError(f"arguments cannot be broadcast together: {shapes}") from None
    columns: list[NDArray[Any]] = []
    for _, array in named:
        if array.size == 1 and array.ndim <= len(shape):
            columns.append(np.ascontiguousarray(array.reshape(1)))
        elif array.shape == shape:
            columns.append(np.ascontiguousarray(array).reshape(-1))
        else:
            columns.append(np.ascontiguousarray(np.broadcast_to(array, shape)).reshape(-1))
    return shape, columns


def contract_columns(
    flag: str | bool | ArrayLike, *named: tuple[str, ArrayLike]
) -> tuple[tuple[int, ...], list[NDArray[Any]]]:
    """Option-type flags followed by the named float arguments, broadcast into core columns."""
    arrays: list[tuple[str, NDArray[Any]]] = [("flag", as_call_flags(flag))]
    arrays += [(name, as_float(value, name)) for name, value in named]
    return broadcast_columns(arrays)
