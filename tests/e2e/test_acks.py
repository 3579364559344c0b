"""Acknowledgements end to end: one button and a live tally instead of a reply storm."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import Acknowledgement, AckRequest
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    bot_may_delete,
    edit_gaps,
    flush_live_messages,
    reply_of,
    restarted,
    step,
    stop_alarm_clock,
    toast,
)
from testserver.world import DEFAULT_BOT_RIGHTS, Chat, ChatMessage

NOTICE = "关于开展冬季消防安全检查的通知:请各村于周五前完成自查,收到请回复。"
ACKS = (
    "收到",
    "1",
    "好的",
    "👍",
    "收到谢谢",
    "张三收到",
    "已阅",
    "OK",
    "🫡",
    "收到!",
    "好的收到",
    "明白",
    "已收到",
    "收到👍",
    "知道了",
    "收到收到",
    "已知悉",
    "Received",
    "ok👌",
    "嗯嗯",
)
SUBSTANTIVE = (
    "收到，但第三行数据有误",
    "收到，明天下午的会我请假",
    "第三行数据有误，请核实",
    "好的，表格发哪个邮箱？",
    "收到，请问截止时间是几点？",
)


class Group:
    def __init__(self, harness: BotHarness, members: int, *, can_delete: bool = True) -> None:
        world = harness.world
        self.admin = world.add_user("王主任", started=True)
        self.people = [world.add_user(f"村干部{i:02d}", started=True) for i in range(members)]
        rights = DEFAULT_BOT_RIGHTS if can_delete else DEFAULT_BOT_RIGHTS - {"can_delete_messages"}
        self.chat: Chat = world.add_group(
            "青石镇工作群", admins=[self.admin], members=self.people, bot_rights=rights
        )


async def ready(harness: BotHarness, members: int, *, can_delete: bool = True) -> Group:
    stop_alarm_clock(harness)
    group = Group(harness, members, can_delete=can_delete)
    await bot_may_delete(harness, group.chat, can_delete=can_delete)
    return group


async def post_notice(harness: BotHarness, group: Group, body: str = NOTICE) -> ChatMessage:
    notice = harness.world.send(group.admin, group.chat, body)
    await step(harness)
    return notice


def tally_text(count: int, total: int) -> str:
    tally = text("ack.tally", "zh-Hans", count=count, total=total)
    return f"{text('ack.request', 'zh-Hans')}\n{tally}"


async def ack_rows(harness: BotHarness) -> list[Acknowledgement]:
    async with harness.services.sessions() as session:
        return list((await session.scalars(select(Acknowledgement))).all())


async def test_twenty_acks_are_absorbed_and_five_replies_with_content_stay(
    harness: BotHarness,
) -> None:
    world = harness.world
    group = await ready(harness, members=25)
    notice = await post_notice(harness, group)
    tally = reply_of(harness, notice)
    assert tally.callback_data[0].startswith("ack:")
    acks: list[ChatMessage] = []
    for number, (person, body) in enumerate(zip(group.people, ACKS, strict=False)):
        # Some reply to the notice, some to the tally, some just say it in the group.
        target = (notice, tally, None)[number % 3]
        acks.append(world.send(person, group.chat, body, reply_to=target))
        await step(harness)
    replies = [
        world.send(person, group.chat, body, reply_to=notice)
        for person, body in zip(group.people[20:], SUBSTANTIVE, strict=True)
    ]
    await step(harness)
    await flush_live_messages(harness)

    assert sorted(world.deleted_ids(group.chat)) == [m.message_id for m in acks]
    visible = world.visible_messages(group.chat)
    assert all(reply in visible for reply in replies)
    rows = await ack_rows(harness)
    # An acknowledgement with more to say stays in the group and counts; "第三行数据有误" does not.
    with_content = [
        p for p, body in zip(group.people[20:], SUBSTANTIVE, strict=True) if body[0] != "第"
    ]
    assert sorted(r.user_id for r in rows) == sorted(p.id for p in group.people[:20] + with_content)
    assert {r.via for r in rows} == {"message"}
    # 25 people; the admin who asked is not counted, nor is the bot.
    assert tally.text == tally_text(24, 25)
    assert all(gap >= timedelta(seconds=5) for gap in edit_gaps(harness, group.chat))


async def test_a_press_counts_once_and_only_for_the_presser(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=4)
    tally = reply_of(harness, await post_notice(harness, group))
    first = world.press(group.people[0], tally)
    again = world.press(group.people[0], tally)
    await step(harness)
    world.press(group.people[1], tally)
    await flush_live_messages(harness)

    assert toast(first) == text("ack.toast.recorded", "zh-Hans")
    assert toast(again) == text("ack.toast.already", "zh-Hans")
    assert sorted(r.user_id for r in await ack_rows(harness)) == sorted(
        p.id for p in group.people[:2]
    )
    assert {r.via for r in await ack_rows(harness)} == {"button"}
    assert tally.text == tally_text(2, 4)


async def test_forged_callback_data_counts_for_nothing(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=3)
    notice = await post_notice(harness, group)
    tally = reply_of(harness, notice)
    request_id = int(tally.callback_data[0].split(":")[1])
    other = world.add_group("另一个群", admins=[group.admin], members=group.people)
    await bot_may_delete(harness, other)
    elsewhere = world.send(group.admin, other, NOTICE)
    await step(harness)
    other_tally = reply_of(harness, elsewhere)
    presser = group.people[0]
    forged = [
        # another request's id on this tally
        world.press(presser, tally, f"ack:{request_id + 1}", check=False),
        # this request's id on the other chat's tally, and on someone's own message
        world.press(presser, other_tally, f"ack:{request_id}", check=False),
        world.press(presser, notice, f"ack:{request_id}", check=False),
        # malformed: not a number, a smuggled user id, a padded number, an unknown kind
        world.press(presser, tally, "ack:abc", check=False),
        world.press(presser, tally, f"ack:{request_id}:{group.people[1].id}", check=False),
        world.press(presser, tally, f"ack:0{request_id}", check=False),
        world.press(presser, tally, f"ackx:{request_id}", check=False),
        world.press(presser, tally, "hello", check=False),
    ]
    await step(harness)

    # Every press is answered, also data no button of the bot's carries: an unanswered press
    # leaves the client spinning.
    answered = [p for p in forged if p.answer is not None]
    assert len(answered) == len(forged)
    assert all("text" not in p.answer for p in answered if p.answer is not None)
    assert await ack_rows(harness) == []


async def test_the_list_goes_privately_to_the_requester_and_admins_only(
    harness: BotHarness,
) -> None:
    world = harness.world
    group = await ready(harness, members=3)
    requester, outsider = group.people[0], group.people[2]
    world.send(outsider, group.chat, "大家好")  # the bot knows members it has seen
    notice = world.send(requester, group.chat, "明天上午九点开会,收到请回复。")
    await step(harness)
    tally = reply_of(harness, notice)
    roster = tally.callback_data[1]
    world.press(group.people[1], tally)
    await step(harness)
    not_started = world.add_user("新来的管理员")
    world.set_member_status(group.chat, not_started, "administrator", by=group.admin)
    presses = {
        "requester": world.press(requester, tally, roster),
        "admin": world.press(group.admin, tally, roster),
        "outsider": world.press(outsider, tally, roster),
        "not_started": world.press(not_started, tally, roster),
    }
    await step(harness)

    assert toast(presses["requester"]) == text("ack.toast.roster_sent", "zh-Hans")
    assert toast(presses["admin"]) == text("ack.toast.roster_sent", "zh-Hans")
    assert toast(presses["outsider"]) == text("ack.toast.roster_denied", "zh-Hans")
    assert toast(presses["not_started"]) == text("ack.toast.start_bot", "zh-Hans")
    (dm,) = world.sent_by_bot(world.private_chat(requester))
    assert dm.text is not None
    acked_line, missing_line = dm.text.split("\n")[1:3]
    assert group.people[1].first_name in acked_line
    # The requester asked: they are not someone who has yet to acknowledge.
    assert outsider.first_name in missing_line and requester.first_name not in missing_line
    assert group.people[1].first_name not in missing_line
    assert world.sent_by_bot(world.private_chat(outsider)) == []
    assert all(
        group.people[1].first_name not in (m.text or "")
        for m in world.sent_by_bot(group.chat)
        if m is not tally
    )


async def test_ack_command_by_an_admin_and_refused_to_others(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=3)
    notice = world.send(group.admin, group.chat, "周五前报送本村消防台账。")
    await step(harness)
    assert [
        m for m in world.sent_by_bot(group.chat) if m.reply_to_message_id == notice.message_id
    ] == []
    refused = world.send(group.people[0], group.chat, "/ack", reply_to=notice)
    await step(harness)
    (refusal,) = world.sent_by_bot(group.chat)
    assert refusal.text == text("admin.only", "zh-Hans", command="/ack")
    bare = world.send(group.admin, group.chat, "/ack")
    await step(harness)
    assert reply_of(harness, bare).text == text("ack.usage", "zh-Hans")

    command = world.send(group.admin, group.chat, "/ack", reply_to=notice)
    await step(harness)
    tally = reply_of(harness, notice)
    assert tally.text == tally_text(0, 3)
    assert command.message_id in world.deleted_ids(group.chat)
    assert refused.message_id not in world.deleted_ids(group.chat)
    ack = world.send(group.people[1], group.chat, "收到", reply_to=notice)
    await flush_live_messages(harness)
    assert ack.deleted and tally.text == tally_text(1, 3)


async def test_ack_command_from_an_anonymous_admin(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=2)
    notice = world.send(group.people[0], group.chat, "本周六上午大扫除。")
    await step(harness)
    world.send(group.admin, group.chat, "/ack", reply_to=notice, anonymous=True)
    await step(harness)
    tally = reply_of(harness, notice)
    world.press(group.people[1], tally)
    await flush_live_messages(harness)
    assert tally.text == tally_text(1, 2)  # the notice's author asked, not the admin


async def test_instant_reply_demand_gets_the_rule_and_the_button(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=2)
    demand = world.send(group.admin, group.chat, "各位请10分钟内回复收到")
    await step(harness)
    replies = [
        m for m in world.sent_by_bot(group.chat) if m.reply_to_message_id == demand.message_id
    ]
    texts = {m.text for m in replies}
    assert text("rule.instant_reply", "zh-Hans", marker="【紧急】") in texts
    assert any(m.callback_data for m in replies)
    assert all(m.disable_notification for m in replies)
    async with harness.services.sessions() as session:
        request = await session.scalar(select(AckRequest))
    assert request is not None and request.instant_reply


async def test_without_the_delete_right_acks_stay_but_count(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=3, can_delete=False)
    tally = reply_of(harness, await post_notice(harness, group))
    kept = world.send(group.people[0], group.chat, "收到")
    await flush_live_messages(harness)
    assert not kept.deleted and world.deleted_ids(group.chat) == []
    assert tally.text == tally_text(1, 3)


async def test_an_ack_outside_any_request_is_left_alone(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=2)
    stray = world.send(group.people[0], group.chat, "收到")
    await step(harness)
    assert not stray.deleted and await ack_rows(harness) == []


async def test_an_absorbed_ack_edited_afterwards_changes_nothing(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    world = harness.world
    group = await ready(harness, members=2)
    await post_notice(harness, group)
    ack = world.send(group.people[0], group.chat, "收到")
    world.edit(ack, "收到!")  # edited before the deletion reached it
    await step(harness)
    await flush_live_messages(harness)
    assert ack.deleted
    assert len(await ack_rows(harness)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_old_buttons_work_after_a_restart(harness: BotHarness) -> None:
    group = await ready(harness, members=2)
    tally = reply_of(harness, await post_notice(harness, group))
    await step(harness)
    async with restarted(harness, after=timedelta(hours=1)) as again:
        stop_alarm_clock(again)
        press = again.world.press(group.people[0], tally)
        await flush_live_messages(again)
        assert toast(press) == text("ack.toast.recorded", "zh-Hans")
        assert tally.text == tally_text(1, 2)


async def test_when_the_group_size_is_unknown_the_tally_shows_the_count_alone(
    harness: BotHarness,
) -> None:
    world = harness.world
    group = await ready(harness, members=2)
    harness.server.inject_fault("getChatMemberCount", "400")
    tally = reply_of(harness, await post_notice(harness, group))
    world.press(group.people[0], tally)
    await flush_live_messages(harness)
    count_only = text("ack.tally_count", "zh-Hans", count=1)
    assert tally.text == f"{text('ack.request', 'zh-Hans')}\n{count_only}"


async def test_a_demand_for_proof_gets_the_rule_once_even_when_urgent(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=2)
    rule = text("rule.proof_demand", "zh-Hans")
    plain = world.send(group.admin, group.chat, "请各村今天把入户走访照片发到群里留痕")
    urgent = world.send(
        group.admin, group.chat, "【紧急】台风预警,请各网格员转发到居民群并截图回传"
    )
    meeting = world.send(group.admin, group.chat, "明天上午九点开会")
    await step(harness)
    await step(harness)

    def reminders(message: ChatMessage) -> list[ChatMessage]:
        return [
            m
            for m in world.sent_by_bot(group.chat)
            if m.reply_to_message_id == message.message_id and m.text == rule
        ]

    assert [len(reminders(m)) for m in (plain, urgent, meeting)] == [1, 1, 0]
    assert all(m.disable_notification for m in reminders(plain))


async def test_the_requester_is_neither_counted_nor_missing(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=3)
    tally = reply_of(harness, await post_notice(harness, group))
    own_press = world.press(group.admin, tally)
    own_reply = world.send(group.admin, group.chat, "收到", reply_to=tally)
    world.press(group.people[0], tally)
    await flush_live_messages(harness)

    assert toast(own_press) == text("ack.toast.own_request", "zh-Hans")
    assert not own_reply.deleted, "the requester's own 收到 is not an acknowledgement of anything"
    assert [r.user_id for r in await ack_rows(harness)] == [group.people[0].id]
    assert tally.text == tally_text(1, 3)
    world.press(group.admin, tally, tally.callback_data[1])
    await step(harness)
    (roster,) = world.sent_by_bot(world.private_chat(group.admin))
    assert roster.text is not None and group.admin.first_name not in roster.text


async def test_an_acknowledgement_with_content_counts_and_stays(harness: BotHarness) -> None:
    world = harness.world
    group = await ready(harness, members=4)
    notice = await post_notice(harness, group)
    tally = reply_of(harness, notice)
    bodies = (
        "收到，但第三行数据有误",
        "好的 明天下午的会我请假",
        "第三行数据有误，请核实",
        "没收到附件，请重发",
    )
    replies = [
        world.send(person, group.chat, body, reply_to=notice)
        for person, body in zip(group.people, bodies, strict=True)
    ]
    await flush_live_messages(harness)

    assert world.deleted_ids(group.chat) == []
    assert all(reply in world.visible_messages(group.chat) for reply in replies)
    assert sorted(r.user_id for r in await ack_rows(harness)) == sorted(
        p.id for p in group.people[:2]
    )
    assert tally.text == tally_text(2, 4)


LATER_NOTICE = "明天下午三点在镇政府三楼召开安全生产会议，请各村书记参加。"


@pytest.mark.parametrize(
    ("author", "later"),
    [
        ("requester", LATER_NOTICE),
        ("someone else", LATER_NOTICE),
        ("requester", "今天食堂吃饺子"),  # the requester went on talking
        ("the group itself", "今天食堂吃饺子"),  # an anonymous admin asked, and went on
    ],
    ids=["requester-notice", "other-notice", "requester-talk", "anonymous-talk"],
)
async def test_a_bare_ack_that_may_answer_something_later_is_left_alone(
    harness: BotHarness, author: str, later: str
) -> None:
    world = harness.world
    group = await ready(harness, members=3)
    anonymous = author == "the group itself"
    notice = world.send(group.admin, group.chat, NOTICE, anonymous=anonymous)
    await step(harness)
    tally = reply_of(harness, notice)
    later_author = group.people[2] if author == "someone else" else group.admin
    world.send(later_author, group.chat, later, anonymous=anonymous)
    await step(harness)
    bare = world.send(group.people[0], group.chat, "收到")
    await flush_live_messages(harness)
    # It may answer the later message as well as the request: it is not the bot's to take.
    assert not bare.deleted and await ack_rows(harness) == []
    replied = world.send(group.people[1], group.chat, "收到", reply_to=tally)
    await flush_live_messages(harness)
    assert replied.deleted and len(await ack_rows(harness)) == 1


async def test_a_bare_ack_goes_to_the_latest_request_when_nothing_came_since(
    harness: BotHarness,
) -> None:
    world = harness.world
    group = await ready(harness, members=4)
    first = reply_of(harness, await post_notice(harness, group))
    second_notice = world.send(
        group.people[3], group.chat, "请各村周四前报送冬季用煤统计表，收到请回复"
    )
    await step(harness)
    second = reply_of(harness, second_notice)
    world.send(group.people[0], group.chat, "收到")
    world.send(group.people[1], group.chat, "今天食堂吃饺子")  # talk that asks for nothing
    world.send(group.people[2], group.chat, "好的")
    await flush_live_messages(harness)

    rows = await ack_rows(harness)
    assert sorted(r.user_id for r in rows) == sorted(p.id for p in group.people[:3:2])
    assert {r.request_id for r in rows} == {int(second.callback_data[0].split(":")[1])}
    assert first.text == tally_text(0, 4) and second.text == tally_text(2, 4)


async def test_an_acknowledgement_carrying_a_file_or_a_link_counts_and_stays(
    harness: BotHarness,
) -> None:
    """A photo captioned 收到, a document captioned 1, a 收到 hiding a link: each says more than
    收到, so each counts and nothing it carries is deleted."""
    world = harness.world
    group = await ready(harness, members=4)
    notice = await post_notice(harness, group)
    tally = reply_of(harness, notice)
    first, second, third, fourth = group.people
    photo = world.send(first, group.chat, media="photo", caption="收到", reply_to=notice)
    document = world.send(
        second, group.chat, media="document", file_name="自查表.xlsx", caption="1", reply_to=tally
    )
    link = world.send(
        third,
        group.chat,
        "收到",
        entities=[{"type": "text_link", "offset": 0, "length": 2, "url": "https://example.org/a"}],
        reply_to=notice,
    )
    plain = world.send(fourth, group.chat, "收到", reply_to=notice)
    await flush_live_messages(harness)

    assert world.deleted_ids(group.chat) == [plain.message_id]
    visible = world.visible_messages(group.chat)
    assert all(kept in visible for kept in (photo, document, link))
    assert sorted(r.user_id for r in await ack_rows(harness)) == sorted(p.id for p in group.people)
    assert tally.text == tally_text(4, 4)
