"""Supervision reports: what a group's messages looked like and what Jianfu did (or would have
done) with them, set against the rules on 指尖上的形式主义.

Pure: log entries in (the live log's rows, or an export replayed), one frozen report out, with
every finding tied to the rule clause it concerns. Figures about recipients (notifications
saved) are withheld for groups smaller than MIN_GROUP_SIZE; senders are named, readers never.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

import pytz

from policies.calendar import QuietReason
from policies.decide import LogAction
from policies.group_policy import GroupPolicy
from policies.labels import Label

MIN_GROUP_SIZE = 5
"""Below this many known members, figures about a group's recipients are not shown."""

HELD_ACTIONS = frozenset({LogAction.HELD, LogAction.URGENT_NO_REASON, LogAction.URGENT_OVER_QUOTA})


class Source(StrEnum):
    LOG = "log"  # what the bot did, from its database
    EXPORT = "export"  # what it would have done, from a Telegram Desktop export


class Clause(StrEnum):
    """The rule clauses the findings are measured against (quoted in the catalogs)."""

    AFTER_HOURS = "after_hours"  # 原则上非工作时间不发布工作信息
    ROUND_THE_CLOCK = "round_the_clock"  # 不得将…工作群…作为24小时工作媒介
    INSTANT_RESPONSE = "instant_response"  # 不得脱离工作实际强制要求打卡接龙、即时响应
    DUPLICATE_DATA = "duplicate_data"  # 防止多头填报、重复索要数据
    PROOF = "proof"  # 不得随意要求…上传不必要的截图或视频


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One message and what was done with it: a message_log row, or a replayed message."""

    chat_id: int
    message_id: int
    sender_id: int | None  # the user or the chat posted as; None when unknown (deleted)
    sent_at: datetime  # aware UTC
    action: str  # a LogAction value
    labels: frozenset[str]
    after_hours: bool
    quiet_reason: str | None = None  # a QuietReason value or a holiday's name
    urgent_reason: str | None = None
    instant_reply: bool = False
    text: str | None = None


@dataclass(frozen=True, slots=True)
class GroupInfo:
    chat_id: int
    title: str
    policy: GroupPolicy
    members: int | None = None  # known members; None when unknown


@dataclass(slots=True)
class Counts:
    """The figures of a group or of the whole report (read-only once the report is built)."""

    messages: int = 0
    after_hours: int = 0
    quiet_hours: int = 0
    rest_days: int = 0
    holidays: int = 0
    held: int = 0  # held (from the log) or would have been held (from an export)
    released: int = 0
    exempt: int = 0
    advised: int = 0
    urgent: int = 0  # declared urgent (a marker)
    urgent_passed: int = 0
    urgent_no_reason: int = 0
    urgent_over_quota: int = 0
    reply_demands: int = 0
    instant_reply_demands: int = 0
    acks: int = 0
    acks_absorbed: int = 0
    rollcalls: int = 0
    rollcall_reposts_merged: int = 0
    data_requests: int = 0
    duplicate_requests: int = 0
    proof_demands: int = 0  # screenshots, photos or videos demanded as proof

    def add(self, other: Counts) -> None:
        for name in _COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNT_FIELDS = tuple(f.name for f in dataclasses.fields(Counts))


@dataclass(frozen=True, slots=True)
class SenderStats:
    id: int | None  # None: a deleted account or an unknown sender
    name: str
    messages: int
    after_hours: int


@dataclass(frozen=True, slots=True)
class UrgentPass:
    chat_id: int
    sender_id: int | None
    sent_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class WeekStats:
    monday: date  # local
    messages: int
    after_hours: int
    held: int


@dataclass(frozen=True, slots=True)
class Finding:
    """One measured fact under a clause: a catalog key and its numbers, never text."""

    clause: Clause
    key: str
    params: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class GroupReport:
    info: GroupInfo | None  # None for the report's total
    counts: Counts
    senders: tuple[SenderStats, ...]  # most after-hours messages first
    heatmap: tuple[tuple[int, ...], ...]  # after-hours messages, [weekday][local hour]
    weeks: tuple[WeekStats, ...]
    urgent_passes: tuple[UrgentPass, ...]
    after_hours_days: int  # local days with an after-hours message
    members: int | None
    notifications_saved: int | None  # absorbed acks x members; None: withheld or unknown
    findings: tuple[Finding, ...]

    @property
    def hours(self) -> tuple[int, ...]:
        """After-hours messages by local hour (0-23)."""
        return tuple(sum(day[hour] for day in self.heatmap) for hour in range(24))


@dataclass(frozen=True, slots=True)
class Report:
    source: Source
    since: date  # local, inclusive
    until: date
    groups: tuple[GroupReport, ...]
    total: GroupReport

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def quiet_reason_bucket(reason: str | None) -> str:
    """Which of quiet_hours, rest_days, holidays a logged quiet reason belongs to."""
    if reason == QuietReason.QUIET_HOURS:
        return "quiet_hours"
    if reason in (QuietReason.REST_DAY, QuietReason.EXTRA_REST_DATE):
        return "rest_days"
    return "holidays"  # the log keeps a holiday's name rather than the reason


class _Group:
    """One group's figures while the entries come in."""

    def __init__(self, info: GroupInfo) -> None:
        self.info = info
        self.zone: tzinfo = pytz.timezone(info.policy.timezone)
        self.counts = Counts()
        self.senders: dict[int, list[int]] = {}  # id (0: unknown) -> [messages, after hours]
        self.heatmap = [[0] * 24 for _ in range(7)]
        self.weeks: dict[date, list[int]] = {}  # monday -> [messages, after hours, held]
        self.urgent_passes: list[UrgentPass] = []
        self.days: set[date] = set()
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, entry: LogEntry) -> None:
        counts, labels, action = self.counts, entry.labels, entry.action
        local = entry.sent_at.astimezone(self.zone)
        day = local.date()
        counts.messages += 1
        if self.first is None or entry.sent_at < self.first:
            self.first = entry.sent_at
        if self.last is None or entry.sent_at > self.last:
            self.last = entry.sent_at
        monday = day - timedelta(days=local.weekday())
        week = self.weeks.get(monday)
        if week is None:
            week = self.weeks[monday] = [0, 0, 0]
        week[0] += 1
        sender = self.senders.get(entry.sender_id or 0)
        if sender is None:
            sender = self.senders[entry.sender_id or 0] = [0, 0]
        sender[0] += 1
        if entry.after_hours:
            counts.after_hours += 1
            bucket = quiet_reason_bucket(entry.quiet_reason)
            setattr(counts, bucket, getattr(counts, bucket) + 1)
            self.heatmap[local.weekday()][local.hour] += 1
            self.days.add(day)
            week[1] += 1
            sender[1] += 1
        if action in HELD_ACTIONS:
            counts.held += 1
            week[2] += 1
        if action == LogAction.URGENT_PASSED:
            counts.urgent_passed += 1
            self.urgent_passes.append(
                UrgentPass(entry.chat_id, entry.sender_id, entry.sent_at, entry.urgent_reason or "")
            )
        elif action == LogAction.URGENT_NO_REASON:
            counts.urgent_no_reason += 1
        elif action == LogAction.URGENT_OVER_QUOTA:
            counts.urgent_over_quota += 1
        elif action == LogAction.ABSORBED:
            counts.acks_absorbed += 1
        elif action == LogAction.MERGED:
            counts.rollcall_reposts_merged += 1
        elif action == LogAction.EXEMPT:
            counts.exempt += 1
        elif action == LogAction.ADVISED:
            counts.advised += 1
        if not labels:
            return
        counts.urgent += Label.URGENT in labels
        counts.acks += Label.ACK in labels
        counts.rollcalls += Label.ROLLCALL in labels
        counts.data_requests += Label.DATA_REQUEST in labels
        counts.proof_demands += Label.PROOF_DEMAND in labels
        if Label.DEMAND_REPLY in labels:
            counts.reply_demands += 1
            counts.instant_reply_demands += entry.instant_reply


