"""Calendar invariants for any zone, any policy shape and any instant, DST changes included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise

import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.calendar import next_digest_times, next_quiet_start, next_work_start, quiet_status
from policies.group_policy import GroupPolicy, QuietWindow

ONE_MICROSECOND = timedelta(microseconds=1)
# Window starts and digest times at quarter hours, where DST changes happen too.
STARTS = [time(h, m) for h in range(24) for m in (0, 15, 30, 45)]


@cache
def seasonal_zones() -> list[str]:
    """Common zones whose UTC offset differs between January and July 2026 (DST)."""

    def offset(zone: str, month: int) -> timedelta | None:
        return datetime(2026, month, 1, tzinfo=UTC).astimezone(pytz.timezone(zone)).utcoffset()

    return [zone for zone in pytz.common_timezones if offset(zone, 1) != offset(zone, 7)]


@cache
def offset_changes(zone: str, year: int) -> tuple[datetime, ...]:
    """The starts of the hours (UTC) in `year` during which the zone's UTC offset changes."""
    tz = pytz.timezone(zone)
    start = datetime(year, 1, 1, tzinfo=UTC)

    def offset(instant: datetime) -> timedelta | None:
        return instant.astimezone(tz).utcoffset()

    days = [start + timedelta(days=n) for n in range(367)]
    return tuple(
        day + timedelta(hours=h)
        for day, next_day in pairwise(days)
        if offset(day) != offset(next_day)
        for h in range(24)
        if offset(day + timedelta(hours=h)) != offset(day + timedelta(hours=h + 1))
    )


def walls_around(zone: str, instant: datetime) -> list[time]:
    """Local quarter hours on both sides of an instant, so window edges meet a DST change."""
    tz = pytz.timezone(zone)
    walls = [(instant + timedelta(minutes=15 * k)).astimezone(tz) for k in range(-8, 9)]
    return [time(wall.hour, wall.minute // 15 * 15) for wall in walls]


@st.composite
def windows(draw: st.DrawFn, starts: list[time]) -> tuple[QuietWindow, ...]:
    """Up to three windows, possibly overlapping or crossing midnight, leaving an hour of work."""
    budget = 23 * 60
    result = []
    for start in draw(st.lists(st.sampled_from(starts), max_size=3)):
        quarters = draw(st.one_of(st.integers(1, 8), st.integers(1, 88)))
        minutes = min(quarters * 15, budget)
        if minutes:
            budget -= minutes
            end = datetime.combine(date.min, start) + timedelta(minutes=minutes)
            result.append(QuietWindow(start, end.time()))
    return tuple(result)


@st.composite
def policies(draw: st.DrawFn, zone: str, starts: list[time]) -> GroupPolicy:
    extra_dates = st.frozensets(st.dates(date(2020, 1, 1), date(2031, 12, 31)), max_size=4)
    rest_days = draw(st.frozensets(st.integers(0, 6), max_size=6))
    rest_dates = draw(extra_dates)
    return GroupPolicy(
        timezone=zone,
        quiet_windows=draw(windows(starts)),
        rest_days=rest_days,
        holiday_calendar=draw(st.sampled_from(["cn", "none", "US", "DE"])),
        extra_rest_dates=rest_dates,
        extra_workdays=draw(extra_dates) - rest_dates,
        digest_times=tuple(draw(st.lists(st.sampled_from(starts), min_size=1, max_size=3))),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[GroupPolicy, datetime]:
    """A policy and an instant: anywhere in 2020-2030, or within hours of a DST change with
    window edges and digest times at the wall times around it."""
    near_a_change = draw(st.booleans())
    zone = draw(st.sampled_from(seasonal_zones() if near_a_change else pytz.common_timezones))
    changes = offset_changes(zone, draw(st.integers(2020, 2030)))
    if changes and near_a_change:
        change = draw(st.sampled_from(changes)) + timedelta(hours=1)
        now = change + timedelta(seconds=draw(st.integers(-4 * 3600, 3 * 3600)))
        starts = walls_around(zone, change)
    else:
        now = draw(
            st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC))
        )
        starts = STARTS
    return draw(policies(zone, starts)), now


@settings(max_examples=200, deadline=None)
@given(cases(), st.floats(0, 1, exclude_max=True))
def test_next_work_start_is_the_first_work_instant(
    case: tuple[GroupPolicy, datetime], fraction: float
) -> None:
    policy, now = case
    start = next_work_start(policy, now)
    assert start >= now
    assert not quiet_status(policy, start).quiet
    assert next_work_start(policy, start) == start
    status = quiet_status(policy, now)
    assert status.quiet == (start > now)
    if start > now:
        assert status.resumes_at == start
        assert quiet_status(policy, start - ONE_MICROSECOND).quiet
        inside = min(now + (start - now) * fraction, start - ONE_MICROSECOND)
        assert quiet_status(policy, inside).quiet


@settings(max_examples=200, deadline=None)
@given(cases())
def test_next_quiet_start_begins_a_quiet_period(case: tuple[GroupPolicy, datetime]) -> None:
    policy, now = case
    start = next_quiet_start(policy, now)
    if start is None:
        assert not policy.quiet_windows
        return
    assert start > next_work_start(policy, now)
    assert quiet_status(policy, start).quiet
    assert not quiet_status(policy, start - ONE_MICROSECOND).quiet


@settings(max_examples=200, deadline=None)
@given(cases())
def test_digest_times_are_future_work_instants_in_order(case: tuple[GroupPolicy, datetime]) -> None:
    policy, now = case
    times = next_digest_times(policy, now, 3)
    assert all(instant.tzinfo is UTC for instant in times)
    assert all(earlier < later for earlier, later in pairwise([now, *times]))
    assert not any(quiet_status(policy, instant).quiet for instant in times)
