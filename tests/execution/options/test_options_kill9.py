"""Issue 15: kill -9 after the entry fills. The stop is still resting at the broker (it lives there, not
in AlphaStock); on restart the options executor adopts the position and its protective orders, places
no second stop, and the adopted stop still closes the trade.

The simulator runs in this process (a thread) so it outlives the trading process, which runs as a child
and kills itself with SIGKILL once its stop rests; the restart runs here, on the same data directory."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from alphastock.execution.options import TradeStatus
from alphastock.sim import SimConfig, SimServer
from tests.execution.options._sim_app import endpoint_of, running, sdk, until, walk_nifty

CHILD = Path(__file__).with_name("_killed_trader.py")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture
def server() -> Any:
    sim = SimServer(SimConfig(seed=5, speed=60.0)).start_in_thread()
    try:
        yield sim
    finally:
        sim.stop()


def _kill_after_protection(server: SimServer, data_dir: Path) -> tuple[str, list[str], str]:
    endpoint = json.dumps(dataclasses.asdict(endpoint_of(server)))
    child = subprocess.run(
        [sys.executable, str(CHILD), endpoint, str(data_dir)], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    (line,) = [x for x in child.stdout.splitlines() if x.startswith("PROTECTED ")]
    _, trade_id, stops, target = line.split()
    return trade_id, stops.split(","), target


def test_after_kill_9_the_stop_still_rests_and_the_restart_adopts_it(
    server: SimServer, tmp_path: Path
) -> None:
    trade_id, stop_keys, target_key = _kill_after_protection(server, tmp_path)
    endpoint = endpoint_of(server)
    kite = sdk(endpoint)
    book = {o["tag"]: o for o in kite.orders()}
    # The process is gone; its protection is not.
    assert [book[k]["status"] for k in stop_keys] == ["TRIGGER PENDING"] * len(stop_keys)
    assert book[target_key]["status"] == "OPEN"
    sl_orders_before = sorted(o["order_id"] for o in kite.orders() if o["order_type"] == "SL")

    async def restart() -> dict[str, Any]:
        async with running(endpoint, tmp_path, session_id="restarted") as app:
            executor, protection = app.kernel.execution.options, app.kernel.execution.protection
            assert executor is not None
            assert protection is not None
            (trade,) = [t for t in executor.book.live() if t.trade_id == trade_id]
            bracket = protection.bracket(trade_id)
            adopted = None if bracket is None else (list(bracket.stop_keys), list(bracket.target_keys))
            await asyncio.sleep(2.0)  # the reconciliation reads the book: nothing new is placed
            sl_orders_after = sorted(o["order_id"] for o in kite.orders() if o["order_type"] == "SL")
            await until(
                lambda: trade.status is TradeStatus.CLOSED, timeout=60.0, step=walk_nifty(server, 0.99995)
            )
            out = {
                "adopted": adopted, "sl_after": sl_orders_after, "reason": trade.exit_reason,
                "statuses": {o["tag"]: o["status"] for o in kite.orders()},
            }  # fmt: skip
            await app.shutdown("test over")
            return out

    out = asyncio.run(restart())
    assert out["adopted"] == (stop_keys, [target_key])
    assert out["sl_after"] == sl_orders_before  # no second stop
    assert out["reason"] == "stop"
    assert [out["statuses"][k] for k in stop_keys] == ["COMPLETE"] * len(stop_keys)
    assert out["statuses"][target_key] == "CANCELLED"
