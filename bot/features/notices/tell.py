"""Notices: privately to a sender (or a short, self-deleting group notice when the bot cannot
write to them; to the group's admins when the sender is the group or a channel), replies in the
group, and what was said once per quiet period."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.essentials import Essentials
from bot.platform.gateway import ADMIN_STATUSES
from bot.platform.i18n import language_for
from bot.platform.outbox.items import Outgoing, Settled, delete_message
from bot.platform.outbox.store import enqueue, enqueue_later
from bot.platform.pipeline import Decided
from bot.platform.policy_text import reason_text, when_text
from bot.platform.roster import mark_unreachable
from bot.platform.storage.after_commit import after_commit
from bot.platform.storage.deferred import insert_later
from bot.platform.storage.models import Chat, Member, NoticeFallback, NoticeSent, User
from bot.platform.storage.upsert import insert_ignore
from policies.features.notices import Audience, Tell

PRIVATE_KIND = "notice/private"
GROUP_KIND = "notice/group"  # the sender's notice posted in the group, deleted after a while
GROUP_DELETE_KIND = "notice/group_delete"
REPLY_KIND = "notice/reply"
GROUP_MESSAGE_KIND = "notice/chat"  # a word to the whole group (rights, onboarding)
GROUP_NOTICE_LIFETIME = timedelta(seconds=60)
FORBIDDEN = "Forbidden"  # how a refusal by Telegram (403: blocked, kicked) is reported
_IN_GROUP = {
    "advise.notice": "advise.notice_group",
    "rollcall.merged": "rollcall.merged_group",
    "digest.batched": "digest.batched_group",
}
# A message posted as the group (an anonymous admin) or as a channel has nobody to tell: its
# group's admins hear what concerns them, in words for them; any other notice is not said.
_TO_ADMINS = {
    "hold.notice": "hold.notice_anonymous",
    "advise.notice": "advise.notice_anonymous",
    "urgent.no_reason": "urgent.no_reason_anonymous",
    "urgent.over_quota": "urgent.over_quota_anonymous",
}
_NOTICE_KEY = ["chat_id", "user_id", "kind", "period_key"]
_TOLD_MAX = 100_000


class Notices:
    """Says what decisions ask to be said; remembers what is said once per period."""

    def __init__(self, base: Essentials) -> None:
        self._base = base
        # Notices known to be stored and committed (remembered only once the transaction that
        # read them commits): a night's burst from one sender costs one lookup, not one each.
        self._told: dict[tuple[int, int, str], frozenset[str]] = {}

    async def told(
        self, session: AsyncSession, chat_id: int, user_id: int, period: str
    ) -> frozenset[str]:
        """The once-per-period notices `user_id` heard in the chat in `period`."""
        memo = (chat_id, user_id, period)
        known = self._told.get(memo)
        if known is not None:
            return known
        found = frozenset(
            await session.scalars(
                select(NoticeSent.kind).where(
                    NoticeSent.chat_id == chat_id,
                    NoticeSent.user_id == user_id,
                    NoticeSent.period_key == period,
                )
            )
        )
        if found:
            after_commit(session, lambda: self._remember(memo, found))
        return found

    def _remember(self, memo: tuple[int, int, str], told: frozenset[str]) -> None:
        if len(self._told) >= _TOLD_MAX:
            self._told.clear()
        self._told[memo] = told

    async def apply(self, session: AsyncSession, tell: Tell, decided: Decided) -> None:
        message = decided.message
        if tell.once_per is not None:
            once = (message.chat.id, message.sender_id, tell.key, tell.once_per)
            first = await insert_ignore(
                session,
                NoticeSent,
                dict(zip(_NOTICE_KEY, once, strict=True)) | {"sent_at": decided.now},
                keys=_NOTICE_KEY,
            )
            if not first:
                return
        if tell.audience is Audience.SENDER:
            await self._tell_sender(session, tell, decided)
        else:
            await self._reply_in_group(session, tell, decided)

    async def _tell_sender(self, session: AsyncSession, tell: Tell, decided: Decided) -> None:
        """Privately, when the bot may write to the sender; otherwise in the group, briefly."""
        message, policy = decided.message, decided.policy
        if message.sender_chat is not None:
            await self._tell_admins(session, tell, decided)
            return
        sender = message.sender
        user = (
            await session.get(User, sender.id)
            if sender is not None and not message.sender_is_bot
            else None
        )
        chat_id = message.chat.id
        in_group = await self._group_notice(session, tell, decided)
        if user is None or not user.can_dm:
            enqueue_later(session, in_group, not_before=decided.now)
            return
        lang = language_for(user.language_code, policy.language)
        notice = Outgoing(
            PRIVATE_KIND,
            user.user_id,
            "sendMessage",
            {
                "chat_id": user.user_id,
                "text": await self._text(session, decided, tell, tell.key, lang),
            },
            subject_id=message.message_id,
            part=f"{chat_id}:{tell.key}",
        )
        enqueue_later(session, notice, not_before=decided.now)
        # Should the person turn out to have blocked the bot, the group notice is said instead.
        insert_later(
            session,
            NoticeFallback,
            {
                "key": notice.key,
                "chat_id": chat_id,
                "payload": in_group.payload,
                "created_at": decided.now,
            },
            keys=["key"],
        )

    async def _group_notice(self, session: AsyncSession, tell: Tell, decided: Decided) -> Outgoing:
        """The short notice about the sender's message in the group, deleted after a while."""
        message, policy = decided.message, decided.policy
        group_key = _IN_GROUP.get(tell.key, "hold.notice_group")
        text = await self._text(session, decided, tell, group_key, policy.language)
        return Outgoing(
            GROUP_KIND,
            message.chat.id,
            "sendMessage",
            {"chat_id": message.chat.id, "text": text, "disable_notification": True},
            subject_id=message.message_id,
        )

    async def on_private_settled(self, settled: Settled) -> None:
        """A private notice ended: when it was refused (the person blocked the bot, or it
        failed for good), they are marked unreachable and the group notice is posted instead."""
        async with self._base.sessions() as session:
            fallback = await session.get(NoticeFallback, _key_of(settled))
            if not settled.sent:
                if settled.reason.startswith(FORBIDDEN):
                    await mark_unreachable(session, settled.chat_id)
                if fallback is not None:
                    notice = Outgoing(
                        GROUP_KIND,
                        fallback.chat_id,
                        "sendMessage",
                        fallback.payload,
                        subject_id=settled.subject_id,
                    )
                    await enqueue(session, notice, not_before=self._base.clock.now())
            if fallback is not None:
                await session.delete(fallback)
            await session.commit()

    async def _tell_admins(self, session: AsyncSession, tell: Tell, decided: Decided) -> None:
        """Privately to each admin of the group the bot may write to (those it knows of)."""
        key = _TO_ADMINS.get(tell.key)
        if key is None:
            return
        chat_id = decided.message.chat.id
        for admin in await reachable_admins(session, chat_id):
            lang = language_for(admin.language_code, decided.policy.language)
            notice = Outgoing(
                PRIVATE_KIND,
                admin.user_id,
                "sendMessage",
                {
                    "chat_id": admin.user_id,
                    "text": await self._text(session, decided, tell, key, lang),
                },
                subject_id=decided.message.message_id,
                part=f"{chat_id}:{tell.key}",
            )
            enqueue_later(session, notice, not_before=decided.now)

    async def _reply_in_group(self, session: AsyncSession, tell: Tell, decided: Decided) -> None:
        message = decided.message
        text = await self._text(session, decided, tell, tell.key, decided.policy.language)
        reply = Outgoing(
            REPLY_KIND,
            message.chat.id,
            "sendMessage",
            {
                "chat_id": message.chat.id,
                "text": text,
                "reply_parameters": {
                    "message_id": message.message_id,
                    "allow_sending_without_reply": True,
                },
            },
            subject_id=message.message_id,
            part=tell.key,
        )
        await enqueue(session, reply, not_before=decided.now)

    async def _text(
        self, session: AsyncSession, decided: Decided, tell: Tell, key: str, lang: str
    ) -> str:
        """The notice in `lang`, with every parameter the notice texts use."""
        policy, message, catalogs = decided.policy, decided.message, self._base.catalogs
        chat = await session.get(Chat, message.chat.id)
        params = tell.params
        release_at = (
            datetime.fromisoformat(params["release_at"]) if "release_at" in params else decided.now
        )
        return catalogs.text(
            key,
            lang,
            group=(chat.title if chat is not None else None)
            or message.chat.title
            or message.chat.username
            or "",
            name=message.sender_name,
            reason=reason_text(
                catalogs, lang, policy, params.get("reason", ""), params.get("holiday")
            ),
            release_at=when_text(catalogs, lang, release_at, policy.timezone, decided.now),
            marker=policy.urgent_markers[0] if policy.urgent_markers else "",
            count=policy.urgent_quota_per_week,
            title=params.get("title", ""),
        )

    async def tell_group(
        self, session: AsyncSession, chat_id: int, message_key: str, about: int, now: datetime
    ) -> None:
        """A silent message to a whole group in its language (e.g. about the bot's rights);
        `about` tells apart what it is said about (an update id, a held message …)."""
        policy = await self._base.policy(session, chat_id)
        notice = Outgoing(
            GROUP_MESSAGE_KIND,
            chat_id,
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": self._base.text(message_key, policy.language),
                "disable_notification": True,
            },
            subject_id=about,
            part=message_key,
        )
        await enqueue(session, notice, not_before=now)


async def reachable_admins(session: AsyncSession, chat_id: int) -> list[User]:
    """The group's admins the bot knows of and may write to privately."""
    admins = await session.scalars(
        select(User)
        .join(Member, Member.user_id == User.user_id)
        .where(
            Member.chat_id == chat_id,
            Member.is_admin.is_(True),
            Member.status.in_(ADMIN_STATUSES),
            User.can_dm.is_(True),
            User.is_bot.is_(False),
        )
        .order_by(User.user_id)
    )
    return list(admins.all())


def _key_of(settled: Settled) -> str:
    return Outgoing(settled.kind, settled.chat_id, "", {}, settled.subject_id, settled.part).key


async def schedule_group_notice_delete(
    session: AsyncSession, settled: Settled, now: datetime
) -> None:
    """A sender's notice posted in the group goes away after GROUP_NOTICE_LIFETIME."""
    if settled.message_id is None:
        return
    removal = delete_message(GROUP_DELETE_KIND, settled.chat_id, settled.message_id)
    await enqueue(session, removal, not_before=now + GROUP_NOTICE_LIFETIME, now=now)
