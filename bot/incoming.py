"""One group message on its way through the pipeline: Telegram's message and what was derived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import Message

from policies.classification import Classification
from policies.decisions import Decision, MessageFacts
from policies.group_policy import GroupPolicy


@dataclass(frozen=True, slots=True)
class Incoming:
    message: Message
    text: str
    facts: MessageFacts
    policy: GroupPolicy
    classification: Classification
    decision: Decision
    now: datetime
