"""Input handling: broadcasting, result shapes, option-type flags, model names, memory layouts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import alphastock.options as opt
from alphastock.options._inputs import (
    MODEL_CODES,
    as_call_flags,
    as_float,
    broadcast_columns,
    contract_columns,
    model_code,
)

ARGS = (100.0, 105.0, 0.5, 0.05, 0.25)  # S, K, t, r, sigma


def _call(fn: str, flag, *args, **kwargs):
    if fn == "price":
        return opt.price(flag, *args, **kwargs)
    if fn == "greeks":
        return opt.greeks(flag, *args, **kwargs)["delta"]
    S, K, t, r, sigma = args
    premium = opt.price(flag, S, K, t, r, sigma, **kwargs)
    return opt.implied_vol(premium, flag, S, K, t, r, **kwargs)


FUNCTIONS = ["price", "greeks", "implied_vol"]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_all_scalar_input_gives_0d_float64_arrays(fn: str) -> None:
    result = _call(fn, "c", *ARGS)
    assert isinstance(result, np.ndarray)
    assert result.shape == ()
    assert result.dtype == np.float64


def test_greeks_and_status_are_0d_for_scalars() -> None:
    values = opt.greeks("p", *ARGS)
    assert all(v.shape == () and v.dtype == np.float64 for v in values.values())
    vol, status = opt.implied_vol(5.0, "p", 100.0, 105.0, 0.5, 0.05, return_status=True)
    assert vol.shape == status.shape == ()
    assert status.dtype == np.int8


def test_column_by_row_broadcasting_matches_scalar_calls() -> None:
    S = np.array([[90.0], [100.0], [110.0]])
    K = np.array([80.0, 95.0, 105.0, 130.0])
    t = np.array([0.1, 0.5, 1.0, 2.0])
    for flag in ("c", "p"):
        prices = opt.price(flag, S, K, t, 0.05, 0.3, 0.01)
        greeks = opt.greeks(flag, S, K, t, 0.05, 0.3, 0.01)
        assert prices.shape == (3, 4)
        for i, j in np.ndindex(3, 4):
            scalar = opt.price(flag, float(S[i, 0]), float(K[j]), float(t[j]), 0.05, 0.3, 0.01)
            assert prices[i, j] == float(scalar)
            scalar_greeks = opt.greeks(flag, float(S[i, 0]), float(K[j]), float(t[j]), 0.05, 0.3, 0.01)
            for name in opt.GREEK_NAMES:
                assert greeks[name].shape == (3, 4)
                assert greeks[name][i, j] == float(scalar_greeks[name])
        vols = opt.implied_vol(prices, flag, S, K, t, 0.05, 0.01)
        assert vols.shape == (3, 4)
        for i, j in np.ndindex(3, 4):
            assert vols[i, j] == float(
                opt.implied_vol(prices[i, j], flag, float(S[i, 0]), K[j], t[j], 0.05, 0.01)
            )
        np.testing.assert_allclose(vols, 0.3, rtol=1e-10)


def test_every_argument_broadcasts() -> None:
    base = opt.price("c", 100.0, 100.0, 0.5, 0.05, 0.2, 0.01)
    for position in range(6):
        args = [100.0, 100.0, 0.5, 0.05, 0.2, 0.01]
        args[position] = np.full((2, 1, 3), args[position])
        result = opt.price("c", *args)
        assert result.shape == (2, 1, 3)
        np.testing.assert_array_equal(result, float(base))


def test_lists_and_integers_are_accepted() -> None:
    result = opt.price(["c", "p"], [100, 100], 100, 1, 0, [0.2, 0.2])
    expected_call = float(opt.price("c", 100.0, 100.0, 1.0, 0.0, 0.2))
    assert result.tolist() == [expected_call, expected_call]  # r = 0: ATM call and put are equal


@pytest.mark.parametrize(
    ("calls", "puts"),
    [
        (["c", "C", "call", "Call", "CE", "ce", " CE "], ["p", "P", "put", "PUT", "PE", "pe", "pe\t"]),
    ],
)
def test_flag_spellings(calls: list[str], puts: list[str]) -> None:
    call_value = float(opt.price(True, *ARGS))
    put_value = float(opt.price(False, *ARGS))
    assert call_value != put_value
    for word in calls:
        assert float(opt.price(word, *ARGS)) == call_value, word
    for word in puts:
        assert float(opt.price(word, *ARGS)) == put_value, word
    np.testing.assert_array_equal(opt.price(np.array(calls), *ARGS), call_value)
    np.testing.assert_array_equal(opt.price(np.array(puts), *ARGS), put_value)


def test_bool_and_string_arrays_agree() -> None:
    is_call = np.array([True, False, False, True, True])
    K = np.array([90.0, 95.0, 100.0, 105.0, 110.0])
    by_bool = opt.price(is_call, 100.0, K, 0.5, 0.05, 0.2)
    for flags in (
        np.where(is_call, "c", "p"),
        np.where(is_call, "CE", "PE"),
        np.where(is_call, "call", "put"),
        list(np.where(is_call, "CE", "PE")),
        np.where(is_call, b"c", b"p"),
        [bool(x) for x in is_call],
    ):
        np.testing.assert_array_equal(opt.price(flags, 100.0, K, 0.5, 0.05, 0.2), by_bool)
    for i, k in enumerate(K):
        assert by_bool[i] == float(opt.price("c" if is_call[i] else "p", 100.0, k, 0.5, 0.05, 0.2))


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("flag", ["x", "", "calls", "CEPE", ["c", "x"], np.array(["PE", "xx"]), 1, 1.0, None])
def test_invalid_flag_raises_value_error(fn: str, flag) -> None:
    with pytest.raises(ValueError, match="option type"):
        _call(fn, flag, *ARGS)


def test_invalid_flag_message_names_the_bad_values() -> None:
    with pytest.raises(ValueError, match=r"\['q', 'x'\]"):
        opt.price(["c", "x", "q", "x"], *ARGS)


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("model", ["black", "bs", "", "black-76", "garch"])
def test_unknown_model_raises_value_error(fn: str, model: str) -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        _call(fn, "c", *ARGS, model=model)


def test_model_names_are_case_insensitive() -> None:
    assert float(opt.price("c", *ARGS, model="BSM")) == float(opt.price("c", *ARGS, model="bsm"))
    assert float(opt.price("c", *ARGS, model="Black76")) == float(opt.price("c", *ARGS, model="black76"))
    assert float(opt.price("c", *ARGS, model="black76")) != float(opt.price("c", *ARGS, model="bsm"))


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4)])
def test_empty_arrays_give_empty_results(shape: tuple[int, ...]) -> None:
    S = np.empty(shape)
    assert opt.price("c", S, 100.0, 0.5, 0.05, 0.2).shape == shape
    values = opt.greeks("c", S, 100.0, 0.5, 0.05, 0.2)
    assert all(v.shape == shape for v in values.values())
    vols, status = opt.implied_vol(S, "c", 100.0, 100.0, 0.5, 0.05, return_status=True)
    assert vols.shape == status.shape == shape
    assert opt.price(np.array([], dtype=bool), 100.0, 100.0, 0.5, 0.05, 0.2).shape == (0,)


def test_non_contiguous_and_strided_input() -> None:
    K = np.linspace(80.0, 120.0, 20)
    strided = K[::2]
    assert not strided.flags.c_contiguous
    contiguous = np.ascontiguousarray(strided)
    np.testing.assert_array_equal(
        opt.price("c", 100.0, strided, 0.5, 0.05, 0.2), opt.price("c", 100.0, contiguous, 0.5, 0.05, 0.2)
    )
    grid = np.linspace(80.0, 120.0, 12).reshape(3, 4)
    transposed = grid.T  # Fortran-ordered view
    assert not transposed.flags.c_contiguous
    np.testing.assert_array_equal(
        opt.price("p", 100.0, transposed, 0.5, 0.05, 0.2),
        opt.price("p", 100.0, transposed.copy(), 0.5, 0.05, 0.2),
    )
    reversed_k = K[::-1]
    np.testing.assert_array_equal(
        opt.price("c", 100.0, reversed_k, 0.5, 0.05, 0.2)[::-1], opt.price("c", 100.0, K, 0.5, 0.05, 0.2)
    )
    flags = np.array([True, False] * 10)[::2]  # all calls, strided
    prices = opt.price("c", 100.0, K[::2], 0.5, 0.05, 0.2)
    np.testing.assert_array_equal(opt.price(flags, 100.0, K[::2], 0.5, 0.05, 0.2), prices)
    vols = opt.implied_vol(np.repeat(prices, 2)[::2], flags, 100.0, K[::2], 0.5, 0.05)
    np.testing.assert_allclose(vols, 0.2, rtol=1e-12)


def test_other_dtypes_are_converted() -> None:
    K32 = np.array([95.0, 100.0, 105.0], dtype=np.float32)
    K_int = np.array([95, 100, 105], dtype=np.int64)
    expected = opt.price("c", 100.0, K32.astype(np.float64), 0.5, 0.05, 0.2)
    np.testing.assert_array_equal(opt.price("c", 100.0, K32, 0.5, 0.05, 0.2), expected)
    np.testing.assert_array_equal(opt.price("c", 100.0, K_int, 0.5, 0.05, 0.2), expected)
    big_endian = np.array([95.0, 100.0, 105.0], dtype=">f8")
    np.testing.assert_array_equal(opt.price("c", 100.0, big_endian, 0.5, 0.05, 0.2), expected)


def test_inputs_are_not_modified() -> None:
    K = np.array([95.0, 100.0, 105.0])
    before = K.copy()
    opt.price("c", 100.0, K, 0.5, 0.05, 0.2)
    opt.implied_vol(K / 20, "c", 100.0, K, 0.5, 0.05)
    np.testing.assert_array_equal(K, before)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_shapes_that_do_not_broadcast_raise_value_error(fn: str) -> None:
    with pytest.raises(ValueError, match="cannot be broadcast"):
        _call(fn, "c", np.ones(3) * 100, np.ones(4) * 100, 0.5, 0.05, 0.2)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        _call(fn, ["c", "p", "c"], 100.0, np.ones(4) * 100, 0.5, 0.05, 0.2)


@pytest.mark.parametrize("name", ["S", "K", "t", "r", "sigma", "q"])
def test_non_numeric_argument_raises_value_error_naming_it(name: str) -> None:
    kwargs = {"S": 100.0, "K": 100.0, "t": 0.5, "r": 0.05, "sigma": 0.2, "q": 0.0}
    kwargs[name] = "abc"
    with pytest.raises(ValueError, match=rf"^{name} must be numeric"):
        opt.price("c", **kwargs)


# --- the helpers themselves -----------------------------------------------------------------------


def test_model_code() -> None:
    assert MODEL_CODES == {"bsm": 0, "black76": 1}
    assert model_code("bsm") == 0
    assert model_code("BLACK76") == 1
    with pytest.raises(ValueError, match="'heston'"):
        model_code("heston")


def test_as_call_flags() -> None:
    assert as_call_flags("CE").tolist() is True
    assert as_call_flags("put").tolist() is False
    assert as_call_flags(True).tolist() is True
    np.testing.assert_array_equal(as_call_flags(["c", "P", "Ce"]), [True, False, True])
    np.testing.assert_array_equal(as_call_flags(np.array([[True], [False]])), [[True], [False]])
    assert as_call_flags(np.array([["c", "p"]])).shape == (1, 2)
    with pytest.raises(ValueError, match="dtype int64"):
        as_call_flags(np.array([1, 0]))


def test_as_float() -> None:
    result = as_float([1, 2], "S")
    assert result.dtype == np.float64
    assert result.tolist() == [1.0, 2.0]
    assert as_float(math.nan, "S").shape == ()
    with pytest.raises(ValueError, match=r"^K must be numeric"):
        as_float(["1", "x"], "K")
    with pytest.raises(ValueError, match=r"^t must be numeric"):
        as_float(object(), "t")


def test_broadcast_columns() -> None:
    shape, columns = broadcast_columns(
        [("a", np.array(1.0)), ("b", np.arange(4.0)), ("c", np.ones((3, 1))), ("d", np.array([[7.0]]))]
    )
    assert shape == (3, 4)
    # One-element arrays stay one element (the core repeats them); the rest are flattened to 12.
    assert [c.shape for c in columns] == [(1,), (12,), (12,), (1,)]
    assert all(c.flags.c_contiguous for c in columns)
    np.testing.assert_array_equal(columns[1], np.tile(np.arange(4.0), 3))
    np.testing.assert_array_equal(columns[2], 1.0)
    with pytest.raises(ValueError, match=r"x\(3,\), y\(4,\)"):
        broadcast_columns([("x", np.ones(3)), ("y", np.ones(4))])


def test_contract_columns_puts_the_flag_first() -> None:
    shape, (flags, s, k) = contract_columns(["c", "p"], ("S", 100.0), ("K", [[90.0], [110.0]]))
    assert shape == (2, 2)
    assert flags.dtype == np.bool_
    assert flags.tolist() == [True, False, True, False]
    assert s.tolist() == [100.0]
    assert k.tolist() == [90.0, 90.0, 110.0, 110.0]
