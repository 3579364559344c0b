"""One quiet line quoting the rule a message breaks (e.g. demanding instant replies)."""

from __future__ import annotations

from dataclasses import dataclass

from policies.decide import Claim, Effect, Outcome, Situation
from policies.labels import Label

INSTANT_REPLY_RULE = "rule.instant_reply"


@dataclass(frozen=True, slots=True)
class RemindRule(Effect):
    """Reply to the message with the rule `key` (a catalog key), once per message."""

    key: str


class ReminderRules:
    def claim(self, situation: Situation, state: None) -> Claim | None:
        return None

    def react(self, situation: Situation, state: None, outcome: Outcome) -> tuple[Effect, ...]:
        classification = situation.classification
        if not outcome.helped:
            return ()
        declared = classification.has(Label.URGENT) and classification.urgent_reason is not None
        if classification.instant_reply and not declared:
            return (RemindRule(INSTANT_REPLY_RULE),)
        return ()


RULES = ReminderRules()
