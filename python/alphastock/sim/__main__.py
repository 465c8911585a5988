"""``python -m alphastock.sim``: the simulator as a child process for ``alphastock live``.

It serves on a free loopback port and writes one JSON line to stdout with its
addresses and the pre-issued session (``rest_url``, ``ws_url``, ``api_key``,
``access_token``, ``date``, the ``faults`` in force), then runs until its stdin closes (the parent went
away) or it gets SIGTERM/SIGINT. A separate process keeps the simulated
exchange off the engine's interpreter lock, as a real exchange would be.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import threading

from alphastock.sim import SimConfig, SimExchange, SimSettings


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m alphastock.sim")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second")
    parser.add_argument("--seed", type=int, default=42, help="market model seed")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 = any free port")
    parser.add_argument("--frame-interval", type=float, default=0.1, help="wall seconds between tick frames")
    parser.add_argument(
        "--settings", default=None, help="the `sim:` configuration section as JSON (faults, rate limits)"
    )
    return parser.parse_args(argv)


def _watch_parent(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    # stdin reaching EOF means the parent closed it or died: stop rather than linger. A daemon
    # thread, so a read still blocked at exit never holds the process.
    def wait() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait, name="sim-parent-watch", daemon=True).start()


async def serve(args: argparse.Namespace) -> None:
    """Serve until stdin closes or a termination signal arrives."""
    config = SimConfig(port=args.port, seed=args.seed, speed=args.speed, frame_interval=args.frame_interval)
    if args.settings:
        config = config.with_settings(SimSettings.model_validate_json(args.settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with SimExchange(config) as sim:
        while sim.clock_origin is None:  # the clock task records it on its first run
            await asyncio.sleep(0)
        hello = {
            "clock_origin_wall_ns": sim.clock_origin[0],
            "clock_origin_sim_ns": sim.clock_origin[1],
            "rest_url": sim.rest_url,
            "ws_url": sim.ws_url,
            "api_key": sim.api_key,
            "access_token": sim.access_token,
            "date": sim.state.model.day.isoformat(),
            "speed": config.speed,
            "seed": config.seed,
            "faults": config.faults.model_dump(mode="json"),
        }
        sys.stdout.write(json.dumps(hello) + "\n")
        sys.stdout.flush()
        _watch_parent(loop, stop)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
