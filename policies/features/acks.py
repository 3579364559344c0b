"""Acknowledgements: one button and a live tally instead of thirty "收到"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from policies.decide import Claim, Effect, Fate, LogAction, Outcome, Situation
from policies.labels import Label

# What a bare "收到" may answer besides a request: anything else said to the group.
_ADDRESSED = frozenset(
    {Label.NOTICE, Label.DEMAND_REPLY, Label.DATA_REQUEST, Label.ROLLCALL, Label.URGENT}
)


@dataclass(frozen=True, slots=True)
class OpenAckRequest:
    request_id: int
    request_message_id: int
    bot_message_id: int | None  # the tally message, once sent
    expires_at: datetime
    requester_id: int | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    """A message in the chat after the latest request's (acknowledgements and merges aside)."""

    sender_id: int
    labels: frozenset[Label]


# How far back a bare "收到" is read: past this many messages since the latest request, what it
# answers is anyone's guess.
POSTED_SINCE_LIMIT = 50
# Messages that say nothing new to the group: acknowledgements and merged reposts of a chain.
NOT_SAID = frozenset({LogAction.ABSORBED, LogAction.MERGED})


@dataclass(frozen=True, slots=True)
class AcksState:
    open_requests: tuple[OpenAckRequest, ...] = ()  # the chat's, oldest first
    # What was posted after the message of the latest open request, newest first, at most
    # POSTED_SINCE_LIMIT messages (NOT_SAID ones left out); `more_since`: there was more.
    posted_since: tuple[Posted, ...] = ()
    more_since: bool = False


@dataclass(frozen=True, slots=True)
class AbsorbAck(Effect):
    """Count a plain acknowledgement for its sender (request None: a stray one), and remove it
    from the group when `delete`."""

    request_id: int | None
    delete: bool


@dataclass(frozen=True, slots=True)
class CountAck(Effect):
    """An acknowledgement with more to say ("收到,但…"): counted for its sender; it stays."""

    request_id: int


@dataclass(frozen=True, slots=True)
class AttachAckButton(Effect):
    """The message demands replies: give it the button and tally instead."""

    instant_reply: bool


def matching_request(situation: Situation, state: AcksState) -> OpenAckRequest | None:
    """The open request an acknowledgement belongs to: the one it replies to; without a reply,
    the latest request, when nothing since could be what it answers — nothing else said to the
    group, nothing more from the requester. Never a request of the acknowledger's own."""
    now, message = situation.now, situation.message
    live = [r for r in state.open_requests if r.expires_at > now]
    request: OpenAckRequest | None = None
    reply = message.reply_to
    if reply is not None:
        replied = (r for r in live if reply.message_id in (r.request_message_id, r.bot_message_id))
        request = next(replied, None)
    elif live and not state.more_since:
        latest = max(live, key=lambda r: r.request_message_id)
        if not any(
            posted.sender_id == latest.requester_id or posted.labels & _ADDRESSED
            for posted in state.posted_since
        ):
            request = latest
    if request is not None and request.requester_id == message.sender_id:
        return None
    return request


def reads_acks(situation: Situation) -> bool:
    """Whether the message acknowledges anything: the rules need the open requests."""
    classification = situation.classification
    return not situation.message.is_edit and (
        classification.has(Label.ACK) or classification.opens_with_ack
    )


def says_more(situation: Situation) -> bool:
    """An acknowledgement that says more than that: in words ("收到,但…"), or with a file, a
    place, a contact, a poll or a link it carries. It counts, and it stays."""
    classification = situation.classification
    return classification.opens_with_ack or (
        classification.has(Label.ACK) and situation.message.carries_content
    )


class AckRules:
    def claim(self, situation: Situation, state: AcksState) -> Claim | None:
        message = situation.message
        if message.is_edit or message.carries_content:
            return None
        if not situation.classification.has(Label.ACK):
            return None
        request = matching_request(situation, state)
        if request is None and not situation.policy.absorb_stray_acks:
            return None
        absorb = AbsorbAck(request.request_id if request else None, delete=situation.enforcing)
        return Claim(Fate.ABSORBED, LogAction.ABSORBED, (absorb,))

    def react(self, situation: Situation, state: AcksState, outcome: Outcome) -> tuple[Effect, ...]:
        classification = situation.classification
        if outcome.helped and classification.has(Label.DEMAND_REPLY):
            return (AttachAckButton(classification.instant_reply),)
        if says_more(situation) and not situation.message.is_edit:
            request = matching_request(situation, state)
            if request is not None:
                return (CountAck(request.request_id),)
        return ()


RULES = AckRules()
