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
