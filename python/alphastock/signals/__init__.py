"""Signals: the :class:`Signal` model (and, in :mod:`alphastock.signals.manager`, how they are stored and
published)."""

from alphastock.signals.assets import AssetType, asset_type_of
from alphastock.signals.model import (
    SIGNAL_TRANSITIONS,
    Signal,
    SignalAction,
    SignalStatus,
    SignalTransitionError,
    new_signal_id,
)

__all__ = [
    "SIGNAL_TRANSITIONS",
    "AssetType",
    "Signal",
    "SignalAction",
    "SignalStatus",
    "SignalTransitionError",
    "asset_type_of",
    "new_signal_id",
]
