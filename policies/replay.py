"""What Jianfu would have done with messages it never saw: the live rules replayed over a
group's history (a Telegram Desktop export), one message at a time, in order.

`replay_message` is the one place that asks the decision engine about a replayed message; the
chat's replayed state (open acknowledgement requests and roll-calls, urgent passes per week)
moves on as the bot's stored state would have; the data requests it would have stored go to
the matcher across chats (ReplayedRequests), which later requests are compared with. The bot
is assumed to have had the right to delete; a replayed roll-call stays open for
ROLLCALL_OPEN_DAYS, standing in for the initiator who closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

import pytz

from policies.calendar import QuietStatus, next_quiet_start, next_work_start, quiet_status
from policies.classifier import ClassifierConfig, classify
from policies.datakey import Lexicon, default_lexicon
from policies.decide import Decision, LogAction, Ruled, Situation, decide
from policies.duplicates import DEFAULT_WINDOW, DataRequest, DuplicateIndex
from policies.features import acks, holding, reminders, rollcalls
from policies.features.acks import (
    NOT_SAID,
    POSTED_SINCE_LIMIT,
    AttachAckButton,
    OpenAckRequest,
    Posted,
)
from policies.features.duplicates import (
    DuplicateRules,
    DuplicatesState,
    FingerprintRequest,
    as_request,
    may_be_request,
)
from policies.features.notices import Tell, period_key
from policies.features.rollcalls import ListedLine, MergeRollcall, OpenRollCall, StartRollcall
from policies.group_policy import GroupPolicy
from policies.labels import Label
from policies.message import ChatMessage
from policies.supervision import LogEntry

ROLLCALL_OPEN_DAYS = 7
URGENT_WEEKS_KEPT = timedelta(weeks=3)
"""Urgent passes are counted per week; a message dated this far back (exports are nearly in
order) would find its week's count forgotten."""
MAX_OPEN_ROLLCALLS = 5
_FAR_FUTURE = datetime.max.replace(tzinfo=pytz.utc)
_NO_ACKS = acks.AcksState()
_NO_ROLLCALLS = rollcalls.RollcallsState()


@dataclass(slots=True)
class ChatReplay:
    """One chat's state as the bot would have kept it, and its policy."""

    policy: GroupPolicy
    config: ClassifierConfig
    zone: pytz.BaseTzInfo
    open_acks: list[OpenAckRequest] = field(default_factory=list)
    # What was said after the latest request (oldest first), as the message log would hold it.
    posted_since: list[Posted] = field(default_factory=list)
    open_rollcalls: list[tuple[datetime, OpenRollCall]] = field(default_factory=list)
    urgent_uses: dict[tuple[int, datetime], int] = field(default_factory=dict)
    told: dict[tuple[int, str], frozenset[str]] = field(default_factory=dict)
    senders: set[int] = field(default_factory=set)
    _next_id: int = 1
    _quiet: QuietStatus | None = None
    _quiet_span: tuple[datetime, datetime] = (_FAR_FUTURE, _FAR_FUTURE)
    period: str = ""  # the quiet period's key (notices.period_key) while quiet, else ""

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
            # Within a quiet period the reason changes only at a local midnight, and the release
            # time (the next work start) not at all.
            local_day = now.astimezone(self.zone).date()
            midnight = self.zone.localize(datetime.combine(local_day + timedelta(days=1), time()))
            end = min(status.resumes_at or now, midnight.astimezone(pytz.utc))
            self.period = period_key(status.resumes_at or next_work_start(self.policy, now))
        else:
            end = next_quiet_start(self.policy, now) or _FAR_FUTURE
            self.period = ""
        self._quiet, self._quiet_span = status, (now, end)
        self._forget(now)
        return status

    def _forget(self, now: datetime) -> None:
        """Let go of what no later message asks for, so that memory stays bounded however long
        the history: notices told in other quiet periods (they decide what is said, never what
        is logged) and urgent passes of weeks URGENT_WEEKS_KEPT and more behind."""
        if self.told:
            self.told = {key: told for key, told in self.told.items() if key[1] == self.period}
        if self.urgent_uses:
            oldest = now - URGENT_WEEKS_KEPT
            self.urgent_uses = {k: n for k, n in self.urgent_uses.items() if k[1] >= oldest}

    def live_acks(self, now: datetime) -> tuple[OpenAckRequest, ...]:
        self.open_acks = [r for r in self.open_acks if r.expires_at > now]
        return tuple(self.open_acks)

    def acks_state(self, now: datetime) -> acks.AcksState:
        """The acknowledgement state the bot's loader would have found."""
        since = self.posted_since[::-1]
        live = self.live_acks(now)
        return acks.AcksState(
            live, tuple(since[:POSTED_SINCE_LIMIT]), len(since) > POSTED_SINCE_LIMIT
        )

    def live_rollcalls(self, now: datetime) -> tuple[OpenRollCall, ...]:
        oldest = now - timedelta(days=ROLLCALL_OPEN_DAYS)
        self.open_rollcalls = [(at, r) for at, r in self.open_rollcalls if at > oldest]
        return tuple(r for _, r in self.open_rollcalls)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """A data request the bot would have fingerprinted, as the matcher across chats takes it:
    where, from whom, and whether it stayed as it should (only such a request is linked)."""

    chat_id: int
    sender_id: int | None
    request: DataRequest
    linkable: bool


