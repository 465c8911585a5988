"""The futures runner: nearest-month futures with basis, cost of carry, days to expiry and rollover.

For each underlying name (``NIFTY``, ``BANKNIFTY``, a stock) the runner follows the
nearest future that still has more than ``rollover_days`` trading days to run, and
its spot (the index through the aliases, or the NSE stock). Derived values:

* ``basis`` = future - spot (rupees); ``carry_pct`` = basis / spot x 100;
* ``carry_annual`` = ln(F / S) / T, T in years (365 days) to 15:30 IST on the expiry date
  (MCX: 23:30 IST) — the continuously compounded rate the market prices in;
* ``days_to_expiry`` (calendar) and ``trading_days_left`` (after today up to the expiry
  inclusive; by the market calendar when one is given, else calendar days).

Rollover: a timer pass (:meth:`on_timer`) that finds the contract within
``rollover_days`` switches the subscription to the next listed contract and records it
in :attr:`rolled` (and the log).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from alphastock.models import Instrument
from alphastock.options.chain import YEAR_NS, expiry_ns
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.base import Clock, FeedHub, Runner
from alphastock.ticks import TickStore

log = logging.getLogger(__name__)
IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
EXPIRY_TIMES = {"MCX": dt.time(23, 30)}
"""Expiry time of day by exchange; NSE/BSE derivatives expire at 15:30 IST."""


class TradingCalendar(Protocol):
    """What the runners ask of a market calendar (``alphastock.calendar.MarketCalendar``)."""

    def is_trading_day(self, date: dt.date, exchange: str = "NSE") -> bool:
        """Whether ``exchange`` trades on ``date``."""
        ...


def ist_date(ts_ns: int) -> dt.date:
    """The IST calendar date of a UTC epoch-ns time."""
    return dt.datetime.fromtimestamp(ts_ns / 1e9, IST).date()


def trading_days_left(
    today: dt.date, expiry: dt.date, calendar: TradingCalendar | None = None, exchange: str = "NSE"
) -> int:
    """Trading days after ``today`` up to ``expiry`` inclusive (calendar days without a calendar)."""
    if expiry <= today:
        return 0
    if calendar is None:
        return (expiry - today).days
    days = (expiry - today).days
    return sum(calendar.is_trading_day(today + dt.timedelta(days=i), exchange) for i in range(1, days + 1))


@dataclass(slots=True)
class FutureState:
    """One underlying's followed contract, its spot and their last prices (rupees)."""

    underlying: str
    contract: Instrument
    spot: Instrument | None
    future_last: float = math.nan
    spot_last: float = math.nan
    ts_ns: int = 0
    contracts: list[Instrument] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rollover:
    """A switch from one contract to the next at ``ts_ns`` (UTC epoch ns)."""

    underlying: str
    from_symbol: str
    to_symbol: str
    from_token: int
    to_token: int
    ts_ns: int


