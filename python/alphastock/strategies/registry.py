"""Strategy discovery over the ``alphastock.strategies`` entry-point group.

Built-ins are registered in AlphaStock's own ``pyproject.toml``, so they are found exactly
like third-party plugins. When the package metadata is missing (running from a source tree
without installing) the built-ins are added from :data:`BUILTINS`. A broken plugin (import
error, an object that is not a :class:`~alphastock.strategies.base.Strategy` subclass, a
duplicate name) is recorded in :func:`registry_errors` and skipped; discovery never raises.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from alphastock.strategies.base import Strategy

GROUP = "alphastock.strategies"
"""The entry-point group plugins register in (``name = "package.module:Class"``)."""

BUILTINS: dict[str, str] = {
    "ma_crossover": "alphastock.strategies.ma_crossover:MaCrossover",
    "mean_reversion": "alphastock.strategies.mean_reversion:MeanReversion",
    "breakout": "alphastock.strategies.breakout:Breakout",
    "rsi_divergence": "alphastock.strategies.rsi_divergence:RsiDivergence",
}
"""Fallback built-ins (name -> ``module:attribute``) for when package metadata is absent."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StrategySource:
    """Where a registered strategy came from: the distribution (package) and its version."""

    name: str
    value: str
    package: str
    version: str


_errors: list[str] = []
_sources: dict[str, StrategySource] = {}


def _load(name: str, value: str, package: str, version: str, found: dict[str, type[Strategy[Any]]]) -> None:
    try:
        if ":" in value:
            module_name, _, attr = value.partition(":")
            obj: object = importlib.import_module(module_name.strip())
            for part in attr.strip().split("."):
                obj = getattr(obj, part)
        else:
            obj = importlib.import_module(value.strip())
    except Exception as exc:  # a plugin's import may raise anything
        _errors.append(f"{name} ({package} {version}): cannot load {value!r}: {type(exc).__name__}: {exc}")
        return
    if not (isinstance(obj, type) and issubclass(obj, Strategy)):
        _errors.append(f"{name} ({package} {version}): {value!r} is not a Strategy subclass")
        return
    if name in found:
        if found[name] is obj:
            return
        first = _sources[name]
        _errors.append(
            f"{name} ({package} {version}): duplicate strategy name, already registered by "
            f"{first.package} {first.version} ({first.value}); ignored"
        )
        return
    if obj.name and obj.name != name:
        log.warning("strategy %s is registered as %r but its class says name=%r", value, name, obj.name)
    found[name] = obj
    _sources[name] = StrategySource(name, value, package, version)


def load_strategies() -> dict[str, type[Strategy[Any]]]:
    """Every registered strategy by name (entry points, then missing built-ins); never raises.

    Problems are available afterwards from :func:`registry_errors`.
    """
    _errors.clear()
    _sources.clear()
    found: dict[str, type[Strategy[Any]]] = {}
    eps: list[EntryPoint] = sorted(entry_points(group=GROUP), key=lambda ep: ep.name)
    # Our own entry points first, so a plugin reusing a built-in name is the duplicate.
    eps.sort(key=lambda ep: ep.dist is None or ep.dist.name != "alphastock")
    for ep in eps:
        dist = ep.dist
        package = dist.name if dist is not None else "?"
        version = dist.version if dist is not None else "?"
        _load(ep.name, ep.value, package, version, found)
    from alphastock import __version__

    for name, value in BUILTINS.items():
        if name not in found:
            _load(name, value, "alphastock", __version__, found)
    for problem in _errors:
        log.warning("strategy registry: %s", problem)
    return found


def registry_errors() -> list[str]:
    """Problems met by the last :func:`load_strategies` call, one message per broken plugin."""
    return list(_errors)


def strategy_source(name: str) -> StrategySource | None:
    """Package and version of a strategy found by the last :func:`load_strategies` call."""
    return _sources.get(name)


__all__ = ["BUILTINS", "GROUP", "StrategySource", "load_strategies", "registry_errors", "strategy_source"]
