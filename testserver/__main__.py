"""`python -m testserver --port P --token T`: serve until SIGINT/SIGTERM.

Prints three lines on stdout, then serves: the base_url, the base_file_url and the control URL.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from testserver.limits import LimitSettings
from testserver.server import DEFAULT_TOKEN, BotApiServer


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m testserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the one token accepted")
    parser.add_argument("--spec", type=Path, default=None, help="path of api.json")
    parser.add_argument("--no-limits", action="store_true", help="do not answer 429")
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="stop the world's clock (the dates it gives) at this ISO 8601 time with its offset",
    )
    return parser.parse_args()


def _stopped_clock(now: datetime | None) -> Callable[[], datetime] | None:
    if now is None:
        return None
    if now.tzinfo is None:
        raise ValueError(f"--now {now.isoformat()} has no UTC offset; add one, e.g. +08:00")
    return lambda: now


async def _serve(args: argparse.Namespace) -> None:
    server = BotApiServer(
        args.token,
        spec_path=args.spec,
        clock=_stopped_clock(args.now),
        limits=LimitSettings(enabled=not args.no_limits),
    )
    await server.start(args.host, args.port)
    print(server.base_url, server.base_file_url, server.control_url, sep="\n", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop()


def main() -> None:
    args = _arguments()
    try:
        asyncio.run(_serve(args))
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"testserver: {exc}") from None


if __name__ == "__main__":
    main()
