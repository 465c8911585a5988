"""The simulated market: underlyings, futures and options quoted with depth, stepped on a simulated clock.

Each underlying follows a geometric Brownian motion with a U-shaped intraday
volatility (higher at the open and the close) and Poisson jumps, or replays
recorded minute bars (:mod:`alphastock.sim.replay`). Futures are the spot
carried at the risk-free rate plus a little noise; options are Black-76 on that
forward with a smile ``iv = atm_iv * (1 + skew * m + curvature * m**2)``,
``m = ln(K / F)``, repriced on every step from the underlying and the time left to
expiry (so premiums decay as the clock runs). Every tradable instrument gets a
bid/ask spread (a share of its price, so an option's narrows in rupees as its
premium decays) that widens away from the money, with seeded noise on options'
spreads (:data:`SPREAD_NOISE`, from a stream of its own), and five levels of depth.
Trades print at the bid or the ask and move the last price, volume, OHLC and open interest.

Determinism: the model draws the same random numbers on every step (from its main
stream and the spread-noise stream) whatever is subscribed or ordered, so the
same seed and the same number of steps give the same prices. Units: prices in
rupees, quantities in units, times as UTC epoch nanoseconds (``now_ns``) or
seconds (``last_trade_time``).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from numpy.typing import NDArray

from alphastock.options import price as option_price
from alphastock.sim.config import IST, SimConfig
from alphastock.sim.instruments import Instrument
from alphastock.sim.replay import ReplaySource

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
LEVELS = 5
NS = 1_000_000_000
TRADING_SECONDS_PER_YEAR = 252 * 6.25 * 3600
YEAR_SECONDS = 365.0 * 86400
KIND_INDEX, KIND_CASH, KIND_FUTURE, KIND_OPTION = 0, 1, 2, 3
SPREAD_NOISE = 0.4
"""An option's relative spread is scaled by a uniform draw in ``1 +- SPREAD_NOISE`` on every quote."""
SPREAD_STREAM = 0x5EED
# Trading sessions in IST minutes after midnight: NSE/NFO 09:15-15:30, MCX 09:00-23:30.
SESSIONS = {"NSE": (555, 930), "NFO": (555, 930), "MCX": (540, 1410)}


def ist_ns(day: dt.date, time: dt.time) -> int:
    """UTC epoch nanoseconds of an IST wall time."""
    return int(dt.datetime.combine(day, time, IST).timestamp()) * NS


def _round_to(values: F64, tick: F64) -> F64:
    return np.round(values / tick) * tick