class ReportBuilder:
    """Collects log entries group by group, then builds the report."""

    def __init__(self, source: Source, min_group_size: int = MIN_GROUP_SIZE) -> None:
        self.source = source
        self.min_group_size = min_group_size
        self._groups: dict[int, _Group] = {}

    def group(self, info: GroupInfo) -> None:
        """Declare a group (its title, policy and members); entries of undeclared chats are
        refused."""
        known = self._groups.get(info.chat_id)
        if known is None:
            self._groups[info.chat_id] = _Group(info)
        else:
            known.info = info

    def knows(self, chat_id: int) -> bool:
        return chat_id in self._groups

    def add(self, entry: LogEntry) -> None:
        self._groups[entry.chat_id].add(entry)

    def add_released(self, chat_id: int, count: int) -> None:
        self._groups[chat_id].counts.released += count

    def add_duplicates(self, chat_id: int, count: int) -> None:
        self._groups[chat_id].counts.duplicate_requests += count

    def set_members(self, chat_id: int, members: int | None) -> None:
        group = self._groups[chat_id]
        group.info = dataclasses.replace(group.info, members=members)

    def build(
        self,
        names: Mapping[int, str],
        since: date | None = None,
        until: date | None = None,
        zone: str = "Asia/Shanghai",
    ) -> Report:
        """The report; `since`/`until` default to the local dates (in `zone`) of the first and
        last entry, and must be given when there is none."""
        groups = sorted(self._groups.values(), key=lambda g: (-g.counts.messages, g.info.chat_id))
        local = pytz.timezone(zone)
        firsts = [g.first for g in groups if g.first is not None]
        lasts = [g.last for g in groups if g.last is not None]
        start = since or (min(firsts).astimezone(local).date() if firsts else None)
        end = until or (max(lasts).astimezone(local).date() if lasts else start)
        if start is None or end is None:
            raise ValueError("a report without entries needs its period")
        days = (end - start).days + 1
        reports = tuple(self._group_report(g, names, days) for g in groups)
        total = self._total(groups, names, days)
        return Report(self.source, start, end, reports, total)

    def _group_report(self, group: _Group, names: Mapping[int, str], days: int) -> GroupReport:
        members = group.info.members
        saved = self._saved(group.counts, members)
        return GroupReport(
            info=group.info,
            counts=group.counts,
            senders=_senders(group.senders, names),
            heatmap=tuple(tuple(row) for row in group.heatmap),
            weeks=_weeks(group.weeks),
            urgent_passes=tuple(sorted(group.urgent_passes, key=lambda u: u.sent_at)),
            after_hours_days=len(group.days),
            members=members,
            notifications_saved=saved,
            findings=findings(
                self.source, group.counts, len(group.days), days, group.heatmap, saved
            ),
        )

    def _saved(self, counts: Counts, members: int | None) -> int | None:
        if members is None or members < self.min_group_size:
            return None
        return counts.acks_absorbed * members

    def _total(self, groups: list[_Group], names: Mapping[int, str], days: int) -> GroupReport:
        counts = Counts()
        senders: dict[int, list[int]] = {}
        heatmap = [[0] * 24 for _ in range(7)]
        weeks: dict[date, list[int]] = {}
        passes: list[UrgentPass] = []
        local_days: set[date] = set()
        saved_parts = []
        for group in groups:
            counts.add(group.counts)
            for sender_id, (messages, after_hours) in group.senders.items():
                mine = senders.setdefault(sender_id, [0, 0])
                mine[0] += messages
                mine[1] += after_hours
            for weekday in range(7):
                for hour in range(24):
                    heatmap[weekday][hour] += group.heatmap[weekday][hour]
            for monday, figures in group.weeks.items():
                mine = weeks.setdefault(monday, [0, 0, 0])
                for index, value in enumerate(figures):
                    mine[index] += value
            passes.extend(group.urgent_passes)
            local_days.update(group.days)
            saved_parts.append(self._saved(group.counts, group.info.members))
        visible = [part for part in saved_parts if part is not None]
        saved = sum(visible) if visible else None
        return GroupReport(
            info=None,
            counts=counts,
            senders=_senders(senders, names),
            heatmap=tuple(tuple(row) for row in heatmap),
            weeks=_weeks(weeks),
            urgent_passes=tuple(sorted(passes, key=lambda u: u.sent_at)),
            after_hours_days=len(local_days),
            members=None,
            notifications_saved=saved,
            findings=findings(self.source, counts, len(local_days), days, heatmap, saved),
        )


