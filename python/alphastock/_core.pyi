"""Type stubs for the compiled core; the public API is curated in :mod:`alphastock.options`."""

from typing import Any, final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "IV_STATUS",
    "KITE_DEPTH_LEVELS",
    "KITE_MODES",
    "PARALLEL_THRESHOLD",
    "TICK_REJECT_REASONS",
    "AlphaStockError",
    "FrameError",
    "TickStore",
    "__version__",
    "get_num_threads",
    "greeks",
    "implied_forward",
    "implied_vol",
    "parse_kite_frame",
    "price",
    "score_strikes",
    "set_num_threads",
]

__version__: str
IV_STATUS: list[tuple[int, str]]
PARALLEL_THRESHOLD: int
KITE_MODES: list[tuple[int, str]]
KITE_DEPTH_LEVELS: int
TICK_REJECT_REASONS: list[str]

class AlphaStockError(Exception): ...

class FrameError(AlphaStockError, ValueError):
    offset: int | None

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
def parse_kite_frame(frame: bytes, strict: bool) -> dict[str, NDArray[Any]]: ...

@final
class TickStore:
    def __new__(cls, capacity: int) -> TickStore: ...
    @property
    def capacity(self) -> int: ...
    def ingest_kite(self, frame: bytes, recv_ts_ns: int | None, strict: bool) -> NDArray[np.int64]: ...
    def push(
        self,
        token: int,
        ts_ns: int,
        last_price: float,
        last_qty: int,
        volume: int,
        oi: int,
        bid: float,
        ask: float,
        bid_qty: int,
        ask_qty: int,
    ) -> bool: ...
    def push_batch(
        self,
        tokens: NDArray[np.int64],
        ts_ns: NDArray[np.int64],
        last_price: NDArray[np.float64],
        last_qty: NDArray[np.int64],
        volume: NDArray[np.int64],
        oi: NDArray[np.int64],
        bid: NDArray[np.float64],
        ask: NDArray[np.float64],
        bid_qty: NDArray[np.int64],
        ask_qty: NDArray[np.int64],
    ) -> int: ...
    def latest(self, token: int) -> tuple[int, int, float, int, int, int, float, float, int, int] | None: ...
    def window(self, token: int, n: int) -> dict[str, NDArray[np.int64] | NDArray[np.float64]]: ...
    def tokens(self) -> NDArray[np.int64]: ...
    def len(self, token: int) -> int: ...
    def nbytes(self) -> int: ...
    def rejected_counts(self) -> dict[str, int]: ...
