"""The adapters of real and simulator runs: Kite market data, Kite execution, paper execution.

``alphastock live`` picks them by mode (:mod:`alphastock.live.app`): the embedded simulator and a
real account use :class:`KiteMarketData` + :class:`KiteExecution` (one KiteBroker carries data reads
and orders, sharing Kite's rate limits); paper trading uses :class:`KiteMarketData` +
:class:`PaperExecution`. Simulated-clock runs use :mod:`alphastock.kernel.replay`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alphastock.auth.redact import Secret
from alphastock.brokers.kite import KiteBroker
from alphastock.brokers.paper import PaperBroker
from alphastock.brokers.paper.market import TickStoreMarket
from alphastock.brokers.paper.settings import PaperSettings
from alphastock.clock import Clock
from alphastock.feeds.kite_ws import KiteFeed
from alphastock.ports import FeedSink, FreezeLookup, TradingClient, VenueContext
from alphastock.ticks import TickStore


class KiteMarketData:
    """Kite's REST API and WebSocket (or the simulator's, at ``rest_root`` / ``ws_url``).

    The access token stays a :class:`Secret` until the broker and feed are opened: it is never in a
    repr, a log line or an exception."""

    def __init__(self, api_key: str, access_token: Secret, *, rest_root: str | None, ws_url: str) -> None:
        self.api_key = api_key
        self._access_token = access_token
        self.rest_root = rest_root
        self.ws_url = ws_url
        self.broker: KiteBroker | None = None
        """The KiteBroker, once :meth:`open_client` made it."""

    def __repr__(self) -> str:
        return f"KiteMarketData(api_key={self.api_key!r}, rest_root={self.rest_root!r})"

    def open_client(self, freeze_lookup: FreezeLookup) -> KiteBroker:
        """The KiteBroker (slicing orders above the freeze quantity with ``freeze_lookup``)."""
        if self.broker is None:
            self.broker = KiteBroker(
                self.api_key, self._access_token.reveal(), root=self.rest_root,
                freeze_lookup=freeze_lookup,
            )  # fmt: skip
        return self.broker

    def open_feed(self, ticks: TickStore, on_event: FeedSink, clock: Clock) -> KiteFeed:
        """A KiteFeed storing into ``ticks``, stamped on ``clock``."""
        return KiteFeed(
            self.api_key, self._access_token.reveal(), ticks, url=self.ws_url, time_ns=clock.now_ns,
            on_event=on_event,
        )  # fmt: skip


class KiteExecution:
    """Orders to Kite (or the simulator) through the market data's KiteBroker; order updates come on
    the WebSocket."""

    def open_client(self, context: VenueContext) -> KiteBroker:
        """The KiteBroker the market data opened."""
        client = context.market_client
        if not isinstance(client, KiteBroker):
            raise TypeError(
                f"Kite execution needs Kite market data (a KiteBroker), got {type(client).__name__}"
            )
        return client

    def order_update_sink(self, client: TradingClient) -> Callable[[dict[str, Any]], object] | None:
        """The KiteBroker's handler of WebSocket order updates."""
        if not isinstance(client, KiteBroker):
            raise TypeError(f"Kite execution sends orders through a KiteBroker, not {type(client).__name__}")
        return client.publish_order_update


class PaperExecution:
    """Paper money: the PaperBroker fills against the engine's TickStore (``settings``: charges,
    slippage, margins, square-off times)."""

    def __init__(self, settings: PaperSettings) -> None:
        self.settings = settings

    def open_client(self, context: VenueContext) -> PaperBroker:
        """A PaperBroker on the engine's clock and latest ticks."""
        return PaperBroker(
            TickStoreMarket(context.ticks), self.settings, clock=context.clock.now_ns,
            instruments=list(context.instruments),
        )  # fmt: skip

    def order_update_sink(self, client: TradingClient) -> Callable[[dict[str, Any]], object] | None:
        """None: the PaperBroker streams its own updates."""
        return None


__all__ = ["KiteExecution", "KiteMarketData", "PaperExecution"]