def _senders(figures: Mapping[int, list[int]], names: Mapping[int, str]) -> tuple[SenderStats, ...]:
    stats = (
        SenderStats(sender_id or None, names.get(sender_id, "") if sender_id else "", m, a)
        for sender_id, (m, a) in figures.items()
    )
    return tuple(sorted(stats, key=lambda s: (-s.after_hours, -s.messages, s.id or 0)))


def _weeks(weeks: Mapping[date, list[int]]) -> tuple[WeekStats, ...]:
    return tuple(WeekStats(monday, *figures) for monday, figures in sorted(weeks.items()))


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def findings(
    source: Source,
    counts: Counts,
    after_hours_days: int,
    period_days: int,
    heatmap: Sequence[Sequence[int]],
    notifications_saved: int | None,
) -> tuple[Finding, ...]:
    """What the figures show, clause by clause; a clause with nothing to show says so."""
    held_key = "held" if source is Source.LOG else "would_hold"
    hours_used = sum(1 for hour in range(24) if any(row[hour] for row in heatmap))
    found: dict[Clause, list[Finding]] = {clause: [] for clause in Clause}

    def say(clause: Clause, key: str, **params: int) -> None:
        found[clause].append(Finding(clause, key, params))

    c = counts
    if c.after_hours:
        say(
            Clause.AFTER_HOURS,
            "after_hours",
            after_hours=c.after_hours,
            messages=c.messages,
            percent=_percent(c.after_hours, c.messages),
            quiet_hours=c.quiet_hours,
            rest_days=c.rest_days,
            holidays=c.holidays,
        )
        if c.held:
            say(Clause.AFTER_HOURS, held_key, held=c.held, released=c.released)
        if c.urgent_passed:
            say(Clause.AFTER_HOURS, "urgent_passed", urgent_passed=c.urgent_passed)
        if c.urgent_no_reason or c.urgent_over_quota:
            say(
                Clause.AFTER_HOURS,
                "urgent_refused",
                no_reason=c.urgent_no_reason,
                over_quota=c.urgent_over_quota,
            )
        say(
            Clause.ROUND_THE_CLOCK,
            "after_hours_days",
            days=after_hours_days,
            period_days=period_days,
            hours=hours_used,
        )
    if c.reply_demands:
        say(
            Clause.INSTANT_RESPONSE,
            "reply_demands",
            reply_demands=c.reply_demands,
            instant=c.instant_reply_demands,
        )
    if c.acks:
        say(Clause.INSTANT_RESPONSE, "acks", acks=c.acks, absorbed=c.acks_absorbed)
        if notifications_saved:
            say(Clause.INSTANT_RESPONSE, "notifications_saved", saved=notifications_saved)
    if c.rollcalls:
        say(
            Clause.INSTANT_RESPONSE,
            "rollcalls",
            rollcalls=c.rollcalls,
            merged=c.rollcall_reposts_merged,
        )
    if c.data_requests:
        say(
            Clause.DUPLICATE_DATA,
            "data_requests",
            data_requests=c.data_requests,
            duplicates=c.duplicate_requests,
        )
    if c.proof_demands:
        say(Clause.PROOF, "proof_demands", proof_demands=c.proof_demands)
    result: list[Finding] = []
    for clause in Clause:
        result.extend(found[clause] or [Finding(clause, "none", {})])
    return tuple(result)


def window_bounds(since: date, until: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) that the local dates since..until (inclusive) cover."""
    tz = pytz.timezone(zone)
    start = tz.localize(datetime.combine(since, time()))
    end = tz.localize(datetime.combine(until + timedelta(days=1), time()))
    return start.astimezone(pytz.utc), end.astimezone(pytz.utc)
