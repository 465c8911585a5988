"""Feed -> risk engine: live ticks refresh the engine's data ages; the watchdog's flag is kept.

:class:`FeedRiskBridge` is called with every feed event (by the engine's feed component). On every
``ticks`` event it calls ``RiskEngine.on_tick(token, ts_ns)`` for each token just stored, so the
engine's per-instrument data-age rule (``max_data_age_s``, code ``STALE_MARKET_DATA``) sees live data.
On a ``stale`` event it sets :attr:`FeedRiskBridge.stale` (and :attr:`FeedRiskBridge.stale_since_ns`)
until the ``fresh`` event.

The engine itself has no feed-wide "stale" switch (adding one needs a Rust change),
so orders are stopped by the per-instrument ages: once no tick arrived for
``max_data_age_s`` seconds (the feed's watchdog fires after ``stale_after_s``, 10 s
by default, as does the default limit) every exposure-increasing order on those
instruments gets ``STALE_MARKET_DATA``; when ticks resume they pass again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from alphastock.feeds.kite_ws import FeedEvent
from alphastock.risk.engine import RiskEngine
from alphastock.ticks import member_of

log = logging.getLogger(__name__)


class FeedRiskBridge:
    """Forward a feed's ticks to ``risk`` and track the stale-data flag.

    The engine's feed component calls it with every feed event (it installs itself nowhere)."""

    def __init__(self, risk: RiskEngine) -> None:
        self.risk = risk
        self.stale = False
        """True between a ``stale`` and the next ``fresh`` event."""
        self.stale_since_ns: int | None = None
        """UTC epoch ns of the ``stale`` event while :attr:`stale`, else None."""
        self.stale_events = 0
        """How many ``stale`` events were seen."""
        self.ticks_forwarded = 0
        """``on_tick`` calls made (one per token per ``ticks`` event)."""
        self._watched: NDArray[np.int64] | None = None

    def watch(self, tokens: Iterable[int] | None) -> None:
        """Refresh data times of these instruments only (None: every ticking one, the default).

        The instruments that can get orders are what the data-age rule checks; a call into the
        engine for every subscribed option contract on every frame would cost more than the rest
        of the frame's handling.
        """
        self._watched = (
            None if tokens is None else np.unique(np.fromiter((int(t) for t in tokens), dtype=np.int64))
        )

    def __call__(self, event: FeedEvent) -> None:
        """Handle one feed event (see the class doc)."""
        self._handle(event)

    def _handle(self, event: FeedEvent) -> None:
        if event.kind == "ticks":
            tokens = (
                event.tokens
                if self._watched is None
                else event.tokens[member_of(event.tokens, self._watched)]
            )
            for token in set(tokens.tolist()):
                self.risk.on_tick(int(token), event.ts_ns)
                self.ticks_forwarded += 1
        elif event.kind == "stale":
            if not self.stale:
                self.stale = True
                self.stale_since_ns = event.ts_ns
                self.stale_events += 1
                log.warning("market data is stale: orders on instruments without fresh ticks are rejected")
        elif event.kind == "fresh" and self.stale:
            self.stale = False
            self.stale_since_ns = None
            log.info("market data is fresh again")


__all__ = ["FeedRiskBridge"]
