"""`jianfu audit` end to end on generated exports, against counts the test works out itself."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from tests.supervision.exports import ExportChat, Message, write_full, write_single

SHANGHAI = timedelta(hours=8)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - SHANGHAI


# (local time, kind) — the test's own knowledge of each message, not the classifier's.
WORK = local(2024, 5, 8, 10)  # a Wednesday, 10:00
NIGHT = local(2024, 5, 8, 22, 30)  # the same Wednesday, quiet hours
SATURDAY = local(2024, 5, 18, 10)  # a rest day (May 11 was a 调休 workday)
NATIONAL_DAY = local(2024, 10, 2, 10)  # a statutory holiday (a Wednesday)
TEXTS = {
    "notice": "明天上午9点在村委会召开安全生产会议",
    "urgent": "【紧急】今晚暴雨预警,请各村立即做好转移准备",
    "data": "请各村今天下班前报送低保户名单",
    "demand": "收到请回复",
    "ack": "收到",
    "rollcall": "接龙报名\n1. 张三\n2. 李四",
}
PLAN = [
    (WORK, "demand", 1),
    (WORK + timedelta(minutes=1), "ack", 2),
    (WORK + timedelta(minutes=2), "ack", 3),
    (WORK + timedelta(minutes=3), "data", 1),
    (WORK + timedelta(minutes=4), "rollcall", 2),
    (NIGHT, "notice", 1),
    (NIGHT + timedelta(minutes=5), "urgent", 1),
    (NIGHT + timedelta(minutes=9), "notice", 3),
    (SATURDAY, "notice", 2),
    (SATURDAY + timedelta(hours=1), "data", 2),
    (NATIONAL_DAY, "notice", 1),
]
NAMES = {1: "张三", 2: "李四", 3: "王五"}


def planned_messages(first_id: int = 1) -> list[Message]:
    messages = [
        Message(first_id + i, at, TEXTS[kind], sender_id=1000 + who, sender_name=NAMES[who])
        for i, (at, kind, who) in enumerate(PLAN)
    ]
    # Beside the plan: a service entry (not a message) and a deleted account's message at night.
    messages.insert(3, Message(first_id + 100, WORK, service=True))
    messages.append(
        Message(first_id + 101, NIGHT + timedelta(minutes=30), "有人吗\x07", 2000, None)
    )
    return messages


def expected() -> dict[str, object]:
    """What the plan holds, counted here without the classifier or the calendar."""
    after_hours = [(at, kind, who) for at, kind, who in PLAN if at not in _work_times()]
    deleted_after_hours = 1
    hours = [0] * 24
    for at, _, _ in after_hours:
        hours[(at + SHANGHAI).hour] += 1
    hours[(NIGHT + timedelta(minutes=30) + SHANGHAI).hour] += deleted_after_hours
    return {
        "messages": len(PLAN) + 1,
        "after_hours": len(after_hours) + deleted_after_hours,
        # every after-hours message is held except the urgent one with a reason
        "would_hold": len(after_hours) + deleted_after_hours - 1,
        "urgent": 1,
        "acks": 2,
        "acks_absorbed": 2,  # both follow the open "收到请回复", nothing between
        "reply_demands": 1,
        "rollcalls": 1,
        "data_requests": 2,
        "duplicate_requests": 0,
        "hours": hours,
    }


def _work_times() -> set[datetime]:
    return {at for at, _, _ in PLAN if at.date() == WORK.date() and at < NIGHT}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JIANFU_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def test_audit_json_counts_what_the_test_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_config: None
) -> None:
    path = tmp_path / "result.json"
    with path.open("w", encoding="utf-8") as out:
        write_single(out, ExportChat(1234567890, "村务工作群", messages=planned_messages()))
    code, stdout, stderr = run(["audit", str(path), "--format", "json"], capsys)
    assert code == 0, stderr
    report = json.loads(stdout)
    for field, value in expected().items():
        assert report[field] == value, field
    senders = {s["id"]: s for s in report["senders"]}
    assert senders[1001] == {"id": 1001, "name": "张三", "messages": 5, "after_hours": 3}
    assert senders[1003]["after_hours"] == 1 and senders[None]["after_hours"] == 1
    assert report["groups"][0]["chat_id"] == -1001234567890


def test_a_bare_ack_is_absorbed_only_where_the_bot_would_take_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_config: None
) -> None:
    def said(number: int, minutes: int, kind: str, who: int) -> Message:
        at = WORK + timedelta(minutes=minutes)
        return Message(number, at, TEXTS[kind], sender_id=1000 + who, sender_name=NAMES[who])

    messages = [
        said(1, 0, "demand", 1),
        said(2, 1, "ack", 2),  # nothing since the request: it answers the request
        said(3, 2, "ack", 1),  # the requester's own: nothing to acknowledge
        said(4, 3, "notice", 3),  # a later notice: a bare 收到 may answer either now
        said(5, 4, "ack", 2),
    ]
    path = tmp_path / "result.json"
    with path.open("w", encoding="utf-8") as out:
        write_single(out, ExportChat(1234567890, "村务工作群", messages=messages))
    code, stdout, stderr = run(["audit", str(path), "--format", "json"], capsys)
    assert code == 0, stderr
    report = json.loads(stdout)
    assert (report["acks"], report["acks_absorbed"]) == (3, 1)


def test_a_full_export_with_several_chats_sums_its_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_config: None
) -> None:
    path = tmp_path / "result.json"
    chats = [
        ExportChat(111, "甲群", "private_supergroup", planned_messages()),
        ExportChat(222, "乙群", "private_group", planned_messages(500)),
        ExportChat(333, "私聊", "personal_chat", planned_messages(900)),
    ]
    with path.open("w", encoding="utf-8") as out:
        write_full(out, chats)
    code, stdout, stderr = run(["audit", str(tmp_path), "--format", "json"], capsys)
    assert code == 0, stderr
    report = json.loads(stdout)
    one = expected()
    for field in ("messages", "after_hours", "would_hold", "acks", "data_requests"):
        assert report[field] == 2 * one[field], field  # type: ignore[operator]
    assert report["hours"] == [2 * h for h in one["hours"]]  # type: ignore[attr-defined]
    assert sorted(g["chat_id"] for g in report["groups"]) == [-1000000000111, -222]
    assert "not groups" in stderr


def test_corrupt_messages_are_skipped_with_their_ids_in_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_config: None
) -> None:
    messages = [
        Message(1, WORK, "好的"),
        Message(2, WORK, "坏", extra={"date_unixtime": None}),
        Message(3, WORK, "又好"),
    ]
    path = tmp_path / "result.json"
    with path.open("w", encoding="utf-8") as out:
        write_single(out, ExportChat(42, "g", messages=messages))
    code, stdout, stderr = run(["audit", str(path), "--format", "json"], capsys)
    assert code == 0
    assert json.loads(stdout)["messages"] == 2
    assert "1 corrupt messages skipped: 2 (no date_unixtime)" in stderr


def test_every_rendering_is_written_to_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_config: None
) -> None:
    path = tmp_path / "result.json"
    with path.open("w", encoding="utf-8") as out:
        write_single(out, ExportChat(42, "村务群", messages=planned_messages()))
    for fmt in ("text", "html", "csv", "json"):
        target = tmp_path / f"report.{fmt}"
        code, stdout, _ = run(["audit", str(path), "--format", fmt, "--out", str(target)], capsys)
        assert code == 0 and stdout == ""
        assert target.stat().st_size > 0
    csv_bytes = (tmp_path / "report.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert rows[0][:3] == ["群ID", "群名称", "消息ID"]
    assert len(rows) == 1 + len(PLAN) + 1  # the header, the plan, the deleted account's
    assert rows[-1][-1] == "有人吗\x07" and rows[-1][3] == ""
    assert "原则上非工作时间不发布工作信息" in (tmp_path / "report.text").read_text()


@pytest.mark.parametrize(
    ("setup", "argv", "said"),
    [
        (None, ["audit", "{dir}/missing.json"], "not found"),
        ("truncated", ["audit", "{dir}/result.json"], "truncated"),
        ("html", ["audit", "{dir}/messages.html"], "HTML export"),
        ("notexport", ["audit", "{dir}/result.json"], "not a Telegram Desktop export"),
        ("good", ["audit", "{dir}/result.json", "--timezone", "Mars/Olympus"], "timezone"),
        (None, ["report", "--since", "2024-05-02", "--until", "2024-05-01"], "after --until"),
        (None, ["report", "--since", "May 1", "--until", "2024-05-01"], "YYYY-MM-DD"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_config: None,
    setup: str | None,
    argv: list[str],
    said: str,
) -> None:
    good = tmp_path / "result.json"
    if setup in ("truncated", "good"):
        with good.open("w", encoding="utf-8") as out:
            write_single(out, ExportChat(42, "g", messages=planned_messages()))
        if setup == "truncated":
            good.write_bytes(good.read_bytes()[:-300])
    elif setup == "html":
        (tmp_path / "messages.html").write_text("<!DOCTYPE html><html></html>")
    elif setup == "notexport":
        good.write_text('{"hello": "world"}')
    code, _, stderr = run([a.format(dir=tmp_path) for a in argv], capsys)
    assert code == 2
    assert said in stderr and stderr.count("\n") == 1 and "Traceback" not in stderr


def test_audit_counts_a_request_repeated_in_another_group_but_not_a_reminder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_config: None
) -> None:
    asked = "民政办：请各村于本周五前报送2024年度低保户名单"
    first = [
        Message(1, WORK, asked, sender_id=1001),
        Message(2, WORK + timedelta(hours=1), f"再次提醒:{asked}", sender_id=1001),
    ]
    second = [
        Message(1, WORK + timedelta(days=1), "麻烦各村把2024年最低生活保障对象花名册发我", 1002),
        Message(2, WORK + timedelta(days=1, hours=1), "请各村报送2024年度特困人员名单", 1002),
    ]
    path = tmp_path / "result.json"
    with path.open("w", encoding="utf-8") as out:
        write_full(
            out,
            [
                ExportChat(111, "民政办工作群", messages=first),
                ExportChat(222, "青石镇工作群", messages=second),
            ],
        )
    code, stdout, stderr = run(["audit", str(path), "--format", "json"], capsys)
    assert code == 0, stderr
    report = json.loads(stdout)
    groups = {group["title"]: group for group in report["groups"]}
    assert report["duplicate_requests"] == 1
    assert groups["青石镇工作群"]["duplicate_requests"] == 1
    assert groups["民政办工作群"]["duplicate_requests"] == 0
