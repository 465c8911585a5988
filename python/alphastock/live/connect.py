"""Where a live run gets its market data and sends its orders, by mode.

- SIM: the embedded simulator (a child process) — KiteBroker and KiteFeed
  pointed at its loopback addresses with the session it issued.
- PAPER: the stored Kite session (``alphastock login``) for data; orders go to
  PaperBroker.
- LIVE: the stored session, for the account named in ``live.account``, after
  the confirmation of :func:`alphastock.live.safety.confirm_live`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alphastock.auth.redact import Secret
from alphastock.auth.session import load_session_for_startup
from alphastock.config.live import LiveConfig
from alphastock.feeds.kite_ws import KITE_WS_URL
from alphastock.live.embedded import EmbeddedSimulator, SimEndpoint
from alphastock.live.safety import LiveTradingRefusedError, RunMode, confirm_live
from alphastock.sim.config import SimSettings


@dataclass(frozen=True, slots=True)
class Connection:
    """Credentials and addresses for KiteBroker/KiteFeed (``rest_root`` None = Kite's production API)."""

    mode: RunMode
    api_key: str
    access_token: Secret
    rest_root: str | None
    ws_url: str
    user_id: str | None = None
    sim: SimEndpoint | None = None

    def __repr__(self) -> str:
        return f"Connection(mode={self.mode.value!r}, api_key={self.api_key!r}, rest_root={self.rest_root!r})"


async def connect(
    mode: RunMode,
    config: LiveConfig,
    stack: contextlib.AsyncExitStack,
    *,
    yes: bool = False,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
    sim: SimSettings | None = None,
) -> Connection:
    """Open what ``mode`` needs (starting the simulator for SIM, with the ``sim:`` section's faults and
    rate limits; it stops when ``stack`` closes)."""
    if mode is RunMode.SIM:
        simulator = EmbeddedSimulator(
            speed=config.sim.speed,
            seed=config.sim.seed,
            frame_interval_s=config.sim.frame_interval_s,
            settings=sim,
        )
        endpoint = await simulator.start()
        stack.push_async_callback(simulator.stop)
        return Connection(
            mode=mode,
            api_key=endpoint.api_key,
            access_token=Secret(endpoint.access_token),
            rest_root=endpoint.rest_url,
            ws_url=endpoint.ws_url,
            user_id="SIM001",
            sim=endpoint,
        )
    session = load_session_for_startup()
    if config.account.api_key and session.api_key != config.account.api_key:
        raise LiveTradingRefusedError(
            f"the stored Kite session is for app key {session.api_key}, the configuration names "
            f"{config.account.api_key}; run `alphastock login`"
        )
    if mode is RunMode.LIVE:
        confirm_live(
            account_user_id=config.account.user_id,
            session_user_id=session.user_id or None,
            yes=yes,
            environ=environ or {},
            prompt=prompt,
        )
    return Connection(
        mode=mode,
        api_key=session.api_key,
        access_token=Secret(session.access_token.get_secret_value()),
        rest_root=None,
        ws_url=KITE_WS_URL,
        user_id=session.user_id or None,
    )


__all__ = ["Connection", "connect"]
