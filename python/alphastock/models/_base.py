"""The base class of every domain model: frozen pydantic, Kite's extra fields ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class KiteModel(BaseModel):
    """A frozen model parsed from a Kite response; fields Kite adds later are ignored, not fatal."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)


__all__ = ["KiteModel"]
