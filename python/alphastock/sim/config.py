"""Settings of the exchange simulator (:class:`SimConfig`), all with working defaults.

Units: prices in rupees, quantities in units (not lots), times in seconds unless
the name says otherwise, volatilities and rates as annualised decimals.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alphastock.brokers.charges import ChargeRates
from alphastock.config_model import ConfigModel

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")


class UnderlyingSpec(BaseModel):
    """One simulated underlying: an index, a stock or an MCX commodity, and what trades on it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="derivative name (NIFTY, RELIANCE, CRUDEOIL)")
    kind: Literal["index", "equity", "commodity"]
    spot: float = Field(gt=0, description="previous close of the underlying, rupees")
    vol: float = Field(0.15, gt=0, description="annualised volatility of the underlying process")
    jumps_per_day: float = Field(0.5, ge=0, description="Poisson jump intensity per trading day")
    jump_size: float = Field(0.004, ge=0, description="standard deviation of a jump's log size")
    index_symbol: str | None = Field(None, description="Kite tradingsymbol of the index (NIFTY 50)")
    index_token: int | None = Field(None, description="Kite instrument_token of the index")
    equity_token: int | None = Field(None, description="Kite instrument_token of the NSE stock")
    tick_size: float = Field(0.05, gt=0, description="tick of the cash/futures instrument, rupees")
    lot_size: int = Field(
        1,
        ge=1,
        description="F&O lot, units; for a commodity the contract multiplier (its trading unit in "
        "price quotation units, CRUDEOIL 100 barrels): the MCX dump says lot_size 1, as Kite's, and "
        "orders count lots",
    )
    strike_step: float = Field(0.0, ge=0, description="option strike interval; 0 = no options")
    weekly: bool = Field(False, description="weekly (Tuesday) option expiries besides the monthly")
    futures: bool = Field(True, description="list monthly futures")
    freeze_quantity: int | None = Field(None, description="max units per order; None = no freeze")
    atm_iv: float = Field(0.14, gt=0, description="at-the-money implied volatility of its options")
    skew: float = Field(-0.8, description="smile slope in ln(K/F): iv = atm*(1 + skew x + curv x^2)")
    curvature: float = Field(3.0, description="smile curvature in ln(K/F)^2")


def _default_underlyings() -> tuple[UnderlyingSpec, ...]:
    idx = {"kind": "index", "futures": True, "jumps_per_day": 0.3}
    return (
        UnderlyingSpec(
            name="NIFTY", spot=25500.0, vol=0.13, index_symbol="NIFTY 50", index_token=256265,
            lot_size=65, strike_step=50, weekly=True, freeze_quantity=1800, atm_iv=0.12, **idx,
        ),
        UnderlyingSpec(
            name="BANKNIFTY", spot=57000.0, vol=0.15, index_symbol="NIFTY BANK", index_token=260105,
            lot_size=30, strike_step=100, freeze_quantity=900, atm_iv=0.14, **idx,
        ),
        UnderlyingSpec(
            name="FINNIFTY", spot=27000.0, vol=0.15, index_symbol="NIFTY FIN SERVICE", index_token=257801,
            lot_size=60, strike_step=50, freeze_quantity=1800, atm_iv=0.14, **idx,
        ),
        UnderlyingSpec(
            name="MIDCPNIFTY", spot=13500.0, vol=0.17, index_symbol="NIFTY MID SELECT", index_token=288009,
            lot_size=120, strike_step=25, freeze_quantity=2800, atm_iv=0.16, **idx,
        ),
        UnderlyingSpec(
            name="INDIAVIX", kind="index", spot=13.0, vol=0.8, index_symbol="INDIA VIX", index_token=264969,
            futures=False, jumps_per_day=0.2, jump_size=0.03,
        ),
        UnderlyingSpec(name="RELIANCE", kind="equity", spot=1450.0, vol=0.22, equity_token=738561,
                       lot_size=500, strike_step=10, atm_iv=0.22),
        UnderlyingSpec(name="SBIN", kind="equity", spot=850.0, vol=0.25, equity_token=779521,
                       lot_size=750, strike_step=5, atm_iv=0.24),
        UnderlyingSpec(name="INFY", kind="equity", spot=1550.0, vol=0.24, equity_token=408065,
                       lot_size=400, strike_step=20, atm_iv=0.24),
        UnderlyingSpec(name="HDFCBANK", kind="equity", spot=1000.0, vol=0.18, equity_token=341249,
                       lot_size=550, strike_step=10, atm_iv=0.18),
        UnderlyingSpec(name="TCS", kind="equity", spot=3100.0, vol=0.22, equity_token=2953217,
                       lot_size=175, strike_step=20, atm_iv=0.22),
        UnderlyingSpec(name="CRUDEOIL", kind="commodity", spot=5600.0, vol=0.35, tick_size=1.0, lot_size=100),
        UnderlyingSpec(name="GOLDM", kind="commodity", spot=128000.0, vol=0.15, tick_size=1.0, lot_size=10),
        UnderlyingSpec(name="SILVERM", kind="commodity", spot=150000.0, vol=0.25, tick_size=1.0, lot_size=5),
        UnderlyingSpec(name="NATURALGAS", kind="commodity", spot=300.0, vol=0.6, tick_size=0.1,
                       lot_size=1250),
    )  # fmt: skip


