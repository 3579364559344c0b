"""Work time for a group: workdays, quiet windows, and the UTC instants where they change.

An instant is quiet when its local date (in the group's pytz zone) is not a workday or its
local wall time lies in a quiet window. The next work start is the first instant at or after
`now` that is not quiet, found by walking from one change point to the next: a window edge, a
local midnight, or a UTC offset change (located by bisection), so DST gaps and overlaps need
no special case. Policies whose quiet windows cover the whole day, or that have no workday
within 400 days, raise ValueError; policy validation should reject them before they get here.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache

import pytz

from policies.group_policy import GroupPolicy, QuietWindow
from policies.holiday_data import calendar_covers_year, holiday_fact

SEARCH_DAYS = 400
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIDNIGHT = time(0)


class QuietReason(StrEnum):
    QUIET_HOURS = "quiet_hours"
    REST_DAY = "rest_day"
    HOLIDAY = "holiday"
    EXTRA_REST_DATE = "extra_rest_date"


@dataclass(frozen=True, slots=True)
class DayInfo:
    """Whether a local date is a workday, and if not, why."""

    workday: bool
    reason: QuietReason | None
    holiday_name: str | None  # the holiday, or the one a make-up workday pays for
    data_known: bool  # False: the holiday data does not cover the date; weekdays decided


@dataclass(frozen=True, slots=True)
class QuietStatus:
    """Whether it is quiet at an instant, why, and when work resumes (UTC)."""

    quiet: bool
    reason: QuietReason | None
    holiday_name: str | None
    resumes_at: datetime | None
    data_known: bool  # False: some date up to resumes_at was decided by weekdays alone


def day_info(policy: GroupPolicy, day: date) -> DayInfo:
    """The kind of `day`: overrides first, then the holiday data, then the rest weekdays."""
    return _day(policy, day)[0]


def holiday_data_covers(policy: GroupPolicy, year: int) -> bool:
    """Whether the group's holiday calendar has data for `year` (e.g. 调休 published)."""
    return calendar_covers_year(policy.holiday_calendar, year)


def quiet_windows_cover_day(windows: tuple[QuietWindow, ...]) -> bool:
    """Whether the windows together leave no work time at all (for policy validation)."""
    try:
        _quiet_edges(windows)
    except ValueError:
        return True
    return False


_WORK_TIME = {known: QuietStatus(False, None, None, None, known) for known in (True, False)}


def quiet_status(policy: GroupPolicy, now: datetime) -> QuietStatus:
    """Whether it is quiet at `now`; a rest day or holiday beats quiet hours as the reason."""
    local = _to_local(policy, now)
    info, edges = _day(policy, local.date())
    if info.workday and not _in_quiet_window(edges, local.time()):
        return _WORK_TIME[info.data_known]
    resumes_at, known = _resumption(policy, now, local.date())
    if info.workday:
        return QuietStatus(True, QuietReason.QUIET_HOURS, None, resumes_at, known)
    return QuietStatus(True, info.reason, info.holiday_name, resumes_at, known)


def next_work_start(policy: GroupPolicy, now: datetime) -> datetime:
    """The first instant at or after `now` that is work time (`now` itself when it is), UTC."""
    return _resumption(policy, now, _to_local(policy, now).date())[0]


def next_quiet_start(policy: GroupPolicy, now: datetime) -> datetime | None:
    """When the next quiet period begins (after the current one when quiet now), UTC.

    None when nothing within SEARCH_DAYS is quiet (no quiet windows and no rest days).
    """
    try:
        return _first_instant(policy, next_work_start(policy, now), quiet=True)[0]
    except _NotFound:
        return None


def next_digest_times(policy: GroupPolicy, now: datetime, count: int) -> list[datetime]:
    """The next `count` digest instants strictly after `now`, UTC, on workdays outside quiet
    windows; fewer when the digest times never fall in work time within SEARCH_DAYS."""
    zone = _zone(policy.timezone)
    # A DST fall-back at midnight can bring yesterday's wall times back: start one day early.
    first_day = _to_local(policy, now).date() - _ONE_DAY
    found: list[datetime] = []
    for offset in range(SEARCH_DAYS + 1):
        day = first_day + timedelta(days=offset)
        if not day_info(policy, day).workday:
            continue
        for at in sorted(set(policy.digest_times)):
            instant = _instant_at_wall(zone, datetime.combine(day, at))
            # Times inside one DST gap all land on the jump: send that digest once.
            latest = found[-1] if found else now
            if instant > latest and not _is_quiet(policy, instant.astimezone(zone)):
                found.append(instant)
                if len(found) >= count:
                    return found
    return found


class _NotFound(ValueError):
    pass


@lru_cache(maxsize=1024)
def _zone(name: str) -> pytz.BaseTzInfo:
    return pytz.timezone(name)


