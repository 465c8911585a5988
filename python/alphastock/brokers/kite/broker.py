"""KiteBroker: every broker role (:class:`~alphastock.brokers.base.Broker`) over the official
``kiteconnect`` SDK; the simulator is reached through it too (``root``).

The class is assembled from one module per job, each below:

- :mod:`~alphastock.brokers.kite.rest`: the SDK client, its threads, the rate limiter, read retries,
  the token-expired state and the error mapping, shared by every role;
- :mod:`~alphastock.brokers.kite.execution`: orders (placement, freeze-quantity slicing, ambiguous
  outcomes resolved by tag, modify, cancel, the order and trade books, order updates);
- :mod:`~alphastock.brokers.kite.account`: positions, holdings, margins, charges;
- :mod:`~alphastock.brokers.kite.market_data`: quotes, the instruments dump, historical candles.

The access token never appears in a repr, log line or exception message.
"""

from __future__ import annotations

from alphastock.brokers.base import BrokerCapabilities
from alphastock.brokers.kite.account import KiteAccountCalls
from alphastock.brokers.kite.execution import KiteOrderCalls
from alphastock.brokers.kite.market_data import KiteMarketDataCalls
from alphastock.brokers.kite.rest import FreezeLookup, map_kite_error

KITE_CAPABILITIES = BrokerCapabilities(
    streams_order_updates=True,
    immediate_placement=True,
    market_protection=True,
    # SL-M: withdrawn for NSE index and stock options since 27 Sep 2021 (exchange rejection 16052
    # "Function not available": https://www.sasonline.in/bulletin.php?p=388) and discontinued by BSE
    # in every segment (https://v2.webnotes.in/sl-m-blocked-bse/); DESIGN.md section 4.
    slm_refused_segments=frozenset({"NFO-OPT", "BSE", "BFO-FUT", "BFO-OPT", "BCD-FUT", "BCD-OPT"}),
    gtt=False,  # Kite has GTT; this adapter does not place GTTs yet
)
"""What the KiteBroker declares (order updates arrive through :meth:`KiteBroker.publish_order_update`,
fed by the KiteFeed's order messages)."""


class KiteBroker(KiteOrderCalls, KiteAccountCalls, KiteMarketDataCalls):
    """The live broker (see the module doc): execution, account and market data.

    Args:
        api_key: the Kite Connect app's key.
        access_token: today's session token (``alphastock login``); never shown.
        root: REST root; None for Kite (``https://api.kite.trade``), the simulator's ``rest_url`` in tests.
        limiter: the shared rate limiter (a new one with Kite's limits by default).
        freeze_lookup: freeze quantity and lot size per instrument, for slicing (no slicing without it).
        timeout_s: HTTP timeout of one request, seconds.
        read_retries: retries of a read answered 429/502/503/504.
        backoff_s: first backoff of a read retry, seconds (doubled per retry, plus up to 50% jitter).
        lookup_attempts / lookup_interval_s: order-book searches (and the wait between them, seconds)
            when a placement's outcome is ambiguous.
        client: a ready ``KiteConnect``-like client (tests); built from the arguments above otherwise.
        max_workers: threads of the broker's executor.
    """

    capabilities = KITE_CAPABILITIES


__all__ = ["KITE_CAPABILITIES", "FreezeLookup", "KiteBroker", "map_kite_error"]