@dataclass(frozen=True, slots=True)
class RequestReading:
    """How a chat's replay reads data requests, and where each one it would store goes."""

    lexicon: Lexicon
    rules: DuplicateRules
    found: Callable[[SeenRequest], None]


@dataclass(slots=True)
class ReplayedRequests:
    """The data requests replayed so far in every chat of an export, as the bot's store would
    hold them (without their files' headers: an export's JSON carries none), and the
    duplicates it would have pointed out, per chat.

    It is apart from the chats' replays, which hand it their requests (`see`) in the file's
    order, so that processes replaying stretches of an export can hand theirs over later."""

    lexicon: Lexicon
    rules: DuplicateRules
    index: DuplicateIndex
    posted: dict[tuple[int, int | None], set[int]] = field(default_factory=dict)
    linked: dict[int, int] = field(default_factory=dict)  # chat: requests linked
    _stored: int = 0

    @classmethod
    def start(
        cls, lexicon: Lexicon | None = None, window: timedelta = DEFAULT_WINDOW
    ) -> ReplayedRequests:
        return cls(lexicon or default_lexicon(), DuplicateRules(window), DuplicateIndex(window))

    def reading(self) -> RequestReading:
        """Chats' replays that hand each request straight here."""
        return RequestReading(self.lexicon, self.rules, self.see)

    def see(self, seen: SeenRequest) -> None:
        """Link the request as the bot would have (to one stored before it), then store it."""
        request, chat_id, sender_id = seen.request, seen.chat_id, seen.sender_id
        if seen.linkable:
            own = self.posted.get((chat_id, sender_id), ()) if sender_id else ()
            candidates = self.index.candidates(request)
            if self.rules.earlier(request, candidates, frozenset(), own) is not None:
                self.linked[chat_id] = self.linked.get(chat_id, 0) + 1
        self._stored += 1
        self.posted.setdefault((chat_id, sender_id), set()).add(self._stored)
        self.index.add(replace(request, id=self._stored))


def _request_state(situation: Situation, lexicon: Lexicon) -> DuplicatesState:
    """The message as a data request, when it may be one (which requests it would match is
    the matcher's part: ReplayedRequests.see)."""
    if not may_be_request(situation):
        return DuplicatesState()
    return DuplicatesState(as_request(situation.message, situation.policy.timezone, lexicon))


