"""Parsing 接龙 chains and diffing a reposted copy against the known entries."""

from __future__ import annotations

import pytest

from policies.classification import RollCall, RollCallEntry
from policies.rollcall import RollCallDiff, entry_key, merge_repost, parse_rollcall


def test_parses_topic_and_numbered_entries() -> None:
    chain = parse_rollcall("#接龙\n周三下午义务植树\n1. 王芳\n2、李强 带铁锹\n3) 赵敏（下午才到）")
    assert chain == RollCall(
        "周三下午义务植树",
        (
            RollCallEntry(1, "王芳"),
            RollCallEntry(2, "李强", "带铁锹"),
            RollCallEntry(3, "赵敏", "(下午才到)"),
        ),
    )


def test_traditional_and_circled_numbers_are_normalized() -> None:
    chain = parse_rollcall("春節值班報名\n①陳明 2.10\n②黃麗 2.11")
    assert chain is not None
    assert chain.title == "春节值班报名"
    assert chain.entries == (RollCallEntry(1, "陈明", "2.10"), RollCallEntry(2, "黄丽", "2.11"))


def test_a_chain_started_with_its_first_entry_is_a_rollcall() -> None:
    chain = parse_rollcall("请各村报名参加周日的义诊志愿服务，接龙\n1. 东坡村 陈红")
    assert chain is not None
    assert chain.entries == (RollCallEntry(1, "东坡村", "陈红"),)


@pytest.mark.parametrize("tail", ["请大家继续接龙👇", "👇", "..."])
def test_a_keep_going_line_after_the_entries_still_makes_a_chain(tail: str) -> None:
    chain = parse_rollcall(f"周五聚餐接龙\n1. 王芳\n2. 李强\n{tail}")
    assert chain is not None
    assert [e.name for e in chain.entries] == ["王芳", "李强"]


@pytest.mark.parametrize(
    "text",
    [
        "年度考核优秀人员：\n1. 王芳\n2. 李强\n现予公示",
        "请大家接龙",
        "上次那个接龙名单谁有？",
        "表彰名单如下：\n1. 王芳\n2. 李强",
        "会议议程：\n1. 传达文件精神\n2. 讨论下半年工作",
        "工作要求：\n1. 各村要在本周内完成入户排查并建立台账，做到不漏一户。\n2. 及时上报。",
        "1. 王芳\n2. 李强",
        "周五聚餐报名\n1. 王芳\n2. 李强\n以上同志请准时到场",
    ],
)
def test_lists_that_are_not_chains(text: str) -> None:
    assert parse_rollcall(text) is None


def _chain(*lines: str) -> RollCall:
    chain = parse_rollcall("\n".join(("周五聚餐接龙", *lines)))
    assert chain is not None
    return chain


def test_repost_with_one_more_line_adds_that_line() -> None:
    known = _chain("1. 王芳", "2. 李强").entries
    diff = merge_repost(known, _chain("1. 王芳", "2. 李强", "3. 赵敏 不吃辣🌶️"))
    assert diff == RollCallDiff(added=(RollCallEntry(3, "赵敏", "不吃辣🌶"),), dropped=())


def test_renumbering_script_emoji_and_spacing_are_not_changes() -> None:
    known = _chain("1. 王芳 🙋", "2. 李强  带家属", "3. 陈丽").entries
    repost = parse_rollcall("週五聚餐接龍\n1、陳麗\n2、王芳\n3、李強 帶家屬")
    assert repost is not None
    assert merge_repost(known, repost) == RollCallDiff((), ())


def test_a_line_missing_from_the_repost_is_dropped() -> None:
    known = _chain("1. 王芳", "2. 李强", "3. 赵敏").entries
    diff = merge_repost(known, _chain("1. 王芳", "2. 赵敏", "3. 陈红"))
    assert diff.added == (RollCallEntry(3, "陈红"),)
    assert diff.dropped == (RollCallEntry(2, "李强"),)


def test_same_name_twice_counts_twice() -> None:
    known = _chain("1. 王芳").entries
    diff = merge_repost(known, _chain("1. 王芳", "2. 王芳"))
    assert diff.added == (RollCallEntry(2, "王芳"),)
    assert merge_repost(_chain("1. 王芳", "2. 王芳").entries, _chain("1. 王芳")).dropped == (
        RollCallEntry(2, "王芳"),
    )


def test_entry_key_ignores_everything_but_words() -> None:
    assert entry_key(RollCallEntry(1, "李強", "帶家屬 👨‍👩‍👧")) == entry_key(
        RollCallEntry(7, "李强带家属")
    )
