"""The audit in several processes gives the report one process gives: on a history whose state
(open acknowledgement requests, roll-calls reposted day after day, urgent quotas, times going
backwards) crosses every boundary, with the warm-up that usually settles it and with none, so
that every chat's stretch is replayed again from the true state."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.features.supervision.audit as audit_module
from bot.cli import main
from bot.edge.desktop_export import read_export
from bot.features.supervision.audit import (
    Audit,
    count_duplicates,
    parallel_audit,
    replayed_requests,
    stretches_for,
)
from bot.features.supervision.json_report import report_json
from bot.platform.settings import DuplicateSettings
from policies.group_policy import GroupPolicy
from policies.message import ChatKind, ChatMessage, ChatRef, Person
from policies.replay import ChatReplay, replay_message
from tests.supervision.exports import ExportChat, Message, write_full

START = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)  # a Monday, 08:00 in Shanghai
TEXTS = (
    "请各村今天下班前报送低保户名单",
    "收到请回复",
    "收到",
    "好的",
    "【紧急】今晚暴雨预警,请各村立即做好转移准备",
    "【紧急】",
    "明天上午9点在村委会召开安全生产会议",
    "辛苦了",
)


def history(chat: int, seed: int) -> Iterator[Message]:
    """Eight weeks of one group, day and night; a 接龙 reposted every day under one title."""
    rng = random.Random(seed)
    at = START
    chain = ["张三", "李四"]
    for number in range(1, 2400):
        at += timedelta(minutes=rng.randint(5, 45))
        if number % 97 == 0:
            at -= timedelta(hours=3)  # a time going backwards, as clocks and exports do
        who = rng.randint(1, 6)
        if number % 37 == 0:
            chain.append(f"成员{number}")
            text = "每日健康打卡接龙\n" + "\n".join(f"{i}. {n}" for i, n in enumerate(chain, 1))
        else:
            text = rng.choice(TEXTS)
        yield Message(number, at, text, sender_id=chat * 100 + who, sender_name=f"成员{who}")


def export(path: Path) -> Path:
    chats = [
        ExportChat(1000 + n, f"第{n}村工作群", messages=history(1000 + n, n)) for n in range(3)
    ]
    with path.open("w", encoding="utf-8") as out:
        write_full(out, chats)
    return path


def one_process(path: Path) -> dict[str, Any]:
    requests = replayed_requests(DuplicateSettings())
    audit = Audit(GroupPolicy(), requests=requests.reading())
    with path.open("rb") as stream:
        read_export(stream, audit.message)
    builder = audit.finish()
    count_duplicates(builder, requests)
    return report_json(builder.build(audit.names))


@pytest.fixture(scope="module")
def export_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(tmp_path_factory.mktemp("parallel") / "result.json")


@pytest.mark.parametrize("warm_up", [audit_module.WARM_UP, timedelta(0)])
def test_several_processes_give_the_report_one_process_gives(
    export_file: Path, warm_up: timedelta, monkeypatch: pytest.MonkeyPatch
) -> None:
    replayed_again: list[int] = []
    merged = audit_module._merged

    def spying(parts: Any, policy: Any, rerun: Any) -> Any:
        def counted(share: int, seeds: dict[int, Any]) -> Any:
            replayed_again.extend(seeds)
            return rerun(share, seeds)

        return merged(parts, policy, counted)

    monkeypatch.setattr(audit_module, "_merged", spying)
    stretches = stretches_for(export_file, 3)
    assert stretches is not None and stretches.count == 3
    builder, names, summary, count = parallel_audit(
        export_file, GroupPolicy(), dataclasses.replace(stretches, warm_up=warm_up)
    )
    report = report_json(builder.build(names))
    assert report == one_process(export_file)
    # The day's request for the same list is posted in every group: the later ones are linked
    # to the earliest across the stretches' boundaries too.
    assert report["duplicate_requests"] > 0
    assert count == summary.messages == 3 * 2399 and summary.group_chats == 3
    if not warm_up:  # no warm-up: every chat's later stretches started empty, and were redone
        assert sorted(replayed_again) == sorted(
            [-1000000001000, -1000000001001, -1000000001002] * 2
        )


def test_the_command_line_gives_one_report_whatever_the_processes(
    export_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIANFU_CONFIG", "")
    for jobs in ("1", "3"):
        out = tmp_path / f"report-{jobs}.json"
        assert (
            main(["audit", str(export_file), "--format", "json", "--out", str(out), "--jobs", jobs])
            == 0
        )
    one, three = (json.loads((tmp_path / f"report-{j}.json").read_text()) for j in ("1", "3"))
    assert one == three and one["messages"] == 3 * 2399


def test_an_export_without_two_dates_is_audited_in_one_process(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{"name": "x", "type": "private_group", "id": 5, "messages": []}')
    assert stretches_for(path, 4) is None
    assert stretches_for(export(tmp_path / "other.json"), 1) is None


def test_a_bad_export_fails_in_one_line_with_several_processes(
    export_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.json"
    cut.write_bytes(export_file.read_bytes()[: export_file.stat().st_size // 2])
    code = main(["audit", str(cut), "--format", "json", "--jobs", "2"])
    assert code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "ends early (truncated)" in line


def test_a_long_history_keeps_a_bounded_replay_state() -> None:
    """Notices told in past quiet periods and urgent passes of past weeks are let go of."""
    chat = ChatReplay.start(GroupPolicy())
    ref = ChatRef(-1001, ChatKind.SUPERGROUP, "群")
    night = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    number = 0
    for day in range(90):
        for who in range(1, 6):
            for text in ("明天上午9点开会", "【紧急】今晚暴雨预警,请各村立即做好转移准备"):
                number += 1
                at = night + timedelta(days=day, minutes=number % 50)
                replay_message(chat, ChatMessage(ref, number, at, Person(who, "张"), text=text))
    assert 0 < len(chat.told) <= 5  # this night's, one per sender
    assert 0 < len({week for _, week in chat.urgent_uses}) <= 4  # three weeks kept, and this one
