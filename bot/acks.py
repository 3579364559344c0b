"""Acknowledgement requests: one button and a live tally instead of thirty "收到" (issue 5)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import TelegramError

from bot.context import Services
from bot.incoming import Incoming
from bot.platform import outbox
from bot.platform.group_policies import group_policy
from bot.platform.outbox import SentItem
from bot.platform.storage.models import (
    Acknowledgement,
    AckRequest,
    AckVia,
    Member,
    MessageLog,
    User,
)
from bot.platform.storage.upsert import insert_ignore
from policies.decisions import OpenAckRequest

log = logging.getLogger(__name__)

REQUEST_KEY = "ackreq"
DELETE_KEY = "ackdel"
REMINDER_KEY = "instantrule"
PRESENT_STATUSES = ("creator", "administrator", "member", "restricted")
# Telegram's stand-ins for anonymous admins and channels: they post, but are not members.
STAND_IN_BOT_IDS = (1087968824, 136817688)
TITLE_CHARS = 30


async def open_requests(
    session: AsyncSession, chat_id: int, now: datetime
) -> tuple[OpenAckRequest, ...]:
    rows = await session.scalars(
        select(AckRequest)
        .where(
            AckRequest.chat_id == chat_id,
            AckRequest.expires_at > now,
            AckRequest.closed_at.is_(None),
        )
        .order_by(AckRequest.id)
    )
    return tuple(
        OpenAckRequest(r.id, r.request_message_id, r.bot_message_id, r.expires_at) for r in rows
    )


async def absorb(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """A plain acknowledgement: counted for its sender, and removed when the bot enforces."""
    decision, facts = incoming.decision, incoming.facts
    if decision.ack_request_id is not None:
        request = await session.get(AckRequest, decision.ack_request_id)
        if request is not None and request.chat_id == facts.chat_id:
            await record_ack(
                session, request, facts.sender_id, incoming.now, AckVia.MESSAGE, facts.message_id
            )
    if decision.delete_message:
        await outbox.enqueue_delete(
            session,
            prefix=DELETE_KEY,
            chat_id=facts.chat_id,
            message_id=facts.message_id,
            not_before=incoming.now,
        )


async def open_request(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """A message that demands replies gets the button and tally instead."""
    facts = incoming.facts
    await create_request(
        session,
        services,
        chat_id=facts.chat_id,
        message_id=facts.message_id,
        requester_id=facts.sender_id,
        total=await _recent_total(session, facts.chat_id),
        instant_reply=incoming.classification.instant_reply,
        now=incoming.now,
    )


async def remind_instant_reply(
    session: AsyncSession, services: Services, incoming: Incoming
) -> None:
    """One quiet line quoting the rule against demanding instant responses."""
    facts, policy = incoming.facts, incoming.policy
    marker = policy.urgent_markers[0] if policy.urgent_markers else ""
    await outbox.enqueue(
        session,
        key=f"{REMINDER_KEY}:{facts.chat_id}:{facts.message_id}",
        chat_id=facts.chat_id,
        method="sendMessage",
        payload={
            "chat_id": facts.chat_id,
            "text": services.catalogs.text("rule.instant_reply", policy.language, marker=marker),
            "reply_parameters": _reply_to(facts.message_id),
            "disable_notification": True,
        },
        not_before=incoming.now,
    )


async def create_request(
    session: AsyncSession,
    services: Services,
    *,
    chat_id: int,
    message_id: int,
    requester_id: int | None,
    total: int | None,
    instant_reply: bool,
    now: datetime,
) -> bool:
    """Store a request and queue its tally message; False when the message already has one."""
    policy = await group_policy(session, chat_id, services.settings.defaults)
    created = await insert_ignore(
        session,
        AckRequest,
        {
            "chat_id": chat_id,
            "request_message_id": message_id,
            "requester_id": requester_id,
            "created_at": now,
            "expires_at": now + timedelta(minutes=policy.ack_window_minutes),
            "total_members": total,
            "instant_reply": instant_reply,
        },
        keys=["chat_id", "request_message_id"],
    )
    if not created:
        return False
    request = await session.scalar(
        select(AckRequest).where(
            AckRequest.chat_id == chat_id, AckRequest.request_message_id == message_id
        )
    )
    assert request is not None
    await outbox.enqueue(
        session,
        key=f"{REQUEST_KEY}:{chat_id}:{message_id}",
        chat_id=chat_id,
        method="sendMessage",
        payload={
            "chat_id": chat_id,
            **tally_content(services, policy.language, request, count=0),
            "reply_parameters": _reply_to(message_id),
            "disable_notification": True,
        },
        not_before=now,
    )
    return True


async def record_ack(
    session: AsyncSession,
    request: AckRequest,
    user_id: int,
    now: datetime,
    via: AckVia,
    message_id: int | None = None,
) -> bool:
    """Count one user's acknowledgement once; True when it is new (the tally must change)."""
    added = await insert_ignore(
        session,
        Acknowledgement,
        {
            "request_id": request.id,
            "user_id": user_id,
            "at": now,
            "via": via.value,
            "message_id": message_id,
        },
        keys=["request_id", "user_id"],
    )
    if added:
        await session.execute(
            update(AckRequest).where(AckRequest.id == request.id).values(tally_dirty=True)
        )
    return added


async def ack_count(session: AsyncSession, request_id: int) -> int:
    count = await session.scalar(
        select(func.count()).where(Acknowledgement.request_id == request_id)
    )
    return count or 0


