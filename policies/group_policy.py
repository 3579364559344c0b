"""A group's rules as plain frozen data, and their validation into message keys."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

import pytz

from policies.holiday_data import supported_holiday_calendar


class Mode(StrEnum):
    ENFORCE = "enforce"
    ADVISE = "advise"
    OFF = "off"


class DigestMode(StrEnum):
    """What a group's digest times do: nothing, a recap of what needs attention, or that and
    non-urgent notices of work time held until the digest."""

    OFF = "off"
    RECAP = "recap"
    BATCH = "batch"


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_URGENT_MARKERS = (
    "【紧急】",
    "[紧急]",
    "紧急通知",
    "加急",
    "特急",
    "十万火急",
    "火急",
    "#紧急",
    "#urgent",
    "URGENT",
)


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """Local wall-clock window; crosses midnight when end <= start (21:00-08:00)."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    timezone: str = "Asia/Shanghai"
    quiet_windows: tuple[QuietWindow, ...] = (QuietWindow(time(21, 0), time(8, 0)),)
    rest_days: frozenset[int] = frozenset({5, 6})  # date.weekday(): Monday is 0
    holiday_calendar: str = "cn"  # "cn" (with 调休), an ISO country code, or "none"
    extra_rest_dates: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    urgent_markers: tuple[str, ...] = DEFAULT_URGENT_MARKERS
    ack_words: tuple[str, ...] = ()  # extra acknowledgement words beyond the built-in ones
    urgent_quota_per_week: int = 3
    digest_times: tuple[time, ...] = (time(8, 30),)
    digest: DigestMode = DigestMode.RECAP
    mode: Mode = Mode.ENFORCE
    exempt_user_ids: frozenset[int] = frozenset()
    admins_exempt: bool = False
    absorb_stray_acks: bool = False
    ack_window_minutes: int = 24 * 60
    language: str = "zh-Hans"
    duplicates: bool = True  # link a data request to an earlier one asking for the same data


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """What is wrong with a policy value: a message key and its parameters, never text."""

    field: str
    key: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)


_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> time | None:
    """A local time from "HH:MM", or None when it is not a valid time of day."""
    match = _HHMM.match(text.strip())
    return time(int(match[1]), int(match[2])) if match else None


def parse_quiet_window(text: str) -> QuietWindow | None:
    """A window from "HH:MM-HH:MM", or None when malformed or empty (start == end)."""
    start_text, sep, end_text = text.partition("-")
    start, end = parse_hhmm(start_text), parse_hhmm(end_text)
    if not sep or start is None or end is None or start == end:
        return None
    return QuietWindow(start, end)


def parse_weekdays(names: list[str] | tuple[str, ...]) -> frozenset[int] | None:
    """Weekday numbers from names like "sat", or None when one is unknown."""
    days = [
        WEEKDAY_NAMES.index(n.strip().lower()[:3])
        for n in names
        if n.strip().lower()[:3] in WEEKDAY_NAMES
    ]
    return frozenset(days) if len(days) == len(names) else None


def parse_digest_times(words: list[str] | tuple[str, ...]) -> tuple[time, ...] | str:
    """Distinct digest times in order from "HH:MM" words, or the first word that is not one."""
    times = []
    for word in words:
        at = parse_hhmm(word)
        if at is None:
            return word
        times.append(at)
    return tuple(sorted(set(times)))


def parse_digest_setting(
    words: list[str] | tuple[str, ...],
) -> tuple[DigestMode | None, tuple[time, ...] | None] | PolicyProblem:
    """`off|recap|batch` and/or "HH:MM" times (/digest in a group): the mode and the times
    given (None when not given), or what is wrong."""
    if not words:
        return PolicyProblem("digest", "digest.group.usage")
    mode: DigestMode | None = None
    rest = list(words)
    try:
        mode = DigestMode(rest[0].strip().lower())
        rest = rest[1:]
    except ValueError:
        if parse_hhmm(rest[0]) is None:
            return PolicyProblem("digest", "digest.group.invalid", {"value": rest[0]})
    if not rest:
        return mode, None
    times = parse_digest_times(rest)
    if isinstance(times, str):
        return PolicyProblem("digest_times", "digest.invalid_time", {"value": times})
    return mode, times


def policy_problems(policy: GroupPolicy) -> list[PolicyProblem]:
    """Everything out of range in a policy; empty when it is valid."""
    problems: list[PolicyProblem] = []
    if policy.timezone not in pytz.all_timezones_set:
        problems.append(
            PolicyProblem("timezone", "policy.error.timezone", {"value": policy.timezone})
        )
    if len(policy.rest_days) >= 7 or any(d not in range(7) for d in policy.rest_days):
        problems.append(PolicyProblem("rest_days", "policy.error.rest_days"))
    if not 0 <= policy.urgent_quota_per_week <= 100:
        problems.append(
            PolicyProblem(
                "urgent_quota_per_week",
                "policy.error.quota",
                {"value": str(policy.urgent_quota_per_week)},
            )
        )
    if not policy.digest_times:
        problems.append(PolicyProblem("digest_times", "policy.error.digest_times"))
    if not 1 <= policy.ack_window_minutes <= 7 * 24 * 60:
        problems.append(PolicyProblem("ack_window_minutes", "policy.error.ack_window"))
    if any(not m.strip() for m in policy.urgent_markers):
        problems.append(PolicyProblem("urgent_markers", "policy.error.empty_marker"))
    if policy.extra_rest_dates & policy.extra_workdays:
        problems.append(PolicyProblem("extra_workdays", "policy.error.date_conflict"))
    if not supported_holiday_calendar(policy.holiday_calendar):
        problems.append(
            PolicyProblem(
                "holiday_calendar",
                "policy.error.holiday_calendar",
                {"value": policy.holiday_calendar},
            )
        )
    # The calendar builds on this module, so it is imported where it is needed.
    from policies.calendar import quiet_windows_cover_day

    if quiet_windows_cover_day(policy.quiet_windows):
        problems.append(PolicyProblem("quiet_windows", "policy.error.whole_day"))
    return problems


def change_problems(before: GroupPolicy, after: GroupPolicy, today: date) -> list[PolicyProblem]:
    """What is wrong with changing `before` into `after` on `today` (the group's local date):
    the new policy's problems, and an extra rest day or workday added that is already past."""
    problems = policy_problems(after)
    for name in ("extra_rest_dates", "extra_workdays"):
        added: frozenset[date] = getattr(after, name) - getattr(before, name)
        past = sorted(day for day in added if day < today)
        if past:
            problems.append(PolicyProblem(name, "policy.error.past_date", {"value": str(past[0])}))
    return problems
