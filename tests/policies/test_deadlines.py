"""Deadlines named in requests, resolved against an explicit `now` in its own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytz

from policies.deadlines import find_deadline

SHANGHAI = pytz.timezone("Asia/Shanghai")
NOW = SHANGHAI.localize(datetime(2026, 11, 18, 10, 0))  # Wednesday 10:00


def due(text: str, now: datetime = NOW) -> datetime | None:
    return find_deadline(text, now)


def at(month: int, day: int, hour: int | None = None, minute: int = 0) -> datetime:
    """A 2026 instant in Shanghai; the end of the day when no hour is given."""
    if hour is None:
        return SHANGHAI.localize(datetime(2026, month, day, 23, 59, 59))
    return SHANGHAI.localize(datetime(2026, month, day, hour, minute))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请于11月25日前报送", at(11, 25)),
        ("请于十二月五日前报送", at(12, 5)),
        ("本周五汇总给我", at(11, 20)),
        ("请周一前报送", at(11, 23)),
        ("下周二前交", at(11, 24)),
        ("20号前报上来", at(11, 20)),
        ("请今晚8点前上报", at(11, 18, 20, 0)),
        ("明天上午10点前报送", at(11, 19, 10, 0)),
        ("明天中午前报给我", at(11, 19, 12, 0)),
        ("今天下班前发我", at(11, 18, 17, 30)),
        ("周五放学前上传", at(11, 20, 16, 30)),
        ("每天下午5点前将排查户数报安监站", at(11, 18, 17, 0)),
        ("本月底前填报", at(11, 30)),
        ("请各村2小时内报送", at(11, 18, 12, 0)),
        ("20分钟内在群里回复人数", at(11, 18, 10, 20)),
        ("请3天内报送", at(11, 21)),
        ("报送名单，本周内。", at(11, 22)),
        ("請各村於下週一前填報", at(11, 23)),
        ("Please submit the form by Friday", at(11, 20)),
        ("Send me the list by 5pm", at(11, 18, 17, 0)),
    ],
)
def test_deadline_phrases(text: str, expected: datetime) -> None:
    assert due(text) == expected


def test_a_day_of_month_already_past_means_next_month() -> None:
    assert due("请10号前报送") == at(12, 10)


def test_a_month_long_past_means_next_year() -> None:
    assert due("请于3月15日前报送") == SHANGHAI.localize(datetime(2027, 3, 15, 23, 59, 59))


def test_a_time_already_past_today_means_tomorrow_for_daily_requests() -> None:
    evening = SHANGHAI.localize(datetime(2026, 11, 18, 19, 0))
    assert due("每天下午5点前报送", evening) == at(11, 19, 17, 0)


def test_earliest_cued_deadline_wins_over_event_times() -> None:
    text = "明天上午县领导来调研，请各村今晚把照片发群里，最迟明天早上7点前"
    assert due(text) == at(11, 19, 7, 0)


@pytest.mark.parametrize(
    "text",
    [
        "请各村报送截至目前的参保人数",
        "请各村报送名单",
        "2025年度工作总结请报送",
        "请把1号楼的照片发我",
    ],
)
def test_no_deadline(text: str) -> None:
    assert due(text) is None


def test_result_is_aware_in_the_zone_of_now_across_dst() -> None:
    new_york = pytz.timezone("America/New_York")
    eve_of_change = new_york.localize(datetime(2026, 3, 7, 12, 0))  # EST; EDT from 8 March 02:00
    deadline = due("请明天下班前报送", eve_of_change)
    assert deadline == new_york.localize(datetime(2026, 3, 8, 17, 30))
    assert deadline is not None and deadline.utcoffset() == timedelta(hours=-4)


def test_zoneinfo_and_fixed_offsets_work_too() -> None:
    berlin = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert due("明天中午前报送", berlin) == datetime(
        2026, 11, 19, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )
    utc = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    assert due("请2小时内报送", utc) == datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