def tally_content(
    services: Services, lang: str, request: AckRequest, *, count: int
) -> dict[str, Any]:
    """The tally message's text and buttons (Bot API JSON), for sending or editing."""
    catalogs = services.catalogs
    total = request.total_members
    tally = (
        catalogs.text("ack.tally", lang, count=count, total=max(total, count))
        if total
        else catalogs.text("ack.tally_count", lang, count=count)
    )
    buttons = [
        {"text": catalogs.text("ack.button", lang), "callback_data": f"ack:{request.id}"},
        {"text": catalogs.text("ack.roster_button", lang), "callback_data": f"ackl:{request.id}"},
    ]
    return {
        "text": f"{catalogs.text('ack.request', lang)}\n{tally}",
        "reply_markup": {"inline_keyboard": [buttons]},
    }


async def tally_edit(
    session: AsyncSession, services: Services, request: AckRequest
) -> dict[str, Any]:
    """The editMessageText payload that brings a request's tally up to date."""
    policy = await group_policy(session, request.chat_id, services.settings.defaults)
    count = await ack_count(session, request.id)
    return {
        "chat_id": request.chat_id,
        "message_id": request.bot_message_id,
        **tally_content(services, policy.language, request, count=count),
    }


async def roster_text(
    session: AsyncSession, services: Services, request: AckRequest, lang: str
) -> str:
    """Who acknowledged and who has not, for the requester's eyes only."""
    catalogs = services.catalogs
    rows = await session.execute(
        select(Acknowledgement.user_id, User)
        .outerjoin(User, User.user_id == Acknowledgement.user_id)
        .where(Acknowledgement.request_id == request.id)
        .order_by(Acknowledgement.at, Acknowledgement.id)
    )
    acked = {user_id: user for user_id, user in rows}
    members = (
        await session.scalars(
            select(User)
            .join(Member, Member.user_id == User.user_id)
            .where(
                Member.chat_id == request.chat_id,
                Member.status.in_(PRESENT_STATUSES),
                User.is_bot.is_(False),
            )
            .order_by(Member.last_seen_at)
        )
    ).all()
    missing = [m for m in members if m.user_id not in acked]
    separator = catalogs.text("list.separator", lang)
    none = catalogs.text("ack.roster.none", lang)

    def names(users: list[str]) -> str:
        return separator.join(users) or none

    acked_names = [display_name(user) if user else str(user_id) for user_id, user in acked.items()]
    title = await request_title(session, request)
    return "\n".join(
        (
            catalogs.text("ack.roster.header", lang, title=title),
            catalogs.text("ack.roster.acked", lang, count=len(acked), names=names(acked_names)),
            catalogs.text(
                "ack.roster.missing",
                lang,
                count=len(missing),
                names=names([display_name(m) for m in missing]),
            ),
            catalogs.text("ack.roster.note", lang),
        )
    )


async def request_title(session: AsyncSession, request: AckRequest) -> str:
    """The first line of the message that asked, shortened: how people recognise it."""
    text = await session.scalar(
        select(MessageLog.text).where(
            MessageLog.chat_id == request.chat_id,
            MessageLog.message_id == request.request_message_id,
        )
    )
    first = (text or "").strip().split("\n", 1)[0]
    return first if len(first) <= TITLE_CHARS else f"{first[:TITLE_CHARS]}…"


def display_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}" if user.last_name else user.first_name


async def member_total(bot: Bot, services: Services, chat_id: int) -> int | None:
    """People in the group: Telegram's member count minus the bots the roster knows (and us)."""
    try:
        count = await bot.get_chat_member_count(chat_id)
    except TelegramError:
        log.info("member count of chat %s unavailable", chat_id, exc_info=True)
        return None
    async with services.sessions() as session:
        bots = await session.scalar(
            select(func.count())
            .select_from(Member)
            .join(User, User.user_id == Member.user_id)
            .where(
                Member.chat_id == chat_id,
                Member.status.in_(PRESENT_STATUSES),
                User.is_bot.is_(True),
                User.user_id.not_in((bot.id, *STAND_IN_BOT_IDS)),
            )
        )
    return max(count - 1 - (bots or 0), 0)


async def _recent_total(session: AsyncSession, chat_id: int) -> int | None:
    """The member total last measured in this chat, shown until the new one is measured."""
    total: int | None = await session.scalar(
        select(AckRequest.total_members)
        .where(AckRequest.chat_id == chat_id, AckRequest.total_members.is_not(None))
        .order_by(AckRequest.id.desc())
        .limit(1)
    )
    return total


def sent_hook(bot: Bot, services: Services) -> outbox.SentHook:
    """Once the tally is sent: measure the group for the "/28" part, and learn the message id.

    Both are stored together, so a known message id means the tally's total is settled too.
    """

    async def on_sent(item: SentItem) -> None:
        message_id = item.result.get("message_id")
        if not isinstance(message_id, int):
            return
        _, chat_id, request_message_id = item.key.split(":")
        total = await member_total(bot, services, item.chat_id)
        async with services.sessions() as session:
            request = await session.scalar(
                select(AckRequest).where(
                    AckRequest.chat_id == int(chat_id),
                    AckRequest.request_message_id == int(request_message_id),
                )
            )
            if request is not None:
                request.bot_message_id = message_id
                if total is not None and total != request.total_members:
                    request.total_members, request.tally_dirty = total, True
            await session.commit()

    return on_sent


def _reply_to(message_id: int) -> dict[str, Any]:
    return {"message_id": message_id, "allow_sending_without_reply": True}
