"""What every runner shares: health, the clock it reads, the one feed, and the runner base class.

A runner is an engine component (``name``, ``async initialize/start/stop``, ``health()``).
Runners share ONE feed through :class:`FeedHub`, which keeps each token in the
richest mode any runner asked for (ltp < quote < full) and unsubscribes a token only
when no runner holds it any more.

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from alphastock.clock import Clock, LiveClock
from alphastock.engine import Health, HealthState
from alphastock.events import Event, TickBatch
from alphastock.ports import Feed
from alphastock.ticks import TICK_COLUMNS, LatestTicks, Tick, TickStore

log = logging.getLogger(__name__)

MODE_RANK = {"ltp": 0, "quote": 1, "full": 2}
"""Feed modes by how much they carry."""

Publish = Callable[[Event[Any]], object]
"""Where runners hand their events (e.g. ``bus.publish_nowait``)."""


class FeedHub:
    """One feed shared by many runners: per token the richest requested mode, reference-counted."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self._holders: dict[int, dict[str, str]] = {}
        self._modes: dict[int, str] = {}

    def modes(self) -> dict[int, str]:
        """Token -> effective mode sent to the feed."""
        return dict(self._modes)

    def holders(self, token: int) -> dict[str, str]:
        """Runner name -> mode it asked for ``token``."""
        return dict(self._holders.get(token, {}))

    async def subscribe(self, owner: str, tokens: Iterable[int], mode: str) -> None:
        """``owner`` wants ``tokens`` in ``mode``; the feed is told only of effective changes."""
        if mode not in MODE_RANK:
            raise ValueError(f"mode must be one of {sorted(MODE_RANK)}, got {mode!r}")
        changed: dict[str, list[int]] = {}
        for token in dict.fromkeys(int(t) for t in tokens):
            holders = self._holders.setdefault(token, {})
            holders[owner] = mode
            best = max(holders.values(), key=MODE_RANK.__getitem__)
            if self._modes.get(token) != best:
                self._modes[token] = best
                changed.setdefault(best, []).append(token)
        for new_mode, group in changed.items():
            await self.feed.subscribe(group, new_mode)

    async def unsubscribe(self, owner: str, tokens: Iterable[int]) -> None:
        """``owner`` no longer wants ``tokens``; dropped from the feed when nobody holds them."""
        gone: list[int] = []
        downgraded: dict[str, list[int]] = {}
        for token in dict.fromkeys(int(t) for t in tokens):
            holders = self._holders.get(token)
            if not holders or owner not in holders:
                continue
            del holders[owner]
            if not holders:
                del self._holders[token]
                del self._modes[token]
                gone.append(token)
                continue
            best = max(holders.values(), key=MODE_RANK.__getitem__)
            if best != self._modes[token]:
                self._modes[token] = best
                downgraded.setdefault(best, []).append(token)
        if gone:
            await self.feed.unsubscribe(gone)
        for new_mode, group in downgraded.items():
            await self.feed.subscribe(group, new_mode)


def ticks_of(latest: LatestTicks, rows: NDArray[np.intp]) -> list[Tick]:
    """Rows ``rows`` of a bulk read as :class:`Tick` tuples (as ``TickStore.latest`` gives them)."""
    names = ("token", *TICK_COLUMNS)
    columns = [cast(NDArray[Any], latest[name])[rows].tolist() for name in names]  # type: ignore[literal-required]
    return [Tick._make(row) for row in zip(*columns, strict=True)]


def lifecycle_state(state: str) -> HealthState:
    """A runner's lifecycle state (``starting``, ``running``, ``stopped``) as a health state."""
    return "ok" if state == "running" else "starting" if state == "starting" else "stopped"


