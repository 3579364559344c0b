"""What the bot remembers of users, chats and members (bots cannot list a group's members)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.gateway import ADMIN_STATUSES
from bot.platform.storage.known import forget_member
from bot.platform.storage.models import Chat, Member, User
from bot.platform.storage.upsert import upsert
from policies.message import ChatRef, Person

SENDER_FRESH_FOR = timedelta(minutes=1)


async def record_user(
    session: AsyncSession, user: Person, now: datetime, *, started: bool = False
) -> None:
    """Remember a user's name and language; `started` marks that they opened a private chat."""
    values = {
        "user_id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "username": user.username,
        "language_code": user.language_code,
        "is_bot": user.is_bot,
        "updated_at": now,
    }
    if started:
        values["can_dm"] = True
    await upsert(session, User, values, keys=["user_id"])


async def record_chat(session: AsyncSession, chat: ChatRef, now: datetime) -> None:
    await upsert(
        session,
        Chat,
        {"chat_id": chat.id, "type": str(chat.kind), "title": chat.title, "joined_at": now},
        keys=["chat_id"],
        update=["type", "title"],
    )


async def record_member(
    session: AsyncSession, chat_id: int, user_id: int, status: str, now: datetime
) -> None:
    forget_member(session, chat_id, user_id)
    await upsert(
        session,
        Member,
        {
            "chat_id": chat_id,
            "user_id": user_id,
            "status": status,
            "is_admin": status in ADMIN_STATUSES,
            "last_seen_at": now,
        },
        keys=["chat_id", "user_id"],
    )


async def record_sender(session: AsyncSession, chat: ChatRef, user: Person, now: datetime) -> None:
    """A message seen in a group: its chat, its sender, and the sender as a present member."""
    await record_chat(session, chat, now)
    await record_user(session, user, now)
    await upsert(
        session,
        Member,
        {"chat_id": chat.id, "user_id": user.id, "status": "member", "last_seen_at": now},
        keys=["chat_id", "user_id"],
        update=["last_seen_at"],
    )


class RecentSenders:
    """Senders this process recorded lately, with what it recorded: a burst of messages from
    one person writes their rows once. Skipping a write only leaves last_seen_at up to `fresh_for`
    behind; every other column it would write is compared, and rows are never deleted."""

    def __init__(self, fresh_for: timedelta = SENDER_FRESH_FOR, limit: int = 100_000) -> None:
        self._recorded: dict[tuple[int, int], tuple[tuple[object, ...], datetime]] = {}
        self._fresh_for = fresh_for
        self._limit = limit

    def is_fresh(self, chat: ChatRef, user: Person, now: datetime) -> bool:
        """True when this process recorded the same chat and user facts within `fresh_for`."""
        found = self._recorded.get((chat.id, user.id))
        return (
            found is not None
            and found[0] == _recorded_facts(chat, user)
            and timedelta(0) <= now - found[1] < self._fresh_for
        )

    def remember(self, chat: ChatRef, user: Person, now: datetime) -> None:
        """After the transaction that recorded them has committed."""
        if len(self._recorded) >= self._limit:
            self._recorded.clear()
        self._recorded[(chat.id, user.id)] = (_recorded_facts(chat, user), now)


def _recorded_facts(chat: ChatRef, user: Person) -> tuple[object, ...]:
    return (
        chat.kind,
        chat.title,
        user.first_name,
        user.last_name,
        user.username,
        user.language_code,
        user.is_bot,
    )
