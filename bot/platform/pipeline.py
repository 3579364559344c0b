"""The group message pipeline: what the store knows, each feature's state, the decision, the
log row, and each effect applied by its feature — all in the caller's transaction.

A feature is its rules (policies/features/), a loader of the state its rules read, and an
applier for each kind of effect it decides. The pipeline knows no feature by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import pytz
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.gateway import Gateway
from bot.platform.group_policies import classifier_config, policy_with_overrides
from bot.platform.roster import RecentSenders, record_sender
from bot.platform.storage.models import Chat, GroupPolicyOverride, Member, MessageLog
from bot.platform.storage.upsert import insert_ignore
from policies.calendar import quiet_status
from policies.classifier import classify
from policies.decide import Decision, Effect, Rules, Situation, decide
from policies.group_policy import GroupPolicy
from policies.message import ChatMessage

S = TypeVar("S")
E = TypeVar("E", bound=Effect)


@dataclass(frozen=True, slots=True)
class Decided:
    """A message on its way through: the situation the rules saw and what they decided."""

    situation: Situation
    decision: Decision

    @property
    def message(self) -> ChatMessage:
        return self.situation.message

    @property
    def policy(self) -> GroupPolicy:
        return self.situation.policy

    @property
    def now(self) -> datetime:
        return self.situation.now


Loader = Callable[[AsyncSession, Situation], Awaitable[S]]
Applier = Callable[[AsyncSession, Any, Decided], Awaitable[None]]
"""Carries out one effect (of the kind it is registered for) in the pipeline's transaction."""


@dataclass(frozen=True)
class Feature(Generic[S]):
    name: str
    rules: Rules[S]
    load: Loader[S]
    appliers: Mapping[type[Effect], Applier]


async def no_state(session: AsyncSession, situation: Situation) -> None:
    """The loader of a feature whose rules read nothing from the store."""


class Pipeline:
    """Runs the registered features over each group message, in their order."""

    def __init__(self, features: Sequence[Feature[Any]], defaults: GroupPolicy) -> None:
        self._features = tuple(features)
        self._defaults = defaults
        self._appliers: dict[type[Effect], Applier] = {}
        for feature in self._features:
            for kind, applier in feature.appliers.items():
                if kind in self._appliers:
                    raise ValueError(f"two features apply {kind.__name__}")
                self._appliers[kind] = applier

    async def handle(self, session: AsyncSession, message: ChatMessage, now: datetime) -> Decided:
        """Decide on a group message whose sender is recorded already, log it, apply it."""
        situation = await self.situation(session, message, now)
        ruled = [
            (feature.rules, await feature.load(session, situation)) for feature in self._features
        ]
        decided = Decided(situation, decide(situation, ruled))
        await _log(session, decided)
        for effect in decided.decision.effects:
            applier = self._appliers.get(type(effect))
            if applier is None:
                raise LookupError(f"no feature applies {type(effect).__name__}")
            await applier(session, effect, decided)
        return decided

    async def situation(
        self, session: AsyncSession, message: ChatMessage, now: datetime
    ) -> Situation:
        """The message with what the store knows of its group and sender, and its reading."""
        known = await _known(session, message)
        policy = policy_with_overrides(known.overrides, self._defaults)
        local_now = now.astimezone(pytz.timezone(policy.timezone))
        classification = classify(message.readable_text, local_now, classifier_config(policy))
        return Situation(
            message,
            classification,
            policy,
            quiet_status(policy, now),
            now,
            bot_can_delete=known.bot_can_delete,
            sender_is_admin=known.sender_is_admin,
        )


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


async def _known(session: AsyncSession, message: ChatMessage) -> _Known:
    """The group's policy overrides, the bot's right to delete, the sender's admin flag: one
    round trip."""
    user_id = message.sender.id if message.sender is not None else None
    parameters = {"chat_id": message.chat.id, "user_id": user_id}
    overrides, bot_can_delete, is_admin = (await session.execute(_KNOWN, parameters)).one()
    return _Known(overrides, bool(bot_can_delete), bool(is_admin))


async def _log(session: AsyncSession, decided: Decided) -> None:
    """The message log: every processed message once, with what was done and why."""
    decision, situation = decided.decision, decided.situation
    if decision.log is None:
        return
    message, classification, quiet = situation.message, situation.classification, decision.quiet
    await insert_ignore(
        session,
        MessageLog,
        {
            "chat_id": message.chat.id,
            "message_id": message.message_id,
            "sender_id": message.sender.id if message.sender is not None else None,
            "sender_chat_id": message.sender_chat.id if message.sender_chat else None,
            "sent_at": message.sent_at,
            "received_at": situation.now,
            "labels": sorted(classification.labels),
            "action": decision.log.value,
            "reason": "; ".join(classification.why)[:40] or None,
            "after_hours": decision.after_hours,
            "quiet_reason": (quiet.holiday_name or quiet.reason) if quiet.quiet else None,
            "urgent_reason": classification.urgent_reason,
            "text": message.readable_text,
        },
        keys=["chat_id", "message_id"],
    )


class MessageIntake:
    """Group messages into the pipeline: sender recorded, one transaction, then the outbox woken."""

    def __init__(
        self,
        pipeline: Pipeline,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        gateway: Gateway,
        senders: RecentSenders,
        wake: Callable[[], None],
    ) -> None:
        self._pipeline = pipeline
        self._sessions = sessions
        self._clock = clock
        self._gateway = gateway
        self._senders = senders
        self._wake = wake

    async def receive(self, message: ChatMessage) -> None:
        user = message.sender
        if user is None and message.sender_chat is None:
            return
        if user is not None and user.id == self._gateway.bot_id:
            return
        now = self._clock.now()
        fresh = user is None or self._senders.is_fresh(message.chat, user, now)
        async with self._sessions() as session:
            if user is not None and not fresh:
                await record_sender(session, message.chat, user, now)
            await self._pipeline.handle(session, message, now)
            await session.commit()
        if user is not None and not fresh:
            self._senders.remember(message.chat, user, now)
        self._wake()