def _to_local(policy: GroupPolicy, now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime (UTC from the clock)")
    return now.astimezone(_zone(policy.timezone))


@lru_cache(maxsize=65536)
def _day(policy: GroupPolicy, day: date) -> tuple[DayInfo, tuple[time, ...]]:
    """One cache entry per group and local date, so a message costs one policy hash."""
    return _kind_of_day(policy, day), _quiet_edges(policy.quiet_windows)


def _kind_of_day(policy: GroupPolicy, day: date) -> DayInfo:
    if day in policy.extra_rest_dates:
        return DayInfo(False, QuietReason.EXTRA_REST_DATE, None, True)
    if day in policy.extra_workdays:
        return DayInfo(True, None, None, True)
    fact = holiday_fact(policy.holiday_calendar, day)
    if fact.rest is not None:
        reason = QuietReason.HOLIDAY if fact.rest else None
        return DayInfo(not fact.rest, reason, fact.name, True)
    if day.weekday() in policy.rest_days:
        return DayInfo(False, QuietReason.REST_DAY, None, fact.known)
    return DayInfo(True, None, None, fact.known)


@lru_cache(maxsize=1024)
def _quiet_edges(windows: tuple[QuietWindow, ...]) -> tuple[time, ...]:
    """The merged quiet spans of a local day as sorted edges [start, end, start, end, ...]; a
    span running to midnight has no end, so a time is quiet when an odd number of edges are
    at or before it."""
    pieces: list[tuple[time, time | None]] = []
    for window in windows:
        if window.crosses_midnight:
            pieces += [(window.start, None), (_MIDNIGHT, window.end)]
        else:
            pieces.append((window.start, window.end))
    spans: list[tuple[time, time | None]] = []
    for start, end in sorted(pieces, key=lambda piece: piece[0]):
        if spans and (spans[-1][1] is None or start <= spans[-1][1]):
            first, last_end = spans[-1]
            spans[-1] = (first, None if last_end is None or end is None else max(last_end, end))
        elif start != end:
            spans.append((start, end))
    if spans == [(_MIDNIGHT, None)]:
        raise ValueError(
            "the quiet windows cover the whole day: shorten them so some work time is left"
        )
    return tuple(edge for span in spans for edge in span if edge is not None)


def _in_quiet_window(edges: tuple[time, ...], at: time) -> bool:
    return bisect_right(edges, at) % 2 == 1


def _is_quiet(policy: GroupPolicy, local: datetime) -> bool:
    info, edges = _day(policy, local.date())
    return not info.workday or _in_quiet_window(edges, local.time())


# Quiet periods already walked, per group and local date: (from, until, data known). Every
# instant in [from, until) is quiet and resumes at `until`, so later messages of the same night
# skip the walk. Bounded by clearing; entries are recomputed on demand.
_walked: dict[tuple[GroupPolicy, date], tuple[datetime, datetime, bool]] = {}
_WALKED_MAX = 4096


def _resumption(policy: GroupPolicy, now: datetime, local_day: date) -> tuple[datetime, bool]:
    """The next work start from `now` (UTC) and whether the data covered the dates walked."""
    key = (policy, local_day)
    walked = _walked.get(key)
    if walked is not None and walked[0] <= now < walked[1]:
        return walked[1], walked[2]
    resumes_at, known = _first_instant(policy, now, quiet=False)
    if resumes_at > now:
        if len(_walked) >= _WALKED_MAX:
            _walked.clear()
        _walked[key] = (now, resumes_at, known)
    return resumes_at, known


def _first_instant(policy: GroupPolicy, start: datetime, quiet: bool) -> tuple[datetime, bool]:
    """The first instant at or after `start` that is quiet (or not, as asked), UTC, and whether
    the holiday data covered every date passed on the way."""
    zone = _zone(policy.timezone)
    instant = start.astimezone(UTC)
    first_day = instant.astimezone(zone).date()
    known = True
    while True:
        local = instant.astimezone(zone)
        wall = local.replace(tzinfo=None)
        info, edges = _day(policy, wall.date())
        known = known and info.data_known
        next_midnight = datetime.combine(wall.date() + _ONE_DAY, _MIDNIGHT)
        if not info.workday:
            if quiet:
                return instant, known
            target = next_midnight
        else:
            if _in_quiet_window(edges, wall.time()) == quiet:
                return instant, known
            index = bisect_right(edges, wall.time())
            target = (
                datetime.combine(wall.date(), edges[index]) if index < len(edges) else next_midnight
            )
        if (wall.date() - first_day).days > SEARCH_DAYS:
            wanted = "quiet time" if quiet else "work time"
            raise _NotFound(
                f"no {wanted} within {SEARCH_DAYS} days in zone {policy.timezone}:"
                " check the quiet windows, rest days and extra rest dates"
            )
        instant = _advance(zone, instant, local, target)


def _advance(zone: tzinfo, instant: datetime, local: datetime, target: datetime) -> datetime:
    """When the wall clock, now showing `local`, reaches naive `target`; or, if the UTC offset
    changes first, the instant it changes (the caller looks again from there)."""
    candidate = instant + (target - local.replace(tzinfo=None))
    offset = local.utcoffset()
    if candidate.astimezone(zone).utcoffset() == offset:
        return candidate
    return _offset_change(zone, instant, candidate)


def _offset_change(zone: tzinfo, before: datetime, after: datetime) -> datetime:
    """The first whole second after `before` whose UTC offset differs from `before`'s (the
    tz database places changes on whole seconds); `after` has a different offset."""
    offset = before.astimezone(zone).utcoffset()
    low = (before.astimezone(UTC) - _EPOCH) // _ONE_SECOND
    high = (after.astimezone(UTC) - _EPOCH) // _ONE_SECOND
    while high - low > 1:
        middle = (low + high) // 2
        if (_EPOCH + middle * _ONE_SECOND).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return _EPOCH + high * _ONE_SECOND


def _instant_at_wall(zone: pytz.BaseTzInfo, wall: datetime) -> datetime:
    """The first instant whose local time is naive `wall`, UTC; in a DST gap, where the clock
    jumps over it."""
    readings = {zone.normalize(zone.localize(wall, is_dst=flag)) for flag in (True, False)}
    real = [reading for reading in readings if reading.replace(tzinfo=None) == wall]
    if real:
        return min(real).astimezone(UTC)
    early, late = sorted(readings)
    return _offset_change(zone, early, late)
