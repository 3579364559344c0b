"""Scenes for the end-to-end tests: groups the bot is in, moving time on, what the bot did."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.features.holding.release import EDIT_RELEASE_KIND, PAGE_KIND
from bot.platform.storage.known import forget_chat
from bot.platform.storage.models import Chat as ChatRow
from bot.platform.storage.models import (
    HeldMessage,
    HeldStatus,
    LiveMessage,
    MessageLog,
    OutboxItem,
    OutboxStatus,
)
from bot.platform.storage.upsert import upsert
from tests.e2e.harness import SETTLE_TIMEOUT, BotHarness, shanghai
from testserver.world import DEFAULT_BOT_RIGHTS, CallbackPress, Chat, ChatMessage, User

WED_NIGHT = shanghai(2026, 11, 18, 23, 10)  # the conftest clock starts that Wednesday at 10:00
THU_MORNING = shanghai(2026, 11, 19, 8)
# Enough turns of "wait out the edit interval" for every dirty live message to be shown.
MAX_FLUSH_ROUNDS = 20


# ---- setting the scene ----------------------------------------------------------------------


async def joined_group(
    harness: BotHarness,
    *,
    admins: Iterable[User] = (),
    members: Iterable[User] = (),
    rights: Iterable[str] = DEFAULT_BOT_RIGHTS,
) -> Chat:
    """青石镇工作群, which its owner adds the bot to as Telegram reports it; the intro is sent."""
    world = harness.world
    owner = world.add_user("群主")
    group = world.add_group(
        "青石镇工作群",
        creator=owner,
        admins=admins,
        members=members,
        bot_status="left",
        bot_rights=(),
    )
    world.set_bot_status(group, "administrator", by=owner, rights=rights)
    await drained(harness)
    return group


async def started_bot(harness: BotHarness, name: str) -> User:
    """A person who has sent /start to the bot in private, so it may message them."""
    user = harness.world.add_user(name)
    harness.world.send(user, harness.world.private_chat(user), "/start")
    await drained(harness)
    return user


async def member_in_group(harness: BotHarness) -> tuple[User, Chat]:
    """李明, who has started the bot, in a group the bot has joined."""
    li = await started_bot(harness, "李明")
    return li, await joined_group(harness, members=[li])


def stop_alarm_clock(harness: BotHarness) -> None:
    """The JobQueue runs on real time; tests play the alarm clock themselves with tick()."""
    job_queue = harness.application.job_queue
    assert job_queue is not None
    job_queue.scheduler.pause()


async def bot_may_delete(harness: BotHarness, group: Chat, *, can_delete: bool = True) -> None:
    """What the bot learned when it was made an admin (with or without the delete right)."""
    async with harness.services.sessions() as session:
        await upsert(
            session,
            ChatRow,
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
        forget_chat(session, group.id)
        await session.commit()


@asynccontextmanager
async def restarted(
    harness: BotHarness, *, after: timedelta = timedelta(0)
) -> AsyncIterator[BotHarness]:
    """The bot stopped, the clock moved on `after`, and the bot started again on the same
    server and database."""
    await harness.stop()
    harness.clock.advance(after)
    again = BotHarness(
        harness.server, harness.settings.database.url, harness.clock, harness.settings
    )
    await again.start()
    try:
        yield again
    finally:
        await again.stop()


# ---- moving on ----------------------------------------------------------------------------


async def drained(harness: BotHarness) -> None:
    """Every update handled, everything due sent, and each release page's result handled."""
    await harness.settle()
    harness.services.outbox.wake()
    await harness.outbox_idle()
    async with asyncio.timeout(SETTLE_TIMEOUT):
        while await _release_unsettled(harness):  # noqa: ASYNC110 - the outbox's result routes
            await asyncio.sleep(0.005)
    await harness.outbox_idle()


async def _release_unsettled(harness: BotHarness) -> bool:
    """A held message still releasing whose page the outbox is done with."""
    async with harness.services.sessions() as session:
        found = await session.scalar(
            select(HeldMessage.id)
            .join(OutboxItem, OutboxItem.subject_id == HeldMessage.page_id)
            .where(
                HeldMessage.status == HeldStatus.RELEASING.value,
                OutboxItem.kind.in_((PAGE_KIND, EDIT_RELEASE_KIND)),
                OutboxItem.status.in_((OutboxStatus.SENT.value, OutboxStatus.FAILED.value)),
            )
            .limit(1)
        )
    return found is not None


async def at(harness: BotHarness, when: datetime) -> None:
    """Move the clock and do what the alarm clock would do then."""
    harness.clock.set(when)
    await harness.tick()
    await drained(harness)


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
        found = await session.scalar(
            select(LiveMessage.id).where(LiveMessage.message_id.is_(None)).limit(1)
        )
    return found is not None


async def flush_live_messages(harness: BotHarness) -> None:
    """Wait out the edit interval until no tally or list is waiting to be shown."""
    for _ in range(MAX_FLUSH_ROUNDS):
        await step(harness, 5.0)
        async with harness.services.sessions() as session:
            dirty = await session.scalar(
                select(LiveMessage.id).where(LiveMessage.dirty.is_(True)).limit(1)
            )
        if dirty is None:
            await step(harness, 0)
            return
    raise AssertionError("live messages still dirty after many edit intervals")


# ---- what the bot did ---------------------------------------------------------------------


async def held_rows(harness: BotHarness, group: Chat) -> list[HeldMessage]:
    async with harness.services.sessions() as session:
        rows = await session.scalars(
            select(HeldMessage).where(HeldMessage.chat_id == group.id).order_by(HeldMessage.id)
        )
        return list(rows)


async def log_actions(harness: BotHarness, group: Chat) -> dict[int, str]:
    async with harness.services.sessions() as session:
        rows = await session.execute(
            select(MessageLog.message_id, MessageLog.action).where(MessageLog.chat_id == group.id)
        )
        return {message_id: action for message_id, action in rows}


def bot_texts(harness: BotHarness, chat: Chat) -> list[str]:
    return [m.text or m.caption or "" for m in harness.world.sent_by_bot(chat)]


def private_texts(harness: BotHarness, user: User) -> list[str]:
    return bot_texts(harness, harness.world.private_chat(user))


def reply_of(harness: BotHarness, message: ChatMessage) -> ChatMessage:
    """The bot's (only) reply to `message`."""
    (reply,) = [
        m
        for m in harness.world.sent_by_bot(message.chat)
        if m.reply_to_message_id == message.message_id
    ]
    return reply


def listed(message: ChatMessage) -> list[str]:
    """The entry lines of a roll-call message."""
    lines = (message.text or "").split("\n")
    return [line for line in lines if line[:1].isdigit()]


def toast(press: CallbackPress) -> str:
    """The text the bot answered a button press with."""
    assert press.answer is not None, "the press was not answered"
    return str(press.answer.get("text"))


def edit_gaps(harness: BotHarness, group: Chat) -> list[timedelta]:
    """The time between consecutive text edits the bot made in a group (by the test clock)."""
    times = sorted(e.at for e in harness.world.edits_in(group) if e.method == "editMessageText")
    return [later - earlier for earlier, later in itertools.pairwise(times)]
