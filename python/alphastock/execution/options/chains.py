"""The options executor's view of the option chains: the newest snapshot per (underlying, expiry).

The options runner publishes a :class:`~alphastock.options.chain.ChainSnapshot` per followed expiry
as a CHAIN event every few seconds; :class:`ChainBook` keeps the newest of each (its handler is
subscribed ahead of the strategies, so a signal made from a chain finds that chain here). A snapshot
older than the executor's ``chain_max_age_s`` is rebuilt on demand from the TickStore's newest quotes
of the same strikes (:meth:`ChainBook.fresh`): the quotes are live in the TickStore, so a refresh
costs no broker request (Kite's quote endpoint allows 1 request/s) and is never older than the feed.

Units: times UTC epoch ns (engine clock), prices rupees.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from alphastock.events import Event
from alphastock.options.chain import ChainSnapshot, build_chain
from alphastock.ports import LatestPrices

NS_PER_SECOND = 1_000_000_000


class ChainBook:
    """Newest chain snapshots by (underlying, expiry); rebuilds a stale one from the TickStore."""

    def __init__(self, ticks: LatestPrices, *, forward_strikes: int = 5) -> None:
        self.ticks = ticks
        self.forward_strikes = forward_strikes
        self._latest: dict[tuple[str, dt.date], ChainSnapshot] = {}
        self.refreshed = 0
        """Snapshots rebuilt from the TickStore because the runner's was too old."""

    def on_event(self, event: Event[Any]) -> None:
        """Bus handler for CHAIN: keep the snapshot if it is the newest of its (underlying, expiry)."""
        self.add(event.payload)

    def add(self, snapshot: ChainSnapshot) -> None:
        """Keep ``snapshot`` unless a newer one of its (underlying, expiry) is held."""
        key = (snapshot.underlying, snapshot.expiry)
        held = self._latest.get(key)
        if held is None or held.ts_ns <= snapshot.ts_ns:
            self._latest[key] = snapshot

    def expiries(self, underlying: str) -> list[dt.date]:
        """Expiries of ``underlying`` with a snapshot, ascending."""
        return sorted(e for (u, e) in self._latest if u == underlying)

    def latest(self, underlying: str, expiry: dt.date) -> ChainSnapshot | None:
        """The newest snapshot held (None if the runner has published none)."""
        return self._latest.get((underlying, expiry))

    def fresh(self, underlying: str, expiry: dt.date, now_ns: int, max_age_s: float) -> ChainSnapshot | None:
        """The newest snapshot, rebuilt from the TickStore's quotes at ``now_ns`` when older than
        ``max_age_s`` seconds; None when there is no snapshot of this expiry to rebuild."""
        held = self._latest.get((underlying, expiry))
        if held is None:
            return None
        if now_ns - held.ts_ns <= max_age_s * NS_PER_SECOND:
            return held
        rebuilt = self.rebuild(held, now_ns)
        self._latest[(underlying, expiry)] = rebuilt
        self.refreshed += 1
        return rebuilt

    def rebuild(self, held: ChainSnapshot, now_ns: int) -> ChainSnapshot:
        """``held``'s strikes re-quoted from the TickStore at ``now_ns`` (IV and greeks recomputed)."""
        quotes: list[list[list[float]]] = []
        for tokens in (held.call_token, held.put_token):
            cols: list[list[float]] = [[], [], [], [], []]
            for token in tokens.tolist():
                tick = self.ticks.latest(int(token)) if token else None
                values = (
                    (math.nan,) * 5
                    if tick is None
                    else (tick.bid, tick.ask, tick.last_price, float(tick.volume), float(tick.oi))
                )
                for col, value in zip(cols, values, strict=True):
                    col.append(value)
            quotes.append(cols)
        (cb, ca, cl, cv, co), (pb, pa, pl, pv, po) = quotes
        spot = held.spot
        return build_chain(
            held.underlying, held.expiry, now_ns, spot, held.strike, held.call_token, held.put_token,
            (cb, ca, cl), (pb, pa, pl), rate=held.rate, forward_strikes=self.forward_strikes,
            call_volume=np.asarray(cv), call_oi=np.asarray(co), put_volume=np.asarray(pv),
            put_oi=np.asarray(po),
        )  # fmt: skip


__all__ = ["ChainBook"]
