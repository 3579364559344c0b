"""What the bot remembers of users, chats and members (bots cannot list a group's members)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Chat as TgChat
from telegram import User as TgUser

from bot.storage.models import Chat, Member, User
from bot.storage.upsert import upsert

ADMIN_STATUSES = frozenset({"creator", "administrator"})


async def record_user(
    session: AsyncSession, user: TgUser, now: datetime, *, started: bool = False
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


async def record_chat(session: AsyncSession, chat: TgChat, now: datetime) -> None:
    await upsert(
        session,
        Chat,
        {"chat_id": chat.id, "type": chat.type, "title": chat.title, "joined_at": now},
        keys=["chat_id"],
        update=["type", "title"],
    )


async def record_member(
    session: AsyncSession, chat_id: int, user_id: int, status: str, now: datetime
) -> None:
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


async def record_sender(session: AsyncSession, chat: TgChat, user: TgUser, now: datetime) -> None:
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
