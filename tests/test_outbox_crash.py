"""kill -9 in the middle of a drain, then a restart: every item reaches Telegram exactly once.

A standalone test server (`python -m testserver`, limits on) and two worker processes
(tests/outbox_process.py) on one SQLite file. The kill is placed deterministically: after the
first 20 items are sent and marked, the server is told to hold the next sendMessage of each
chat without performing it, 30 more items are queued, and the worker is killed once all ten
chats are stalled on a held request. Then 20 items are sent, 30 claimed by the dead worker, and
none is in the window between "Telegram performed it" and "marked sent".
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.outbox.items import Outgoing
from bot.platform.outbox.store import enqueue
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import OutboxItem
from tests.processes import PATIENCE_S, Control, until
from testserver import DEFAULT_TOKEN
from testserver.process import launched

CHATS = [5000 + n for n in range(10)]
FIRST, SECOND = range(20), range(20, 50)
WORKER_ID = "crash-test-worker"
PROCESS_SCRIPT = Path(__file__).with_name("outbox_process.py")

Sessions = async_sessionmaker[AsyncSession]


def sent_texts(control: Control) -> list[str]:
    return [message["text"] for message in control.get("sent")]


@pytest.fixture
def server() -> Iterator[tuple[str, Control]]:
    with launched() as server:
        yield server.base_url, Control(server.control_url)


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[Sessions]:
    await upgrade_to_head(sqlite_url)
    engine = create_engine(sqlite_url)
    yield session_factory(engine)
    await engine.dispose()


def worker_process(database: str, base_url: str, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            str(PROCESS_SCRIPT),
            f"--database={database}",
            f"--base-url={base_url}",
            f"--token={DEFAULT_TOKEN}",
            f"--worker-id={WORKER_ID}",
            *extra,
        ]
    )


async def queue_items(sessions: Sessions, numbers: range) -> None:
    async with sessions() as session, session.begin():
        for n in numbers:
            chat_id = CHATS[n % len(CHATS)]
            payload = {"chat_id": chat_id, "text": f"item-{n:02}"}
            item = Outgoing("test", chat_id, "sendMessage", payload, part=f"item-{n:02}")
            await enqueue(session, item, not_before=datetime.now(UTC))


async def count_by_status(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
        )
        return {status: count for status, count in rows}


async def test_each_item_arrives_exactly_once_across_kill_9_and_restart(
    server: tuple[str, Control], sessions: Sessions, sqlite_url: str
) -> None:
    base_url, control = server
    for chat_id in CHATS:
        control.post("users", first_name=f"official {chat_id}", id=chat_id, started=True)
    await queue_items(sessions, FIRST)

    first = worker_process(sqlite_url, base_url)
    try:

        async def first_sent_and_marked() -> bool:
            return (await count_by_status(sessions)).get("sent") == len(FIRST)

        await until(first_sent_and_marked, "the first items to be sent and marked")
        control.post("fault", method="sendMessage", kind="timeout", count=len(CHATS), hold=3600)
        await queue_items(sessions, SECOND)
        await until(lambda: control.held_requests() == len(CHATS), "every chat to be stalled")
    finally:
        first.kill()
        first.wait()

    assert first.returncode == -9
    assert await count_by_status(sessions) == {"sent": len(FIRST), "claimed": len(SECOND)}
    assert len(sent_texts(control)) == len(FIRST)

    second = worker_process(sqlite_url, base_url, "--until-idle")
    assert second.wait(timeout=PATIENCE_S) == 0

    arrived = Counter(sent_texts(control))
    assert arrived == Counter({f"item-{n:02}": 1 for n in (*FIRST, *SECOND)})
    assert await count_by_status(sessions) == {"sent": len(FIRST) + len(SECOND)}
    assert control.get("violations") == []
