"""Type stubs for the compiled core; the public API is curated in :mod:`alphastock.options`."""

from typing import Any, Literal, Self, final

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

__all__ = [
    "IV_STATUS",
    "PARALLEL_THRESHOLD",
    "RISK_CODES",
    "AlphaStockError",
    "OrderIntent",
    "RiskDecision",
    "RiskEngine",
    "RiskPosition",
    "Violation",
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
RISK_CODES: list[str]

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

# Risk engine (public API: alphastock.risk).

_RiskAction = Literal["APPROVE", "REJECT", "REDUCE_SIZE", "REQUIRE_APPROVAL"]
_TradingState = Literal["ACTIVE", "REDUCING", "HALTED"]

@final
class OrderIntent:
    def __new__(
        cls,
        *,
        token: int,
        symbol: str,
        exchange: str,
        product: str,
        side: str,
        quantity: int,
        reference_price: float,
        price: float | None = None,
        lot_size: int = 1,
        tick_size: float = 0.05,
        freeze_quantity: int | None = None,
        underlying: str | None = None,
        kind: str = "EQ",
        lower_circuit: float | None = None,
        upper_circuit: float | None = None,
        margin: float | None = None,
    ) -> OrderIntent: ...
    def with_quantity(self, quantity: int) -> OrderIntent: ...
    @property
    def token(self) -> int: ...
    @property
    def symbol(self) -> str: ...
    @property
    def exchange(self) -> Literal["NSE", "BSE", "NFO", "BFO", "MCX", "CDS"]: ...
    @property
    def product(self) -> Literal["CNC", "MIS", "NRML"]: ...
    @property
    def side(self) -> Literal["BUY", "SELL"]: ...
    @property
    def quantity(self) -> int: ...
    @property
    def price(self) -> float | None: ...
    @property
    def reference_price(self) -> float: ...
    @property
    def lot_size(self) -> int: ...
    @property
    def tick_size(self) -> float: ...
    @property
    def freeze_quantity(self) -> int | None: ...
    @property
    def underlying(self) -> str: ...
    @property
    def kind(self) -> Literal["EQ", "FUT", "CE", "PE"]: ...
    @property
    def lower_circuit(self) -> float | None: ...
    @property
    def upper_circuit(self) -> float | None: ...
    @property
    def margin(self) -> float | None: ...

@final
class Violation:
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...

@final
class RiskDecision:
    @property
    def action(self) -> _RiskAction: ...
    @property
    def approved(self) -> bool: ...
    @property
    def requested_quantity(self) -> int: ...
    @property
    def approved_quantity(self) -> int: ...
    @property
    def violations(self) -> list[Violation]: ...
    @property
    def codes(self) -> list[str]: ...

@final
class RiskPosition:
    @property
    def token(self) -> int: ...
    @property
    def quantity(self) -> int: ...
    @property
    def avg_price(self) -> float: ...
    @property
    def mark(self) -> float | None: ...
    @property
    def unrealised_pnl(self) -> float: ...
    @property
    def underlying(self) -> str | None: ...

@disjoint_base
class RiskEngine:
    def __new__(cls, limits: dict[str, Any] | None = None) -> Self: ...
    def _apply_limits(self, limits: dict[str, Any]) -> None: ...
    def core_limits(self) -> dict[str, Any]: ...
    def check(
        self, intent: OrderIntent, now_ns: int | None = None, *, human_approved: bool = False
    ) -> RiskDecision: ...
    def on_fill(
        self,
        token: int,
        side: str,
        quantity: int,
        price: float,
        ts_ns: int,
        *,
        underlying: str | None = None,
        charges: float = 0.0,
    ) -> None: ...
    def on_mark(self, token: int, price: float, ts_ns: int) -> bool: ...
    def on_tick(self, token: int, ts_ns: int) -> None: ...
    def set_cash(self, available: float) -> None: ...
    @property
    def cash(self) -> float | None: ...
    def set_circuit(self, token: int, lower: float | None, upper: float | None) -> None: ...
    @property
    def state(self) -> _TradingState: ...
    @property
    def state_reason(self) -> str: ...
    def set_state(self, state: str, reason: str, now_ns: int | None = None) -> bool: ...
    def kill(self, reason: str, now_ns: int | None = None) -> bool: ...
    def resume(self, reason: str, now_ns: int | None = None) -> bool: ...
    def state_history(self) -> list[tuple[int, _TradingState, _TradingState, str]]: ...
    def reset_day(self, now_ns: int | None = None) -> None: ...
    def position(self, token: int) -> RiskPosition | None: ...
    def positions(self) -> list[RiskPosition]: ...
    def underlying_quantity(self, underlying: str) -> int: ...
    @property
    def realised_pnl(self) -> float: ...
    @property
    def unrealised_pnl(self) -> float: ...
    @property
    def day_pnl(self) -> float: ...
    @property
    def peak_pnl(self) -> float: ...
    @property
    def drawdown(self) -> float: ...
    @property
    def trades_today(self) -> int: ...
    @property
    def orders_today(self) -> int: ...
    @property
    def open_positions(self) -> int: ...
