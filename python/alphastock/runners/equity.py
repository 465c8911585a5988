"""The equity runner: NSE stocks' last price, day OHLC, volume, change % and top movers.

The previous close comes from one ``broker.ohlc()`` call at start (Kite's ``ohlc.close``
is the previous session's close); the day's open/high/low are seeded from that call
when the session is already open and then follow the ticks.

Units: prices rupees, volume units, change in percent, times UTC epoch ns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alphastock.models import Instrument
from alphastock.ports import QuoteSource
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.base import Clock, FeedHub, Runner
from alphastock.ticks import LatestTicks, Tick, TickStore

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Level:
    """One instrument's day: last price, OHLC, previous close, volume (units), last tick time (UTC ns)."""

    symbol: str
    exchange: str
    token: int
    last: float = math.nan
    open: float = math.nan
    high: float = math.nan
    low: float = math.nan
    prev_close: float = math.nan
    volume: int = 0
    ts_ns: int = 0

    @property
    def change(self) -> float:
        """Last price minus previous close, rupees (NaN until both are known)."""
        return self.last - self.prev_close if self.prev_close > 0 else math.nan

    @property
    def change_pct(self) -> float:
        """Change since the previous close, percent (NaN until both are known)."""
        return 100.0 * (self.last / self.prev_close - 1.0) if self.prev_close > 0 else math.nan

    def update(self, last: float, volume: int, ts_ns: int) -> None:
        """Apply a tick: the first one of the day opens it; high/low follow."""
        # Written for the tick path: NaN != NaN marks "not set yet"; no function calls.
        if not last > 0:
            return
        self.last = last
        if self.open != self.open:
            self.open = self.high = self.low = last
        elif last > self.high:
            self.high = last
        elif last < self.low:
            self.low = last
        if volume > 0:
            self.volume = volume
        self.ts_ns = ts_ns

    def row(self) -> dict[str, Any]:
        """JSON-friendly row."""
        return {
            "symbol": self.symbol, "exchange": self.exchange, "token": self.token, "last": self.last,
            "open": self.open, "high": self.high, "low": self.low, "prev_close": self.prev_close,
            "change": self.change, "change_pct": self.change_pct, "volume": self.volume, "ts_ns": self.ts_ns,
        }  # fmt: skip


async def seed_levels(levels: dict[int, Level], broker: QuoteSource | None, runner: Runner) -> None:
    """Previous close (and day OHLC so far) of every level from one ``broker.ohlc`` call."""
    if broker is None or not levels:
        return
    keys = {f"{lv.exchange}:{lv.symbol}": lv for lv in levels.values()}
    try:
        quotes = await broker.ohlc(list(keys))
    except Exception as exc:
        runner.error(f"ohlc() for previous closes failed: {exc}")
        return
    for key, level in keys.items():
        quote = quotes.get(key)
        if quote is None:
            continue
        level.prev_close = quote.ohlc.close
        if quote.ohlc.open > 0 and math.isnan(level.open):
            level.open, level.high, level.low = quote.ohlc.open, quote.ohlc.high, quote.ohlc.low
        if quote.last_price > 0 and math.isnan(level.last):
            level.last = quote.last_price


