"""Quiet hours enforced: holding messages, releasing them, urgent overrides (issue 4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application

from bot import notices, release
from bot.context import Services
from bot.held_keys import DELETE_PREFIX, parse_delete_key
from bot.incoming import Incoming
from bot.message_content import held_content
from bot.platform import outbox
from bot.platform.outbox import FailedItem
from bot.platform.storage.models import Chat, DeleteStatus, HeldMessage, HeldStatus, MessageLog
from bot.platform.storage.upsert import insert_ignore
from policies.decisions import LogAction

FALLBACK_DELETE_FAILED = "delete_failed"
_URGENT_USES = (LogAction.URGENT_PASSED.value, LogAction.RELEASED_BY_EDIT.value)


async def hold(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """Store the message verbatim, delete it from the group, schedule its release."""
    message, facts, decision = incoming.message, incoming.facts, incoming.decision
    assert decision.release_at is not None, "a hold decision carries its release time"
    kind, payload = held_content(message)
    stored = await insert_ignore(
        session,
        HeldMessage,
        {
            "chat_id": facts.chat_id,
            "message_id": facts.message_id,
            "sender_id": facts.sender_id,
            "sent_at": facts.sent_at,
            "release_at": decision.release_at,
            "kind": kind,
            "payload": payload,
            "status": HeldStatus.HELD.value,
            "delete_status": DeleteStatus.PENDING.value,
        },
        keys=["chat_id", "message_id"],
    )
    if stored:
        await outbox.enqueue_delete(
            session,
            prefix=DELETE_PREFIX,
            chat_id=facts.chat_id,
            message_id=facts.message_id,
            not_before=incoming.now,
        )


async def release_edited(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """An edit added a marker and a reason to a held message: post it now."""
    facts = incoming.facts
    held = await session.scalar(
        select(HeldMessage).where(
            HeldMessage.chat_id == facts.chat_id,
            HeldMessage.message_id == facts.message_id,
            HeldMessage.status == HeldStatus.HELD.value,
        )
    )
    if held is None:
        return
    kind, payload = held_content(incoming.message)
    held.kind, held.payload = kind, payload
    await release.release_now(session, services, incoming.policy, held)


async def urgent_uses_since(
    session: AsyncSession, chat_id: int, sender_id: int, since: datetime
) -> int:
    """Urgent overrides the sender used in the chat since `since` (passed, or released by edit)."""
    used = await session.scalar(
        select(func.count())
        .select_from(MessageLog)
        .where(
            MessageLog.chat_id == chat_id,
            (MessageLog.sender_id == sender_id) | (MessageLog.sender_chat_id == sender_id),
            MessageLog.sent_at >= since,
            MessageLog.action.in_(_URGENT_USES),
        )
    )
    return int(used or 0)


async def is_held(session: AsyncSession, chat_id: int, message_id: int) -> bool:
    found = await session.scalar(
        select(HeldMessage.id).where(
            HeldMessage.chat_id == chat_id,
            HeldMessage.message_id == message_id,
            HeldMessage.status == HeldStatus.HELD.value,
        )
    )
    return found is not None


async def _delete_failed(services: Services, item: FailedItem) -> None:
    """The held message stays stored and is released as usual; the chat falls back to advise,
    and the group hears it once (not again while the fallback lasts)."""
    held = parse_delete_key(item.key)
    if held is None:
        return
    chat_id, message_id = held
    async with services.sessions() as session:
        await session.execute(
            update(HeldMessage)
            .where(HeldMessage.chat_id == chat_id, HeldMessage.message_id == message_id)
            .values(delete_status=DeleteStatus.FAILED.value, delete_error=item.reason)
            .execution_options(synchronize_session=False)
        )
        switched = await session.execute(
            update(Chat)
            .where(
                Chat.chat_id == chat_id,
                Chat.fallback_reason.is_distinct_from(FALLBACK_DELETE_FAILED),
            )
            .values(
                bot_can_delete=False,
                fallback_mode="advise",
                fallback_reason=FALLBACK_DELETE_FAILED,
                rights_notice_sent_at=services.clock.now(),
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(switched, "rowcount", 0):
            await notices.tell_group(
                session, services, chat_id, "rights.delete_failed", f"rights:{item.key}"
            )
        await session.commit()
    services.outbox.wake()


def setup(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data.services

    async def failed(item: FailedItem) -> None:
        await _delete_failed(services, item)

    services.outbox.failed_hooks.append(failed)
