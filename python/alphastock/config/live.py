"""The ``live:`` configuration section: the account ``--live`` may trade, the embedded simulator, the view.

A section of the configuration package (not of ``alphastock.live``) because ``live`` reads the whole
tree: the tree must not import it back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from alphastock.config_model import ConfigModel


class AccountConfig(ConfigModel):
    """The Kite account ``alphastock live --live`` sends real orders for (no secrets here)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str | None = Field(None, description="Kite user id (e.g. AB1234); required for --live")
    api_key: str | None = Field(None, description="Kite Connect app key; the session must be for this key")


class EmbeddedSimConfig(ConfigModel):
    """The simulator ``alphastock live`` starts when it has no credentials."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    speed: float = Field(
        10.0, gt=0, le=3600, description="simulated seconds per wall second (10: a session in 38 min)"
    )
    seed: int = Field(42, description="market model seed: same seed, same prices")
    frame_interval_s: float = Field(0.1, gt=0, description="wall seconds between tick frames")


class LiveConfig(ConfigModel):
    """How ``alphastock live`` runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: AccountConfig = AccountConfig()
    sim: EmbeddedSimConfig = EmbeddedSimConfig()
    view_refresh_per_s: float = Field(4.0, gt=0, le=10, description="live view frames per second (at most)")
    view_rows: int = Field(8, ge=1, le=50, description="recent signals/orders shown")
    stats_interval_s: float = Field(10.0, gt=0, description="headless: seconds between status lines")
    shutdown_timeout_s: float = Field(
        20.0,
        gt=0,
        description="wall seconds a clean shutdown may take after the square-off (flush, final reads)",
    )
    square_off_wait_s: float = Field(
        5.0,
        ge=0,
        description="wall seconds to wait for the fills of one round of square-off orders before the "
        "broker's positions are read again",
    )
    square_off_deadline_s: float = Field(
        60.0,
        ge=0,
        description="wall seconds the shutdown keeps flattening what execution.shutdown says to flatten "
        "(re-reading the broker's positions, re-sending square-offs once earlier ones are resolved); "
        "keep it above execution.unknown_timeout_s so an ambiguous square-off can be resolved in time",
    )
    gc_interval_s: float = Field(
        0.05,
        ge=0,
        description="wall seconds between garbage collections run on the loop; 0 = automatic GC",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


__all__ = ["AccountConfig", "EmbeddedSimConfig", "LiveConfig"]
