"""Run the official KiteTicker against a simulator and print what it parsed, as JSON lines.

Twisted's reactor cannot be restarted, so the tests run this in a subprocess:
``python _ticker_client.py WS_ROOT API_KEY ACCESS_TOKEN FRAMES FULL_TOKENS LTP_TOKENS QUOTE_TOKENS``
(token lists comma separated). Prints one JSON object per callback, then exits.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from kiteconnect import KiteTicker


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _tokens(text: str) -> list[int]:
    return [int(t) for t in text.split(",") if t]


def main() -> None:
    root, api_key, access_token, frames = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    full, ltp, quote = _tokens(sys.argv[5]), _tokens(sys.argv[6]), _tokens(sys.argv[7])
    ticker = KiteTicker(api_key, access_token, root=root, reconnect=False)
    seen = {"frames": 0}

    def emit(kind: str, payload: Any) -> None:
        print(json.dumps({"kind": kind, "data": _plain(payload)}), flush=True)

    def on_connect(ws: KiteTicker, response: Any) -> None:
        emit("connect", None)
        ws.subscribe(full + ltp + quote)
        if full:
            ws.set_mode(ws.MODE_FULL, full)
        if ltp:
            ws.set_mode(ws.MODE_LTP, ltp)

    def on_ticks(ws: KiteTicker, ticks: list[dict[str, Any]]) -> None:
        emit("ticks", ticks)
        seen["frames"] += 1
        if seen["frames"] >= frames:
            ws.close()

    def on_order_update(ws: KiteTicker, data: dict[str, Any]) -> None:
        emit("order", data)

    def on_close(ws: KiteTicker, code: Any, reason: Any) -> None:
        emit("close", [code, str(reason)])
        ws.stop()

    def on_error(ws: KiteTicker, code: Any, reason: Any) -> None:
        emit("error", [code, str(reason)])

    ticker.on_connect = on_connect
    ticker.on_ticks = on_ticks
    ticker.on_order_update = on_order_update
    ticker.on_close = on_close
    ticker.on_error = on_error
    ticker.connect()


if __name__ == "__main__":
    main()
