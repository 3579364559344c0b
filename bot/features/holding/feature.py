"""Holding in the pipeline: what the rules need to know, and storing a message to hold it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.holding.release import DELETE_KIND, Releases
from bot.features.holding.repost import repost_content
from bot.features.notices.tell import Notices
from bot.platform.essentials import Essentials
from bot.platform.outbox.items import Settled, delete_message
from bot.platform.outbox.store import enqueue_later
from bot.platform.pipeline import Decided, Feature
from bot.platform.storage.deferred import insert_later
from bot.platform.storage.known import forget_chat
from bot.platform.storage.models import Chat, DeleteStatus, HeldMessage, HeldStatus, MessageLog
from policies.decide import LogAction, Situation
from policies.features.holding import (
    RULES,
    Hold,
    HoldingState,
    ReleaseEdited,
    release_time,
    replanned_release,
    urgent_week_start,
)
from policies.features.notices import period_key
from policies.group_policy import GroupPolicy, Mode
from policies.labels import Label

FALLBACK_DELETE_FAILED = "delete_failed"
_URGENT_USES = (LogAction.URGENT_PASSED.value, LogAction.RELEASED_BY_EDIT.value)


class Holding:
    def __init__(
        self,
        base: Essentials,
        notices: Notices,
        releases: Releases,
    ) -> None:
        self._base = base
        self._notices = notices
        self._releases = releases

    def feature(self) -> Feature[HoldingState]:
        return Feature(
            "holding",
            RULES,
            self.load,
            {Hold: self.hold, ReleaseEdited: self.release_edited},
        )

    async def load(self, session: AsyncSession, situation: Situation) -> HoldingState:
        """What the rules need, queried only when this message can need it."""
        message, quiet = situation.message, situation.quiet.quiet
        chat_id, sender_id = message.chat.id, message.sender_id
        urgent = situation.classification.has(Label.URGENT) and (quiet or message.is_edit)
        uses = (
            await urgent_uses_since(
                session, chat_id, sender_id, urgent_week_start(situation.policy, situation.now)
            )
            if urgent
            else 0
        )
        held = message.is_edit and await is_held(session, chat_id, message.message_id)
        reply = message.reply_to
        replied_held = (
            quiet
            and reply is not None
            and situation.classification.has(Label.ACK)
            and await is_held(session, chat_id, reply.message_id)
        )
        told: frozenset[str] = frozenset()
        if quiet and not message.is_edit and situation.mode is not Mode.OFF:
            period = period_key(release_time(situation))
            told = await self._notices.told(session, chat_id, sender_id, period)
        return HoldingState(uses, held, told, replied_held)

    async def hold(self, session: AsyncSession, hold: Hold, decided: Decided) -> None:
        """Store the message verbatim, delete it from the group, schedule its release."""
        message = decided.message
        kind, payload = repost_content(message, hold.how)
        # A message is decided once (its update is recorded with the decision), so it is held
        # once: the row and its delete go with the batch's other inserts.
        insert_later(
            session,
            HeldMessage,
            {
                "chat_id": message.chat.id,
                "message_id": message.message_id,
                "sender_id": message.sender_id,
                "sent_at": message.sent_at,
                "release_at": hold.release_at,
                "kind": kind,
                "payload": payload,
                "status": HeldStatus.HELD.value,
                "delete_status": DeleteStatus.PENDING.value,
            },
            keys=["chat_id", "message_id"],
        )
        removal = delete_message(DELETE_KIND, message.chat.id, message.message_id)
        enqueue_later(session, removal, not_before=decided.now)

    async def release_edited(
        self, session: AsyncSession, effect: ReleaseEdited, decided: Decided
    ) -> None:
        """An edit added a marker and a reason to a held message: post it now, as it reads now."""
        message = decided.message
        held = await session.scalar(
            select(HeldMessage).where(
                HeldMessage.chat_id == message.chat.id,
                HeldMessage.message_id == message.message_id,
                HeldMessage.status == HeldStatus.HELD.value,
            )
        )
        if held is None:
            return
        held.kind, held.payload = repost_content(message, effect.how)
        await self._releases.release_now(session, decided.policy, held)

    async def replan(
        self, session: AsyncSession, chat_id: int, policy: GroupPolicy, now: datetime
    ) -> None:
        """The group's rules changed at `now`: what it holds is posted at its next work start
        by the new rules, or at once when that is now; nothing held is dropped."""
        await session.execute(
            update(HeldMessage)
            .where(HeldMessage.chat_id == chat_id, HeldMessage.status == HeldStatus.HELD.value)
            .values(release_at=replanned_release(policy, now))
            .execution_options(synchronize_session=False)
        )

    async def on_delete_settled(self, settled: Settled) -> None:
        """A held message's delete was refused: it stays in the group, so the release does not
        post it again; the chat falls back to advise, and the group hears it once (not again
        while it lasts)."""
        if settled.sent or settled.subject_id is None:
            return
        chat_id, message_id = settled.chat_id, settled.subject_id
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            await session.execute(
                update(HeldMessage)
                .where(HeldMessage.chat_id == chat_id, HeldMessage.message_id == message_id)
                .values(delete_status=DeleteStatus.FAILED.value, delete_error=settled.reason)
                .execution_options(synchronize_session=False)
            )
            forget_chat(session, chat_id)
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
                    rights_notice_sent_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(switched, "rowcount", 0):
                await self._notices.tell_group(
                    session, chat_id, "rights.delete_failed", message_id, now
                )
            await session.commit()


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
