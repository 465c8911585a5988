"""Child process of the kill -9 test: opens a protected NIFTY option trade on the simulator the parent
runs, prints ``PROTECTED <trade id> <stop keys> <target key>`` once the stop rests at the broker, then
kills itself with SIGKILL (no shutdown: nothing cancelled, nothing squared off, no final write).

Usage: ``python _killed_trader.py ENDPOINT_JSON DATA_DIR``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from alphastock.live.embedded import SimEndpoint
from tests.execution.options._sim_app import open_trade, running


async def main(endpoint: SimEndpoint, data_dir: Path) -> None:
    async with running(endpoint, data_dir, session_id="killed") as app:
        trade, _ = await open_trade(app, endpoint)
        print(f"PROTECTED {trade.trade_id} {trade.stop_order_key} {trade.target_order_key}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(main(SimEndpoint(**json.loads(sys.argv[1])), Path(sys.argv[2])))
