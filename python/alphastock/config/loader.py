"""Loading the configuration: defaults < YAML files < environment variables < CLI overrides.

An environment variable ``ALPHASTOCK__OPTIONS__THREADS=2`` sets ``options.threads``: the prefix, then
the path in upper case joined by ``__``. Values from the environment are parsed as YAML scalars (``2``,
``0.5``, ``true``, ``null``).
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from alphastock.config.tree import AlphaStockConfig
from alphastock.errors import ConfigError

ENV_PREFIX = "ALPHASTOCK__"


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return loaded


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        if not path:
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        try:
            node[path[-1]] = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"environment variable {name} is not a valid value: {exc}") from exc
    return tree


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    return value


def as_plain_data(config: BaseModel) -> dict[str, Any]:
    """The configuration as YAML-safe builtins: enums as their values, sets as sorted lists, times of
    day as ``"HH:MM"`` strings, inf kept."""
    plain: dict[str, Any] = _plain(config.model_dump(mode="python"))
    return plain


def load_config(
    files: list[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> AlphaStockConfig:
    """Build the configuration from defaults, YAML files, the environment and CLI overrides.

    Raises:
        ConfigError: a file cannot be read or parsed, or a value fails validation
            (the message names the setting).
    """
    data: dict[str, Any] = {}
    for path in files or []:
        data = _deep_merge(data, _read_yaml(path))
    data = _deep_merge(data, _from_environment(os.environ if environ is None else environ))
    data = _deep_merge(data, overrides or {})
    try:
        return AlphaStockConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


__all__ = ["ENV_PREFIX", "as_plain_data", "load_config"]
