"""Scenario helpers for the quiet-hours tests: a group the bot joined, nights, draining."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from bot.storage.models import HeldMessage, MessageLog
from tests.e2e.harness import BotHarness
from testserver.world import DEFAULT_BOT_RIGHTS, Chat, ChatMessage, User

NO_RIGHTS: frozenset[str] = frozenset()


async def joined_group(
    harness: BotHarness,
    title: str = "青石镇工作群",
    *,
    admins: Iterable[User] = (),
    members: Iterable[User] = (),
    bot_status: str = "administrator",
    rights: Iterable[str] = DEFAULT_BOT_RIGHTS,
) -> Chat:
    """A group the bot is added to by its owner, as Telegram reports it; the intro is sent."""
    world = harness.world
    owner = world.add_user("群主")
    group = world.add_group(
        title, creator=owner, admins=admins, members=members, bot_status="left", bot_rights=()
    )
    world.set_bot_status(group, bot_status, by=owner, rights=rights)  # type: ignore[arg-type]
    await drained(harness)
    return group


async def drained(harness: BotHarness) -> None:
    """Every update handled and everything due sent."""
    await harness.settle()
    harness.services.outbox.wake()
    await harness.outbox_idle()


async def at(harness: BotHarness, when: datetime) -> None:
    """Move the clock and do what the alarm clock would do then."""
    harness.clock.set(when)
    await harness.tick()
    await drained(harness)


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


async def started_bot(harness: BotHarness, name: str, **kwargs: object) -> User:
    """A person who has sent /start to the bot in private, so it may message them."""
    user = harness.world.add_user(name, **kwargs)  # type: ignore[arg-type]
    harness.world.send(user, harness.world.private_chat(user), "/start")
    await drained(harness)
    return user


def visible_ids(harness: BotHarness, group: Chat) -> set[int]:
    return {m.message_id for m in harness.world.visible_messages(group)}


def bot_texts(harness: BotHarness, chat: Chat) -> list[str]:
    return [m.text or m.caption or "" for m in harness.world.sent_by_bot(chat)]


def private_texts(harness: BotHarness, user: User) -> list[str]:
    return bot_texts(harness, harness.world.private_chat(user))


def is_deleted(message: ChatMessage) -> bool:
    return message.deleted
