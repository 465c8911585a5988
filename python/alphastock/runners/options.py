"""The options runner: chain snapshots (IV and greeks) for ATM +- N strikes of the nearest expiries.

Per underlying (``NIFTY``, ``BANKNIFTY``) it follows the spot (the index, through the
aliases) and, for each of the nearest ``expiries`` option expiries, the calls and puts
of the ``strikes_each_side`` listed strikes either side of the strike nearest the spot.
Every ``snapshot_interval_s`` of the engine clock (checked on :meth:`on_timer`) it
builds one :class:`~alphastock.options.chain.ChainSnapshot` per expiry from the
TickStore's newest quotes and publishes it as a CHAIN event. When the ATM strike drifts
more than ``recentre_strikes`` listed strikes from the window's centre, the window is
re-centred: new strikes are subscribed, strikes that left are unsubscribed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alphastock.events import Event, EventType
from alphastock.models import Instrument
from alphastock.options.chain import ChainSnapshot, build_chain
from alphastock.refdata.errors import UnknownInstrumentError
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.base import Clock, FeedHub, Publish, Runner
from alphastock.runners.futures import ist_date
from alphastock.ticks import TickStore

log = logging.getLogger(__name__)
NS_PER_SECOND = 1_000_000_000


@dataclass(slots=True)
class ChainWindow:
    """The followed part of one expiry's ladder: listed strikes and the window around the centre."""

    underlying: str
    expiry: dt.date
    strikes: list[float]
    calls: dict[float, int]
    puts: dict[float, int]
    centre: int = 0
    low: int = 0
    high: int = 0
    recentred: int = 0

    def set_centre(self, centre: int, each_side: int) -> None:
        """Centre the window on listed strike index ``centre`` (clipped to the ladder)."""
        self.centre = centre
        self.low = max(0, centre - each_side)
        self.high = min(len(self.strikes) - 1, centre + each_side)

    def window_strikes(self) -> list[float]:
        """Strikes of the window, ascending."""
        return self.strikes[self.low : self.high + 1]

    def tokens(self) -> list[int]:
        """Call and put tokens of the window."""
        out: list[int] = []
        for strike in self.window_strikes():
            out.extend(t for t in (self.calls.get(strike), self.puts.get(strike)) if t is not None)
        return out

    def nearest(self, price: float) -> int:
        """Index of the listed strike nearest ``price``."""
        return int(np.argmin(np.abs(np.asarray(self.strikes) - price)))


@dataclass(slots=True)
class Underlying:
    """One underlying's spot and windows."""

    name: str
    spot: Instrument
    windows: list[ChainWindow] = field(default_factory=list)
    spot_last: float = math.nan


