"""The base of every configuration model: :class:`ConfigModel` (immutable, unknown keys refused,
numbers strict).

Why strict numbers: pydantic's lax mode reads a YAML ``true`` as ``1`` for an ``int`` field (and
``1.0`` for a ``float``), so ``max_trades_per_day: true`` silently became one trade a day. Every
model of the configuration tree (and every strategy's ``Params``) derives from :class:`ConfigModel`,
whose one validator refuses a boolean wherever the field's type wants a number but not a boolean,
at any depth of its containers (``dict[str, int]``, ``list[float]``, ``tuple[int, float]``, unions).
Booleans stay valid for ``bool`` fields (and for ``Any``); numbers in quotes keep pydantic's usual
handling.

This module imports nothing of AlphaStock, so any package may build on it.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

_NUMBERS: Final = (int, float, Decimal)
_SEQUENCES: Final = (list, tuple, set, frozenset)


class _Verdict(enum.Enum):
    """What an annotation says about a boolean in its place."""

    ALLOWS = "allows"  # bool, Any, object: a boolean is a valid value
    REFUSES = "refuses"  # a number (or numeric enum) and no bool
    SILENT = "silent"  # anything else: pydantic decides (a str field refuses a boolean itself)


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def _scalar_verdict(annotation: Any) -> _Verdict:
    """The verdict of ``annotation`` on a bare boolean value."""
    annotation = _unwrap(annotation)
    if annotation is bool or annotation is Any or annotation is object:
        return _Verdict.ALLOWS
    origin = get_origin(annotation)
    if _is_union(origin):
        verdicts = {_scalar_verdict(arg) for arg in get_args(annotation)}
        if _Verdict.ALLOWS in verdicts:
            return _Verdict.ALLOWS
        return _Verdict.REFUSES if _Verdict.REFUSES in verdicts else _Verdict.SILENT
    if origin is Literal:
        # Literal[True] allows it; Literal[1] does not (pydantic compares by value and type).
        return _Verdict.ALLOWS if any(isinstance(a, bool) for a in get_args(annotation)) else _Verdict.SILENT
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return _Verdict.ALLOWS
        if issubclass(annotation, enum.Enum):
            numeric = any(isinstance(m.value, _NUMBERS) for m in annotation)
            return _Verdict.REFUSES if numeric else _Verdict.SILENT
        if issubclass(annotation, _NUMBERS):
            return _Verdict.REFUSES
    return _Verdict.SILENT


def boolean_problem(value: Any, annotation: Any) -> str | None:
    """Why ``value`` is refused for a field typed ``annotation`` (a boolean where a number belongs, at
    any depth), or None when it is not."""
    annotation = _unwrap(annotation)
    if isinstance(value, bool):
        if _scalar_verdict(annotation) is _Verdict.REFUSES:
            return f"a number is required, not the boolean {str(value).lower()}"
        return None
    origin = get_origin(annotation)
    if _is_union(origin):
        members = [_unwrap(arg) for arg in get_args(annotation)]
        fitting = [m for m in members if _container_fits(value, m)]
        problems = [boolean_problem(value, m) for m in fitting]
        if problems and all(p is not None for p in problems):
            return problems[0]
        return None
    if not _container_fits(value, annotation):
        return None
    args = get_args(annotation)
    if isinstance(value, Mapping):
        item = args[1] if len(args) == 2 else Any
        for key, inner in value.items():
            problem = boolean_problem(inner, item)
            if problem is not None:
                return f"{key}: {problem}"
        return None
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        pairs = list(zip(value, args, strict=False))
    else:
        item = args[0] if args else Any
        pairs = [(inner, item) for inner in value]
    for index, (inner, item) in enumerate(pairs):
        problem = boolean_problem(inner, item)
        if problem is not None:
            return f"[{index}]: {problem}"
    return None


def _container_fits(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is a container of the kind ``annotation`` describes (dict, list, tuple, set)."""
    origin = get_origin(annotation) or annotation
    if not isinstance(origin, type):
        return False
    if isinstance(value, Mapping):
        return issubclass(origin, Mapping)
    if isinstance(value, _SEQUENCES):
        return issubclass(origin, _SEQUENCES)
    return False


class ConfigModel(BaseModel):
    """Base of configuration models: frozen, unknown keys refused, and no boolean taken for a number
    (see the module docstring). Subclasses may extend ``model_config``; it is merged with this one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        field = cls.model_fields.get(info.field_name)
        if field is not None:
            problem = boolean_problem(value, field.annotation)
            if problem is not None:
                raise ValueError(problem)
        return value


__all__ = ["ConfigModel", "boolean_problem"]
