"""Acknowledgement requests and who acknowledged them, as the store keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.storage.models import (
    Acknowledgement,
    AckRequest,
    AckVia,
    HeldMessage,
    LiveMessage,
    Member,
    MessageLog,
    ReleasePage,
    User,
)
from bot.platform.storage.upsert import insert_ignore
from policies.features.acks import NOT_SAID, OpenAckRequest, Posted
from policies.labels import Label

TALLY_KIND = "ack/tally"
PRESENT_STATUSES = ("creator", "administrator", "member", "restricted")
# Telegram's stand-ins for anonymous admins and channels: they post, but are not members.
STAND_IN_BOT_IDS = (1087968824, 136817688)
TITLE_CHARS = 30


async def open_requests(
    session: AsyncSession, chat_id: int, now: datetime
) -> tuple[OpenAckRequest, ...]:
    rows = await session.execute(
        select(
            AckRequest.id,
            AckRequest.request_message_id,
            LiveMessage.message_id,
            AckRequest.expires_at,
            AckRequest.requester_id,
        )
        .outerjoin(
            LiveMessage,
            (LiveMessage.kind == TALLY_KIND) & (LiveMessage.subject_id == AckRequest.id),
        )
        .where(
            AckRequest.chat_id == chat_id,
            AckRequest.expires_at > now,
            AckRequest.closed_at.is_(None),
        )
        .order_by(AckRequest.id)
    )
    return tuple(OpenAckRequest(*row) for row in rows)


async def posted_after(
    session: AsyncSession, chat_id: int, message_id: int, limit: int
) -> tuple[tuple[Posted, ...], bool]:
    """What was posted in the chat after `message_id`, newest first, NOT_SAID ones aside: at
    most `limit` messages, and whether there were more."""
    rows = (
        await session.execute(
            select(
                # Who is responsible, as ChatMessage.sender_id: the chat posted as, else the user.
                func.coalesce(MessageLog.sender_chat_id, MessageLog.sender_id, 0),
                MessageLog.labels,
            )
            .where(
                MessageLog.chat_id == chat_id,
                MessageLog.message_id > message_id,
                MessageLog.action.not_in([action.value for action in NOT_SAID]),
            )
            .order_by(MessageLog.message_id.desc())
            .limit(limit + 1)
        )
    ).all()
    posted = tuple(
        Posted(sender, frozenset(label for label in Label if label in labels))
        for sender, labels in rows
    )
    return posted[:limit], len(posted) > limit


async def create_request(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    requester_id: int | None,
    total: int | None,
    instant_reply: bool,
    window: timedelta,
    now: datetime,
) -> int | None:
    """Store a request; its id, or None when the message has one already."""
    created = await insert_ignore(
        session,
        AckRequest,
        {
            "chat_id": chat_id,
            "request_message_id": message_id,
            "requester_id": requester_id,
            "created_at": now,
            "expires_at": now + window,
            "total_members": total,
            "instant_reply": instant_reply,
        },
        keys=["chat_id", "request_message_id"],
    )
    if not created:
        return None
    request_id: int | None = await session.scalar(
        select(AckRequest.id).where(
            AckRequest.chat_id == chat_id, AckRequest.request_message_id == message_id
        )
    )
    return request_id


async def record_ack(
    session: AsyncSession,
    request_id: int,
    user_id: int,
    now: datetime,
    via: AckVia,
    message_id: int | None = None,
) -> bool:
    """Count one user's acknowledgement once; True when it is new (the tally must change)."""
    return await insert_ignore(
        session,
        Acknowledgement,
        {
            "request_id": request_id,
            "user_id": user_id,
            "at": now,
            "via": via.value,
            "message_id": message_id,
        },
        keys=["request_id", "user_id"],
    )


async def ack_count(session: AsyncSession, request_id: int) -> int:
    count = await session.scalar(
        select(func.count()).where(Acknowledgement.request_id == request_id)
    )
    return count or 0


