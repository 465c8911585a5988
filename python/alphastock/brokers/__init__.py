"""Brokers: one typed protocol (:class:`~alphastock.brokers.base.Broker`) for live and paper trading.

:mod:`alphastock.brokers.base` defines the protocol, :mod:`alphastock.brokers.errors`
the error hierarchy, :mod:`alphastock.brokers.charges` the charges model and
:mod:`alphastock.brokers.paper` the simulated-fill :class:`PaperBroker` and
:mod:`alphastock.brokers.kite` the live :class:`KiteBroker` (official ``kiteconnect`` SDK),
its rate limiter, the instruments dump in DuckDB and historical candles.
"""
