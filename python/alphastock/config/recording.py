"""The ``recording:`` configuration section: what a session records into DuckDB (see
:class:`~alphastock.kernel.recorder.Recorder`)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from alphastock.config_model import ConfigModel

TickRecording = Literal["off", "ltp", "full"]
"""``off``; ``ltp`` (token, time, last price, volume); ``full`` (also last qty, OI, best bid/ask and
their quantities)."""


class RecordingConfig(ConfigModel):
    """The ``recording:`` section: what a live, paper or simulator session records into DuckDB."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticks: TickRecording = Field(
        "ltp",
        description="off; ltp (token, time, last price, volume); full (also last qty, OI, best bid/ask "
        "and their quantities)",
    )
    bars: bool = Field(True, description="record every closed bar the runners publish")
    flush_interval_s: float = Field(
        1.0, gt=0, description="wall seconds a recorded row may wait before it is written"
    )
    max_queued_rows: int = Field(
        2_000_000, ge=1, description="rows waiting for the writer before new batches are dropped (counted)"
    )


__all__ = ["RecordingConfig", "TickRecording"]
