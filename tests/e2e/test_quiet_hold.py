"""Holding at night: deleted from the group, stored verbatim, the sender told, released at 08:00."""

from __future__ import annotations

from datetime import timedelta

from bot.platform.i18n import text
from bot.platform.storage.models import User
from tests.e2e.harness import BotHarness, shanghai
from tests.e2e.scenes import (
    THU_MORNING,
    WED_NIGHT,
    at,
    bot_texts,
    drained,
    held_rows,
    joined_group,
    log_actions,
    member_in_group,
    private_texts,
    started_bot,
)


async def test_a_text_at_night_is_held_told_privately_and_released_at_eight(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    message = world.send(li, group, "明天上午九点在村委会开会,请各组长参加")
    await drained(harness)

    assert message.deleted
    (row,) = await held_rows(harness, group)
    assert row.payload["text"] == message.text and row.status == "held"
    assert (await log_actions(harness, group))[message.message_id] == "held"
    (_, dm) = private_texts(harness, li)
    assert "明天 08:00" in dm and "免打扰时段" in dm and "【紧急】" in dm

    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    digest = world.sent_by_bot(group)[before:]
    assert len(digest) == 1 and digest[0].disable_notification
    assert digest[0].text is not None
    assert digest[0].text.startswith(text("release.header", "zh-Hans", count=1))
    assert "23:10 李明:明天上午九点在村委会开会" in digest[0].text
    (row,) = await held_rows(harness, group)
    assert row.status == "released" and row.delete_status == "deleted"

    await at(harness, THU_MORNING)
    assert len(world.sent_by_bot(group)) == before + 1, "released once"
    assert bot_texts(harness, group)


async def test_photo_poll_and_forward_are_stored_and_re_posted_in_their_order(
    harness: BotHarness,
) -> None:
    world = harness.world
    li = await started_bot(harness, "李明")
    wang = await started_bot(harness, "王芳")
    group = await joined_group(harness, members=[li, wang])
    harness.clock.set(WED_NIGHT)
    bold = [{"type": "bold", "offset": 0, "length": 4}]
    photo = world.send(li, group, media="photo", caption="现场照片:河堤加固", caption_entities=bold)
    poll = world.send(wang, group, poll=("周五活动时间?", ["上午", "下午"]))
    forward = world.send(wang, group, "防汛值班表已更新", forward_from=li)
    await drained(harness)
    assert photo.deleted and poll.deleted and forward.deleted
    kinds = [row.kind for row in await held_rows(harness, group)]
    assert kinds == ["photo", "poll", "text"]

    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    digest, photo_again, poll_again = world.sent_by_bot(group)[before:]
    assert digest.text is not None
    lines = digest.text.splitlines()[1:]
    assert lines == [
        "23:10 李明:[图片]",
        "23:10 王芳:[投票] 周五活动时间?",
        "23:10 王芳:(转发自 李明) 防汛值班表已更新",
    ]
    assert photo.media is not None and photo_again.media == photo.media
    assert photo_again.caption == "23:10 李明:现场照片:河堤加固"
    assert photo_again.caption_entities == [{"type": "bold", "offset": 9, "length": 4}]
    shown = [m.text or m.caption or "" for m in (digest, photo_again, poll_again)]
    assert sum(t.count("现场照片:河堤加固") for t in shown) == 1, "the caption once"
    assert poll_again.poll is not None
    assert [o["text"] for o in poll_again.poll["options"]] == ["上午", "下午"]
    assert all(m.disable_notification for m in (digest, photo_again, poll_again))


async def test_sender_who_never_started_the_bot_gets_a_silent_group_notice_for_a_minute(
    harness: BotHarness,
) -> None:
    world = harness.world
    zhao = world.add_user("赵强")
    group = await joined_group(harness, members=[zhao])
    harness.clock.set(WED_NIGHT)
    world.send(zhao, group, "各位明天记得交材料")
    await drained(harness)
    (notice,) = [m for m in world.sent_by_bot(group) if "赵强" in (m.text or "")]
    assert notice.disable_notification and not notice.deleted
    assert notice.text == text(
        "hold.notice_group",
        "zh-Hans",
        name="赵强",
        reason=text("hold.reason.quiet_hours", "zh-Hans", window="21:00-08:00"),
        release_at="明天 08:00",
    )
    harness.clock.advance(timedelta(seconds=59))
    await drained(harness)
    assert not notice.deleted
    harness.clock.advance(timedelta(seconds=2))
    await drained(harness)
    assert notice.deleted


async def test_friday_night_waits_for_monday_and_a_make_up_saturday_is_a_workday(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(shanghai(2026, 11, 20, 22, 30))  # Friday
    world.send(li, group, "下周一的检查材料请提前准备")
    await drained(harness)
    assert "11月23日(周一)08:00" in private_texts(harness, li)[-1]
    before = len(world.sent_by_bot(group))
    await at(harness, shanghai(2026, 11, 21, 8))
    await at(harness, shanghai(2026, 11, 22, 12))
    assert len(world.sent_by_bot(group)) == before, "nothing on the weekend"
    await at(harness, shanghai(2026, 11, 23, 8))
    (digest,) = world.sent_by_bot(group)[before:]
    assert "11月20日(周五)22:30 李明:下周一的检查材料请提前准备" in (digest.text or "")

    harness.clock.set(shanghai(2026, 10, 9, 22, 0))  # the Friday before 调休 Saturday 10 October
    world.send(li, group, "明天正常上班,请按时到岗")
    await drained(harness)
    assert "明天 08:00" in private_texts(harness, li)[-1]
    before = len(world.sent_by_bot(group))
    await at(harness, shanghai(2026, 10, 10, 8))
    assert len(world.sent_by_bot(group)) == before + 1


async def test_a_long_night_is_split_into_pages_without_cutting_a_message(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    bodies = [f"第{n:02d}条:" + "请各村做好冬季防火巡查工作。" * 25 for n in range(20)]
    for body in bodies:
        world.send(li, group, body)
    await drained(harness)
    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    pages = world.sent_by_bot(group)[before:]
    assert len(pages) > 1
    assert all(len((p.text or "").encode("utf-16-le")) // 2 <= 4096 for p in pages)
    lines = [line for p in pages for line in (p.text or "").splitlines()[1:]]
    assert lines == [f"23:10 李明:{body}" for body in bodies]
    assert (pages[1].text or "").startswith(
        text("release.header_part", "zh-Hans", count=20, part=2, parts=len(pages))
    )


async def test_on_a_public_holiday_the_sender_is_told_which_holiday(harness: BotHarness) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(shanghai(2026, 10, 3, 10))
    message = world.send(li, group, "节后第一天上午开会")
    await drained(harness)
    assert message.deleted
    told = private_texts(harness, li)[-1]
    assert "国庆节假期" in told and "10月8日(周四)08:00" in told


async def test_an_anonymous_admins_held_message_is_told_to_the_admins_privately(
    harness: BotHarness,
) -> None:
    world = harness.world
    admin = await started_bot(harness, "王书记")
    other_admin = world.add_user("刘主任")  # has never started the bot
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, admins=[admin, other_admin], members=[li])
    harness.clock.set(WED_NIGHT)
    before = len(world.sent_by_bot(group))
    first = world.send(admin, group, "明天上午九点在村委会开会", anonymous=True)
    world.send(admin, group, "请各组长带好材料", anonymous=True)
    await drained(harness)

    assert first.deleted
    # Nobody in the group is told to open a private chat: the sender is the group itself.
    assert world.sent_by_bot(group)[before:] == []
    told = text(
        "hold.notice_anonymous",
        "zh-Hans",
        group="青石镇工作群",
        reason=text("hold.reason.quiet_hours", "zh-Hans", window="21:00-08:00"),
        release_at="明天 08:00",
    )
    assert private_texts(harness, admin)[1:] == [told], "once a night, to each admin who can hear"
    assert len(private_texts(harness, li)) == 1, "only the answer to /start"
    assert world.sent_by_bot(world.private_chat(other_admin)) == []


async def test_a_sender_who_blocked_the_bot_is_told_in_the_group_and_not_privately_again(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    # Blocked without the bot having heard of it yet: its private notice is refused with 403.
    li.blocked = True
    harness.clock.set(WED_NIGHT)
    world.send(li, group, "明天上午九点在村委会开会,请各组长参加")
    await drained(harness)
    await harness.until(lambda: any("李明" in t for t in bot_texts(harness, group)))
    await drained(harness)
    group_notice = text(
        "hold.notice_group",
        "zh-Hans",
        name="李明",
        reason=text("hold.reason.quiet_hours", "zh-Hans", window="21:00-08:00"),
        release_at="明天 08:00",
    )
    (notice,) = [m for m in world.sent_by_bot(group) if m.text == group_notice]
    assert notice.disable_notification
    async with harness.services.sessions() as session:
        user = await session.get(User, li.id)
        assert user is not None and not user.can_dm

    # The next night it goes straight to the group: no private notice is tried first.
    tried = len(harness.server.requests)
    harness.clock.set(shanghai(2026, 11, 19, 22, 0))
    world.send(li, group, "后天的会改到下午")
    await drained(harness)
    to_li = [
        r
        for r in harness.server.requests[tried:]
        if r.method == "sendMessage" and r.params.get("chat_id") == li.id
    ]
    assert to_li == []
    assert bot_texts(harness, group).count(group_notice) == 2
