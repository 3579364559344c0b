"""`jianfu classify` as a function: JSON lines in, one JSON line out per input, in order."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO

import pytz

from bot.classify_cli import run_classify

NOW = pytz.timezone("Asia/Shanghai").localize(datetime(2026, 11, 18, 10, 0))


def run(text: str) -> tuple[int, list[dict[str, object]], list[str]]:
    out, err = StringIO(), StringIO()
    status = run_classify(StringIO(text), out, err, NOW)
    return (
        status,
        [json.loads(line) for line in out.getvalue().splitlines()],
        err.getvalue().splitlines(),
    )


def test_one_line_out_per_line_in_with_sorted_labels_and_reasons() -> None:
    lines = [
        {"id": "a", "text": "收到"},
        {"id": 2, "text": "【紧急】明天上午9点召开防汛会议，收到请回复"},
        {"id": None, "text": "中午吃什么"},
    ]
    status, out, err = run("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    assert status == 0 and err == []
    assert [o["id"] for o in out] == ["a", 2, None]
    assert out[0] == {"id": "a", "labels": ["ack"], "why": "ack:whole-message-ack"}
    assert out[1]["labels"] == ["demand_reply", "notice", "urgent"]
    assert "urgent:marker:【紧急】" in str(out[1]["why"]).split("; ")
    assert out[2]["labels"] == ["chat"]


def test_output_keeps_chinese_readable() -> None:
    out = StringIO()
    run_classify(StringIO('{"id": "中文", "text": "好的"}\n'), out, StringIO(), NOW)
    assert '"id": "中文"' in out.getvalue()


def test_blank_lines_are_skipped() -> None:
    status, out, _ = run('\n  \n{"id": 1, "text": "好的"}\n\n')
    assert status == 0
    assert [o["id"] for o in out] == [1]


def test_bad_lines_are_reported_in_place_and_exit_2() -> None:
    status, out, err = run(
        '{"id": 1, "text": "好的"}\nnot json\n[1, 2]\n{"id": 4}\n'
        '{"id": 5, "text": 7}\n{"id": 6, "text": "好的"}\n'
    )
    assert status == 2
    assert [o["id"] for o in out] == [1, None, None, None, None, 6]
    assert all(o["labels"] == [] and str(o["why"]).startswith("error: ") for o in out[1:5])
    assert [line.split(":")[0] for line in err] == ["line 2", "line 3", "line 4", "line 5"]
    assert all(line.endswith('expected {"id": ..., "text": ...}') for line in err)
    assert 'no "text" field' in err[2]


def lines_of(*records: dict[str, object]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def test_a_huge_number_or_deep_nesting_is_a_bad_line_not_a_crash() -> None:
    huge = '{"id": ' + "9" * 5000 + ', "text": "好的"}\n'
    deep = '{"id": ' + "[" * 100_000 + "]" * 100_000 + ', "text": "好的"}\n'
    status, out, err = run(huge + deep + '{"id": 3, "text": "好的"}\n' + "[" * 50_000 + "\n")
    assert status == 2
    assert [o["id"] for o in out] == [None, None, 3, None]
    assert [line.split(":")[0] for line in err] == ["line 1", "line 2", "line 4"]
    assert "digits" in err[0] and "nested too deeply" in err[1]


def test_a_later_request_for_the_same_data_names_the_earlier_line() -> None:
    status, out, _ = run(
        lines_of(
            {"id": "a", "text": "民政办：请各村于周五前报送本村低保户名单。"},
            {"id": "b", "text": "请各村报送特困供养人员名单。"},
            {"id": 7, "text": "社保所：麻烦各村把在册最低生活保障对象花名册整理发我。"},
            {"id": "d", "text": "请各村报送2025年度特困供养人员名单。"},
            {"id": "e", "text": "请各村报送2026年度特困供养人员名单。"},
            {"id": "f", "text": "收到"},
            {"id": "g", "text": "请各村报送2026年度五保户名单。"},
        )
    )
    assert status == 0
    # An unstated period (b) is compatible with any; stated ones (d, e) never match each other.
    assert [o.get("duplicate_of") for o in out] == [None, None, "a", "b", "b", None, "b"]
    assert "duplicate_of" not in out[0]


def test_sent_at_sets_the_time_relative_periods_are_read_in() -> None:
    status, out, err = run(
        lines_of(
            {"id": 1, "text": "请各村报送本月低保金发放表", "sent_at": "2026-03-05T09:00:00+08:00"},
            {
                "id": 2,
                "text": "请各村把3月份低保金发放明细报来",
                "sent_at": "2026-03-20T09:00:00+08:00",
            },
            {"id": 3, "text": "请各村报送本月低保金发放表", "sent_at": "2026-04-03T09:00:00+08:00"},
            {"id": 4, "text": "请各村报送本月低保金发放表", "sent_at": "2026-04-03"},
        )
    )
    assert [o.get("duplicate_of") for o in out] == [None, 1, None, None]
    assert status == 2 and err[0].startswith('line 4: "sent_at" is not an ISO 8601 time')


def test_a_number_beyond_a_float_or_nan_is_a_bad_line_and_the_output_stays_json() -> None:
    lines = '{"id": 1e999, "text": "好的"}\n{"id": NaN, "text": "好的"}\n{"id": -Infinity}\n'
    status, out, err = run(lines + '{"id": 4, "text": "好的"}\n')
    assert status == 2
    assert [o["id"] for o in out] == [None, None, None, 4]
    assert [line.split(":")[0] for line in err] == ["line 1", "line 2", "line 3"]
    assert all("not valid JSON" in line for line in err)