async def recent_total(session: AsyncSession, chat_id: int) -> int | None:
    """The member total last measured in this chat, shown until the new one is measured."""
    total: int | None = await session.scalar(
        select(AckRequest.total_members)
        .where(AckRequest.chat_id == chat_id, AckRequest.total_members.is_not(None))
        .order_by(AckRequest.id.desc())
        .limit(1)
    )
    return total


async def bots_among_members(session: AsyncSession, chat_id: int, bot_id: int) -> int:
    """The bots the roster knows in the chat, besides this one and Telegram's stand-ins."""
    bots = await session.scalar(
        select(func.count())
        .select_from(Member)
        .join(User, User.user_id == Member.user_id)
        .where(
            Member.chat_id == chat_id,
            Member.status.in_(PRESENT_STATUSES),
            User.is_bot.is_(True),
            User.user_id.not_in((bot_id, *STAND_IN_BOT_IDS)),
        )
    )
    return bots or 0


async def acknowledged(session: AsyncSession, request_id: int) -> list[tuple[int, User | None]]:
    """Who acknowledged, in the order they did."""
    rows = await session.execute(
        select(Acknowledgement.user_id, User)
        .outerjoin(User, User.user_id == Acknowledgement.user_id)
        .where(Acknowledgement.request_id == request_id)
        .order_by(Acknowledgement.at, Acknowledgement.id)
    )
    return [(user_id, user) for user_id, user in rows]


async def is_counted_member(session: AsyncSession, chat_id: int, user_id: int | None) -> bool:
    """Whether the person is among the chat's members a tally counts (present, not a bot)."""
    if user_id is None:
        return False
    found = await session.scalar(
        select(Member.user_id)
        .join(User, User.user_id == Member.user_id)
        .where(
            Member.chat_id == chat_id,
            Member.user_id == user_id,
            Member.status.in_(PRESENT_STATUSES),
            User.is_bot.is_(False),
        )
    )
    return found is not None


async def present_people(session: AsyncSession, chat_id: int) -> list[User]:
    """The chat's members the roster knows, bots left out, longest seen first."""
    return list(
        (
            await session.scalars(
                select(User)
                .join(Member, Member.user_id == User.user_id)
                .where(
                    Member.chat_id == chat_id,
                    Member.status.in_(PRESENT_STATUSES),
                    User.is_bot.is_(False),
                )
                .order_by(Member.last_seen_at)
            )
        ).all()
    )


async def request_title(session: AsyncSession, request: AckRequest) -> str:
    """The first line of the message that asked, shortened: how people recognise it. A demand
    released in the morning asks through the digest page that carries it, so its text is the
    held message's."""
    text = await session.scalar(
        select(MessageLog.text).where(
            MessageLog.chat_id == request.chat_id,
            MessageLog.message_id == request.request_message_id,
        )
    )
    if text is None:
        asked = (request.chat_id, request.request_message_id)
        demand = (await released_demands(session, [asked])).get(asked)
        if demand is not None:
            text = await session.scalar(
                select(MessageLog.text).where(
                    MessageLog.chat_id == demand[0], MessageLog.message_id == demand[1]
                )
            )
    first = (text or "").strip().split("\n", 1)[0]
    return first if len(first) <= TITLE_CHARS else f"{first[:TITLE_CHARS]}…"


async def released_demands(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Of the messages `keys` (chat, message id), the release pages that carry a demand's
    button: the held demand (chat, message id) each asks for."""
    rows = await session.execute(
        select(ReleasePage.chat_id, ReleasePage.message_id, HeldMessage.message_id)
        .join(HeldMessage, HeldMessage.id == ReleasePage.ack_for)
        .where(tuple_(ReleasePage.chat_id, ReleasePage.message_id).in_(keys))
    )
    # Matched by the IN above, so the page's message id is known.
    return {
        (chat_id, cast(int, page_message_id)): (chat_id, message_id)
        for chat_id, page_message_id, message_id in rows
    }


def display_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}" if user.last_name else user.first_name
