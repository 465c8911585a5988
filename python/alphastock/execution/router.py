"""The :class:`SignalRouter`: each signal goes to exactly one executor, chosen by its asset type.

It is the SignalManager's execution consumer: called synchronously, right after the signal
is journaled, on the signal → order path, so routing is one dict lookup and a call (no bus
hop, no task). The rule table (:data:`ROUTES`) maps each
:class:`~alphastock.signals.assets.AssetType` to the name of the executor that trades it;
the builder registers the executors it made (:meth:`SignalRouter.add_executor`). A signal
whose executor is not registered, or whose asset type no executor trades, is set REJECTED
with the reason through :meth:`SignalManager.update_status`, counted by asset type, and
logged once per asset type (every one is in the store with its reason).

Why here, in ``execution/``: routing chooses between executors, which live here; the
signals package stays below execution and knows none of them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from alphastock.signals.assets import AssetType
from alphastock.signals.manager import Consumer, SignalManager
from alphastock.signals.model import Signal, SignalStatus

log = logging.getLogger(__name__)

DIRECT: Final = "direct"
"""The :class:`~alphastock.execution.direct.DirectExecutor`: the signal's own instrument is traded."""
OPTIONS: Final = "options"
"""The options executor (issue 15): an option on the signal's underlying is traded."""

ROUTES: Final[Mapping[AssetType, str]] = MappingProxyType(
    {
        AssetType.EQUITY: DIRECT,
        AssetType.FUTURES: DIRECT,
        AssetType.COMMODITY: DIRECT,
        AssetType.OPTIONS: OPTIONS,
        # An index is not tradable: a signal on it is traded through its options.
        AssetType.INDEX: OPTIONS,
        # CURRENCY: no executor trades currency derivatives (rejected with that reason).
    }
)
"""Asset type → the name of the executor that takes its signals."""


class SignalRouter:
    """Signals to executors by :data:`ROUTES` (see the module docstring)."""

    name = "signal-router"

    def __init__(self, signals: SignalManager, routes: Mapping[AssetType, str] = ROUTES) -> None:
        self.signals = signals
        self.routes = dict(routes)
        self.rejected: Counter[AssetType] = Counter()
        """Signals no executor took, by asset type."""
        self._executors: dict[str, Consumer] = {}
        self._handlers: dict[AssetType, Consumer] = {}
        self._logged: set[AssetType] = set()

    def add_executor(self, name: str, handler: Consumer) -> None:
        """Register ``handler`` (``handler(signal, handed_ns)``, e.g. ``DirectExecutor.on_signal``) as
        the executor ``name`` of :data:`ROUTES`; it gets the signals of every asset type routed to it."""
        if name in self._executors:
            raise ValueError(f"executor {name!r} is already registered")
        if name not in self.routes.values():
            raise ValueError(f"no asset type is routed to executor {name!r}")
        self._executors[name] = handler
        self._handlers = {
            asset: self._executors[target]
            for asset, target in self.routes.items()
            if target in self._executors
        }

    def executor_for(self, asset_type: AssetType) -> str | None:
        """The name of the registered executor that takes ``asset_type`` signals, or None."""
        target = self.routes.get(asset_type)
        return target if target in self._executors else None

    def on_signal(self, signal: Signal, handed_ns: int) -> object:
        """Hand ``signal`` to its executor (returning what the executor returns), or reject it."""
        handler = self._handlers.get(signal.asset_type)
        if handler is not None:
            return handler(signal, handed_ns)
        self._reject(signal)
        return None

    def reason(self, asset_type: AssetType) -> str:
        """Why a signal of ``asset_type`` is not taken (when no registered executor takes it)."""
        target = self.routes.get(asset_type)
        if target is None:
            return f"no executor for {asset_type} signals: none trades them"
        return f"no executor for {asset_type} signals: the {target} executor is not enabled"

    def stats(self) -> dict[str, int]:
        """Rejected signals by asset type (``rejected_<asset type>``)."""
        return {f"rejected_{asset}": n for asset, n in self.rejected.items()}

    def _reject(self, signal: Signal) -> None:
        asset = AssetType(signal.asset_type)
        reason = self.reason(asset)
        self.rejected[asset] += 1
        if asset not in self._logged:
            self._logged.add(asset)
            log.warning("signal %s rejected: %s (logged once; later ones are counted)", signal.id, reason)
        self.signals.update_status(signal.id, SignalStatus.REJECTED, reason)


__all__ = ["DIRECT", "OPTIONS", "ROUTES", "SignalRouter"]
