"""The gates in front of real orders: mode choice and the --live confirmation."""

from __future__ import annotations

import pytest

from alphastock.live.safety import LIVE_ACK_ENV, LiveTradingRefusedError, RunMode, choose_mode, confirm_live


def test_modes() -> None:
    assert choose_mode(paper=False, live=False) is RunMode.SIM
    assert choose_mode(paper=True, live=False) is RunMode.PAPER
    assert choose_mode(paper=False, live=True) is RunMode.LIVE
    with pytest.raises(LiveTradingRefusedError, match="exclude each other"):
        choose_mode(paper=True, live=True)


def _confirm(**overrides: object) -> str:
    kwargs: dict[str, object] = {
        "account_user_id": "AB1234",
        "session_user_id": "AB1234",
        "yes": False,
        "environ": {},
        "prompt": lambda _text: "AB1234",
    }
    kwargs.update(overrides)
    return confirm_live(**kwargs)  # type: ignore[arg-type]


def test_prompt_must_repeat_the_user_id() -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return " AB1234 "

    assert _confirm(prompt=prompt) == "AB1234"
    assert "REAL ORDERS" in asked[0]
    assert "AB1234" in asked[0]
    with pytest.raises(LiveTradingRefusedError, match="not confirmed"):
        _confirm(prompt=lambda _text: "yes")


def test_account_must_be_configured_and_match_the_session() -> None:
    with pytest.raises(LiveTradingRefusedError, match=r"live\.account\.user_id"):
        _confirm(account_user_id=None)
    with pytest.raises(LiveTradingRefusedError, match="session is for ZZ9999"):
        _confirm(session_user_id="ZZ9999")


def test_yes_needs_the_acknowledging_environment_variable() -> None:
    with pytest.raises(LiveTradingRefusedError, match=LIVE_ACK_ENV):
        _confirm(yes=True, prompt=None)
    with pytest.raises(LiveTradingRefusedError, match=LIVE_ACK_ENV):
        _confirm(yes=True, environ={LIVE_ACK_ENV: "1"})
    assert _confirm(yes=True, prompt=None, environ={LIVE_ACK_ENV: "AB1234"}) == "AB1234"


def test_no_terminal_and_no_yes_is_refused() -> None:
    with pytest.raises(LiveTradingRefusedError, match="needs a confirmation"):
        _confirm(prompt=None)
