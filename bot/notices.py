"""Telling a sender what happened to their message: privately, or briefly in the group (issue 4).

A sender hears about held messages once per quiet period (the first one), not once per
message: the rule and the delivery time are the same for the rest of the night. Refusals
of an urgent marker (no reason, quota used up) are told every time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application

from bot.context import Services
from bot.incoming import Incoming
from bot.message_content import sender_name
from bot.platform import outbox
from bot.platform.group_policies import group_policy
from bot.platform.i18n import language_for
from bot.platform.outbox import SentItem
from bot.platform.policy_text import reason_text, when_text
from bot.platform.storage.models import Chat, NoticeSent, User
from bot.platform.storage.upsert import insert_ignore
from policies.calendar import QuietStatus
from policies.decisions import Audience, MessageFacts, Notice, effective_mode
from policies.group_policy import GroupPolicy, Mode

GROUP_NOTICE_KEY = "gnotice"
"""Outbox keys of short group notices, deleted GROUP_NOTICE_LIFETIME after they are posted."""
GROUP_NOTICE_LIFETIME = timedelta(seconds=60)
ADVISE_NOTICE = "advise.notice"
_ONCE_PER_PERIOD = frozenset({"hold.notice", ADVISE_NOTICE})
_IN_GROUP = {ADVISE_NOTICE: "advise.notice_group"}
_NOTICE_KEY = ["chat_id", "user_id", "kind", "period_key"]
# Notices known to be recorded already, per database (by its session factory): a night's
# burst from one sender then costs one lookup, not one INSERT per message.
_told: WeakKeyDictionary[async_sessionmaker[AsyncSession], set[tuple[int, int, str, str]]] = (
    WeakKeyDictionary()
)
_TOLD_MAX = 100_000


async def deliver(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """Send the decision's notices through the outbox."""
    for notice in incoming.decision.notices:
        if notice.audience is Audience.SENDER:
            await _tell_sender(session, services, incoming, notice)
        else:
            await _reply_in_group(session, services, incoming, notice)


async def advised_this_period(
    session: AsyncSession,
    policy: GroupPolicy,
    facts: MessageFacts,
    bot_can_delete: bool,
    quiet: QuietStatus,
) -> bool:
    """Whether the sender was told about advise mode already this quiet period (`quiet`)."""
    if effective_mode(policy, bot_can_delete) is not Mode.ADVISE:
        return False
    resumes_at = quiet.resumes_at
    if resumes_at is None:
        return False
    found = await session.scalar(
        select(NoticeSent.sent_at).where(
            NoticeSent.chat_id == facts.chat_id,
            NoticeSent.user_id == facts.sender_id,
            NoticeSent.kind == ADVISE_NOTICE,
            NoticeSent.period_key == _period_key(resumes_at),
        )
    )
    return found is not None


async def tell_group(
    session: AsyncSession, services: Services, chat_id: int, message_key: str, outbox_key: str
) -> None:
    """A silent message to a whole group (e.g. about the bot's rights), in the group's language."""
    policy = await group_policy(session, chat_id, services.settings.defaults)
    await outbox.enqueue(
        session,
        key=outbox_key,
        chat_id=chat_id,
        method="sendMessage",
        payload={
            "chat_id": chat_id,
            "text": services.catalogs.text(message_key, policy.language),
            "disable_notification": True,
        },
        not_before=services.clock.now(),
    )


def _period_key(resumes_at: datetime) -> str:
    return resumes_at.isoformat()


async def _tell_sender(
    session: AsyncSession, services: Services, incoming: Incoming, notice: Notice
) -> None:
    facts, decision, policy = incoming.facts, incoming.decision, incoming.policy
    if notice.key in _ONCE_PER_PERIOD and decision.release_at is not None:
        told = _told.setdefault(services.sessions, set())
        once = (facts.chat_id, facts.sender_id, notice.key, _period_key(decision.release_at))
        if once in told:
            return
        first = await insert_ignore(
            session,
            NoticeSent,
            dict(zip(_NOTICE_KEY, once, strict=True)) | {"sent_at": incoming.now},
            keys=_NOTICE_KEY,
        )
        if not first:
            # Stored and committed before: later messages of the period need not ask again.
            if len(told) >= _TOLD_MAX:
                told.clear()
            told.add(once)
            return
    sender = incoming.message.from_user
    user = (
        await session.get(User, sender.id)
        if sender is not None and not facts.sender_is_bot
        else None
    )
    key = f"notice:{facts.chat_id}:{facts.message_id}:{notice.key}"
    if user is not None and user.can_dm:
        lang = language_for(user.language_code, policy.language)
        text = await _notice_text(session, services, incoming, notice.key, lang)
        payload = {"chat_id": user.user_id, "text": text}
        await outbox.enqueue(
            session,
            key=key,
            chat_id=user.user_id,
            method="sendMessage",
            payload=payload,
            not_before=incoming.now,
        )
        return
    group_key = _IN_GROUP.get(notice.key, "hold.notice_group")
    text = await _notice_text(session, services, incoming, group_key, policy.language)
    await outbox.enqueue(
        session,
        key=f"{GROUP_NOTICE_KEY}:{facts.chat_id}:{facts.message_id}",
        chat_id=facts.chat_id,
        method="sendMessage",
        payload={"chat_id": facts.chat_id, "text": text, "disable_notification": True},
        not_before=incoming.now,
    )


async def _reply_in_group(
    session: AsyncSession, services: Services, incoming: Incoming, notice: Notice
) -> None:
    facts = incoming.facts
    text = await _notice_text(session, services, incoming, notice.key, incoming.policy.language)
    await outbox.enqueue(
        session,
        key=f"notice:{facts.chat_id}:{facts.message_id}:{notice.key}",
        chat_id=facts.chat_id,
        method="sendMessage",
        payload={
            "chat_id": facts.chat_id,
            "text": text,
            "reply_parameters": {
                "message_id": facts.message_id,
                "allow_sending_without_reply": True,
            },
        },
        not_before=incoming.now,
    )


async def _notice_text(
    session: AsyncSession, services: Services, incoming: Incoming, key: str, lang: str
) -> str:
    """The notice in `lang`, with every parameter the notice texts use."""
    policy, decision, catalogs = incoming.policy, incoming.decision, services.catalogs
    chat = await session.get(Chat, incoming.facts.chat_id)
    release_at = decision.release_at or incoming.now
    quiet = decision.quiet
    return catalogs.text(
        key,
        lang,
        group=(chat.title if chat is not None else None)
        or incoming.message.chat.effective_name
        or "",
        name=sender_name(incoming.message),
        reason=reason_text(catalogs, lang, policy, str(quiet.reason or ""), quiet.holiday_name),
        release_at=when_text(catalogs, lang, release_at, policy.timezone, incoming.now),
        marker=policy.urgent_markers[0] if policy.urgent_markers else "",
        # urgent.over_quota's plural form follows the quota.
        count=policy.urgent_quota_per_week,
    )


async def _schedule_group_notice_delete(services: Services, item: SentItem) -> None:
    message_id = item.result.get("message_id")
    if message_id is None:
        return
    now = services.clock.now()
    async with services.sessions() as session:
        await outbox.enqueue_delete(
            session,
            prefix=f"{GROUP_NOTICE_KEY}-delete",
            chat_id=item.chat_id,
            message_id=message_id,
            not_before=now + GROUP_NOTICE_LIFETIME,
            now=now,
        )
        await session.commit()


def setup(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data.services

    async def posted(item: SentItem) -> None:
        await _schedule_group_notice_delete(services, item)

    services.sent_hooks.register(GROUP_NOTICE_KEY, posted)