class RateLimits(ConfigModel):
    """Kite's per-key request limits; exceeding one gives HTTP 429 with Kite's NetworkException body."""

    enabled: bool = True
    quote_per_second: int = Field(1, ge=1, description="/quote, /quote/ohlc, /quote/ltp")
    historical_per_second: int = Field(3, ge=1)
    orders_per_second: int = Field(10, ge=1, description="order place/modify/cancel")
    orders_per_minute: int = Field(400, ge=1)
    orders_per_day: int = Field(5000, ge=1)
    other_per_second: int = Field(10, ge=1)


class FaultConfig(ConfigModel):
    """Faults to rehearse failure with: errors, 429s, timeouts, rejections, partial fills, dropped sockets.

    Random faults are drawn from generators of their own, seeded by ``seed`` (the market seed when
    None) and one per kind of fault: the same seed gives the same faults in the same order, and
    turning faults on never changes prices. ``rest_*`` faults hit every REST route (not the tick
    WebSocket, nor the ``/connect/login`` page).
    """

    seed: int | None = Field(None, description="seed of the fault draws; None = the market model's seed")
    rest_error_rate: float = Field(
        0.0, ge=0, le=1, description="share of REST calls answered HTTP 503 (Kite's NetworkException)"
    )
    rate_limit_error_rate: float = Field(
        0.0, ge=0, le=1, description="share of REST calls answered HTTP 429 'Too many requests'"
    )
    rest_delay: float = Field(
        0.0,
        ge=0,
        description="wall seconds added to a delayed REST call; above the client's timeout = a timeout",
    )
    rest_delay_rate: float = Field(1.0, ge=0, le=1, description="share of REST calls delayed by rest_delay")
    order_reject_rate: float = Field(
        0.0, ge=0, le=1, description="share of valid orders rejected by RMS (status REJECTED)"
    )
    partial_fill_rate: float = Field(0.0, ge=0, le=1, description="share of order matches cut to a part")
    partial_fill_fraction: float = Field(
        0.5, gt=0, lt=1, description="part of the order a cut match fills (at least one lot)"
    )
    ws_drop_interval: float | None = Field(
        None,
        gt=0,
        description="drop every tick WebSocket every N wall seconds (abnormal close); None = never",
    )


class SimSettings(ConfigModel):
    """The ``sim:`` configuration section: how the simulated exchange misbehaves and throttles.

    ``alphastock sim serve`` and the simulator ``alphastock live`` embeds when it has no
    credentials both honour it (speed, seed and frame rate of the embedded one are ``live.sim``).
    """

    faults: FaultConfig = FaultConfig()
    rate_limits: RateLimits = RateLimits()


class SimConfig(BaseModel):
    """The whole simulator: network, credentials, clock, market model, account and faults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="bind address; loopback unless you mean otherwise")
    port: int = Field(0, ge=0, le=65535, description="TCP port of REST and WebSocket; 0 = any free port")
    api_key: str = Field("sim_api_key", description="key of the pre-issued session (sim.access_token)")
    api_secret: str | None = Field(
        None,
        description="with it, only api_key may log in, with a request_token from /connect/login (single use, "
        "5 minutes) and Kite's checksum sha256(api_key + request_token + api_secret)",
    )
    redirect_url: str = Field(
        "http://127.0.0.1:5123/",
        description="where /connect/login redirects with ?request_token=... (`alphastock login`'s default)",
    )
    user_id: str = "SIM001"
    charge_rates: ChargeRates = Field(
        default_factory=ChargeRates, description="rates of /charges/orders (the PaperBroker's defaults)"
    )
    seed: int = Field(42, description="seed of the market model: same seed, same prices")
    speed: float = Field(1.0, gt=0, description="simulated seconds per wall second")
    step_seconds: float = Field(1.0, gt=0, description="simulated seconds per model step")
    clock: Literal["wall", "manual"] = Field(
        "wall", description="wall: the market runs at `speed`; manual: it moves only on advance()"
    )
    frame_interval: float = Field(0.1, gt=0, description="min wall seconds between tick frames")
    date: dt.date | None = Field(None, description="trading date; None = today (IST), weekends rolled")
    start_time: dt.time = Field(dt.time(9, 15), description="simulated IST time at start")
    rate: float = Field(0.065, description="risk-free rate for futures carry and option pricing")
    strikes_each_side: int = Field(15, ge=1, description="option strikes listed above and below spot")
    underlyings: tuple[UnderlyingSpec, ...] = Field(default_factory=_default_underlyings)
    replay: Path | None = Field(
        None, description="minute bars to replay: CSV/Parquet file or directory, or a DuckDB store (.duckdb)"
    )
    opening_cash: float = Field(1_000_000.0, ge=0, description="equity and commodity cash, rupees")
    holdings: tuple[tuple[str, int, float], ...] = Field(
        (), description="opening demat holdings: (NSE tradingsymbol, quantity, average price)"
    )
    rate_limits: RateLimits = RateLimits()
    faults: FaultConfig = FaultConfig()

    def with_settings(self, settings: SimSettings) -> SimConfig:
        """This configuration with the faults and rate limits of a ``sim:`` section."""
        return self.model_copy(update={"faults": settings.faults, "rate_limits": settings.rate_limits})

    def trading_date(self) -> dt.date:
        """The simulated trading date (a weekday)."""
        day = self.date or dt.datetime.now(IST).date()
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day


__all__ = ["IST", "FaultConfig", "RateLimits", "SimConfig", "SimSettings", "UnderlyingSpec"]
