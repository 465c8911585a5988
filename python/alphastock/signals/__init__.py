"""Signals: the :class:`Signal` model (and, in :mod:`alphastock.signals.manager`, how they are stored and
published)."""

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
    "Signal",
    "SignalAction",
    "SignalStatus",
    "SignalTransitionError",
    "new_signal_id",
]
