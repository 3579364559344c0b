"""Duplicate data requests: every data request fingerprinted, a later one linked to the earlier
request for the same data (any group, within the window), and the answers to stored requests
counted.

The rules claim nothing: a data request stays in its group whatever else happens to it. Only
a request that stays where it was posted is fingerprinted (a held one is gone from there, an
absorbed or merged one is not a request of its own), and only one that stays as it should is
linked: the bot does not reply in the group at night to a message it only advised about.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta

import pytz

from policies.datakey import Lexicon
from policies.decide import Claim, Effect, Fate, Outcome, Situation
from policies.duplicates import (
    DEFAULT_WINDOW,
    Attachment,
    DataRequest,
    data_request,
    fingerprinted,
    first_duplicate,
    may_be_fingerprinted,
)
from policies.labels import Label
from policies.message import AttachmentKind, ChatMessage
from policies.table_headers import unreadable

# What counts as a file among the answers: the list itself, a photo or video of a filled form.
ANSWER_FILE_KINDS = frozenset({AttachmentKind.DOCUMENT, AttachmentKind.PHOTO, AttachmentKind.VIDEO})


@dataclass(frozen=True, slots=True)
class AnsweredRequest:
    """The stored request a message replies to."""

    request_id: int
    requester_id: int | None


@dataclass(frozen=True, slots=True)
class DuplicatesState:
    request: DataRequest | None = None  # the message read as a data request, when it may be one
    # Stored requests under its query keys in the window, oldest first; read once, and only
    # up to the match (a loader may give them lazily).
    candidates: Iterable[DataRequest] = ()
    rejected: frozenset[frozenset[str]] = frozenset()  # pairs admins said differ, with this one
    answers: AnsweredRequest | None = None
    # Candidates its sender posted in this group: asking again there is a reminder (催报), not
    # another department asking for the same data.
    own: Collection[int] = frozenset()


@dataclass(frozen=True, slots=True)
class FingerprintRequest(Effect):
    """Store the request so later ones find it; `read_header`: its table is to be read (after
    the message's transaction); `unread` says why an attached file gives no header."""

    request: DataRequest
    read_header: bool = False
    unread: str = ""


@dataclass(frozen=True, slots=True)
class LinkDuplicate(Effect):
    """The request just fingerprinted asks for the data stored request `earlier_id` asked for."""

    earlier_id: int


@dataclass(frozen=True, slots=True)
class RecordAnswer(Effect):
    """The message answers stored request `request_id` (with a file, or in words)."""

    request_id: int
    with_file: bool


def may_be_request(situation: Situation) -> bool:
    """Whether the message is worth reading as a data request: a new one with words that may
    ask for data, in a group that wants duplicates pointed out."""
    message, text = situation.message, situation.message.readable_text
    return (
        situation.policy.duplicates
        and not message.is_edit
        and bool(text.strip())
        and may_be_fingerprinted(situation.classification.labels, text)
    )


def as_request(
    message: ChatMessage, zone: str, lexicon: Lexicon, request_id: int | None = None
) -> DataRequest:
    """The message as the matcher sees it (its file by Telegram's unique id, headers unread);
    periods are read in the group's zone."""
    attachment = message.attachment
    file = (
        Attachment(attachment.file_unique_id)
        if attachment is not None and attachment.file_unique_id
        else None
    )
    local = message.sent_at.astimezone(pytz.timezone(zone))
    return data_request(request_id, message.readable_text, local, lexicon, attachment=file)


def is_request(situation: Situation, request: DataRequest) -> bool:
    """Whether the message is a data request the matcher keeps."""
    return fingerprinted(situation.classification.labels, request, situation.message.readable_text)


def _table_plan(message: ChatMessage) -> tuple[bool, str]:
    """Whether the message's file is a table to read, and if not, why not (a document only)."""
    attachment = message.attachment
    if attachment is None or attachment.kind is not AttachmentKind.DOCUMENT:
        return False, ""
    if attachment.file_id is None:
        return False, "no file to fetch"
    reason = unreadable(attachment.file_name, attachment.file_size)
    return reason is None, reason or ""


def _answer(situation: Situation, state: DuplicatesState, outcome: Outcome) -> Effect | None:
    """A reply to a stored request that will be seen in the group, not the requester's own and
    not a mere acknowledgement, answers it."""
    answered, message = state.answers, situation.message
    if (
        answered is None
        or message.is_edit
        or outcome.fate not in (Fate.KEPT, Fate.HELD)
        or situation.classification.has(Label.ACK)
        or message.sender_id == answered.requester_id
    ):
        return None
    attachment = message.attachment
    with_file = attachment is not None and attachment.kind in ANSWER_FILE_KINDS
    return RecordAnswer(answered.request_id, with_file)


class DuplicateRules:
    def __init__(self, window: timedelta = DEFAULT_WINDOW) -> None:
        self.window = window

    def claim(self, situation: Situation, state: DuplicatesState) -> Claim | None:
        return None

    def react(
        self, situation: Situation, state: DuplicatesState, outcome: Outcome
    ) -> tuple[Effect, ...]:
        answer = _answer(situation, state, outcome)
        effects: list[Effect] = [answer] if answer is not None else []
        request = state.request
        if (
            request is None
            or outcome.fate is not Fate.KEPT
            or not may_be_request(situation)
            or not is_request(situation, request)
        ):
            return tuple(effects)
        effects.append(FingerprintRequest(request, *_table_plan(situation.message)))
        if outcome.helped:
            earlier = self.earlier(request, state.candidates, state.rejected, state.own)
            if earlier is not None:
                effects.append(LinkDuplicate(earlier.id))
        return tuple(effects)

    def earlier(
        self,
        request: DataRequest,
        in_time_order: Iterable[DataRequest],
        rejected: Collection[frozenset[str]],
        own: Collection[int] = frozenset(),
    ) -> DataRequest | None:
        """The earliest of the candidates (given oldest first) `request` asks the same data as:
        only one stored before it (a table read later must not link a request to one that came
        after it), and not one of the sender's `own` in the group. Candidates after the one
        found are not read."""
        before = (
            candidate
            for candidate in in_time_order
            if candidate.sent_at <= request.sent_at
            and (request.id is None or candidate.id < request.id)
            and candidate.id not in own
        )
        return first_duplicate(request, before, rejected, self.window)
