"""``alphastock sim serve``: the simulator in the foreground, configured from the ``sim:`` section and flags.

The command line (:mod:`alphastock.cli`) parses and reads the ``sim:`` section of the
configuration (files and environment); this module builds the :class:`SimConfig` from that
section and the flags, which win, and runs it, printing the addresses, the session, the
faults in force and, when it stops, the faults it injected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from alphastock.sim.config import FaultConfig, SimConfig, SimSettings


def fault_flags(**flags: Any) -> dict[str, Any]:
    """The :class:`FaultConfig` fields given on the command line (None = not given)."""
    return {name: value for name, value in flags.items() if value is not None}


def serve_config(
    settings: SimSettings,
    *,
    faults: Mapping[str, Any] | None = None,
    rate_limits: bool | None = None,
    **fields: Any,
) -> SimConfig:
    """A :class:`SimConfig` from a ``sim:`` section, fault flags over its faults, and SimConfig fields.

    Raises:
        pydantic.ValidationError: a flag's value is out of range.
    """
    fault_config = FaultConfig.model_validate({**settings.faults.model_dump(), **(faults or {})})
    limits = settings.rate_limits
    if rate_limits is not None:
        limits = limits.model_copy(update={"enabled": rate_limits})
    return SimConfig(**fields, faults=fault_config, rate_limits=limits)


def describe_faults(faults: FaultConfig) -> str:
    """The faults that differ from none, as ``name=value`` pairs (``none`` when there are none)."""
    default = FaultConfig()
    qualifiers = ("seed", "rest_delay_rate", "partial_fill_fraction")  # shown only beside what they qualify
    active = {
        name: value
        for name, value in faults.model_dump().items()
        if value != getattr(default, name) and name not in qualifiers
    }
    if not active:
        return "none"
    if faults.rest_delay and faults.rest_delay_rate != 1.0:
        active["rest_delay_rate"] = faults.rest_delay_rate
    if faults.partial_fill_rate and faults.partial_fill_fraction != default.partial_fill_fraction:
        active["partial_fill_fraction"] = faults.partial_fill_fraction
    if faults.seed is not None:
        active["seed"] = faults.seed
    return ", ".join(f"{name}={_text(value)}" for name, value in active.items())


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_counts(counts: Mapping[str, int]) -> str:
    """Injected faults by kind, e.g. ``rest_error 3, rate_limited 0, ...``."""
    return ", ".join(f"{kind} {n}" for kind, n in counts.items())


async def serve(config: SimConfig, duration: float | None, echo: Callable[[str], None]) -> dict[str, int]:
    """Serve ``config`` for ``duration`` wall seconds (None = until cancelled); returns the fault counts."""
    from alphastock.sim.server import SimExchange

    async with SimExchange(config) as sim:
        echo(f"alphastock sim: REST {sim.rest_url}  WebSocket {sim.ws_url}")
        echo(f"host {sim.host}  port {sim.port}  api_key {sim.api_key}")
        echo(f"access_token {sim.access_token}")
        echo(f"trading date {sim.state.model.day}, speed {config.speed:g}x, seed {config.seed}")
        if config.api_secret is not None:
            echo(
                f"login {sim.rest_url}/connect/login?v=3&api_key={sim.api_key} -> {config.redirect_url} "
                "(request tokens single use, checksum verified)"
            )
        echo(f"faults: {describe_faults(config.faults)}")
        try:
            await asyncio.sleep(duration if duration is not None else float("inf"))
        finally:
            counts = sim.faults.stats()
            echo(f"faults injected: {describe_counts(counts)}")
    return counts


__all__ = ["describe_counts", "describe_faults", "fault_flags", "serve", "serve_config"]
