"""A bot process that only drains the outbox, for tests that kill it: `python outbox_process.py`.

Its requests never time out, so a request the server holds keeps it stalled until it is killed.
"""

from __future__ import annotations

import argparse
import asyncio

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.edge.ratelimit import ChatRateLimiter
from bot.edge.sender import BotTransport
from bot.platform.clock import SystemClock
from bot.platform.outbox.worker import OutboxWorker
from bot.platform.storage import create_engine, session_factory


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a migrated database")
    parser.add_argument("--base-url", required=True, help="the Bot API server's base_url")
    parser.add_argument("--token", required=True)
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between polls")
    parser.add_argument("--until-idle", action="store_true", help="exit once nothing is due")
    return parser.parse_args()


async def _drain(args: argparse.Namespace) -> None:
    engine = create_engine(args.database)
    bot = ExtBot(
        args.token,
        base_url=args.base_url,
        request=HTTPXRequest(connection_pool_size=32, read_timeout=None),
        rate_limiter=ChatRateLimiter(),
    )
    worker = OutboxWorker(
        BotTransport(bot),
        session_factory(engine),
        SystemClock(),
        worker_id=args.worker_id,
        poll_interval=args.poll,
    )
    try:
        async with bot:
            if args.until_idle:
                await worker.drain_once()
            else:
                await worker.run_forever()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_drain(_arguments()))
