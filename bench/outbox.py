"""Outbox throughput against the test Bot API server with its limits on.

600 messages to 60 private chats, queued in a SQLite file, drained by the real worker and
limiter over real HTTP: messages/s against Telegram's 30/s ceiling and the 429s received
(goal: at least 95 % of the ceiling, no 429).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bench._server import busiest_window, serving
from bot.edge.ratelimit import ChatRateLimiter
from bot.edge.sender import BotTransport
from bot.platform.clock import SystemClock
from bot.platform.outbox.items import Outgoing
from bot.platform.outbox.store import enqueue
from bot.platform.outbox.worker import DrainCounts, OutboxWorker
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import upgrade_to_head
from testserver import BotApiServer, RequestRecord

MESSAGES = 600
CHATS = 60
CEILING_PER_SECOND = 30.0


@dataclass(frozen=True)
class Drained:
    counts: DrainCounts
    seconds: float
    requests: list[RequestRecord]

    @property
    def performed(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == "sendMessage" and r.status == 200]

    @property
    def refused(self) -> int:
        return sum(1 for r in self.requests if r.status == 429)


async def drain_through(server: BotApiServer, chat_ids: list[int], messages: int) -> Drained:
    """Queue `messages` round-robin over `chat_ids`, then time one drain of the outbox."""
    items = []
    for n in range(messages):
        chat_id = chat_ids[n % len(chat_ids)]
        payload = {"chat_id": chat_id, "text": f"bench message {n}"}
        items.append(Outgoing("bench", chat_id, "sendMessage", payload, subject_id=n))
    return await drain_items(server, items)


async def drain_items(server: BotApiServer, items: list[Outgoing]) -> Drained:
    """Queue `items` in their order, then time one drain of the outbox."""
    with tempfile.TemporaryDirectory() as directory, serving(server):
        url = f"sqlite+aiosqlite:///{Path(directory) / 'outbox.db'}"
        await upgrade_to_head(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        now = datetime.now(UTC)
        async with sessions() as session, session.begin():
            for item in items:
                await enqueue(session, item, not_before=now)
        bot = ExtBot(
            server.token,
            base_url=server.base_url,
            base_file_url=server.base_file_url,
            request=HTTPXRequest(connection_pool_size=128),
            rate_limiter=ChatRateLimiter(),
        )
        async with bot:
            worker = OutboxWorker(BotTransport(bot), sessions, SystemClock())
            started = time.perf_counter()
            counts = await worker.drain_once()
            seconds = time.perf_counter() - started
        await engine.dispose()
    return Drained(counts, seconds, list(server.requests))


async def run() -> None:
    server = BotApiServer()
    users = [server.world.add_user(f"official {n}", started=True) for n in range(CHATS)]
    drained = await drain_through(server, [user.id for user in users], MESSAGES)
    rate = drained.counts.sent / drained.seconds
    print(f"outbox: {MESSAGES} messages to {CHATS} private chats, SQLite file, limits on")
    print(
        f"  sent {drained.counts.sent} (retried {drained.counts.retried}, failed "
        f"{drained.counts.failed}) in {drained.seconds:.2f} s = {rate:.2f} msg/s "
        f"= {100 * rate / CEILING_PER_SECOND:.1f}% of the {CEILING_PER_SECOND:g}/s ceiling"
    )
    print(
        f"  429 answers: {drained.refused}; most arrivals at the server in any 1 s: "
        f"{busiest_window(drained.performed, 1.0)} (arrival times jitter around the send times)"
    )
