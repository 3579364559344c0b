"""Urgent overrides at night: a marker with a reason passes within the quota; edits."""

from __future__ import annotations

from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import MessageLog
from tests.e2e.harness import BotHarness, shanghai
from tests.e2e.scenes import (
    WED_NIGHT,
    at,
    drained,
    held_rows,
    log_actions,
    member_in_group,
    private_texts,
)

URGENT = "【紧急】今晚暴雨预警,请通知各村做好转移准备"


async def test_marker_with_a_reason_passes_and_is_logged_with_the_reason(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    message = world.send(li, group, URGENT)
    await drained(harness)
    assert not message.deleted
    assert await held_rows(harness, group) == []
    async with harness.services.sessions() as session:
        row = await session.scalar(
            select(MessageLog).where(MessageLog.message_id == message.message_id)
        )
    assert row is not None and row.action == "urgent_passed" and row.after_hours
    assert row.urgent_reason == "今晚暴雨预警,请通知各村做好转移准备"


async def test_marker_without_a_reason_is_held_and_the_sender_told_a_reason_is_needed(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    message = world.send(li, group, "【紧急】")
    await drained(harness)
    assert message.deleted
    assert (await log_actions(harness, group))[message.message_id] == "urgent_no_reason"
    assert private_texts(harness, li)[-1] == text(
        "urgent.no_reason",
        "zh-Hans",
        marker="【紧急】",
        release_at="明天 08:00",
        group="青石镇工作群",
    )


async def test_a_marker_with_only_a_call_to_look_has_no_reason_and_is_held(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    message = world.send(li, group, "【紧急】请大家看群")
    await drained(harness)
    assert message.deleted
    assert (await log_actions(harness, group))[message.message_id] == "urgent_no_reason"
    assert private_texts(harness, li)[-1] == text(
        "urgent.no_reason",
        "zh-Hans",
        marker="【紧急】",
        release_at="明天 08:00",
        group="青石镇工作群",
    )


async def test_beyond_the_weekly_quota_an_urgent_message_is_held(harness: BotHarness) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    messages = [world.send(li, group, f"{URGENT}({n})") for n in range(4)]
    await drained(harness)
    assert [m.deleted for m in messages] == [False, False, False, True]
    actions = await log_actions(harness, group)
    assert actions[messages[3].message_id] == "urgent_over_quota"
    assert "3 次紧急发布已用完" in private_texts(harness, li)[-1]
    harness.clock.set(shanghai(2026, 11, 23, 22))  # a new week: the quota is back
    fresh = world.send(li, group, URGENT)
    await drained(harness)
    assert not fresh.deleted


async def test_an_edit_adding_a_marker_and_reason_releases_the_held_message_now(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    message = world.send(li, group, "今晚暴雨预警,请通知各村做好转移准备")
    await drained(harness)
    assert message.deleted
    before = len(world.sent_by_bot(group))
    world.edit(message, URGENT)
    await drained(harness)
    (posted,) = world.sent_by_bot(group)[before:]
    assert posted.text == f"23:10 李明:{URGENT}" and not posted.disable_notification
    (row,) = await held_rows(harness, group)
    assert row.status == "released" and row.payload["text"] == URGENT
    before = len(world.sent_by_bot(group))
    await at(harness, shanghai(2026, 11, 19, 8))
    assert len(world.sent_by_bot(group)) == before, "not released a second time"


async def test_a_work_time_message_edited_at_night_is_left_alone(harness: BotHarness) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    message = world.send(li, group, "下午三点开会")
    await drained(harness)
    harness.clock.set(WED_NIGHT)
    world.edit(message, "下午三点半开会")
    await drained(harness)
    assert not message.deleted
    assert await held_rows(harness, group) == []
