"""Gates in front of real money: which mode runs, and the explicit confirmation ``--live`` needs.

Paper is the default with credentials, the embedded simulator without. Real
orders need all of: ``--live``, a configured ``live.account.user_id``, a Kite
session for that account, and a confirmation — typing the user id at the
prompt, or ``--yes`` together with the environment variable
``ALPHASTOCK_LIVE_ACK`` set to that same user id (for supervised, non-interactive starts).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

from alphastock.errors import AlphaStockError

LIVE_ACK_ENV = "ALPHASTOCK_LIVE_ACK"
"""Environment variable acknowledging live trading with ``--yes``: must hold the account's user id."""


class RunMode(enum.StrEnum):
    """Where orders go: the embedded simulator, PaperBroker on real data, or the real account."""

    SIM = "sim"
    PAPER = "paper"
    LIVE = "live"


class LiveTradingRefusedError(AlphaStockError):
    """``--live`` was asked for but a precondition or the confirmation is missing; the message says which."""


def choose_mode(*, paper: bool, live: bool) -> RunMode:
    """``--paper`` → PAPER, ``--live`` → LIVE, neither → SIM; both is an error."""
    if paper and live:
        raise LiveTradingRefusedError("--paper and --live exclude each other")
    if live:
        return RunMode.LIVE
    return RunMode.PAPER if paper else RunMode.SIM


def confirm_live(
    *,
    account_user_id: str | None,
    session_user_id: str | None,
    yes: bool,
    environ: Mapping[str, str],
    prompt: Callable[[str], str] | None,
) -> str:
    """Check every precondition of live trading; returns the confirmed user id.

    ``prompt`` asks the operator (``None`` when there is no terminal). Raises
    :class:`LiveTradingRefusedError` naming what is missing.
    """
    if not account_user_id:
        raise LiveTradingRefusedError(
            "--live needs the account in the configuration: set live.account.user_id (your Kite user id)"
        )
    if session_user_id is not None and session_user_id != account_user_id:
        raise LiveTradingRefusedError(
            f"the Kite session is for {session_user_id}, the configuration names {account_user_id}; "
            "run `alphastock login` for the configured account"
        )
    if yes:
        if environ.get(LIVE_ACK_ENV) != account_user_id:
            raise LiveTradingRefusedError(
                f"--yes needs {LIVE_ACK_ENV}={account_user_id} in the environment to acknowledge live trading"
            )
        return account_user_id
    if prompt is None:
        raise LiveTradingRefusedError(
            "--live needs a confirmation: run it in a terminal, or pass --yes with " + LIVE_ACK_ENV
        )
    answer = prompt(
        f"REAL ORDERS will be sent for Kite account {account_user_id}. Type the user id to confirm"
    )
    if answer.strip() != account_user_id:
        raise LiveTradingRefusedError("live trading not confirmed")
    return account_user_id


__all__ = ["LIVE_ACK_ENV", "LiveTradingRefusedError", "RunMode", "choose_mode", "confirm_live"]
