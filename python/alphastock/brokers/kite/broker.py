"""KiteBroker: every broker role (:class:`~alphastock.ports.Broker`) over the official
``kiteconnect`` SDK; the simulator is reached through it too (``root``).

The class is assembled from one module per job, each below:

- :mod:`~alphastock.brokers.kite.rest`: the SDK client, its threads, the rate limiter, read retries,
  the token-expired state and the error mapping, shared by every role;
- :mod:`~alphastock.brokers.kite.execution`: orders (placement, freeze-quantity slicing, ambiguous
  outcomes resolved by tag, modify, cancel, the order and trade books, order updates);
- :mod:`~alphastock.brokers.kite.account`: positions, holdings, margins, charges;
- :mod:`~alphastock.brokers.kite.gtt`: GTT triggers (place, modify, delete, list: the
  :class:`~alphastock.ports.GttClient` role);
- :mod:`~alphastock.brokers.kite.market_data`: quotes, the instruments dump, historical candles.

The access token never appears in a repr, log line or exception message.
"""

from __future__ import annotations

from alphastock.brokers.kite.account import KiteAccountCalls
from alphastock.brokers.kite.execution import KiteOrderCalls
from alphastock.brokers.kite.gtt import KiteGttCalls
from alphastock.brokers.kite.market_data import KiteMarketDataCalls
from alphastock.brokers.kite.rest import map_kite_error
from alphastock.ports import BrokerCapabilities

KITE_CAPABILITIES = BrokerCapabilities(
    streams_order_updates=True,
    immediate_placement=True,
    market_protection=True,
    # SL-M: withdrawn for NSE index and stock options since 27 Sep 2021 (exchange rejection 16052
    # "Function not available": https://www.sasonline.in/bulletin.php?p=388) and discontinued by BSE
    # in every segment (https://v2.webnotes.in/sl-m-blocked-bse/); DESIGN.md section 4.
    slm_refused_segments=frozenset({"NFO-OPT", "BSE", "BFO-FUT", "BFO-OPT", "BCD-FUT", "BCD-OPT"}),
    gtt=True,  # KiteGttCalls: Kite's GTT triggers (https://kite.trade/docs/connect/v3/gtt/)
)
"""What the KiteBroker declares (order updates arrive through :meth:`KiteBroker.publish_order_update`,
fed by the KiteFeed's order messages)."""


class KiteBroker(KiteOrderCalls, KiteAccountCalls, KiteMarketDataCalls, KiteGttCalls):
    """The live broker (see the module doc): execution, account, market data and GTT triggers. Its arguments
    (key, token, ``root``, limiter, freeze lookup, timeouts, retries) are
    :class:`~alphastock.brokers.kite.rest.KiteRest`'s."""

    capabilities = KITE_CAPABILITIES


__all__ = ["KITE_CAPABILITIES", "KiteBroker", "map_kite_error"]
