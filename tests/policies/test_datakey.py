"""The data key: which objects, period, kind and scope a request's words name."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import pytz

from policies.datakey import (
    Lexicon,
    Period,
    chinese_number,
    data_key,
    default_lexicon,
    lexicon_from_toml,
    period_in,
)

SHANGHAI = pytz.timezone("Asia/Shanghai")
NOW = SHANGHAI.localize(datetime(2026, 11, 18, 10, 0))  # a Wednesday


def objects(text: str, lexicon: Lexicon | None = None) -> frozenset[str]:
    return data_key(text, NOW, lexicon).objects


def test_the_packaged_lexicon_has_at_least_150_objects() -> None:
    assert len(default_lexicon().object_names) >= 150


@pytest.mark.parametrize(
    "text",
    [
        "请各村报送低保户名单",
        "麻烦各村把最低生活保障对象花名册发我",
        "各村报一下在册低保对象",
        "請各村報送低保戶名單",  # Traditional
    ],
)
def test_aliases_name_one_object(text: str) -> None:
    assert objects(text) == {"低保对象"}


def test_the_longest_alias_wins_so_a_compound_is_one_object() -> None:
    assert objects("请各村报送残疾人两项补贴名单") == {"残疾人两项补贴", "残疾人"}
    assert objects("请各村报送残疾人名单") == {"残疾人"}


def test_a_gapped_alias_reads_words_apart_within_a_clause() -> None:
    assert objects("请各村把用于经营的自建房排查表报来") == objects("请各村报送经营性自建房排查表")


def test_implied_objects_make_two_wordings_equal() -> None:
    assert objects("请各村报送高龄津贴发放对象名单") == objects("各村把享受高龄补贴的老人名单报来")


def test_ages_are_part_of_the_objects_whatever_the_numerals() -> None:
    assert objects("请各村统计90岁以上老人名单") == objects("各村把九十周岁以上老年人花名册报来")
    assert objects("请各村统计80岁以上老人名单") != objects("请各村统计90岁以上老人名单")
    assert "age:0-6" in objects("请报送0到6岁孩子名单")


def test_sender_addressee_department_and_purpose_name_no_data() -> None:
    assert objects("退役军人服务站：请各村报送光荣牌家庭名单") == {"光荣牌"}
    assert objects("请各网格员把本网格流动人口信息报来") == {"流动人口"}
    assert objects("请各村报送死亡人员名单，用于停发养老金") == {"死亡人口"}
    assert objects("请各村把名单发残联专干：低保户名单") == {"低保对象"}


def test_clauses_that_ask_win_over_the_reason_given_before_them() -> None:
    assert objects("核拨下季度供养金，请各村报一下特困人员名单") == {"特困供养"}


def test_examples_before_deng_belong_to_the_object_after_it() -> None:
    assert objects("请各社区把小餐饮、小商店等九小场所检查记录发来") == {"九小场所"}


def test_no_known_object_gives_no_objects() -> None:
    assert objects("请各村报送秋粮以外的其他东西") == frozenset()


def test_config_and_confirmations_add_aliases_and_objects_without_changing_the_default() -> None:
    base = default_lexicon()
    extended = base.with_aliases({"父母都在外地的孩子": ("留守儿童", "儿童")})
    assert objects("请报送父母都在外地的孩子名单", extended) == {"留守儿童", "儿童"}
    assert objects("请报送父母都在外地的孩子名单", base) == {"儿童"}
    configured = base.with_objects({"光伏电站": ["光伏板", "分布式光伏"]})
    assert objects("请各村统计分布式光伏安装户数", configured) == {"光伏电站"}


def test_a_lexicon_is_built_from_toml_text() -> None:
    lexicon = lexicon_from_toml(
        '[objects]\n"甲" = ["甲物", "甲…乙"]\n[implies]\n"甲" = ["丙"]\n'
        '[ignore]\nwords = ["甲物办"]\n'
    )
    assert objects("请报送甲物名单", lexicon) == {"甲", "丙"}
    assert objects("请报送甲和乙名单", lexicon) == {"甲", "丙"}
    assert objects("请甲物办报送名单", lexicon) == frozenset()


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2026年度低保名单", Period("year", date(2026, 1, 1))),
        ("今年小麦面积", Period("year", date(2026, 1, 1))),
        ("去年小麦面积", Period("year", date(2025, 1, 1))),
        ("明年居民医保缴费", Period("year", date(2027, 1, 1))),
        ("2026年第三季度低保金", Period("quarter", date(2026, 7, 1))),
        ("今年三季度低保金", Period("quarter", date(2026, 7, 1))),
        ("今年7到9月低保金", Period("quarter", date(2026, 7, 1))),
        ("上季度低保金", Period("quarter", date(2026, 7, 1))),
        ("下季度供养金", Period("quarter", date(2027, 1, 1))),
        ("上半年工作数据", Period("half", date(2026, 1, 1))),
        ("本月死亡人员", Period("month", date(2026, 11, 1))),
        ("上个月低保金", Period("month", date(2026, 10, 1))),
        ("3月份低保金", Period("month", date(2026, 3, 1))),
        ("这周电动车排查", Period("week", date(2026, 11, 16))),
        ("上周巡查记录", Period("week", date(2026, 11, 9))),
        ("今天到岗人数", Period("day", date(2026, 11, 18))),
        ("本学期困难学生", Period("semester", date(2026, 9, 1))),
    ],
)
def test_periods_are_resolved_against_the_message_time(text: str, period: Period) -> None:
    assert period_in(text, NOW) == period


@pytest.mark.parametrize(
    "text",
    [
        "请于本月20日前报送",
        "本周五前报送",
        "本周内报送",
        "月底前报送",
        "3月15日前报送",
        "今天下班前报送",
        "2026年12月底前报送",
        "2005年以后出生的青年",
        "截至本月",
    ],
)
def test_deadlines_and_as_of_dates_are_not_periods(text: str) -> None:
    assert period_in(text, NOW) is None


def test_a_month_well_after_this_one_is_last_years() -> None:
    january = SHANGHAI.localize(datetime(2027, 1, 6, 9, 0))
    assert period_in("12月份低保金发放表", january) == Period("month", date(2026, 12, 1))


def test_kinds_and_named_units() -> None:
    key = data_key("东山村：请河口村、中心小学报送低保户名单和照片", NOW)
    assert key.kinds == {"data", "photo"}
    assert key.scope == {"东山村", "河口村", "中心小学"}
    assert data_key("请各村（社区）报送本村低保户名单", NOW).scope == frozenset()


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("65", "十二", "六十五", "九十", "一百", "十")] == [
        65,
        12,
        65,
        90,
        100,
        10,
    ]