class LevelRunner(Runner):
    """A runner following a list of symbols as :class:`Level` rows (equities, indices)."""

    default_exchange: str | None = "NSE"

    def __init__(
        self,
        hub: FeedHub,
        ticks: TickStore,
        resolver: SymbolResolver,
        symbols: Sequence[str],
        *,
        mode: str,
        broker: QuoteSource | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(hub, ticks, clock=clock)
        self.resolver = resolver
        self.symbols = list(symbols)
        self.mode = mode
        self.broker = broker
        self.levels: dict[int, Level] = {}
        self.instruments: dict[str, Instrument] = {}

    def accept(self, inst: Instrument) -> str | None:
        """Why ``inst`` does not belong to this runner (None when it does)."""
        return None

    async def initialize(self) -> None:
        """Resolve the symbols (unknown ones degrade the runner) and seed previous closes."""
        await super().initialize()
        for symbol in self.symbols:
            try:
                inst = self.resolver.resolve(symbol, self.default_exchange)
            except UnknownInstrumentError as exc:
                self.error(str(exc))
                continue
            why = self.accept(inst)
            if why is not None:
                self.error(f"{symbol!r} resolves to {inst.exchange}:{inst.tradingsymbol}, {why}")
                continue
            self.instruments[symbol] = inst
            self.levels[inst.instrument_token] = Level(
                inst.tradingsymbol, inst.exchange, inst.instrument_token
            )
        await seed_levels(self.levels, self.broker, self)

    async def start(self) -> None:
        """Subscribe every resolved instrument in the configured mode."""
        await self._hold(self.levels, self.mode)
        self.catch_up(self.levels)
        await super().start()

    def update_tokens(self, tokens: list[int]) -> None:
        """Refresh the levels of ``tokens`` from their newest tick."""
        latest = self.ticks.latest_many(np.array(tokens, dtype=np.int64))
        self.apply_latest(latest, np.flatnonzero(latest["found"]))

    def apply_latest(self, latest: LatestTicks, rows: NDArray[np.intp]) -> None:
        """Refresh the levels from rows ``rows`` of a bulk read (newest ticks, found rows only)."""
        self.updates += int(rows.shape[0])
        levels = self.levels
        columns = (latest["token"], latest["last_price"], latest["volume"], latest["ts_ns"])
        if rows.shape[0] != latest["token"].shape[0]:
            columns = tuple(column[rows] for column in columns)  # type: ignore[assignment]
        tokens, prices, volumes, stamps = (column.tolist() for column in columns)
        # Level.update inlined: the call was a third of this loop's time, and this loop runs once per
        # token per batch. Keep the two in step (tests/runners check that they agree).
        for token, last, volume, ts_ns in zip(tokens, prices, volumes, stamps, strict=True):
            level = levels.get(token)
            if level is None or not last > 0:
                continue
            level.last = last
            if level.open != level.open:  # NaN: the day's first tick
                level.open = level.high = level.low = last
            elif last > level.high:
                level.high = last
            elif last < level.low:
                level.low = last
            if volume > 0:
                level.volume = volume
            level.ts_ns = ts_ns

    def apply(self, ticks: list[Tick]) -> None:
        """Refresh the levels from newest ticks already read."""
        self.updates += len(ticks)
        levels = self.levels
        for tick in ticks:
            level = levels.get(tick.token)
            if level is not None:
                level.update(tick.last_price, tick.volume, tick.ts_ns)

    def level(self, symbol: str) -> Level:
        """The level of a configured symbol or its tradingsymbol (KeyError when not followed)."""
        inst = self.instruments.get(symbol)
        if inst is not None:
            return self.levels[inst.instrument_token]
        for level in self.levels.values():
            if level.symbol == symbol:
                return level
        raise KeyError(f"{self.name} does not follow {symbol!r}")

    def snapshot(self) -> dict[str, Any]:
        """``rows``: one per instrument."""
        return {"rows": [lv.row() for lv in self.levels.values()], "errors": list(self.errors)}


class EquityRunner(LevelRunner):
    """NSE cash equities (see the module docstring)."""

    name = "equity"

    def accept(self, inst: Instrument) -> str | None:
        """Only tradable cash stocks (``EQ`` outside the index segment)."""
        if inst.segment == "INDICES" or inst.instrument_type != "EQ":
            return "not an equity"
        return None

    def top_movers(self, n: int = 5) -> dict[str, list[dict[str, Any]]]:
        """The ``n`` biggest gainers and losers by change % (gainers descending, losers ascending)."""
        known = [lv for lv in self.levels.values() if not math.isnan(lv.change_pct)]
        ranked = sorted(known, key=lambda lv: (-lv.change_pct, lv.symbol))
        gainers = [lv.row() for lv in ranked if lv.change_pct > 0][:n]
        losers = [lv.row() for lv in reversed(ranked) if lv.change_pct < 0][:n]
        return {"gainers": gainers, "losers": losers}

    def snapshot(self) -> dict[str, Any]:
        """``rows`` plus ``movers`` (top 5 each way)."""
        return {**super().snapshot(), "movers": self.top_movers(5)}


__all__ = ["EquityRunner", "Level", "LevelRunner", "seed_levels"]
