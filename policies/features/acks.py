"""Acknowledgements: one button and a live tally instead of thirty "收到"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from policies.decide import Claim, Effect, Fate, LogAction, Outcome, Situation
from policies.labels import Label


@dataclass(frozen=True, slots=True)
class OpenAckRequest:
    request_id: int
    request_message_id: int
    bot_message_id: int | None  # the tally message, once sent
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AcksState:
    open_requests: tuple[OpenAckRequest, ...] = ()  # the chat's, oldest first


@dataclass(frozen=True, slots=True)
class AbsorbAck(Effect):
    """Count a plain acknowledgement for its sender (request None: a stray one), and remove it
    from the group when `delete`."""

    request_id: int | None
    delete: bool


@dataclass(frozen=True, slots=True)
class AttachAckButton(Effect):
    """The message demands replies: give it the button and tally instead."""

    instant_reply: bool


def matching_request(
    situation: Situation, requests: tuple[OpenAckRequest, ...]
) -> OpenAckRequest | None:
    """The open request an ack belongs to: the one replied to, else the only one open."""
    now, reply = situation.now, situation.message.reply_to
    live = tuple(r for r in requests if r.expires_at > now)
    if reply is not None:
        for request in live:
            if reply.message_id in (request.request_message_id, request.bot_message_id):
                return request
        return None
    return live[0] if len(live) == 1 else None


class AckRules:
    def claim(self, situation: Situation, state: AcksState) -> Claim | None:
        if situation.message.is_edit or not situation.classification.has(Label.ACK):
            return None
        request = matching_request(situation, state.open_requests)
        if request is None and not situation.policy.absorb_stray_acks:
            return None
        absorb = AbsorbAck(request.request_id if request else None, delete=situation.enforcing)
        return Claim(Fate.ABSORBED, LogAction.ABSORBED, (absorb,))

    def react(self, situation: Situation, state: AcksState, outcome: Outcome) -> tuple[Effect, ...]:
        classification = situation.classification
        if outcome.helped and classification.has(Label.DEMAND_REPLY):
            return (AttachAckButton(classification.instant_reply),)
        return ()


RULES = AckRules()