class OptionsRunner(Runner):
    """Option chains of configured underlyings (see the module docstring)."""

    name = "options"

    def __init__(
        self,
        hub: FeedHub,
        ticks: TickStore,
        resolver: SymbolResolver,
        underlyings: Sequence[str],
        *,
        strikes_each_side: int = 10,
        expiries: int = 2,
        snapshot_interval_s: float = 5.0,
        recentre_strikes: int = 3,
        rate: float = 0.065,
        forward_strikes: int = 5,
        mode: str = "full",
        spot_mode: str = "quote",
        publish: Publish | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(hub, ticks, clock=clock)
        self.resolver = resolver
        self.names = list(underlyings)
        self.each_side = strikes_each_side
        self.expiry_count = expiries
        self.interval_ns = int(snapshot_interval_s * NS_PER_SECOND)
        self.recentre_strikes = recentre_strikes
        self.rate = rate
        self.forward_strikes = forward_strikes
        self.mode = mode
        self.spot_mode = spot_mode
        self.publish = publish
        self.underlyings: dict[str, Underlying] = {}
        self.latest: dict[tuple[str, dt.date], ChainSnapshot] = {}
        """The newest snapshot per (underlying, expiry)."""
        self.next_snapshot_ns = 0
        self.snapshots = 0
        self._spots: dict[int, Underlying] = {}

    async def initialize(self) -> None:
        """Resolve spots, expiries and ladders; centre each window on the spot known now."""
        await super().initialize()
        today = ist_date(self.clock.now_ns())
        for name in self.names:
            try:
                spot = self.resolver.spot(name)
                expiries = self.resolver.option_expiries(name, today, self.expiry_count)
            except UnknownInstrumentError as exc:
                self.error(str(exc))
                continue
            if not expiries:
                self.error(f"no option expiries listed for {name!r} on or after {today}")
                continue
            und = Underlying(self.resolver.underlying_name(name), spot)
            tick = self.ticks.latest(spot.instrument_token)
            und.spot_last = tick.last_price if tick is not None else spot.last_price
            und.windows = [self._window(und, expiry) for expiry in expiries]
            self.underlyings[und.name] = und
            self._spots[spot.instrument_token] = und

    def _window(self, und: Underlying, expiry: dt.date) -> ChainWindow:
        chain = self.resolver.option_chain(und.name, expiry)
        calls = {i.strike: i.instrument_token for i in chain if i.instrument_type == "CE"}
        puts = {i.strike: i.instrument_token for i in chain if i.instrument_type == "PE"}
        strikes = sorted(set(calls) | set(puts))
        window = ChainWindow(und.name, expiry, strikes, calls, puts)
        ref = und.spot_last if und.spot_last > 0 else strikes[len(strikes) // 2]
        window.set_centre(window.nearest(ref), self.each_side)
        return window

    async def roll_expiries(self, now_ns: int) -> list[tuple[str, dt.date]]:
        """Replace expired windows (expiry before today, IST) by the next listed expiries.

        Reads the instruments table (DuckDB): runs from the timer, at most once per day per underlying.
        Returns the (underlying, expiry) windows dropped.
        """
        today = ist_date(now_ns)
        dropped: list[tuple[str, dt.date]] = []
        for und in self.underlyings.values():
            if not und.windows or und.windows[0].expiry >= today:
                continue
            old = {t for w in und.windows for t in w.tokens()}
            keep = {w.expiry: w for w in und.windows if w.expiry >= today}
            expiries = self.resolver.option_expiries(und.name, today, self.expiry_count)
            dropped += [(und.name, w.expiry) for w in und.windows if w.expiry < today]
            und.windows = [keep.get(e) or self._window(und, e) for e in expiries]
            new = {t for w in und.windows for t in w.tokens()}
            await self._hold(sorted(new - old), self.mode)
            await self._release(sorted(old - new))
            for key in [k for k in self.latest if k[0] == und.name and k[1] < today]:
                del self.latest[key]
            log.info("%s: %s expiries now %s", self.name, und.name, [e.isoformat() for e in expiries])
        return dropped

    async def start(self) -> None:
        """Subscribe the spots (``spot_mode``) and every window's options (``mode``)."""
        await self._hold(self._spots, self.spot_mode)
        await self._hold(
            [t for u in self.underlyings.values() for w in u.windows for t in w.tokens()], self.mode
        )
        self.catch_up(self._spots)
        await super().start()

    def update_tokens(self, tokens: list[int]) -> None:
        """Track the spots (option quotes are read from the TickStore at snapshot time)."""
        self.updates += len(tokens)
        for token in tokens:
            und = self._spots.get(token)
            if und is not None:
                tick = self.ticks.latest(token)
                if tick is not None and tick.last_price > 0:
                    und.spot_last = tick.last_price

    async def on_timer(self, now_ns: int) -> None:
        """Roll expired windows, re-centre drifted ones; snapshot every chain when the interval is up."""
        await self.roll_expiries(now_ns)
        await self.recentre()
        if now_ns >= self.next_snapshot_ns:
            self.next_snapshot_ns = now_ns + self.interval_ns
            for und in self.underlyings.values():
                for window in und.windows:
                    self._snapshot(und.name, window, now_ns)
                    await asyncio.sleep(0)  # a chain is ~1 ms of work: let ticks and orders through

    async def recentre(self) -> list[ChainWindow]:
        """Move windows whose ATM strike is more than ``recentre_strikes`` from their centre."""
        moved: list[ChainWindow] = []
        for und in self.underlyings.values():
            if not und.spot_last > 0:
                continue
            for window in und.windows:
                atm = window.nearest(und.spot_last)
                if abs(atm - window.centre) <= self.recentre_strikes:
                    continue
                old = set(window.tokens())
                window.set_centre(atm, self.each_side)
                window.recentred += 1
                new = set(window.tokens())
                await self._hold(sorted(new - old), self.mode)
                still = {t for u in self.underlyings.values() for w in u.windows for t in w.tokens()}
                await self._release(sorted((old - new) - still))
                moved.append(window)
                log.info(
                    "%s: re-centred %s %s on %s", self.name, window.underlying, window.expiry,
                    window.strikes[atm],
                )  # fmt: skip
        return moved

    def build(self, window: ChainWindow, now_ns: int) -> ChainSnapshot:
        """A snapshot of one window from the TickStore's newest quotes at ``now_ns``."""
        strikes = window.window_strikes()
        spot = self.underlyings[window.underlying].spot_last
        return chain_from_store(
            self.ticks, window.underlying, window.expiry, now_ns, spot,
            strikes, [window.calls.get(k, 0) for k in strikes], [window.puts.get(k, 0) for k in strikes],
            rate=self.rate, forward_strikes=self.forward_strikes,
        )  # fmt: skip

    def snapshot_all(self, now_ns: int) -> list[ChainSnapshot]:
        """Build, keep and publish (CHAIN) a snapshot of every window."""
        return [
            self._snapshot(und.name, window, now_ns)
            for und in self.underlyings.values()
            for window in und.windows
        ]

    def _snapshot(self, underlying: str, window: ChainWindow, now_ns: int) -> ChainSnapshot:
        snap = self.build(window, now_ns)
        self.latest[(underlying, window.expiry)] = snap
        if self.publish is not None:
            self.publish(Event(EventType.CHAIN, snap, now_ns))
        self.snapshots += 1
        return snap

    def snapshot(self) -> dict[str, Any]:
        """``rows``: one summary per followed chain (newest snapshot), plus windows and errors."""
        rows = [snap.summary() for snap in self.latest.values()]
        windows = [
            {"underlying": w.underlying, "expiry": w.expiry.isoformat(), "low": w.strikes[w.low],
             "high": w.strikes[w.high], "recentred": w.recentred}
            for u in self.underlyings.values() for w in u.windows
        ]  # fmt: skip
        return {"rows": rows, "windows": windows, "snapshots": self.snapshots, "errors": list(self.errors)}


def chain_from_store(
    ticks: TickStore,
    underlying: str,
    expiry: dt.date,
    now_ns: int,
    spot: float,
    strikes: Sequence[float],
    call_tokens: Sequence[int],
    put_tokens: Sequence[int],
    *,
    rate: float = 0.065,
    forward_strikes: int = 5,
) -> ChainSnapshot:
    """One expiry's :class:`ChainSnapshot` from the newest stored tick of each option (one store read).

    ``call_tokens``/``put_tokens`` per strike (0 where the strike lists no such option). Quotes: best
    bid, ask and last price (rupees); volume and OI (units) as the ticks carry them (0 when the
    packet does not carry them); an option with no stored tick has NaN everywhere.
    """
    n = len(strikes)
    tokens = np.asarray([*call_tokens, *put_tokens], dtype=np.int64)
    rows = ticks.latest_many(tokens)
    found = rows["found"] & (tokens != 0)

    def column(name: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        values = np.where(found, rows[name].astype(np.float64), math.nan)  # type: ignore[literal-required]
        return values[:n], values[n:]

    (cb, pb), (ca, pa), (cl, pl) = column("bid"), column("ask"), column("last_price")
    (cv, pv), (co, po) = column("volume"), column("oi")
    return build_chain(
        underlying, expiry, now_ns, spot, strikes, call_tokens, put_tokens, (cb, ca, cl), (pb, pa, pl),
        rate=rate, forward_strikes=forward_strikes, call_volume=cv, call_oi=co, put_volume=pv, put_oi=po,
    )  # fmt: skip


__all__ = ["ChainWindow", "OptionsRunner", "Underlying", "chain_from_store"]