class Runner:
    """Base of the asset-class runners: a component following some instruments on the shared feed.

    Subclasses resolve their instruments in :meth:`initialize` (an unresolvable symbol is
    recorded in :attr:`errors` and makes the runner *degraded*, never stops the others),
    subscribe in :meth:`start` through :attr:`hub`, and update their derived data in
    :meth:`update_tokens` (tokens just stored in the TickStore).
    """

    name: str = "runner"

    def __init__(self, hub: FeedHub, ticks: TickStore, *, clock: Clock | None = None) -> None:
        self.hub = hub
        self.ticks = ticks
        self.clock: Clock = clock or LiveClock()
        self.errors: list[str] = []
        """Problems found (unknown symbols ...), newest last."""
        self.subscribed: dict[int, str] = {}
        self.subscription_version = 0
        """Bumped on every change of :attr:`subscribed` (the set re-routes ticks only then)."""
        """Token -> mode this runner holds on the feed."""
        self.updates = 0
        """Tokens processed by :meth:`update_tokens`."""
        self._state = "stopped"

    # -- lifecycle -----------------------------------------------------------------------------
    async def initialize(self) -> None:
        """Resolve instruments (no feed traffic)."""
        self._state = "starting"

    async def start(self) -> None:
        """Subscribe what was resolved."""
        self._state = "running"

    async def stop(self) -> None:
        """Release this runner's subscriptions."""
        if self.subscribed:
            await self.hub.unsubscribe(self.name, list(self.subscribed))
            self.subscribed.clear()
            self.subscription_version += 1
        self._state = "stopped"

    async def _hold(self, tokens: Iterable[int], mode: str) -> None:
        group = [int(t) for t in tokens]
        if group:
            await self.hub.subscribe(self.name, group, mode)
            for token in group:
                self.subscribed[token] = mode
            self.subscription_version += 1

    async def _release(self, tokens: Iterable[int]) -> None:
        group = [int(t) for t in tokens if int(t) in self.subscribed]
        if group:
            await self.hub.unsubscribe(self.name, group)
            for token in group:
                del self.subscribed[token]
            self.subscription_version += 1

    def error(self, message: str) -> None:
        """Record (and log) a problem that degrades this runner."""
        log.warning("%s: %s", self.name, message)
        self.errors.append(message)

    def health(self) -> Health:
        """``ok`` when running without errors; ``degraded`` with the errors as detail."""
        metrics = {"subscribed": float(len(self.subscribed)), "updates": float(self.updates)}
        if self._state == "running" and self.errors:
            return Health("degraded", "; ".join(self.errors[-3:]), metrics, len(self.errors))
        return Health(lifecycle_state(self._state), "", metrics, len(self.errors))

    # -- data ----------------------------------------------------------------------------------
    def tokens(self) -> list[int]:
        """Tokens this runner follows."""
        return list(self.subscribed)

    def on_ticks(self, batch: TickBatch) -> None:
        """Update from a TICK_BATCH: the batch's tokens that are this runner's."""
        mine = [t for t in dict.fromkeys(batch.tokens.tolist()) if t in self.subscribed]
        if mine:
            self.update_tokens(mine)

    def update_tokens(self, tokens: list[int]) -> None:
        """Refresh derived data of ``tokens`` (each subscribed by this runner) from the TickStore."""
        self.updates += len(tokens)

    def catch_up(self, tokens: Iterable[int]) -> None:
        """:meth:`update_tokens` of those of ``tokens`` the TickStore already holds ticks for (ticks
        from before start count at once, not at their next tick)."""
        stored = [t for t in tokens if self.ticks.len(t)]
        if stored:
            self.update_tokens(stored)

    def apply(self, ticks: list[Tick]) -> None:
        """Refresh derived data from newest ticks already read (the RunnerSet reads each token once).

        Default: :meth:`update_tokens` of their tokens; runners on the hot path override it.
        """
        self.update_tokens([t.token for t in ticks])

    def apply_latest(self, latest: LatestTicks, rows: NDArray[np.intp]) -> None:
        """Refresh derived data from rows ``rows`` of a bulk read (``TickStore.latest_many``, found rows).

        Default: :meth:`update_tokens` of their tokens (or :meth:`apply` with :class:`Tick` rows when
        a subclass overrides it); runners on the hot path override this to read the columns directly.
        """
        if type(self).apply is Runner.apply:
            self.update_tokens(latest["token"][rows].tolist())
        else:
            self.apply(ticks_of(latest, rows))

    async def on_timer(self, now_ns: int) -> None:
        """Periodic work at ``now_ns`` (engine clock): snapshots, rollover checks. Default: none."""

    def snapshot(self) -> dict[str, Any]:
        """JSON-friendly summary for the live view: ``{"rows": [...]}`` plus runner extras."""
        return {"rows": []}


__all__ = ["MODE_RANK", "Clock", "FeedHub", "Health", "Publish", "Runner", "ticks_of"]
