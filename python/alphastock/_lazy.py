"""Lazy package exports: names imported from their submodule on first use (PEP 562).

Why: ``alphastock.config`` imports the configuration models of several packages, and
loading the configuration must not pull in DuckDB, Arrow or the Kite SDK.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, modules: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` importing each name from ``package.<modules[name]>``
    on first access (then cached in the package's namespace)."""

    def load(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return load
