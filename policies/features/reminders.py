"""One quiet line quoting the rule a message breaks: demanding instant replies, or screenshots,
photos and videos as proof of work (截图留痕)."""

from __future__ import annotations

from dataclasses import dataclass

from policies.decide import Claim, Effect, Outcome, Situation
from policies.labels import Label

INSTANT_REPLY_RULE = "rule.instant_reply"
PROOF_DEMAND_RULE = "rule.proof_demand"


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
        reminders: list[Effect] = []
        declared = classification.has(Label.URGENT) and classification.urgent_reason is not None
        if classification.instant_reply and not declared:
            reminders.append(RemindRule(INSTANT_REPLY_RULE))
        # Urgency is no reason for proof: "forward the warning and send a screenshot" is just
        # the habit the rule is against.
        if classification.has(Label.PROOF_DEMAND):
            reminders.append(RemindRule(PROOF_DEMAND_RULE))
        return tuple(reminders)


RULES = ReminderRules()
