"""Digests: what goes into one, in which order, when one is due, and where its pages break.

A personal digest gathers, across the groups a person is in now, first what needs their action
(open acknowledgements, roll-calls, data requests they have not answered), sorted by deadline
bucket, then what is for information (notices since their last digest). A group digest (recap)
lists what was posted since the group's last digest that needs attention. Both are due at the
digest times on workdays; a slot missed while the bot was down gives one catch-up digest.
Batch mode holds a group's non-urgent notices of work time until its next digest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import IntEnum, StrEnum

import pytz

from policies.calendar import next_digest_times, quiet_status
from policies.decide import Claim, Effect, Fate, LogAction, Outcome, Situation
from policies.features.holding import Hold, is_exempt
from policies.features.notices import Audience, period_key, tell_once
from policies.group_policy import (
    DigestMode,
    GroupPolicy,
    PolicyProblem,
    parse_digest_times,
    parse_hhmm,
)
from policies.labels import Label

SUMMARY_CHARS = 60
ACTION_WINDOW = timedelta(days=14)
"""How long an unanswered data request or an open roll-call stays in a personal digest."""
FIRST_DIGEST_LOOKBACK = timedelta(days=1)
"""What a first digest reports for information: the day before it."""
BATCHED_NOTICE = "digest.batched"
_LOOKBACK_DAYS = 8  # the latest slot is found among the slots of the week before `now`
# A notice held for the digest is only one that nothing else acts on at once.
_NOT_BATCHED = frozenset(
    {Label.URGENT, Label.ACK, Label.ROLLCALL, Label.DEMAND_REPLY, Label.DATA_REQUEST}
)
RECAP_LABELS = frozenset({Label.NOTICE, Label.DATA_REQUEST, Label.DEMAND_REPLY, Label.ROLLCALL})
"""What a recap lists: what needs attention (not chat, not acknowledgements)."""


_FAR = datetime.max.replace(tzinfo=pytz.utc)


class Bucket(IntEnum):
    """Deadline buckets, in the order a digest shows them."""

    OVERDUE = 0
    TODAY = 1
    THIS_WEEK = 2
    LATER = 3
    NONE = 4


class ItemKind(StrEnum):
    ACK = "ack"  # an open acknowledgement request: subject is its id
    ROLLCALL = "rollcall"  # an open roll-call: subject is its id
    DATA_REQUEST = "data_request"  # a data request: subject is its id
    NOTICE = "notice"  # for information: subject is the message log row


ACTION_KINDS = frozenset({ItemKind.ACK, ItemKind.ROLLCALL, ItemKind.DATA_REQUEST})


@dataclass(frozen=True, slots=True)
class DigestItem:
    kind: ItemKind
    subject_id: int
    chat_id: int
    message_id: int
    sender_id: int | None
    sender: str
    sent_at: datetime
    summary: str
    deadline: datetime | None
    urgent: bool = False
    # The message its link opens: the original, or the copy a release of a held message
    # posted; None while it is still held (the original was deleted, the copy not posted).
    link_id: int | None = field(kw_only=True)

    @property
    def needs_action(self) -> bool:
        return self.kind in ACTION_KINDS

    @property
    def done_key(self) -> tuple[ItemKind, int]:
        return (self.kind, self.subject_id)


@dataclass(frozen=True, slots=True)
class Recipient:
    """One official as a digest reads them: the groups (they are in now and chose), what they
    already did, and where information is new to them: after the message log row their last
    digest covered (`after`), or for a first digest, posted after `since`."""

    user_id: int
    chats: frozenset[int]
    done: frozenset[tuple[ItemKind, int]]
    since: datetime
    after: int | None = None

    def is_new(self, item: DigestItem) -> bool:
        """Information not in an earlier digest (a notice's subject is its log row)."""
        return item.subject_id > self.after if self.after is not None else item.sent_at > self.since


@dataclass(frozen=True, slots=True)
class PersonalDigest:
    user_id: int
    action: tuple[tuple[Bucket, tuple[DigestItem, ...]], ...]
    info: tuple[DigestItem, ...]

    @property
    def count(self) -> int:
        return sum(len(items) for _, items in self.action) + len(self.info)

    @property
    def earliest(self) -> tuple[Bucket, datetime]:
        """What fan-out orders by: the most pressing deadline (none: last)."""
        for bucket, items in self.action:
            deadlines = [item.deadline for item in items if item.deadline is not None]
            if deadlines:
                return bucket, min(deadlines)
        return Bucket.NONE, _FAR


def summary_of(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first line that says something, spaces collapsed, shortened to `limit` characters."""
    for line in text.splitlines():
        words = " ".join(line.split())
        if words:
            return words if len(words) <= limit else f"{words[: limit - 1]}…"
    return ""


class Buckets:
    """The deadline bucket of each deadline, as seen at `now` in `zone` (cached: the same
    deadlines recur in every recipient's digest)."""

    def __init__(self, now: datetime, zone: str) -> None:
        self._now = now
        local = now.astimezone(pytz.timezone(zone))
        self._zone = local.tzinfo
        self._today = local.date()
        self._sunday = self._today + timedelta(days=6 - self._today.weekday())
        self._known: dict[datetime, Bucket] = {}

    def of(self, deadline: datetime | None) -> Bucket:
        if deadline is None:
            return Bucket.NONE
        found = self._known.get(deadline)
        if found is None:
            found = self._known[deadline] = self._bucket(deadline)
        return found

    def _bucket(self, deadline: datetime) -> Bucket:
        if deadline < self._now:
            return Bucket.OVERDUE
        day = deadline.astimezone(self._zone).date()
        if day == self._today:
            return Bucket.TODAY
        return Bucket.THIS_WEEK if day <= self._sunday else Bucket.LATER


def compose_personal(
    recipient: Recipient, by_chat: Mapping[int, Sequence[DigestItem]], buckets: Buckets
) -> PersonalDigest:
    """The recipient's digest: action items by deadline bucket (then deadline, then when
    posted), information by when posted; their own items and what they acted on left out."""
    grouped: dict[Bucket, list[DigestItem]] = {}
    info: list[DigestItem] = []
    for chat_id in recipient.chats:
        for item in by_chat.get(chat_id, ()):
            if item.sender_id == recipient.user_id or item.done_key in recipient.done:
                continue
            if item.needs_action:
                grouped.setdefault(buckets.of(item.deadline), []).append(item)
            elif recipient.is_new(item):
                info.append(item)
    action = tuple(
        (
            bucket,
            tuple(
                sorted(grouped[bucket], key=lambda i: (i.deadline or _FAR, i.sent_at, i.chat_id))
            ),
        )
        for bucket in sorted(grouped)
    )
    info.sort(key=lambda i: (not i.urgent, i.sent_at, i.chat_id))
    return PersonalDigest(recipient.user_id, action, tuple(info))


def fanout_order(digests: Iterable[PersonalDigest]) -> list[PersonalDigest]:
    """Who is sent first: the earliest deadlines reach people first."""
    return sorted(digests, key=lambda d: (d.earliest, d.user_id))


# ---- when ------------------------------------------------------------------------------------


def latest_slot(policy: GroupPolicy, now: datetime) -> datetime | None:
    """The latest digest instant at or before `now` (UTC) by `policy`'s times and workdays."""
    start = now - timedelta(days=_LOOKBACK_DAYS)
    count = (_LOOKBACK_DAYS + 1) * len(policy.digest_times) + 1
    slots = [slot for slot in next_digest_times(policy, start, count) if slot <= now]
    return slots[-1] if slots else None


def due_slot(
    policy: GroupPolicy, now: datetime, last_sent: datetime | None, not_before: datetime | None
) -> datetime | None:
    """The slot a digest is due for now, or None: the latest slot at or before `now`, when no
    digest was sent for it or later and it is not before `not_before` (a subscription, a
    group joined). Slots missed while the bot was down give this one, not one each, in work
    time on the slot's own day: a bot back at night, or the next morning, sends nothing until
    the next slot, whose digest covers what the missed ones would have (nothing is lost)."""
    return slot_due(current_slot(policy, now), last_sent, not_before)


def current_slot(policy: GroupPolicy, now: datetime) -> datetime | None:
    """The latest slot, when a digest for it may go out now (work time, the same local day);
    else None."""
    if quiet_status(policy, now).quiet:
        return None
    slot = latest_slot(policy, now)
    zone = pytz.timezone(policy.timezone)
    if slot is None or slot.astimezone(zone).date() != now.astimezone(zone).date():
        return None
    return slot


def slot_due(
    slot: datetime | None, last_sent: datetime | None, not_before: datetime | None
) -> datetime | None:
    """due_slot with the latest slot known (the same for everyone with the same times)."""
    if slot is None or (last_sent is not None and slot <= last_sent):
        return None
    if not_before is not None and slot < not_before:
        return None
    return slot


def next_slot(policy: GroupPolicy, now: datetime) -> datetime | None:
    found = next_digest_times(policy, now, 1)
    return found[0] if found else None


def recap_since(policy: GroupPolicy, slot: datetime) -> datetime:
    """Where a group's first recap starts: the slot before this one (a day back, if none)."""
    return latest_slot(policy, slot - timedelta(seconds=1)) or slot - FIRST_DIGEST_LOOKBACK


# ---- pages -----------------------------------------------------------------------------------


def pages(widths: Sequence[int], room: int) -> list[range]:
    """Consecutive items (each `widths[i]` units plus a line break) cut into pages of at most
    `room` units, never inside an item; an item wider than a page has a page of its own."""
    found: list[range] = []
    start, used = 0, 0
    for index, width in enumerate(widths):
        if index > start and used + 1 + width > room:
            found.append(range(start, index))
            start, used = index, 0
        used += width + (1 if index > start else 0)
    if start < len(widths):
        found.append(range(start, len(widths)))
    return found


# ---- batch mode in the message pipeline ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchState:
    release_at: datetime | None = None  # the group's next digest, when batching applies
    told_this_period: frozenset[str] = frozenset()


def batch_release(situation: Situation) -> datetime | None:
    """When a message would be released if batched now, or None when it is not batched: a
    non-urgent notice posted in work time in a batch group the bot may delete in."""
    message, policy = situation.message, situation.policy
    labels = situation.classification
    if (
        policy.digest is not DigestMode.BATCH
        or not situation.enforcing
        or situation.quiet.quiet
        or message.is_edit
        or not labels.has(Label.NOTICE)
        or any(labels.has(label) for label in _NOT_BATCHED)
        or is_exempt(situation)
    ):
        return None
    return next_slot(policy, situation.now)


class BatchRules:
    def claim(self, situation: Situation, state: BatchState) -> Claim | None:
        if state.release_at is None:
            return None
        period = period_key(state.release_at)
        told = tell_once(
            Audience.SENDER,
            BATCHED_NOTICE,
            {"release_at": period},
            period,
            state.told_this_period,
        )
        effects: tuple[Effect, ...] = (Hold(state.release_at), *told)
        return Claim(Fate.HELD, LogAction.HELD, effects)

    def react(
        self, situation: Situation, state: BatchState, outcome: Outcome
    ) -> tuple[Effect, ...]:
        return ()


BATCH_RULES = BatchRules()


def with_times(policy: GroupPolicy, times: Sequence[str] | None) -> GroupPolicy:
    """A calendar for a person: the default policy's workdays with their own digest times."""
    if not times:
        return policy
    parsed = tuple(t for t in (parse_hhmm(word) for word in times) if t is not None)
    return dataclasses.replace(policy, digest_times=parsed or policy.digest_times)


# ---- /digest in a private chat --------------------------------------------------------------

_ON = frozenset({"on", "开", "开启", "打开"})
_OFF = frozenset({"off", "关", "关闭"})
_GROUPS = frozenset({"groups", "group", "群"})
_ALL = frozenset({"all", "全部"})


@dataclass(frozen=True, slots=True)
class PersonalChoice:
    """What /digest in private asks for; None: unchanged. `groups` () means all of them."""

    enabled: bool | None = None
    times: tuple[time, ...] | None = None
    groups: tuple[int, ...] | None = None  # 1-based numbers of the groups /digest lists


def parse_personal(words: Sequence[str]) -> PersonalChoice | PolicyProblem:
    """/digest [on|off] | /digest HH:MM … | /digest groups all|N …"""
    if not words:
        return PersonalChoice()
    first = words[0].strip().lower()
    if len(words) == 1 and first in _ON | _OFF:
        return PersonalChoice(enabled=first in _ON)
    if first in _GROUPS:
        rest = [w.strip().lower() for w in words[1:]]
        if rest == [] or (len(rest) == 1 and rest[0] in _ALL):
            return PersonalChoice(groups=())
        bad = next((w for w in rest if not w.isdigit() or int(w) < 1), None)
        if bad is not None:
            return PolicyProblem("groups", "digest.groups.invalid", {"value": bad})
        return PersonalChoice(groups=tuple(sorted({int(w) for w in rest})))
    times = parse_digest_times(list(words))
    if isinstance(times, str):
        if parse_hhmm(words[0]) is None and ":" not in words[0] and "：" not in words[0]:
            return PolicyProblem("digest", "digest.usage")
        return PolicyProblem("digest_times", "digest.invalid_time", {"value": times})
    return PersonalChoice(enabled=True, times=times)
