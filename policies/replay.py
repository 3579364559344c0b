"""What Jianfu would have done with messages it never saw: the live rules replayed over a
group's history (a Telegram Desktop export), one message at a time, in order.

`replay_message` is the one place that asks the decision engine about a replayed message; the
chat's replayed state (open acknowledgement requests and roll-calls, urgent passes per week)
moves on as the bot's stored state would have, and so do the data requests of every chat
(ReplayedRequests), which later requests are compared with. The bot is assumed to have had the
right to delete; a replayed roll-call stays open for ROLLCALL_OPEN_DAYS, standing in for the
initiator who closes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

import pytz

from policies.calendar import QuietStatus, next_quiet_start, quiet_status
from policies.classifier import ClassifierConfig, classify
from policies.datakey import Lexicon, default_lexicon
from policies.decide import Decision, LogAction, Ruled, Situation, decide
from policies.duplicates import DEFAULT_WINDOW, DuplicateIndex
from policies.features import acks, holding, reminders, rollcalls
from policies.features.acks import AttachAckButton, OpenAckRequest
from policies.features.duplicates import (
    DuplicateRules,
    DuplicatesState,
    FingerprintRequest,
    LinkDuplicate,
    as_request,
    is_request,
    may_be_request,
)
from policies.features.notices import Tell, period_key
from policies.features.rollcalls import ListedLine, MergeRollcall, OpenRollCall, StartRollcall
from policies.group_policy import GroupPolicy
from policies.labels import Label
from policies.message import ChatMessage
from policies.supervision import LogEntry

ROLLCALL_OPEN_DAYS = 7
MAX_OPEN_ROLLCALLS = 5
_FAR_FUTURE = datetime.max.replace(tzinfo=pytz.utc)


@dataclass(slots=True)
class ChatReplay:
    """One chat's state as the bot would have kept it, and its policy."""

    policy: GroupPolicy
    config: ClassifierConfig
    zone: pytz.BaseTzInfo
    open_acks: list[OpenAckRequest] = field(default_factory=list)
    open_rollcalls: list[tuple[datetime, OpenRollCall]] = field(default_factory=list)
    urgent_uses: dict[tuple[int, datetime], int] = field(default_factory=dict)
    told: dict[tuple[int, str], frozenset[str]] = field(default_factory=dict)
    senders: set[int] = field(default_factory=set)
    _next_id: int = 1
    _quiet: QuietStatus | None = None
    _quiet_span: tuple[datetime, datetime] = (_FAR_FUTURE, _FAR_FUTURE)

    @classmethod
    def start(cls, policy: GroupPolicy) -> ChatReplay:
        return cls(policy, ClassifierConfig.from_policy(policy), pytz.timezone(policy.timezone))

    def quiet_at(self, now: datetime) -> QuietStatus:
        """quiet_status(policy, now), computed once per stretch in which it cannot change."""
        start, end = self._quiet_span
        if self._quiet is not None and start <= now < end:
            return self._quiet
        status = quiet_status(self.policy, now)
        if status.quiet:
            # Within a quiet period the reason changes only at a local midnight.
            local_day = now.astimezone(self.zone).date()
            midnight = self.zone.localize(datetime.combine(local_day + timedelta(days=1), time()))
            end = min(status.resumes_at or now, midnight.astimezone(pytz.utc))
        else:
            end = next_quiet_start(self.policy, now) or _FAR_FUTURE
        self._quiet, self._quiet_span = status, (now, end)
        return status

    def live_acks(self, now: datetime) -> tuple[OpenAckRequest, ...]:
        self.open_acks = [r for r in self.open_acks if r.expires_at > now]
        return tuple(self.open_acks)

    def live_rollcalls(self, now: datetime) -> tuple[OpenRollCall, ...]:
        oldest = now - timedelta(days=ROLLCALL_OPEN_DAYS)
        self.open_rollcalls = [(at, r) for at, r in self.open_rollcalls if at > oldest]
        return tuple(r for _, r in self.open_rollcalls)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id


@dataclass(slots=True)
class ReplayedRequests:
    """The data requests replayed so far in every chat of an export, as the bot's store would
    hold them (without their files' headers: an export's JSON carries none), and the
    duplicates it would have pointed out, per chat."""

    lexicon: Lexicon
    rules: DuplicateRules
    index: DuplicateIndex
    posted: dict[tuple[int, int], set[int]] = field(default_factory=dict)  # chat, sender: ids
    linked: dict[int, int] = field(default_factory=dict)
    _stored: int = 0

    @classmethod
    def start(
        cls, lexicon: Lexicon | None = None, window: timedelta = DEFAULT_WINDOW
    ) -> ReplayedRequests:
        return cls(lexicon or default_lexicon(), DuplicateRules(window), DuplicateIndex(window))

    def state(self, situation: Situation) -> DuplicatesState:
        """What the bot's loader would have found for the message."""
        if not may_be_request(situation):
            return DuplicatesState()
        message = situation.message
        request = as_request(message, situation.policy.timezone, self.lexicon)
        if not is_request(situation, request):
            return DuplicatesState(request)
        own = self.posted.get((message.chat.id, message.sender_id), ()) if message.sender_id else ()
        return DuplicatesState(request, self.index.candidates(request), own=own)

    def move_on(self, message: ChatMessage, decision: Decision) -> None:
        for stored in decision.of(FingerprintRequest):
            self._stored += 1
            self.posted.setdefault((message.chat.id, message.sender_id), set()).add(self._stored)
            self.index.add(replace(stored.request, id=self._stored))
        if decision.of(LinkDuplicate):
            self.linked[message.chat.id] = self.linked.get(message.chat.id, 0) + 1


