"""The group message pipeline: what the store knows, each feature's state, the decision, the
log row, and each effect applied by its feature — all in the caller's transaction.

A feature is its rules (policies/features/), a loader of the state its rules read, and an
applier for each kind of effect it decides. The pipeline knows no feature by name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Generic, TypeVar

import pytz
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.gateway import Gateway
from bot.platform.group_policies import classifier_config, policy_with_overrides
from bot.platform.processed import mark_processed, processed_among
from bot.platform.roster import RecentSenders, record_sender
from bot.platform.storage.after_commit import after_commit
from bot.platform.storage.deferred import insert_later
from bot.platform.storage.known import known_facts
from bot.platform.storage.models import MessageLog
from policies.calendar import quiet_status
from policies.classifier import classify
from policies.decide import Decision, Effect, Rules, Situation, decide
from policies.group_policy import GroupPolicy
from policies.message import ChatMessage

log = logging.getLogger(__name__)

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
    rules: Rules[S] | None  # None: the feature only applies what other features' rules ask
    load: Loader[S]
    appliers: Mapping[type[Effect], Applier]


async def no_state(session: AsyncSession, situation: Situation) -> None:
    """The loader of a feature whose rules read nothing from the store."""


class Pipeline:
    """Runs the registered features over each group message, in their order."""

    def __init__(self, features: Sequence[Feature[Any]], defaults: GroupPolicy) -> None:
        self._features = tuple(features)
        self._ruling = tuple(f for f in self._features if f.rules is not None)
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
            (feature.rules, await feature.load(session, situation))
            for feature in self._ruling
            if feature.rules is not None
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


@dataclass(frozen=True, slots=True)
class _Known:
    """What the store says about the message's group and sender."""

    overrides: dict[str, Any] | None
    bot_can_delete: bool
    sender_is_admin: bool


async def _known(session: AsyncSession, message: ChatMessage) -> _Known:
    """The group's policy overrides, the bot's right to delete, the sender's admin flag."""
    facts = known_facts(session)
    group = await facts.group(session, message.chat.id)
    sender = message.sender.id if message.sender is not None else None
    is_admin = await facts.is_admin(session, message.chat.id, sender)
    return _Known(group.overrides, group.bot_can_delete, is_admin)


async def _log(session: AsyncSession, decided: Decided) -> None:
    """The message log: every processed message once, with what was done and why."""
    decision, situation = decided.decision, decided.situation
    if decision.log is None:
        return
    message, classification, quiet = situation.message, situation.classification, decision.quiet
    insert_later(
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


@dataclass(frozen=True, slots=True)
class Arrival:
    """A group message as it arrived: its update's id and the message."""

    update_id: int
    message: ChatMessage


class MessageIntake:
    """Group messages into the pipeline, a batch in one transaction, recorded as processed in it.

    An update already recorded (Telegram delivers again what was not confirmed, e.g. after a
    crash between the commit and the confirmation) is skipped. When a batch fails, each of its
    messages is tried again in a transaction of its own: one that still fails is logged and
    skipped, the others stand. A failure of the database itself (unreachable, a dropped
    connection) is raised instead, so that the batch is not confirmed and comes again.
    """

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

    async def receive(self, arrivals: Sequence[Arrival]) -> None:
        try:
            async with self._sessions() as session:
                await self._process(session, arrivals)
                await session.commit()
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            if len(arrivals) == 1:
                log.exception("update %s failed; skipped", arrivals[0].update_id)
                await self._skip(arrivals[0])
            else:
                for arrival in arrivals:
                    await self.receive([arrival])
        self._wake()

    async def _process(self, session: AsyncSession, arrivals: Sequence[Arrival]) -> None:
        done = await processed_among(session, [a.update_id for a in arrivals])
        for arrival in arrivals:
            if arrival.update_id not in done:
                await self._handle(session, arrival.message)
                # The database answers at once (SQLite runs inline): a turn for the rest of
                # the bot between messages keeps a batch from holding the event loop.
                await asyncio.sleep(0)
        await mark_processed(session, [a.update_id for a in arrivals], self._clock.now())

    async def _handle(self, session: AsyncSession, message: ChatMessage) -> None:
        user = message.sender
        if user is None and message.sender_chat is None:
            return
        if user is not None and user.id == self._gateway.bot_id:
            return
        now = self._clock.now()
        if user is not None and not self._senders.is_fresh(message.chat, user, now):
            await record_sender(session, message.chat, user, now)
            after_commit(session, partial(self._senders.remember, message.chat, user, now))
        await self._pipeline.handle(session, message, now)

    async def _skip(self, arrival: Arrival) -> None:
        """A poison update is recorded as processed: it is not tried again when redelivered."""
        async with self._sessions() as session:
            await mark_processed(session, [arrival.update_id], self._clock.now())
            await session.commit()
