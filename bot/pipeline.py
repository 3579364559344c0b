"""The group message pipeline: translate, decide, record, then hand each effect to its feature."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytz
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot import acks, holding, notices, rollcalls
from bot.context import JianfuContext, Services
from bot.incoming import Incoming
from bot.platform.group_policies import classifier_config, policy_with_overrides
from bot.platform.roster import record_sender
from bot.platform.storage.models import Chat, GroupPolicyOverride, Member, MessageLog
from bot.platform.storage.upsert import insert_ignore
from bot.translate import message_facts, message_text
from policies.calendar import QuietStatus, quiet_status
from policies.classification import Classification
from policies.classifier import classify
from policies.decisions import Action, GroupState, MessageFacts, decide, urgent_week_start
from policies.group_policy import GroupPolicy, Mode
from policies.labels import Label


async def handle_group_message(update: Update, context: JianfuContext) -> None:
    message = update.message or update.edited_message
    if message is None or (message.from_user is None and message.sender_chat is None):
        return
    if message.from_user is not None and message.from_user.id == context.bot.id:
        return
    services = context.services
    user, now = message.from_user, services.clock.now()
    senders = services.recent_senders
    to_record = user if user is not None and not senders.is_fresh(message.chat, user, now) else None
    async with services.sessions() as session:
        if to_record is not None:
            await record_sender(session, message.chat, to_record, now)
        incoming = await decide_message(
            session, services, message, is_edit=update.edited_message is not None, now=now
        )
        await record(session, incoming)
        await apply(session, services, incoming)
        await session.commit()
    if to_record is not None:
        senders.remember(message.chat, to_record, now)
    services.outbox.wake()


async def decide_message(
    session: AsyncSession, services: Services, message: Message, *, is_edit: bool, now: datetime
) -> Incoming:
    """The decision for a message whose sender is recorded already."""
    known = await _known(session, message)
    policy = policy_with_overrides(known.overrides, services.settings.defaults)
    text = message_text(message)
    local_now = now.astimezone(pytz.timezone(policy.timezone))
    classification = classify(text, local_now, classifier_config(policy))
    facts = message_facts(message, is_edit=is_edit, sender_is_admin=known.sender_is_admin)
    quiet = quiet_status(policy, now)
    state = await _state(session, policy, facts, classification, known, quiet, now)
    decision = decide(policy, facts, classification, state, now, quiet)
    return Incoming(message, text, facts, policy, classification, decision, now)


_KNOWN = select(
    select(GroupPolicyOverride.overrides)
    .where(GroupPolicyOverride.chat_id == bindparam("chat_id"))
    .scalar_subquery(),
    select(Chat.bot_can_delete).where(Chat.chat_id == bindparam("chat_id")).scalar_subquery(),
    select(Member.is_admin)
    .where(Member.chat_id == bindparam("chat_id"), Member.user_id == bindparam("user_id"))
    .scalar_subquery(),
)


@dataclass(frozen=True, slots=True)
class _Known:
    """What the store says about the message's group and sender."""

    overrides: dict[str, Any] | None
    bot_can_delete: bool
    sender_is_admin: bool


async def _known(session: AsyncSession, message: Message) -> _Known:
    """The group's policy overrides, the bot's right to delete, the sender's admin flag: one
    round trip."""
    user_id = message.from_user.id if message.from_user is not None else None
    parameters = {"chat_id": message.chat_id, "user_id": user_id}
    row = (await session.execute(_KNOWN, parameters)).one()
    overrides, bot_can_delete, is_admin = row
    return _Known(overrides, bool(bot_can_delete), bool(is_admin))


async def _state(
    session: AsyncSession,
    policy: GroupPolicy,
    facts: MessageFacts,
    classification: Classification,
    known: _Known,
    quiet_now: QuietStatus,
    now: datetime,
) -> GroupState:
    """What the decision needs to know, queried only when this message can need it."""
    has = classification.has
    quiet = quiet_now.quiet
    return GroupState(
        open_ack_requests=(
            await acks.open_requests(session, facts.chat_id, now) if has(Label.ACK) else ()
        ),
        open_rollcalls=(
            await rollcalls.open_rollcalls(session, facts.chat_id) if has(Label.ROLLCALL) else ()
        ),
        sender_urgent_uses_this_week=(
            await holding.urgent_uses_since(
                session, facts.chat_id, facts.sender_id, urgent_week_start(policy, now)
            )
            if has(Label.URGENT) and (quiet or facts.is_edit)
            else 0
        ),
        bot_can_delete=known.bot_can_delete,
        message_is_held=(
            facts.is_edit and await holding.is_held(session, facts.chat_id, facts.message_id)
        ),
        sender_advised_this_period=(
            quiet
            and policy.mode is not Mode.OFF
            and await notices.advised_this_period(
                session, policy, facts, known.bot_can_delete, quiet_now
            )
        ),
    )


async def record(session: AsyncSession, incoming: Incoming) -> None:
    """The message log: every processed message once, with what was done and why."""
    decision = incoming.decision
    if decision.log_action is None:
        return
    facts, quiet = incoming.facts, decision.quiet
    message = incoming.message
    await insert_ignore(
        session,
        MessageLog,
        {
            "chat_id": facts.chat_id,
            "message_id": facts.message_id,
            "sender_id": message.from_user.id if message.from_user else None,
            "sender_chat_id": message.sender_chat.id if message.sender_chat else None,
            "sent_at": facts.sent_at,
            "received_at": incoming.now,
            "labels": sorted(incoming.classification.labels),
            "action": decision.log_action.value,
            "reason": "; ".join(incoming.classification.why)[:40] or None,
            "after_hours": decision.after_hours,
            "quiet_reason": (quiet.holiday_name or quiet.reason) if quiet.quiet else None,
            "urgent_reason": incoming.classification.urgent_reason,
            "text": incoming.text,
        },
        keys=["chat_id", "message_id"],
    )


async def apply(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """Each feature carries out its part of the decision; all of it commits together."""
    decision = incoming.decision
    if decision.action is Action.HOLD:
        await holding.hold(session, services, incoming)
    elif decision.action is Action.RELEASE_HELD:
        await holding.release_edited(session, services, incoming)
    elif decision.action is Action.ABSORB_ACK:
        await acks.absorb(session, services, incoming)
    elif decision.action is Action.MERGE_ROLLCALL:
        await rollcalls.merge(session, services, incoming)
    if decision.attach_ack_button:
        await acks.open_request(session, services, incoming)
    if decision.start_rollcall:
        await rollcalls.start(session, services, incoming)
    if decision.remind_instant_reply:
        await acks.remind_instant_reply(session, services, incoming)
    if decision.notices:
        await notices.deliver(session, services, incoming)


def setup(application: Application, group: int) -> None:  # type: ignore[type-arg]
    content = filters.ChatType.GROUPS & ~filters.StatusUpdate.ALL
    application.add_handler(
        MessageHandler(content & filters.UpdateType.MESSAGES, handle_group_message), group=group
    )
