"""The period a reader names, the weekly timetable, and a scope's groups and timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import pytz

from policies.report_period import (
    PeriodRefused,
    ReportPeriod,
    next_weekly,
    report_period,
    weekly_due,
    weekly_period,
)
from policies.report_scope import EVERY_GROUP, Scope, scope_timezone

TODAY = date(2026, 11, 18)  # a Wednesday
SHANGHAI = pytz.timezone("Asia/Shanghai")
BERLIN = pytz.timezone("Europe/Berlin")


def local(
    zone: pytz.BaseTzInfo, year: int, month: int, day: int, hour: int, minute: int = 0
) -> datetime:
    return zone.localize(datetime(year, month, day, hour, minute)).astimezone(UTC)


@pytest.mark.parametrize(
    ("word", "since", "until"),
    [
        (None, date(2026, 11, 12), TODAY),
        ("7d", date(2026, 11, 12), TODAY),
        ("30d", date(2026, 10, 20), TODAY),
        ("1d", TODAY, TODAY),
        ("14天", date(2026, 11, 5), TODAY),
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-2", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-11", date(2026, 11, 1), TODAY),  # the current month, up to today
    ],
)
def test_a_period_word_is_read_against_today(word: str | None, since: date, until: date) -> None:
    assert report_period(word, TODAY) == ReportPeriod(since, until)


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("2026-12", "report.chat.future"),
        ("367d", "report.chat.too_long"),
        ("0d", "report.chat.usage"),
        ("2026-13", "report.chat.usage"),
        ("last", "report.chat.usage"),
        ("2026/10", "report.chat.usage"),
    ],
)
def test_a_bad_period_word_is_refused_with_a_message_key(word: str, key: str) -> None:
    refused = report_period(word, TODAY)
    assert isinstance(refused, PeriodRefused) and refused.key == key


def test_the_weekly_report_is_due_from_monday_nine_local_for_the_latest_week_only() -> None:
    opted = local(SHANGHAI, 2026, 11, 1, 12)
    assert weekly_due(local(SHANGHAI, 2026, 11, 23, 8, 59), "Asia/Shanghai", opted) == date(
        2026, 11, 16
    )
    assert weekly_due(local(SHANGHAI, 2026, 11, 23, 9), "Asia/Shanghai", opted) == date(
        2026, 11, 23
    )
    # Three weeks later, without a report in between: the latest Monday, once.
    assert weekly_due(local(SHANGHAI, 2026, 12, 16, 14), "Asia/Shanghai", opted) == date(
        2026, 12, 14
    )
    assert weekly_period(date(2026, 11, 23)) == ReportPeriod(date(2026, 11, 16), date(2026, 11, 22))


def test_no_weekly_report_is_due_for_a_monday_before_opting_in() -> None:
    opted = local(SHANGHAI, 2026, 11, 18, 10)
    assert weekly_due(local(SHANGHAI, 2026, 11, 20, 10), "Asia/Shanghai", opted) is None
    assert weekly_due(local(SHANGHAI, 2026, 11, 23, 9), "Asia/Shanghai", opted) == date(
        2026, 11, 23
    )


def test_the_weekly_time_is_local_across_a_clock_change() -> None:
    # Berlin leaves summer time on 25 October 2026: 09:00 is 07:00 UTC before, 08:00 after.
    assert next_weekly(local(BERLIN, 2026, 10, 20, 12), "Europe/Berlin") == datetime(
        2026, 10, 26, 8, tzinfo=UTC
    )
    assert next_weekly(local(BERLIN, 2026, 10, 19, 8, 59), "Europe/Berlin") == datetime(
        2026, 10, 19, 7, tzinfo=UTC
    )
    assert next_weekly(local(BERLIN, 2026, 10, 19, 9), "Europe/Berlin") == datetime(
        2026, 10, 26, 8, tzinfo=UTC
    )


def test_a_scope_covers_every_group_or_its_listed_ones() -> None:
    listed = Scope(frozenset({-1001, -1002}))
    assert EVERY_GROUP.covers(-5) and EVERY_GROUP.chats is None
    assert listed.covers(-1001) and not listed.covers(-5)


def test_a_scope_keeps_the_timezone_most_of_its_groups_keep() -> None:
    assert scope_timezone([], "Asia/Shanghai") == "Asia/Shanghai"
    assert scope_timezone(["Asia/Urumqi", "Asia/Shanghai", "Asia/Urumqi"], "UTC") == "Asia/Urumqi"
    assert scope_timezone(["Asia/Urumqi", "Asia/Shanghai"], "UTC") == "Asia/Shanghai"