class MarketModel:
    """All instruments' quotes as numpy arrays indexed by :attr:`Instrument.index`."""

    def __init__(self, config: SimConfig, instruments: list[Instrument], replay: ReplaySource | None = None):
        self.config = config
        self.instruments = instruments
        self.replay = replay
        self.rng = np.random.Generator(np.random.PCG64(config.seed))
        # Option spread noise has its own stream (seeded from the same seed), so adding it left every
        # draw of the main stream, and so the underlyings' paths, as they were.
        self.spread_rng = np.random.Generator(np.random.PCG64([config.seed, SPREAD_STREAM]))
        self.day = config.trading_date()
        self.now_ns = ist_ns(self.day, config.start_time)
        self.steps = 0
        specs = list(config.underlyings)
        self.und_names = [s.name for s in specs]
        und_index = {name: i for i, name in enumerate(self.und_names)}
        self.spot = np.array([s.spot for s in specs], dtype=np.float64)
        if replay is not None:
            for i, name in enumerate(self.und_names):
                opening = replay.previous_close(name)
                if opening is not None:
                    self.spot[i] = opening
        self.prev_spot = self.spot.copy()
        self.vol = np.array([s.vol for s in specs])
        self.jump_rate = np.array([s.jumps_per_day for s in specs]) / (6.25 * 3600)
        self.jump_size = np.array([s.jump_size for s in specs])
        self.und_mcx = np.array([s.kind == "commodity" for s in specs])
        n = len(instruments)
        self.n = n
        self.token = np.array([r.instrument_token for r in instruments], dtype=np.int64)
        self.und = np.array([und_index[r.underlying] for r in instruments], dtype=np.int64)
        self.kind = np.array(
            [
                KIND_INDEX if r.is_index else KIND_OPTION if r.is_option else
                KIND_FUTURE if r.instrument_type == "FUT" else KIND_CASH
                for r in instruments
            ],
            dtype=np.int64,
        )  # fmt: skip
        self.tick = np.array([r.tick_size if r.tick_size > 0 else 0.05 for r in instruments])
        self.lot = np.array([max(r.lot_size, 1) for r in instruments], dtype=np.int64)
        # Depth and trade sizes come in lots; a stock's "lot" for that purpose is 25 shares.
        self.unit = np.where(self.lot > 1, self.lot, 25)
        self.strike = np.array([r.strike for r in instruments])
        self.is_call = np.array([r.instrument_type == "CE" for r in instruments])
        self.expiry_ns = np.array(
            [ist_ns(r.expiry, dt.time(15, 30)) if r.expiry else 0 for r in instruments], dtype=np.int64
        )
        self.session = np.array([SESSIONS[r.exchange if not r.is_index else "NSE"] for r in instruments])
        self.opt = np.flatnonzero(self.kind == KIND_OPTION)
        self.atm_iv = np.array([specs[u].atm_iv for u in self.und[self.opt]])
        self.skew = np.array([specs[u].skew for u in self.und[self.opt]])
        self.curv = np.array([specs[u].curvature for u in self.und[self.opt]])
        self.tradable = self.kind != KIND_INDEX
        self.liquidity = np.ones(n)
        # Quote state.
        self.mid = self._theoretical(np.zeros(n))
        self.close = _round_to(self.mid, self.tick)
        self.ltp = self.close.copy()
        self.open = np.zeros(n)
        self.high = np.zeros(n)
        self.low = np.zeros(n)
        self.last_qty = np.zeros(n, dtype=np.int64)
        self.volume = np.zeros(n, dtype=np.int64)
        self.turnover = np.zeros(n)
        self.last_trade_time = np.full(n, self.now_ns // NS - 3600, dtype=np.int64)
        fo = (self.kind == KIND_FUTURE) | (self.kind == KIND_OPTION)
        self.oi = np.where(fo, self.lot * self.rng.integers(100, 5000, n), 0).astype(np.int64)
        self.oi_high = self.oi.copy()
        self.oi_low = self.oi.copy()
        self.bid_px = np.zeros((n, LEVELS))
        self.ask_px = np.zeros((n, LEVELS))
        self.bid_qty = np.zeros((n, LEVELS), dtype=np.int64)
        self.ask_qty = np.zeros((n, LEVELS), dtype=np.int64)
        self.bid_orders = np.zeros((n, LEVELS), dtype=np.int64)
        self.ask_orders = np.zeros((n, LEVELS), dtype=np.int64)
        self.minute_bars: list[tuple[int, NDArray[np.float32], NDArray[np.int64]]] = []
        self._bar = np.zeros((n, 4), dtype=np.float32)
        self._bar_volume0 = np.zeros(n, dtype=np.int64)
        self._bar_minute = -1
        if replay is not None:  # the session may start inside the recording: open where it was
            for i, name in enumerate(self.und_names):
                at_start = replay.price_at(name, self.now_ns)
                if at_start is not None:
                    self.spot[i] = at_start
            self.mid = self._theoretical(np.zeros(n))
            self.ltp = np.where(
                self.kind == KIND_INDEX, np.round(self.mid, 2), _round_to(self.mid, self.tick)
            )
        open_mask = self._open_mask()
        moved = open_mask & (self.ltp > 0)
        for arr in (self.open, self.high, self.low):
            arr[moved] = self.ltp[moved]
        self._quote(open_mask)

    # -- clock -------------------------------------------------------------------------------
    def minute_of_day(self, now_ns: int | None = None) -> float:
        """IST minutes after midnight of ``now_ns`` (default: the model clock)."""
        ns = self.now_ns if now_ns is None else now_ns
        return ((ns // NS + 19800) % 86400) / 60.0

    def is_open(self, exchange: str) -> bool:
        """Whether ``exchange`` (NSE, NFO, MCX) is in its continuous session now."""
        start, end = SESSIONS[exchange]
        return start <= self.minute_of_day() < end

    def _open_mask(self) -> NDArray[np.bool_]:
        minute = self.minute_of_day()
        return (self.session[:, 0] <= minute) & (minute < self.session[:, 1])

    # -- pricing -----------------------------------------------------------------------------
    def _theoretical(self, noise: F64) -> F64:
        s = self.spot[self.und]
        t_years = np.maximum(self.expiry_ns - self.now_ns, 60 * NS) / (YEAR_SECONDS * NS)
        fwd = s * np.exp(self.config.rate * t_years)
        mid = np.where(self.kind == KIND_FUTURE, fwd + noise * self.tick, s)
        opt = self.opt
        if opt.size:
            f, k, t = fwd[opt], self.strike[opt], t_years[opt]
            m = np.log(k / f)
            iv = np.clip(
                self.atm_iv * (1 + self.skew * m + self.curv * m * m), 0.3 * self.atm_iv, 4 * self.atm_iv
            )
            mid[opt] = np.maximum(
                option_price(self.is_call[opt], f, k, t, self.config.rate, iv, 0.0, "black76"), 0.05
            )
            self.liquidity[opt] = 1 + 20 * np.abs(m)
        return mid

    def _quote(self, open_mask: NDArray[np.bool_]) -> None:
        """Bid/ask and depth around ``mid`` for tradable instruments; draws a fixed count of randoms."""
        n, rng = self.n, self.rng
        tick = self.tick
        noise = self.spread_rng.uniform(1 - SPREAD_NOISE, 1 + SPREAD_NOISE, n)
        rel = np.where(self.kind == KIND_OPTION, 0.003 * noise, 0.0002) * self.liquidity
        spread_ticks = np.maximum(1, np.round(self.mid * rel / tick))
        bid = np.maximum(np.floor((self.mid - 0.5 * spread_ticks * tick) / tick + 1e-9) * tick, 0.05)
        ask = bid + spread_ticks * tick
        gaps = np.cumsum(rng.integers(1, 3, (n, LEVELS)), axis=1) - 1
        sizes = self.unit[:, None] * np.maximum(
            1, rng.integers(1, 40, (n, LEVELS)) // self.liquidity[:, None]
        )
        orders = rng.integers(1, 12, (n, 2 * LEVELS))
        extra = rng.integers(1, 40, (n, LEVELS)) * self.unit[:, None]
        upd = open_mask & self.tradable
        bid_px = np.round(bid[:, None] - gaps * tick[:, None], 2)
        ask_px = np.round(ask[:, None] + gaps * tick[:, None], 2)
        self.bid_px[upd] = np.where(bid_px > 0, bid_px, 0.0)[upd]
        self.ask_px[upd] = ask_px[upd]
        self.bid_qty[upd] = np.where(bid_px > 0, sizes, 0)[upd]
        self.ask_qty[upd] = (
            (sizes + extra) // 2 // self.lot[:, None] * self.lot[:, None] + self.unit[:, None]
        )[upd]
        self.bid_orders[upd] = np.where(
            bid_px > 0, np.minimum(orders[:, :LEVELS], self.bid_qty // self.lot[:, None]), 0
        )[upd]
        self.ask_orders[upd] = np.minimum(orders[:, LEVELS:], self.ask_qty // self.lot[:, None])[upd]

    # -- stepping ----------------------------------------------------------------------------
    def step(self, count: int = 1) -> None:
        """Advance the clock by ``count`` model steps of ``config.step_seconds`` each."""
        for _ in range(count):
            self._step_once()

    def _intraday_factor(self) -> F64:
        minute = self.minute_of_day()
        x_nse = np.clip((minute - 555) / 375.0, 0, 1)
        x_mcx = np.clip((minute - 540) / 870.0, 0, 1)
        x = np.where(self.und_mcx, x_mcx, x_nse)
        return np.asarray((0.7 + 1.2 * (2 * x - 1) ** 2) / 1.1, dtype=np.float64)

    def _step_once(self) -> None:
        rng, dt_s = self.rng, self.config.step_seconds
        k = len(self.und_names)
        z = rng.standard_normal(k)
        jumps = rng.poisson(self.jump_rate * dt_s) * rng.standard_normal(k) * self.jump_size
        noise = rng.standard_normal(self.n) * 0.5
        trade_draw = rng.random(self.n)
        side_draw = rng.random(self.n)
        qty_draw = rng.integers(1, 6, self.n)
        oi_draw = rng.integers(-3, 4, self.n)
        self.now_ns += int(dt_s * NS)
        self.steps += 1
        minute = self.minute_of_day()
        und_open = np.where(self.und_mcx, (minute >= 540) & (minute < 1410), (minute >= 555) & (minute < 930))
        sigma = self.vol * self._intraday_factor() * math.sqrt(dt_s / TRADING_SECONDS_PER_YEAR)
        moved = self.spot * np.exp(-0.5 * sigma * sigma + sigma * z + jumps)
        if self.replay is not None:
            for i, name in enumerate(self.und_names):
                replayed = self.replay.price_at(name, self.now_ns)
                if replayed is not None:
                    moved[i] = replayed
        self.spot = np.where(und_open, moved, self.spot)
        open_mask = self._open_mask()
        self.mid = np.where(open_mask, self._theoretical(noise), self.mid)
        self._quote(open_mask)
        self._trade(open_mask, trade_draw, side_draw, qty_draw, oi_draw)
        self._record_minute(open_mask)

    def _trade(self, open_mask: NDArray[np.bool_], draw: F64, side: F64, qty: I64, oi_step: I64) -> None:
        idx = self.kind == KIND_INDEX
        self.ltp = np.where(open_mask & idx, np.round(self.mid, 2), self.ltp)
        trades = open_mask & self.tradable & (draw < 0.6 / self.liquidity)
        price = np.where(side < 0.5, self.bid_px[:, 0], self.ask_px[:, 0])
        size = qty * np.where(self.lot > 1, self.lot, 5)
        self.ltp = np.where(trades, price, self.ltp)
        self.last_qty = np.where(trades, size, self.last_qty)
        self.volume = np.where(trades, self.volume + size, self.volume)
        self.turnover = np.where(trades, self.turnover + size * price, self.turnover)
        self.last_trade_time = np.where(trades, self.now_ns // NS, self.last_trade_time)
        moved = (trades | (open_mask & idx)) & (self.ltp > 0)
        first = moved & (self.open == 0)
        self.open = np.where(first, self.ltp, self.open)
        self.high = np.where(first, self.ltp, self.high)
        self.low = np.where(first, self.ltp, self.low)
        self.high = np.where(moved, np.maximum(self.high, self.ltp), self.high)
        self.low = np.where(moved, np.minimum(self.low, self.ltp), self.low)
        self.oi = np.where(
            trades & (self.oi > 0), np.maximum(self.oi + oi_step * self.lot, self.lot), self.oi
        )
        self.oi_high = np.maximum(self.oi_high, self.oi)
        self.oi_low = np.minimum(self.oi_low, self.oi)

    def _record_minute(self, open_mask: NDArray[np.bool_]) -> None:
        minute_start = self.now_ns // (60 * NS) * 60
        if minute_start != self._bar_minute:
            if self._bar_minute >= 0 and np.any(self._bar[:, 0] > 0):
                self.minute_bars.append((self._bar_minute, self._bar.copy(), self.volume - self._bar_volume0))
            self._bar_minute = minute_start
            self._bar[:] = 0
            self._bar_volume0 = self.volume.copy()
        live = open_mask & (self.ltp > 0)
        bar = self._bar
        fresh = live & (bar[:, 0] == 0)
        bar[fresh, 0] = bar[fresh, 1] = bar[fresh, 2] = self.ltp[fresh]
        bar[live, 1] = np.maximum(bar[live, 1], self.ltp[live])
        bar[live, 2] = np.minimum(bar[live, 2], self.ltp[live])
        bar[live, 3] = self.ltp[live]

    def current_bar(self) -> tuple[int, NDArray[np.float32], I64]:
        """The minute bar in progress: (minute start in epoch seconds, OHLC (n, 4), volume)."""
        return self._bar_minute, self._bar, self.volume - self._bar_volume0

    # -- derived figures ---------------------------------------------------------------------
    def average_price(self) -> F64:
        """Volume-weighted average trade price of the day (0 before the first trade)."""
        return np.where(self.volume > 0, np.round(self.turnover / np.maximum(self.volume, 1), 2), 0.0)

    def total_quantities(self) -> tuple[I64, I64]:
        """Total bid and offer quantity in the book (the visible five levels scaled up)."""
        return self.bid_qty.sum(axis=1) * 17, self.ask_qty.sum(axis=1) * 17

    def futures_price(self, inst: Instrument) -> float:
        """Current price of the instrument's underlying, rupees (the base of F&O margins)."""
        return float(self.spot[self.und[inst.index]])

    def previous_spot(self, underlying: str) -> float:
        """Previous close of an underlying, rupees."""
        return float(self.prev_spot[self.und_names.index(underlying)])


__all__ = ["KIND_CASH", "KIND_FUTURE", "KIND_INDEX", "KIND_OPTION", "LEVELS", "NS", "MarketModel", "ist_ns"]