class FuturesRunner(Runner):
    """Futures of configured underlyings (see the module docstring)."""

    name = "futures"
    with_spot = True

    def __init__(
        self,
        hub: FeedHub,
        ticks: TickStore,
        resolver: SymbolResolver,
        underlyings: Sequence[str],
        *,
        exchange: str = "NFO",
        mode: str = "full",
        spot_mode: str = "quote",
        rollover_days: int = 2,
        calendar: TradingCalendar | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(hub, ticks, clock=clock)
        self.resolver = resolver
        self.underlyings = list(underlyings)
        self.exchange = exchange
        self.mode = mode
        self.spot_mode = spot_mode
        self.rollover_days = rollover_days
        self.calendar = calendar
        self.states: dict[str, FutureState] = {}
        self.rolled: list[Rollover] = []
        """Rollovers done, oldest first."""
        self._by_token: dict[int, list[FutureState]] = {}
        self._days_left: dict[tuple[dt.date, dt.date], int] = {}
        """Memo of :meth:`days_left` (the timer asks every pass; the answer changes once a day)."""

    def today(self) -> dt.date:
        """The IST date of the engine clock."""
        return ist_date(self.clock.now_ns())

    def days_left(self, contract: Instrument, today: dt.date) -> int:
        """Trading days left for ``contract`` after ``today``."""
        assert contract.expiry is not None
        key = (today, contract.expiry)
        days = self._days_left.get(key)
        if days is None:
            if len(self._days_left) > 256:  # yesterday's answers
                self._days_left.clear()
            days = self._days_left[key] = trading_days_left(
                today, contract.expiry, self.calendar, self.exchange
            )
        return days

    def pick(self, contracts: list[Instrument], today: dt.date) -> Instrument:
        """The first contract with more than ``rollover_days`` left (the last listed if none has)."""
        live = [c for c in contracts if c.expiry is not None and c.expiry >= today]
        for contract in live:
            if self.days_left(contract, today) > self.rollover_days:
                return contract
        return (live or contracts)[-1]

    async def initialize(self) -> None:
        """Resolve each underlying's contracts and spot (unknown ones degrade the runner)."""
        await super().initialize()
        today = self.today()
        for underlying in self.underlyings:
            try:
                contracts = self.resolver.require_futures(underlying, self.exchange)
                spot = self.resolver.spot(underlying) if self.with_spot else None
            except UnknownInstrumentError as exc:
                self.error(str(exc))
                continue
            if all(c.expiry is None or c.expiry < today for c in contracts):
                self.error(
                    f"every listed {underlying} future expired before {today}: refresh the instruments"
                )
                continue
            state = FutureState(underlying, self.pick(contracts, today), spot, contracts=contracts)
            self.states[underlying] = state
        self._index()

    def _index(self) -> None:
        self._by_token = {}
        for state in self.states.values():
            self._by_token.setdefault(state.contract.instrument_token, []).append(state)
            if state.spot is not None:
                self._by_token.setdefault(state.spot.instrument_token, []).append(state)

    async def start(self) -> None:
        """Subscribe the contracts (``mode``) and their spots (``spot_mode``)."""
        await self._hold([s.contract.instrument_token for s in self.states.values()], self.mode)
        spots = [s.spot.instrument_token for s in self.states.values() if s.spot is not None]
        await self._hold(spots, self.spot_mode)
        self.catch_up(self._by_token)
        await super().start()

    def update_tokens(self, tokens: list[int]) -> None:
        """Refresh last prices of futures and spots."""
        self.updates += len(tokens)
        for token in tokens:
            tick = self.ticks.latest(token)
            if tick is None or not tick.last_price > 0:
                continue
            for state in self._by_token.get(token, ()):
                if token == state.contract.instrument_token:
                    state.future_last, state.ts_ns = tick.last_price, tick.ts_ns
                else:
                    state.spot_last = tick.last_price

    async def on_timer(self, now_ns: int) -> None:
        """Roll every contract that is within ``rollover_days`` of its expiry."""
        await self.check_rollover(now_ns)

    async def check_rollover(self, now_ns: int | None = None) -> list[Rollover]:
        """Switch contracts near expiry to the next month; returns the rollovers done now."""
        now = self.clock.now_ns() if now_ns is None else now_ns
        today = ist_date(now)
        done: list[Rollover] = []
        for state in self.states.values():
            target = self.pick(state.contracts, today)
            old = state.contract
            if target.instrument_token == old.instrument_token:
                continue
            state.contract, state.future_last, state.ts_ns = target, math.nan, 0
            roll = Rollover(
                state.underlying, old.tradingsymbol, target.tradingsymbol,
                old.instrument_token, target.instrument_token, now,
            )  # fmt: skip
            done.append(roll)
            log.info("%s: rolled %s -> %s", self.name, old.tradingsymbol, target.tradingsymbol)
        if done:
            self._index()
            await self._hold([r.to_token for r in done], self.mode)
            await self._release([r.from_token for r in done if r.from_token not in self._by_token])
            self.rolled.extend(done)
            fresh = [r.to_token for r in done if self.ticks.len(r.to_token)]
            if fresh:
                self.update_tokens(fresh)
        return done

    def metrics(self, underlying: str, now_ns: int | None = None) -> dict[str, Any]:
        """Derived values of one underlying (see the module docstring) at ``now_ns`` (engine clock)."""
        state = self.states[underlying]
        now = self.clock.now_ns() if now_ns is None else now_ns
        contract = state.contract
        assert contract.expiry is not None
        at = EXPIRY_TIMES.get(contract.exchange, dt.time(15, 30))
        t_years = (expiry_ns(contract.expiry, at) - now) / YEAR_NS
        f, s = state.future_last, state.spot_last
        basis = f - s if f > 0 and s > 0 else math.nan
        carry_pct = 100.0 * basis / s if s > 0 else math.nan
        carry_annual = math.log(f / s) / t_years if f > 0 and s > 0 and t_years > 0 else math.nan
        today = ist_date(now)
        return {
            "underlying": underlying, "symbol": contract.tradingsymbol, "token": contract.instrument_token,
            "exchange": contract.exchange, "expiry": contract.expiry.isoformat(), "last": f,
            "spot_symbol": state.spot.tradingsymbol if state.spot else None, "spot": s, "basis": basis,
            "carry_pct": carry_pct, "carry_annual": carry_annual, "t_years": t_years,
            "days_to_expiry": (contract.expiry - today).days,
            "trading_days_left": self.days_left(contract, today), "ts_ns": state.ts_ns,
        }  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        """``rows`` (one per underlying), ``rolled`` and ``errors``."""
        now = self.clock.now_ns()
        return {
            "rows": [self.metrics(u, now) for u in self.states],
            "rolled": [
                {"underlying": r.underlying, "from": r.from_symbol, "to": r.to_symbol, "ts_ns": r.ts_ns}
                for r in self.rolled
            ],
            "errors": list(self.errors),
        }


__all__ = [
    "EXPIRY_TIMES",
    "FutureState",
    "FuturesRunner",
    "Rollover",
    "TradingCalendar",
    "ist_date",
    "trading_days_left",
]
