"""Duplicate data requests end to end: two groups, the later request linked to the earlier one,
the requester and the admins told privately (the earlier text only to its members), the admins'
buttons changing later matches, tables read from their files after the message."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.features.duplicates.feature import DIFFERENT_BUTTON, SAME_BUTTON
from bot.platform.clock import ManualClock
from bot.platform.i18n import text
from bot.platform.settings import load_settings
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import (
    AdminAudit,
    DataRequestRecord,
    DuplicateMatch,
    LearnedAlias,
)
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    bot_may_delete,
    bot_texts,
    private_texts,
    restarted,
    started_bot,
    step,
    stop_alarm_clock,
    toast,
)
from testserver.server import BotApiServer
from testserver.world import Chat, ChatMessage, User

EARLIER = "请各村于本周五前报送2026年度低保户名单"
LATER = "麻烦各村把2026年最低生活保障对象花名册发我"
TEMPLATE = ["序号", "儿童姓名", "监护人", "联系电话", "就读学校"]


def xlsx(rows: Sequence[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class Groups:
    """民政办工作群 (where the data was asked for first) and 青石镇工作群 (where it is asked again).

    张敏 is in both; 李强 only in the second; 王主任 admins the first, 赵书记 the second.
    """

    def __init__(self, harness: BotHarness, people: dict[str, User]) -> None:
        world = harness.world
        self.people = people
        self.first: Chat = world.add_group(
            "民政办工作群",
            admins=[people["王主任"]],
            members=[people["张敏"], people["陈芳"], people["刘洋"]],
        )
        self.second: Chat = world.add_group(
            "青石镇工作群", admins=[people["赵书记"]], members=[people["张敏"], people["李强"]]
        )


async def groups(harness: BotHarness) -> Groups:
    stop_alarm_clock(harness)
    people = {
        name: await started_bot(harness, name)
        for name in ("王主任", "赵书记", "张敏", "李强", "陈芳", "刘洋")
    }
    scene = Groups(harness, people)
    for chat in (scene.first, scene.second):
        await bot_may_delete(harness, chat)
    return scene


async def post(
    harness: BotHarness,
    who: User,
    chat: Chat,
    words: str,
    *,
    file_name: str | None = None,
    content: bytes | None = None,
) -> ChatMessage:
    """A message (with a document and its caption, when a file name is given), handled, the
    tick that follows run, and what it queued sent."""
    world = harness.world
    if file_name is None:
        message = world.send(who, chat, words)
    else:
        message = world.send(
            who, chat, media="document", file_name=file_name, content=content, caption=words
        )
    await step(harness)
    await step(harness)
    return message


def replies_to(harness: BotHarness, message: ChatMessage) -> list[ChatMessage]:
    return [
        m
        for m in harness.world.sent_by_bot(message.chat)
        if m.reply_to_message_id == message.message_id and not m.deleted
    ]


def prompt_of(harness: BotHarness, admin: User) -> ChatMessage:
    (prompt,) = [
        m for m in harness.world.sent_by_bot(harness.world.private_chat(admin)) if m.reply_markup
    ]
    return prompt


Place = tuple[int, int]


def place(message: ChatMessage) -> Place:
    return message.chat.id, message.message_id


async def matches(harness: BotHarness) -> dict[Place, tuple[Place, str]]:
    """Each later request's chat and message id: the earlier one's, and the match status."""
    async with harness.services.sessions() as session:
        requests = {
            r.id: (r.chat_id, r.message_id)
            for r in await session.scalars(select(DataRequestRecord))
        }
        rows = await session.scalars(select(DuplicateMatch))
        return {requests[m.request_id]: (requests[m.earlier_id], m.status) for m in rows}


def answered(*, replies: int, files: int) -> dict[str, str]:
    return {
        "replies": text("duplicates.replies", "zh-Hans", count=replies),
        "files": text("duplicates.files", "zh-Hans", count=files),
    }


def link(chat: Chat, message: ChatMessage) -> str:
    return f"https://t.me/c/{-chat.id - 10**12}/{message.message_id}"


async def test_the_later_request_gets_the_reply_the_requester_and_admins_their_notes(
    harness: BotHarness,
) -> None:
    s = await groups(harness)
    p = s.people
    earlier = await post(harness, p["张敏"], s.first, EARLIER)
    harness.world.send(
        p["陈芳"],
        s.first,
        reply_to=earlier,
        media="document",
        file_name="东山村.xlsx",
        caption="东山村的",
    )
    harness.world.send(p["刘洋"], s.first, "河口村没有新增,名单同上月", reply_to=earlier)
    harness.world.send(p["张敏"], s.first, "谢谢各位", reply_to=earlier)  # the requester's own
    harness.world.send(p["王主任"], s.first, "收到", reply_to=earlier)  # an acknowledgement
    await step(harness)

    later = await post(harness, p["李强"], s.second, LATER)

    (reply,) = replies_to(harness, later)
    assert reply.disable_notification
    assert reply.text == "\n".join(
        (
            text(
                "duplicates.group_reply",
                "zh-Hans",
                date="今天 10:00",
                group="民政办工作群",
                **answered(replies=2, files=1),
            ),
            text("duplicates.link", "zh-Hans", link=link(s.first, earlier)),
        )
    )
    assert EARLIER not in (reply.text or "")
    # 李强 is not in 民政办工作群, nor is 赵书记: neither reads what was asked there.
    (requester_note,) = private_texts(harness, p["李强"])[-1:]
    (admin_note,) = [m.text or "" for m in [prompt_of(harness, p["赵书记"])]]
    for note in (requester_note, admin_note):
        assert EARLIER not in note and "陈芳" not in note
        assert text("duplicates.not_member", "zh-Hans", earlier_group="民政办工作群") in note
    assert LATER in admin_note
    assert prompt_of(harness, p["赵书记"]).callback_data == [
        f"{SAME_BUTTON}:1",
        f"{DIFFERENT_BUTTON}:1",
    ]
    # 王主任 admins only the first group: no prompt for him; nobody else is written to.
    assert not [
        m
        for m in harness.world.sent_by_bot(harness.world.private_chat(p["王主任"]))
        if m.reply_markup
    ]
    assert await matches(harness) == {place(later): (place(earlier), "proposed")}


async def test_a_reminder_in_ones_own_group_is_not_pointed_out(harness: BotHarness) -> None:
    s = await groups(harness)
    p = s.people
    earlier = await post(harness, p["王主任"], s.first, EARLIER)
    reminder = await post(harness, p["王主任"], s.first, f"再次提醒,还没报的抓紧:{EARLIER}")
    other = await post(harness, p["张敏"], s.first, LATER)
    assert replies_to(harness, reminder) == []
    assert await matches(harness) == {place(other): (place(earlier), "proposed")}


async def test_a_requester_in_both_groups_reads_the_earlier_request_and_who_answered(
    harness: BotHarness,
) -> None:
    s = await groups(harness)
    p = s.people
    earlier = await post(harness, p["王主任"], s.first, EARLIER)
    answer = harness.world.send(
        p["陈芳"], s.first, reply_to=earlier, media="document", file_name="东山村.xlsx"
    )
    await step(harness)

    await post(harness, p["张敏"], s.second, LATER)

    note = private_texts(harness, p["张敏"])[-1]
    assert EARLIER in note
    assert link(s.first, earlier) in note
    assert (
        f"{text('duplicates.answer_file', 'zh-Hans', name='陈芳')} {link(s.first, answer)}" in note
    )
    assert text("duplicates.counts", "zh-Hans", **answered(replies=1, files=1)) in note


async def test_confirming_teaches_the_wording_and_rejecting_is_remembered(
    harness: BotHarness,
) -> None:
    s = await groups(harness)
    p = s.people
    table = xlsx([["留守儿童花名册"], TEMPLATE])
    earlier = await post(
        harness,
        p["王主任"],
        s.first,
        "请各校统计本校留守儿童名单",
        file_name="花名册.xlsx",
        content=table,
    )
    # Other words, another file, the same template: matched once the header is read.
    reworded = await post(
        harness,
        p["李强"],
        s.second,
        "请各村报送父母都在外地打拼的小朋友名单",
        file_name="模板.xlsx",
        content=xlsx([TEMPLATE]),
    )
    assert await matches(harness) == {place(reworded): (place(earlier), "proposed")}
    prompt = prompt_of(harness, p["赵书记"])
    # A member presses the admin's button (a forged press): nothing changes.
    forged = harness.world.press(p["李强"], prompt, f"{SAME_BUTTON}:1", check=False)
    gone = harness.world.press(p["赵书记"], prompt, f"{SAME_BUTTON}:99", check=False)
    await step(harness)
    assert toast(forged) == text("duplicates.toast_admins_only", "zh-Hans", group="青石镇工作群")
    assert toast(gone) == text("duplicates.toast_gone", "zh-Hans")
    assert (await matches(harness))[place(reworded)][1] == "proposed"

    confirmed = harness.world.press(p["赵书记"], prompt, f"{SAME_BUTTON}:1")
    again = harness.world.press(p["赵书记"], prompt, f"{DIFFERENT_BUTTON}:1")
    await step(harness)
    await step(harness)
    assert toast(confirmed) == text("duplicates.toast_same", "zh-Hans")
    assert toast(again) == text("duplicates.toast_already", "zh-Hans")
    assert prompt.reply_markup is None or not prompt.callback_data
    assert (prompt.text or "").endswith(text("duplicates.decided_same", "zh-Hans", name="赵书记"))

    # The taught wording, without any file, now finds the first request.
    taught = await post(
        harness, p["张敏"], s.second, "请各村统计一下父母都在外地打拼的小朋友的情况"
    )
    assert (await matches(harness))[place(taught)] == (place(earlier), "proposed")

    # 低保: linked, then rejected; the same words again are never linked to that request.
    first = await post(harness, p["王主任"], s.first, EARLIER)
    second = await post(harness, p["李强"], s.second, LATER)
    assert (await matches(harness))[place(second)] == (place(first), "proposed")
    (reply,) = replies_to(harness, second)
    rejected = harness.world.press(
        p["赵书记"], prompt_of_latest(harness, p["赵书记"]), f"{DIFFERENT_BUTTON}:3"
    )
    await step(harness)
    await step(harness)
    assert toast(rejected) == text("duplicates.toast_different", "zh-Hans")
    assert reply.deleted
    third = await post(harness, p["张敏"], s.second, LATER)
    assert (await matches(harness)).get(place(third), (None, ""))[0] != place(first)

    async with harness.services.sessions() as session:
        audit = [(a.action, a.user_id) for a in await session.scalars(select(AdminAudit))]
        aliases = [a.alias for a in await session.scalars(select(LearnedAlias))]
    assert audit == [
        ("duplicates.confirm", p["赵书记"].id),
        ("duplicates.reject", p["赵书记"].id),
    ]
    assert aliases == ["父母都在外地打拼的小朋友"]


def prompt_of_latest(harness: BotHarness, admin: User) -> ChatMessage:
    return [
        m for m in harness.world.sent_by_bot(harness.world.private_chat(admin)) if m.callback_data
    ][-1]


async def test_a_file_too_big_or_not_a_table_keys_the_request_by_its_words(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.features.duplicates.feature")
    s = await groups(harness)
    p = s.people
    earlier = await post(harness, p["王主任"], s.first, EARLIER)
    big = await post(
        harness,
        p["李强"],
        s.second,
        LATER,
        file_name="名单.xlsx",
        content=b"0" * (20 * 1024 * 1024 + 1),
    )
    broken = await post(
        harness, p["张敏"], s.second, LATER, file_name="名单.xlsx", content=b"not a spreadsheet"
    )
    pdf = await post(harness, p["李强"], s.second, LATER, file_name="通知.pdf")
    found = await matches(harness)
    for message in (big, broken, pdf):
        assert found[place(message)] == (place(earlier), "proposed")
    async with harness.services.sessions() as session:
        headers = {
            (r.chat_id, r.message_id): r.header
            for r in await session.scalars(select(DataRequestRecord))
        }
    assert headers == {
        place(earlier): None,
        place(big): None,
        place(broken): "unread",
        place(pdf): None,
    }
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "over the 20971520" in logged and "unreadable xlsx" in logged and ".pdf" in logged


async def test_a_group_that_turned_it_off_is_neither_linked_nor_fingerprinted(
    harness: BotHarness,
) -> None:
    s = await groups(harness)
    p = s.people
    harness.world.send(p["赵书记"], s.second, "/duplicates off")
    await step(harness)
    assert bot_texts(harness, s.second)[-1] == text("duplicates.set_off", "zh-Hans")
    await post(harness, p["王主任"], s.first, EARLIER)
    later = await post(harness, p["李强"], s.second, LATER)
    assert replies_to(harness, later) == []
    assert await matches(harness) == {}
    async with harness.services.sessions() as session:
        stored = {r.chat_id for r in await session.scalars(select(DataRequestRecord))}
        audit = [(a.action, a.new) for a in await session.scalars(select(AdminAudit))]
    assert stored == {s.first.id}
    assert audit == [("duplicates", {"duplicates": False})]
    harness.world.send(p["李强"], s.second, "/duplicates on")
    await step(harness)
    assert bot_texts(harness, s.second)[-1] == text("admin.only", "zh-Hans", command="/duplicates")


async def test_a_table_and_the_notes_left_undone_by_a_stop_are_done_after_the_restart(
    harness: BotHarness,
) -> None:
    s = await groups(harness)
    p = s.people
    earlier = await post(
        harness,
        p["王主任"],
        s.first,
        "请各校统计本校留守儿童名单",
        file_name="花名册.xlsx",
        content=xlsx([TEMPLATE]),
    )
    reworded = harness.world.send(
        p["李强"],
        s.second,
        media="document",
        file_name="模板.xlsx",
        content=xlsx([TEMPLATE]),
        caption="请各村报送父母都在外地打拼的小朋友名单",
    )
    await harness.settle()  # stored in its transaction; the bot stops before any tick
    async with harness.services.sessions() as session:
        (pending,) = await session.scalars(
            select(DataRequestRecord.header).where(
                DataRequestRecord.chat_id == s.second.id,
                DataRequestRecord.message_id == reworded.message_id,
            )
        )
    assert pending == "pending" and await matches(harness) == {}

    async with restarted(harness) as again:
        stop_alarm_clock(again)
        await step(again)
        await step(again)
        assert await matches(again) == {place(reworded): (place(earlier), "proposed")}
        assert len(replies_to(again, reworded)) == 1
        assert prompt_of(again, p["赵书记"]).callback_data


async def test_configured_objects_and_window(
    server: BotApiServer, db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[duplicates]\nwindow_days = 30\nobjects = { "充电桩" = ["充电设施", "充电站"] }\n',
        encoding="utf-8",
    )
    await upgrade_to_head(db_url)
    harness = BotHarness(server, db_url, clock, load_settings(config, {}))
    await harness.start()
    try:
        s = await groups(harness)
        p = s.people
        earlier = await post(harness, p["王主任"], s.first, "请各村报送充电桩台账")
        later = await post(harness, p["李强"], s.second, "请各村统计充电设施数量")
        clock.advance(timedelta(days=40))  # a Monday morning, past the 30 days configured
        late = await post(harness, p["张敏"], s.second, "请各村统计充电站数量")
        assert await matches(harness) == {place(later): (place(earlier), "proposed")}
        assert replies_to(harness, late) == []
    finally:
        await harness.stop()