def replay_message(
    chat: ChatReplay, message: ChatMessage, requests: ReplayedRequests | None = None
) -> LogEntry | None:
    """The log entry the bot would have written for `message` (None: it logs nothing, as for
    a command), the chat's replayed state moved on past it; with `requests`, the data
    requests of every chat replayed so far, which it joins when it is one."""
    now = message.sent_at
    quiet = chat.quiet_at(now)
    text = message.readable_text
    classification = classify(text, now.astimezone(chat.zone), chat.config)
    has = classification.has
    sender_id = message.sender_id
    situation = Situation(message, classification, chat.policy, quiet, now)
    week = (
        holding.urgent_week_start(chat.policy, now) if has(Label.URGENT) and quiet.quiet else None
    )
    period = period_key(holding.release_time(situation)) if quiet.quiet else ""
    features: list[Ruled] = [
        (acks.RULES, acks.AcksState(chat.live_acks(now) if has(Label.ACK) else ())),
        (
            rollcalls.RULES,
            rollcalls.RollcallsState(chat.live_rollcalls(now) if has(Label.ROLLCALL) else ()),
        ),
        (
            holding.RULES,
            holding.HoldingState(
                chat.urgent_uses.get((sender_id, week), 0) if week else 0,
                told_this_period=chat.told.get((sender_id, period), frozenset()),
            ),
        ),
        (reminders.RULES, None),
    ]
    if requests is not None:
        features.append((requests.rules, requests.state(situation)))
    decision = decide(situation, features)
    _move_on(chat, message, decision, week)
    if requests is not None:
        requests.move_on(message, decision)
    if decision.log is None:
        return None
    return LogEntry(
        chat_id=message.chat.id,
        message_id=message.message_id,
        sender_id=sender_id or None,
        sent_at=now,
        action=decision.log,
        labels=classification.labels,
        after_hours=decision.after_hours,
        quiet_reason=(quiet.holiday_name or quiet.reason) if quiet.quiet else None,
        urgent_reason=classification.urgent_reason,
        instant_reply=classification.instant_reply,
        text=text,
    )


def _move_on(
    chat: ChatReplay, message: ChatMessage, decision: Decision, week: datetime | None
) -> None:
    """What the bot would have stored after carrying out `decision`."""
    now, sender_id = message.sent_at, message.sender_id
    if sender_id:
        chat.senders.add(sender_id)
    if decision.of(AttachAckButton):
        expires = now + timedelta(minutes=chat.policy.ack_window_minutes)
        chat.open_acks.append(OpenAckRequest(chat.new_id(), message.message_id, None, expires))
    for start in decision.of(StartRollcall):
        lines = tuple(ListedLine(chat.new_id(), e.name, e.extra) for e in start.chain.entries)
        opened = OpenRollCall(chat.new_id(), message.message_id, start.chain.title, lines)
        chat.open_rollcalls = [*chat.open_rollcalls, (now, opened)][-MAX_OPEN_ROLLCALLS:]
    for merge in decision.of(MergeRollcall):
        added = tuple(ListedLine(chat.new_id(), e.name, e.extra) for e in merge.added)
        chat.open_rollcalls = [
            (at, _merged(r, added, merge.withdrawn))
            if r.rollcall_id == merge.rollcall_id
            else (at, r)
            for at, r in chat.open_rollcalls
        ]
    if decision.log is LogAction.URGENT_PASSED and week is not None:
        chat.urgent_uses[(sender_id, week)] = chat.urgent_uses.get((sender_id, week), 0) + 1
    for tell in decision.of(Tell):
        if tell.once_per is not None:
            told = chat.told.get((sender_id, tell.once_per), frozenset())
            chat.told[(sender_id, tell.once_per)] = told | {tell.key}


def _merged(
    rollcall: OpenRollCall, added: tuple[ListedLine, ...], withdrawn: tuple[int, ...]
) -> OpenRollCall:
    kept = tuple(line for line in rollcall.lines if line.entry_id not in withdrawn)
    return replace(rollcall, lines=kept + added)
