"""Scenario helpers shared by the acknowledgement and roll-call end-to-end tests."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import AckRequest, Chat, Rollcall
from bot.storage.upsert import upsert
from tests.e2e.harness import SETTLE_TIMEOUT, BotHarness
from testserver.world import Chat as WorldChat
from testserver.world import ChatMessage

# Enough turns of "wait out the edit interval" for every dirty live message to be shown.
MAX_FLUSH_ROUNDS = 20


def stop_alarm_clock(harness: BotHarness) -> None:
    """The JobQueue runs on real time; tests play the alarm clock themselves with tick()."""
    job_queue = harness.application.job_queue
    assert job_queue is not None
    job_queue.scheduler.pause()


async def bot_may_delete(harness: BotHarness, group: WorldChat, *, can_delete: bool = True) -> None:
    """What the bot learned when it was made an admin (with or without the delete right)."""
    async with harness.services.sessions() as session:
        await upsert(
            session,
            Chat,
            {
                "chat_id": group.id,
                "type": group.type,
                "title": group.title,
                "bot_is_admin": True,
                "bot_can_delete": can_delete,
                "bot_sees_all": True,
                "joined_at": harness.clock.now(),
            },
            keys=["chat_id"],
        )
        await session.commit()


async def step(harness: BotHarness, seconds: float = 1.0) -> None:
    """Let the bot handle what happened, run the alarm clock, drain the outbox, move time on."""
    await harness.settle()
    await live_messages_posted(harness)
    await harness.tick()
    await live_messages_posted(harness)
    harness.clock.advance(timedelta(seconds=seconds))


async def live_messages_posted(harness: BotHarness) -> None:
    """The outbox is drained and the bot has learned the id of every tally and list it posted
    (its sent-hooks run just after the outbox marks an item sent)."""
    await harness.outbox_idle()
    async with asyncio.timeout(SETTLE_TIMEOUT):
        while await _unposted(harness):  # noqa: ASYNC110 - the outbox's hooks run on their own
            await asyncio.sleep(0.005)


async def _unposted(harness: BotHarness) -> bool:
    async with harness.services.sessions() as session:
        request = await session.scalar(
            select(AckRequest.id).where(AckRequest.bot_message_id.is_(None)).limit(1)
        )
        rollcall = await session.scalar(
            select(Rollcall.id).where(Rollcall.bot_message_id.is_(None)).limit(1)
        )
    return request is not None or rollcall is not None


async def flush_live_messages(harness: BotHarness) -> None:
    """Wait out the edit interval until no tally or list is waiting to be shown."""
    for _ in range(MAX_FLUSH_ROUNDS):
        await step(harness, 5.0)
        async with harness.services.sessions() as session:
            dirty = await session.scalar(
                select(AckRequest.id).where(AckRequest.tally_dirty.is_(True)).limit(1)
            ) or await session.scalar(
                select(Rollcall.id).where(Rollcall.list_dirty.is_(True)).limit(1)
            )
        if dirty is None:
            await step(harness, 0)
            return
    raise AssertionError("live messages still dirty after many edit intervals")


def reply_of(harness: BotHarness, message: ChatMessage) -> ChatMessage:
    """The bot's (only) reply to `message`."""
    (reply,) = [
        m
        for m in harness.world.sent_by_bot(message.chat)
        if m.reply_to_message_id == message.message_id
    ]
    return reply


def edit_gaps(harness: BotHarness, group: WorldChat) -> list[timedelta]:
    """The time between consecutive text edits the bot made in a group (by the test clock)."""
    times = sorted(e.at for e in harness.world.edits_in(group) if e.method == "editMessageText")
    return [later - earlier for earlier, later in itertools.pairwise(times)]
