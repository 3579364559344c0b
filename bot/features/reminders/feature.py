"""Reminders in the bot: the rule's line as a silent reply to the message."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.essentials import Essentials
from bot.platform.outbox.items import Outgoing
from bot.platform.outbox.store import enqueue
from bot.platform.pipeline import Decided, Feature, no_state
from policies.features.reminders import RULES, RemindRule

KIND = "reminder"


class Reminders:
    def __init__(self, base: Essentials) -> None:
        self._base = base

    def feature(self) -> Feature[None]:
        return Feature("reminders", RULES, no_state, {RemindRule: self.remind})

    async def remind(self, session: AsyncSession, remind: RemindRule, decided: Decided) -> None:
        message, policy = decided.message, decided.policy
        marker = policy.urgent_markers[0] if policy.urgent_markers else ""
        chat_id = message.chat.id
        reply = Outgoing(
            KIND,
            chat_id,
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": self._base.text(remind.key, policy.language, marker=marker),
                "reply_parameters": {
                    "message_id": message.message_id,
                    "allow_sending_without_reply": True,
                },
                "disable_notification": True,
            },
            subject_id=message.message_id,
            part=remind.key,
        )
        await enqueue(session, reply, not_before=decided.now)
