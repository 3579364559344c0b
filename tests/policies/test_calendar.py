"""The work calendar on concrete days: Shanghai 2026 with 调休, overrides, other countries, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import pytz

from policies.calendar import (
    DayInfo,
    QuietReason,
    QuietStatus,
    day_info,
    holiday_data_covers,
    next_digest_times,
    next_quiet_start,
    next_work_start,
    quiet_status,
    quiet_windows_cover_day,
)
from policies.group_policy import GroupPolicy, QuietWindow
from policies.holiday_data import supported_holiday_calendar

SHANGHAI = GroupPolicy()  # 21:00-08:00 quiet, Sat/Sun rest, China's holidays with 调休
LUNCH = GroupPolicy(
    quiet_windows=(QuietWindow(time(21), time(8)), QuietWindow(time(12), time(13, 30)))
)
ONE_MICROSECOND = timedelta(microseconds=1)


def at(
    zone: str,
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int = 0,
    is_dst: bool | None = None,
) -> datetime:
    """The UTC instant of a local wall time; is_dst picks a side of a DST overlap."""
    wall = datetime(year, month, day, hour, minute)
    return pytz.timezone(zone).localize(wall, is_dst=is_dst).astimezone(UTC)


def sh(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return at("Asia/Shanghai", year, month, day, hour, minute)


def dst_policy(zone: str, *windows: tuple[time, time]) -> GroupPolicy:
    """Every day a workday, so the DST Sundays are decided by the windows alone."""
    return GroupPolicy(
        timezone=zone,
        quiet_windows=tuple(QuietWindow(start, end) for start, end in windows),
        rest_days=frozenset(),
        holiday_calendar="none",
    )


# --- Shanghai: quiet hours and weekends -------------------------------------------------------


def test_weekday_evening_is_quiet_hours_until_next_morning() -> None:
    now = sh(2026, 11, 18, 22)  # Wednesday
    assert quiet_status(SHANGHAI, now) == QuietStatus(
        quiet=True,
        reason=QuietReason.QUIET_HOURS,
        holiday_name=None,
        resumes_at=sh(2026, 11, 19, 8),
        data_known=True,
    )


def test_weekday_working_hours_are_not_quiet_and_work_starts_now() -> None:
    now = sh(2026, 11, 18, 10, 15)
    assert quiet_status(SHANGHAI, now) == QuietStatus(False, None, None, None, True)
    assert next_work_start(SHANGHAI, now) == now
    assert next_quiet_start(SHANGHAI, now) == sh(2026, 11, 18, 21)


def test_quiet_window_edges_are_start_inclusive_end_exclusive() -> None:
    assert quiet_status(SHANGHAI, sh(2026, 11, 18, 21)).quiet
    assert not quiet_status(SHANGHAI, sh(2026, 11, 18, 8)).quiet
    assert quiet_status(SHANGHAI, sh(2026, 11, 18, 8) - ONE_MICROSECOND).quiet


def test_friday_night_resumes_monday_morning() -> None:
    status = quiet_status(SHANGHAI, sh(2026, 11, 20, 23))
    assert status.reason is QuietReason.QUIET_HOURS
    assert status.resumes_at == sh(2026, 11, 23, 8)


def test_saturday_noon_is_a_rest_day() -> None:
    status = quiet_status(SHANGHAI, sh(2026, 11, 21, 12))
    assert (status.quiet, status.reason, status.resumes_at) == (
        True,
        QuietReason.REST_DAY,
        sh(2026, 11, 23, 8),
    )


def test_result_is_utc() -> None:
    assert next_work_start(SHANGHAI, sh(2026, 11, 20, 23)).tzinfo is UTC


def test_now_may_be_given_in_any_zone() -> None:
    now = sh(2026, 11, 20, 23).astimezone(pytz.timezone("Europe/Berlin"))
    assert next_work_start(SHANGHAI, now) == sh(2026, 11, 23, 8)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        quiet_status(SHANGHAI, datetime(2026, 11, 18, 22))


# --- China's holidays with 调休 (chinesecalendar data) -----------------------------------------


def test_spring_festival_make_up_saturday_is_a_workday() -> None:
    assert day_info(SHANGHAI, date(2026, 2, 14)) == DayInfo(True, None, "Spring Festival", True)
    assert next_work_start(SHANGHAI, sh(2026, 2, 13, 22)) == sh(2026, 2, 14, 8)
    assert not quiet_status(SHANGHAI, sh(2026, 2, 14, 10)).quiet


def test_spring_festival_eve_resumes_after_the_whole_holiday() -> None:
    status = quiet_status(SHANGHAI, sh(2026, 2, 16, 10))  # 除夕, a Monday
    assert (status.reason, status.holiday_name) == (QuietReason.HOLIDAY, "Spring Festival")
    assert status.resumes_at == sh(2026, 2, 24, 8)


def test_a_weekend_inside_a_holiday_is_reported_as_the_holiday() -> None:
    info = day_info(SHANGHAI, date(2026, 2, 15))  # a Sunday
    assert info == DayInfo(False, QuietReason.HOLIDAY, "Spring Festival", True)


def test_make_up_saturday_evening_jumps_over_the_holiday() -> None:
    assert next_work_start(SHANGHAI, sh(2026, 2, 14, 22)) == sh(2026, 2, 24, 8)


def test_national_day_make_up_days_and_holiday() -> None:
    assert day_info(SHANGHAI, date(2026, 9, 20)).workday  # a Sunday
    assert day_info(SHANGHAI, date(2026, 10, 10)).workday  # a Saturday
    assert next_work_start(SHANGHAI, sh(2026, 9, 19, 12)) == sh(2026, 9, 20, 8)
    assert next_work_start(SHANGHAI, sh(2026, 9, 30, 22)) == sh(2026, 10, 8, 8)
    assert day_info(SHANGHAI, date(2026, 10, 5)).reason is QuietReason.HOLIDAY


def test_year_without_published_schedule_falls_back_to_weekdays() -> None:
    assert holiday_data_covers(SHANGHAI, 2026)
    assert not holiday_data_covers(SHANGHAI, 2027)
    assert day_info(SHANGHAI, date(2027, 1, 1)) == DayInfo(True, None, None, False)
    assert day_info(SHANGHAI, date(2030, 2, 2)) == DayInfo(False, QuietReason.REST_DAY, None, False)


def test_quiet_period_reaching_an_unpublished_year_reports_unknown_data() -> None:
    status = quiet_status(SHANGHAI, sh(2026, 12, 31, 22))
    assert status.resumes_at == sh(2027, 1, 1, 8)
    assert not status.data_known
    assert quiet_status(SHANGHAI, sh(2026, 12, 30, 22)).data_known


# --- Lunch window and several windows ---------------------------------------------------------


def test_lunch_window_is_quiet_until_half_past_one() -> None:
    status = quiet_status(LUNCH, sh(2026, 11, 18, 12, 15))
    assert (status.reason, status.resumes_at) == (QuietReason.QUIET_HOURS, sh(2026, 11, 18, 13, 30))
    assert not quiet_status(LUNCH, sh(2026, 11, 18, 13, 30)).quiet
    assert next_quiet_start(LUNCH, sh(2026, 11, 18, 10)) == sh(2026, 11, 18, 12)
    assert next_quiet_start(LUNCH, sh(2026, 11, 18, 12, 15)) == sh(2026, 11, 18, 21)


def test_overlapping_windows_merge() -> None:
    policy = GroupPolicy(
        quiet_windows=(
            QuietWindow(time(20), time(23)),
            QuietWindow(time(22), time(7)),
            QuietWindow(time(6), time(8)),
        )
    )
    assert next_work_start(policy, sh(2026, 11, 18, 20, 30)) == sh(2026, 11, 19, 8)
    assert next_quiet_start(policy, sh(2026, 11, 18, 10)) == sh(2026, 11, 18, 20)


def test_no_quiet_windows_leaves_only_rest_days_quiet() -> None:
    policy = GroupPolicy(quiet_windows=())
    assert not quiet_status(policy, sh(2026, 11, 18, 3)).quiet
    assert next_quiet_start(policy, sh(2026, 11, 18, 3)) == sh(2026, 11, 21, 0)


def test_nothing_quiet_at_all_has_no_next_quiet_start() -> None:
    policy = GroupPolicy(quiet_windows=(), rest_days=frozenset(), holiday_calendar="none")
    assert next_quiet_start(policy, sh(2026, 11, 18, 3)) is None


# --- Per-group overrides ----------------------------------------------------------------------


def test_extra_rest_date_wins_over_a_workday_and_a_make_up_day() -> None:
    policy = GroupPolicy(extra_rest_dates=frozenset({date(2026, 11, 19), date(2026, 2, 14)}))
    assert day_info(policy, date(2026, 11, 19)).reason is QuietReason.EXTRA_REST_DATE
    assert next_work_start(policy, sh(2026, 11, 18, 22)) == sh(2026, 11, 20, 8)
    assert not day_info(policy, date(2026, 2, 14)).workday


def test_extra_workday_wins_over_a_weekend_and_a_holiday() -> None:
    policy = GroupPolicy(extra_workdays=frozenset({date(2026, 11, 21), date(2026, 2, 18)}))
    assert next_work_start(policy, sh(2026, 11, 20, 23)) == sh(2026, 11, 21, 8)
    assert day_info(policy, date(2026, 2, 18)) == DayInfo(True, None, None, True)
    assert next_work_start(policy, sh(2026, 2, 16, 10)) == sh(2026, 2, 18, 8)


def test_override_in_an_unpublished_year_is_known() -> None:
    policy = GroupPolicy(extra_rest_dates=frozenset({date(2027, 2, 8)}))
    assert day_info(policy, date(2027, 2, 8)).data_known


# --- Other countries via the holidays package -------------------------------------------------


US = GroupPolicy(timezone="America/New_York", holiday_calendar="US")


def test_us_independence_day_observed_is_a_holiday() -> None:
    info = day_info(US, date(2026, 7, 3))
    assert (info.workday, info.reason) == (False, QuietReason.HOLIDAY)
    assert info.holiday_name is not None and "Independence Day" in info.holiday_name
    assert next_work_start(US, at("America/New_York", 2026, 7, 2, 22)) == at(
        "America/New_York", 2026, 7, 6, 8
    )


def test_us_thanksgiving_far_ahead_is_known() -> None:
    assert holiday_data_covers(US, 2030)
    assert day_info(US, date(2030, 11, 28)).reason is QuietReason.HOLIDAY


def test_subdivision_codes_are_read() -> None:
    california = GroupPolicy(timezone="America/Los_Angeles", holiday_calendar="US-CA")
    assert day_info(california, date(2026, 3, 31)).reason is QuietReason.HOLIDAY  # César Chávez


def test_no_holiday_calendar_is_weekdays_only() -> None:
    policy = GroupPolicy(holiday_calendar="none")
    assert day_info(policy, date(2026, 10, 1)) == DayInfo(True, None, None, True)
    assert holiday_data_covers(policy, 2099)


def test_unknown_holiday_calendar_is_rejected() -> None:
    assert not supported_holiday_calendar("XX")
    assert supported_holiday_calendar("cn") and supported_holiday_calendar("de")
    with pytest.raises(ValueError, match="unknown holiday calendar 'XX'"):
        day_info(GroupPolicy(holiday_calendar="XX"), date(2026, 1, 5))


# --- Policies that leave no work time ---------------------------------------------------------


def test_windows_covering_the_whole_day_are_rejected() -> None:
    windows = (QuietWindow(time(8), time(20)), QuietWindow(time(19), time(9)))
    policy = GroupPolicy(quiet_windows=windows)
    assert quiet_windows_cover_day(windows)
    assert not quiet_windows_cover_day(windows[:1])
    with pytest.raises(ValueError, match="cover the whole day"):
        quiet_status(policy, sh(2026, 11, 18, 10))


def test_no_workday_within_the_search_horizon_is_rejected() -> None:
    mondays = frozenset(date(2026, 11, 23) + timedelta(weeks=n) for n in range(60))
    policy = GroupPolicy(rest_days=frozenset(range(1, 7)), extra_rest_dates=mondays)
    with pytest.raises(ValueError, match="no work time within 400 days"):
        next_work_start(policy, sh(2026, 11, 18, 22))


# --- Digest times -----------------------------------------------------------------------------


def test_digests_skip_the_spring_festival_and_honour_the_make_up_saturday() -> None:
    assert next_digest_times(SHANGHAI, sh(2026, 2, 13, 9), 3) == [
        sh(2026, 2, 14, 8, 30),
        sh(2026, 2, 24, 8, 30),
        sh(2026, 2, 25, 8, 30),
    ]


def test_digests_are_strictly_after_now_and_in_order() -> None:
    policy = GroupPolicy(digest_times=(time(17), time(8, 30)))
    assert next_digest_times(policy, sh(2026, 11, 20, 8, 30), 3) == [
        sh(2026, 11, 20, 17),
        sh(2026, 11, 23, 8, 30),
        sh(2026, 11, 23, 17),
    ]


def test_digest_times_inside_quiet_hours_are_skipped() -> None:
    policy = GroupPolicy(digest_times=(time(7), time(9)))
    assert next_digest_times(policy, sh(2026, 11, 18, 10), 2) == [
        sh(2026, 11, 19, 9),
        sh(2026, 11, 20, 9),
    ]
    assert next_digest_times(GroupPolicy(digest_times=(time(22),)), sh(2026, 11, 18, 10), 1) == []


# --- DST: America/New_York and Europe/Berlin --------------------------------------------------


def test_spring_forward_gap_inside_a_window_resumes_when_the_clock_jumps() -> None:
    policy = dst_policy("America/New_York", (time(1), time(2, 30)))
    start = next_work_start(policy, at("America/New_York", 2026, 3, 8, 1, 30))
    assert start == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 03:00 EDT, the first wall time after
    assert not quiet_status(policy, start).quiet
    assert quiet_status(policy, start - ONE_MICROSECOND).quiet


def test_spring_forward_window_ending_at_the_jump() -> None:
    policy = dst_policy("Europe/Berlin", (time(1), time(3)))
    start = next_work_start(policy, at("Europe/Berlin", 2026, 3, 29, 1, 30))
    assert start == at("Europe/Berlin", 2026, 3, 29, 3) == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_fall_back_leaves_the_window_when_the_clock_turns_back() -> None:
    policy = dst_policy("America/New_York", (time(1, 30), time(2, 30)))
    first_pass = at("America/New_York", 2026, 11, 1, 1, 45, is_dst=True)
    second_pass = at("America/New_York", 2026, 11, 1, 1, 45, is_dst=False)
    assert next_work_start(policy, first_pass) == datetime(2026, 11, 1, 6, tzinfo=UTC)  # 01:00 EST
    assert next_work_start(policy, second_pass) == at("America/New_York", 2026, 11, 1, 2, 30)
    assert next_quiet_start(policy, first_pass) == at(
        "America/New_York", 2026, 11, 1, 1, 30, is_dst=False
    )


def test_fall_back_repeated_hour_is_quiet_twice() -> None:
    policy = dst_policy("Europe/Berlin", (time(2), time(2, 30)))
    summer = at("Europe/Berlin", 2026, 10, 25, 2, 15, is_dst=True)
    winter = at("Europe/Berlin", 2026, 10, 25, 2, 15, is_dst=False)
    assert next_work_start(policy, summer) == at("Europe/Berlin", 2026, 10, 25, 2, 30, is_dst=True)
    assert next_work_start(policy, winter) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert next_quiet_start(policy, summer) == datetime(2026, 10, 25, 1, tzinfo=UTC)


def test_digest_in_the_gap_fires_once_when_the_clock_jumps_and_once_in_the_overlap() -> None:
    policy = GroupPolicy(
        timezone="America/New_York",
        quiet_windows=(),
        rest_days=frozenset(),
        holiday_calendar="none",
        digest_times=(time(2, 30), time(1, 15), time(2, 15)),
    )
    spring = next_digest_times(policy, at("America/New_York", 2026, 3, 8, 0, 30), 3)
    assert spring == [
        at("America/New_York", 2026, 3, 8, 1, 15),
        datetime(2026, 3, 8, 7, tzinfo=UTC),  # 02:15 and 02:30 never show; 03:00 EDT does
        at("America/New_York", 2026, 3, 9, 1, 15),
    ]
    autumn = next_digest_times(policy, at("America/New_York", 2026, 11, 1, 0, 30), 2)
    assert autumn == [
        at("America/New_York", 2026, 11, 1, 1, 15, is_dst=True),
        at("America/New_York", 2026, 11, 1, 2, 15),
    ]


def test_fall_back_at_midnight_revisits_the_previous_date() -> None:
    policy = dst_policy("America/Santiago", (time(23), time(0, 30)))
    now = at("America/Santiago", 2026, 4, 4, 23, 30, is_dst=True)  # before clocks go back to 23:00
    assert next_work_start(policy, now) == at("America/Santiago", 2026, 4, 5, 0, 30)


# --- Repeated questions in one quiet period ---------------------------------------------------


def test_repeated_questions_in_one_night_agree_in_any_order() -> None:
    later, earlier = sh(2026, 11, 20, 23, 30), sh(2026, 11, 20, 21, 5)
    assert quiet_status(SHANGHAI, later).resumes_at == sh(2026, 11, 23, 8)
    assert quiet_status(SHANGHAI, earlier).resumes_at == sh(2026, 11, 23, 8)
    assert not quiet_status(SHANGHAI, sh(2026, 11, 20, 20, 59)).quiet
    assert quiet_status(SHANGHAI, sh(2026, 11, 20, 7)).resumes_at == sh(2026, 11, 20, 8)
