"""Brokers: typed protocols by role (execution, account, market data) for live and paper trading.

:mod:`alphastock.ports` defines the roles and the capabilities a broker declares,
:mod:`alphastock.brokers.errors` the error hierarchy, :mod:`alphastock.brokers.charges` the charges model and
:mod:`alphastock.brokers.paper` the simulated-fill :class:`PaperBroker` (execution and account) and
:mod:`alphastock.brokers.kite` the live :class:`KiteBroker` (every role; official ``kiteconnect`` SDK),
its rate limiter, the instruments dump in DuckDB and historical candles.
"""
