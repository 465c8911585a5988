"""Type stubs for the compiled core; the public API is curated in :mod:`alphastock.options`,
:mod:`alphastock.indicators` and :mod:`alphastock.bars`."""

from typing import Any, final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "IV_STATUS",
    "PARALLEL_THRESHOLD",
    "AlphaStockError",
    "Atr",
    "BarAggregator",
    "Bollinger",
    "Ema",
    "RollingMax",
    "RollingMin",
    "Rsi",
    "Sma",
    "Vwap",
    "__version__",
    "atr",
    "bollinger",
    "ema",
    "get_num_threads",
    "greeks",
    "implied_forward",
    "implied_vol",
    "price",
    "rolling_max",
    "rolling_min",
    "rsi",
    "score_strikes",
    "set_num_threads",
    "sma",
    "vwap",
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

# ---------------------------------------------------------------- indicators

_F64 = NDArray[np.float64]

def sma(x: _F64, n: int) -> _F64: ...
def ema(x: _F64, n: int) -> _F64: ...
def rsi(x: _F64, n: int) -> _F64: ...
def rolling_max(x: _F64, n: int) -> _F64: ...
def rolling_min(x: _F64, n: int) -> _F64: ...
def atr(high: _F64, low: _F64, close: _F64, n: int) -> _F64: ...
def bollinger(x: _F64, n: int, k: float = 2.0) -> tuple[_F64, _F64, _F64]: ...
def vwap(price: _F64, volume: _F64, session_id: NDArray[np.int64]) -> _F64: ...

@final
class Sma:
    """Simple moving average of the last n values."""
    def __new__(cls, n: int) -> Sma: ...
    def update(self, x: float) -> float: ...
    def update_many(self, x: _F64) -> _F64: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def period(self) -> int: ...

@final
class Ema:
    """EMA, alpha = 2/(n+1), seeded with the SMA of the first n values."""
    def __new__(cls, n: int) -> Ema: ...
    def update(self, x: float) -> float: ...
    def update_many(self, x: _F64) -> _F64: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def period(self) -> int: ...

@final
class Rsi:
    """Wilder's RSI in [0, 100]; first value after n changes."""
    def __new__(cls, n: int) -> Rsi: ...
    def update(self, x: float) -> float: ...
    def update_many(self, x: _F64) -> _F64: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def period(self) -> int: ...

@final
class RollingMax:
    """Highest of the last n values."""
    def __new__(cls, n: int) -> RollingMax: ...
    def update(self, x: float) -> float: ...
    def update_many(self, x: _F64) -> _F64: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def period(self) -> int: ...

@final
class RollingMin:
    """Lowest of the last n values."""
    def __new__(cls, n: int) -> RollingMin: ...
    def update(self, x: float) -> float: ...
    def update_many(self, x: _F64) -> _F64: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def period(self) -> int: ...

@final
class Atr:
    """Wilder's average true range over (high, low, close) bars."""
    def __new__(cls, n: int) -> Atr: ...
    def update(self, high: float, low: float, close: float) -> float: ...
    def update_many(self, high: _F64, low: _F64, close: _F64) -> _F64: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def period(self) -> int: ...

@final
class Bollinger:
    """Bollinger bands: SMA(n) ± k population standard deviations."""
    def __new__(cls, n: int, k: float = 2.0) -> Bollinger: ...
    def update(self, x: float) -> tuple[float, float, float]: ...
    def update_many(self, x: _F64) -> tuple[_F64, _F64, _F64]: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> tuple[float, float, float]: ...
    @property
    def ready(self) -> bool: ...
    @property
    def period(self) -> int: ...
    @property
    def k(self) -> float: ...

@final
class Vwap:
    """Session VWAP: sum(price*volume) / sum(volume), restarted whenever the session id changes."""
    def __new__(cls) -> Vwap: ...
    def update(self, price: float, volume: float, session_id: int) -> float: ...
    def update_many(self, price: _F64, volume: _F64, session_id: NDArray[np.int64]) -> _F64: ...
    def reset(self) -> None: ...
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def session_id(self) -> int | None: ...

# ---------------------------------------------------------------- bars

@final
class BarAggregator:
    """Tick-to-bar aggregation over the IST session; see `alphastock.bars.BarAggregator`."""
    def __new__(
        cls,
        interval_ns: int | None,
        session_start_ns: int,
        session_end_ns: int,
        *,
        cumulative_volume: bool,
        fill_gaps: bool,
        allow_nonpositive_prices: bool,
    ) -> BarAggregator: ...
    def update(
        self,
        token: NDArray[np.int64],
        ts_ns: NDArray[np.int64],
        price: _F64,
        volume: _F64,
    ) -> dict[str, NDArray[Any]]: ...
    def flush(self, now_ns: int) -> dict[str, NDArray[Any]]: ...
    def flush_all(self) -> dict[str, NDArray[Any]]: ...
    def open_bars(self) -> dict[str, NDArray[Any]]: ...
    def counters(self) -> list[tuple[str, int]]: ...
    def reset(self) -> None: ...
    @property
    def token_count(self) -> int: ...