def replay_message(
    chat: ChatReplay, message: ChatMessage, requests: RequestReading | None = None
) -> LogEntry | None:
    """The log entry the bot would have written for `message` (None: it logs nothing, as for
    a command), the chat's replayed state moved on past it; with `requests`, a data request
    the bot would have stored is handed on there."""
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
    told = chat.told.get((sender_id, chat.period), frozenset()) if chat.told else frozenset()
    features: list[Ruled] = [
        (acks.RULES, chat.acks_state(now) if acks.reads_acks(situation) else _NO_ACKS),
        (
            rollcalls.RULES,
            rollcalls.RollcallsState(chat.live_rollcalls(now))
            if has(Label.ROLLCALL)
            else _NO_ROLLCALLS,
        ),
        (
            holding.RULES,
            holding.HoldingState(
                chat.urgent_uses.get((sender_id, week), 0) if week else 0,
                told_this_period=told,
            ),
        ),
        (reminders.RULES, None),
    ]
    if requests is not None:
        features.append((requests.rules, _request_state(situation, requests.lexicon)))
    decision = decide(situation, features)
    _move_on(chat, message, decision, classification.labels, week)
    if requests is not None:
        for stored in decision.of(FingerprintRequest):
            seen = SeenRequest(message.chat.id, sender_id, stored.request, decision.outcome.helped)
            requests.found(seen)
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
    chat: ChatReplay,
    message: ChatMessage,
    decision: Decision,
    labels: frozenset[Label],
    week: datetime | None,
) -> None:
    """What the bot would have stored after carrying out `decision`."""
    now, sender_id = message.sent_at, message.sender_id
    if sender_id:
        chat.senders.add(sender_id)
    if decision.log is LogAction.URGENT_PASSED and week is not None:
        chat.urgent_uses[(sender_id, week)] = chat.urgent_uses.get((sender_id, week), 0) + 1
    said = decision.log is not None and decision.log not in NOT_SAID
    for effect in decision.effects:
        if isinstance(effect, AttachAckButton):
            expires = now + timedelta(minutes=chat.policy.ack_window_minutes)
            request = OpenAckRequest(chat.new_id(), message.message_id, None, expires, sender_id)
            chat.open_acks.append(request)
            chat.posted_since, said = [], False  # what comes after this request counts now
        elif isinstance(effect, StartRollcall):
            lines = tuple(ListedLine(chat.new_id(), e.name, e.extra) for e in effect.chain.entries)
            opened = OpenRollCall(chat.new_id(), message.message_id, effect.chain.title, lines)
            chat.open_rollcalls = [*chat.open_rollcalls, (now, opened)][-MAX_OPEN_ROLLCALLS:]
        elif isinstance(effect, MergeRollcall):
            added = tuple(ListedLine(chat.new_id(), e.name, e.extra) for e in effect.added)
            chat.open_rollcalls = [
                (at, _merged(r, added, effect.withdrawn))
                if r.rollcall_id == effect.rollcall_id
                else (at, r)
                for at, r in chat.open_rollcalls
            ]
        elif isinstance(effect, Tell) and effect.once_per is not None:
            told = chat.told.get((sender_id, effect.once_per), frozenset())
            chat.told[(sender_id, effect.once_per)] = told | {effect.key}
    if said and chat.open_acks:
        since = [*chat.posted_since, Posted(sender_id, labels)]
        chat.posted_since = since[-(POSTED_SINCE_LIMIT + 1) :]


def _merged(
    rollcall: OpenRollCall, added: tuple[ListedLine, ...], withdrawn: tuple[int, ...]
) -> OpenRollCall:
    kept = tuple(line for line in rollcall.lines if line.entry_id not in withdrawn)
    return replace(rollcall, lines=kept + added)


@dataclass(frozen=True, slots=True)
class ReplayState:
    """What a chat's later decisions can depend on, ids left out: the open acknowledgement
    requests, the open roll-calls and the urgent passes per sender and week, in order.

    Two replays of one history that reach equal states (as of the same instant) decide every
    later message alike, so a stretch of history replayed from a state reached another way
    (a warm-up on the weeks before it) gives the same entries once the states are equal.
    """

    acks: tuple[tuple[int, int | None, datetime, int | None], ...] = ()
    rollcalls: tuple[tuple[datetime, int, str, tuple[tuple[str, str, int | None], ...]], ...] = ()
    urgent: tuple[tuple[int, datetime, int], ...] = ()
    posted_since: tuple[Posted, ...] = ()  # what was said after the latest request

    def as_of(self, at: datetime, policy: GroupPolicy) -> ReplayState:
        """Without what can no longer matter to a message sent at `at` or later."""
        oldest = at - timedelta(days=ROLLCALL_OPEN_DAYS)
        week = holding.urgent_week_start(policy, at)
        acks = tuple(a for a in self.acks if a[2] > at)
        return ReplayState(
            acks,
            tuple(r for r in self.rollcalls if r[0] > oldest),
            tuple(u for u in self.urgent if u[1] >= week),
            self.posted_since if acks else (),
        )


def replay_state(chat: ChatReplay) -> ReplayState:
    """The chat's state now, as ReplayState compares it."""
    return ReplayState(
        tuple(
            (r.request_message_id, r.bot_message_id, r.expires_at, r.requester_id)
            for r in chat.open_acks
        ),
        tuple(
            (
                opened,
                r.source_message_id,
                r.title,
                tuple((line.name, line.extra, line.user_id) for line in r.lines),
            )
            for opened, r in chat.open_rollcalls
        ),
        tuple(sorted((sender, week, uses) for (sender, week), uses in chat.urgent_uses.items())),
        tuple(chat.posted_since),
    )
