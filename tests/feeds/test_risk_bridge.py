"""FeedRiskBridge: ticks refresh the risk engine's data ages; stale/fresh set and clear the flag."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from alphastock.feeds.kite_ws import FeedEvent
from alphastock.feeds.risk_bridge import FeedRiskBridge
from alphastock.risk import RiskEngine
from tests.risk._intents import INFY, NIFTY_CE, SECOND, T0, limits, option


def _ticks(ts_ns: int, *tokens: int) -> FeedEvent:
    return FeedEvent("ticks", ts_ns, 0, tokens=np.array(tokens, dtype=np.int64))


def test_ticks_stale_and_fresh_drive_the_engine() -> None:
    risk = RiskEngine(limits(max_data_age_s=10.0))
    bridge = FeedRiskBridge(risk)
    never = risk.check(option(), T0)
    assert never.codes == ["STALE_MARKET_DATA"]  # no tick yet
    bridge(_ticks(T0, NIFTY_CE, INFY, NIFTY_CE))
    assert bridge.ticks_forwarded == 2  # duplicates in one event count once
    assert risk.check(option(), T0 + 5 * SECOND).action == "APPROVE"
    assert (bridge.stale, bridge.stale_since_ns) == (False, None)

    bridge(FeedEvent("stale", T0 + 11 * SECOND, 0, data="no frame or heartbeat"))
    assert (bridge.stale, bridge.stale_since_ns, bridge.stale_events) == (True, T0 + 11 * SECOND, 1)
    stale = risk.check(option(), T0 + 12 * SECOND)
    assert (stale.action, stale.approved, stale.codes) == ("REJECT", False, ["STALE_MARKET_DATA"])
    bridge(FeedEvent("stale", T0 + 13 * SECOND, 1))  # a second connection: still one episode
    assert (bridge.stale_since_ns, bridge.stale_events) == (T0 + 11 * SECOND, 1)

    bridge(FeedEvent("fresh", T0 + 20 * SECOND, 0))
    bridge(_ticks(T0 + 20 * SECOND, NIFTY_CE))
    assert (bridge.stale, bridge.stale_since_ns) == (False, None)
    resumed = risk.check(option(), T0 + 21 * SECOND)
    assert (resumed.action, resumed.codes) == ("APPROVE", [])
    # INFY did not tick again: still stale on its own.
    assert risk.check(option(token=INFY), T0 + 21 * SECOND).codes == ["STALE_MARKET_DATA"]


def test_logs_the_stale_episode_once_each_way(caplog: pytest.LogCaptureFixture) -> None:
    risk = RiskEngine(limits(max_data_age_s=10.0))
    bridge = FeedRiskBridge(risk)
    with caplog.at_level(logging.INFO, logger="alphastock.feeds.risk_bridge"):
        bridge(_ticks(T0, NIFTY_CE))
        bridge(FeedEvent("stale", T0 + 11 * SECOND))
        bridge(FeedEvent("fresh", T0 + 12 * SECOND))
        bridge(FeedEvent("connected", T0 + 12 * SECOND, 0, data="open"))
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "stale" in caplog.records[0].getMessage()
    assert risk.check(option(), T0 + 5 * SECOND).action == "APPROVE"


def test_watch_limits_the_refresh_to_traded_instruments() -> None:
    risk = RiskEngine(limits(max_data_age_s=10.0))
    bridge = FeedRiskBridge(risk)
    bridge.watch([NIFTY_CE])
    bridge(_ticks(T0, INFY, NIFTY_CE, 12345))
    assert bridge.ticks_forwarded == 1
    assert risk.check(option(), T0 + SECOND).action == "APPROVE"
    assert risk.check(option(token=INFY), T0 + SECOND).codes == ["STALE_MARKET_DATA"]
    bridge.watch(None)  # every ticking instrument again
    bridge(_ticks(T0 + 2 * SECOND, INFY))
    assert risk.check(option(token=INFY), T0 + 3 * SECOND).codes == []
