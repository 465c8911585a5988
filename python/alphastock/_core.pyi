"""Type stubs for the compiled core; the public API is curated in :mod:`alphastock.options`."""

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "IV_STATUS",
    "PARALLEL_THRESHOLD",
    "AlphaStockError",
    "__version__",
    "get_num_threads",
    "greeks",
    "implied_forward",
    "implied_vol",
    "price",
    "score_strikes",
    "set_num_threads",
]

__version__: str
IV_STATUS: list[tuple[int, str]]
PARALLEL_THRESHOLD: int

class AlphaStockError(Exception): ...

def price(
    is_call: NDArray[np.bool_],
    s: NDArray[np.float64],
    k: NDArray[np.float64],
    t: NDArray[np.float64],
    r: NDArray[np.float64],
    sigma: NDArray[np.float64],
    q: NDArray[np.float64],
    model: int,
) -> NDArray[np.float64]: ...
def greeks(
    is_call: NDArray[np.bool_],
    s: NDArray[np.float64],
    k: NDArray[np.float64],
    t: NDArray[np.float64],
    r: NDArray[np.float64],
    sigma: NDArray[np.float64],
    q: NDArray[np.float64],
    model: int,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
]: ...
def implied_vol(
    price: NDArray[np.float64],
    is_call: NDArray[np.bool_],
    s: NDArray[np.float64],
    k: NDArray[np.float64],
    t: NDArray[np.float64],
    r: NDArray[np.float64],
    q: NDArray[np.float64],
    model: int,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]: ...
def implied_forward(
    call_prices: NDArray[np.float64],
    put_prices: NDArray[np.float64],
    strikes: NDArray[np.float64],
    t: float,
    r: float,
    n_strikes: int,
) -> float: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def score_strikes(
    strike: NDArray[np.float64],
    is_call: NDArray[np.bool_],
    ltp: NDArray[np.float64],
    bid: NDArray[np.float64],
    ask: NDArray[np.float64],
    volume: NDArray[np.float64],
    oi: NDArray[np.float64],
    delta: NDArray[np.float64],
    iv: NDArray[np.float64],
    underlying: float,
    *,
    w_liquidity: float,
    w_delta: float,
    w_iv: float,
    w_moneyness: float,
    w_spread: float,
    min_volume: float,
    min_oi: float,
    max_spread_pct: float,
    atm_window: int | None,
    option_type: bool | None,
    target_delta: float,
) -> tuple[NDArray[np.float64], int | None]: ...
