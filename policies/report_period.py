"""The period a report covers, as a reader names it (7d, 30d, 2026-10), and the weekly report's
timetable (Monday 09:00 local, covering the week before)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytz

DEFAULT_DAYS = 7
MAX_DAYS = 366
WEEKLY_AT = time(9, 0)  # on Mondays, local time
_DAYS = re.compile(r"([1-9][0-9]{0,2})[dD天]")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    since: date  # local, inclusive
    until: date


@dataclass(frozen=True, slots=True)
class PeriodRefused:
    """Why a period word was refused: a message key and its parameters."""

    key: str
    params: dict[str, str]


def report_period(word: str | None, today: date) -> ReportPeriod | PeriodRefused:
    """`word` (None: the default) read against `today` (local): "Nd" is the last N days up to
    today, "YYYY-MM" that month (up to today for the current one)."""
    if word is None:
        return ReportPeriod(today - timedelta(days=DEFAULT_DAYS - 1), today)
    days = _DAYS.fullmatch(word.strip())
    if days is not None:
        count = int(days[1])
        if count > MAX_DAYS:
            return PeriodRefused("report.chat.too_long", {"max": str(MAX_DAYS)})
        return ReportPeriod(today - timedelta(days=count - 1), today)
    month = _MONTH.fullmatch(word.strip())
    if month is None or not 1 <= int(month[2]) <= 12:
        return PeriodRefused("report.chat.usage", {})
    first = date(int(month[1]), int(month[2]), 1)
    if first > today:
        return PeriodRefused("report.chat.future", {"month": f"{first:%Y-%m}"})
    following = (first + timedelta(days=32)).replace(day=1)
    return ReportPeriod(first, min(following - timedelta(days=1), today))


def _monday_at_nine(day: date, zone: pytz.BaseTzInfo) -> datetime:
    monday = day - timedelta(days=day.weekday())
    return zone.localize(datetime.combine(monday, WEEKLY_AT)).astimezone(pytz.utc)


def weekly_due(now: datetime, zone_name: str, opted_in_at: datetime) -> date | None:
    """The Monday (local) whose weekly report is due at `now`: the latest Monday 09:00 not
    after `now`, unless it came before the reader opted in. Only the latest: a reader whose
    reports were missed for weeks gets one, not one per week."""
    zone = pytz.timezone(zone_name)
    local_today = now.astimezone(zone).date()
    due = _monday_at_nine(local_today, zone)
    if due > now:
        due = _monday_at_nine(local_today - timedelta(days=7), zone)
    if due < opted_in_at:
        return None
    return due.astimezone(zone).date()


def next_weekly(now: datetime, zone_name: str) -> datetime:
    """The first Monday 09:00 (local) after `now`, as UTC."""
    zone = pytz.timezone(zone_name)
    local_today = now.astimezone(zone).date()
    this_week = _monday_at_nine(local_today, zone)
    return this_week if this_week > now else _monday_at_nine(local_today + timedelta(days=7), zone)


def weekly_period(monday: date) -> ReportPeriod:
    """What the report sent on `monday` covers: the week before, Monday to Sunday."""
    return ReportPeriod(monday - timedelta(days=7), monday - timedelta(days=1))
