"""Every exception the package defines derives from :class:`alphastock.AlphaStockError` (DESIGN.md §3),
so a caller can catch the project's errors in one clause."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import alphastock
from alphastock.errors import AlphaStockError

SKIPPED = ("__main__",)
"""Module names (last part) not imported: running them is their whole effect."""


def _modules() -> list[str]:
    names = [alphastock.__name__]
    for info in pkgutil.walk_packages(alphastock.__path__, prefix=f"{alphastock.__name__}."):
        if info.name.rsplit(".", 1)[-1] not in SKIPPED:
            names.append(info.name)
    return sorted(names)


def _defined_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith(alphastock.__name__):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_the_walk_finds_the_package_exceptions() -> None:
    found = _defined_exceptions()
    for expected in (
        "alphastock.errors.ConfigError",
        "alphastock.brokers.errors.OrderRejected",
        "alphastock.execution.transitions.IllegalTransitionError",
        "alphastock.sim.errors.KiteError",
    ):
        assert expected in found
    assert len(found) >= 25


def test_every_exception_defined_in_alphastock_derives_from_alphastock_error() -> None:
    found = _defined_exceptions()
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, AlphaStockError))
    assert outside == []


def test_builtin_bases_kept_where_callers_catch_them() -> None:
    from alphastock.execution.orders import NotApprovedError
    from alphastock.execution.transitions import IllegalTransitionError
    from alphastock.signals.model import SignalTransitionError

    for cls in (NotApprovedError, IllegalTransitionError, SignalTransitionError):
        assert issubclass(cls, ValueError)
        assert issubclass(cls, AlphaStockError)
