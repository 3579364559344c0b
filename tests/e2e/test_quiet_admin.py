"""Modes and the admin commands: /policy, /quiet, /restdays, /mode, with refusals and audit."""

from __future__ import annotations

from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import AdminAudit
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
    private_texts,
    started_bot,
)
from testserver.world import Chat, User


async def audit_rows(harness: BotHarness) -> list[AdminAudit]:
    async with harness.services.sessions() as session:
        return list(await session.scalars(select(AdminAudit).order_by(AdminAudit.id)))


async def member_in_mode(harness: BotHarness, mode: str) -> tuple[User, Chat]:
    """李明, who has started the bot, in a group whose admin has just chosen /mode `mode`."""
    admin = harness.world.add_user("王书记")
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, admins=[admin], members=[li])
    harness.world.send(admin, group, f"/mode {mode}")
    await drained(harness)
    return li, group


async def test_policy_shows_the_rules_and_the_next_quiet_period(harness: BotHarness) -> None:
    world = harness.world
    li = world.add_user("李明")
    group = await joined_group(harness, members=[li])
    world.send(li, group, "/policy")
    await drained(harness)
    answer = bot_texts(harness, group)[-1]
    assert answer.startswith(text("policy.header", "zh-Hans", group="青石镇工作群"))
    assert "免打扰时段:21:00-08:00" in answer and "休息日:周六、周日" in answer
    assert "下一个非工作时段从 今天 21:00 开始" in answer


async def test_admin_changes_quiet_hours_rest_days_and_mode_and_each_is_audited(
    harness: BotHarness,
) -> None:
    world = harness.world
    admin = world.add_user("王书记")
    group = await joined_group(harness, admins=[admin])
    world.send(admin, group, "/quiet 12:00-13:30 20:00-08:00")
    world.send(admin, group, "/restdays sun")
    world.send(admin, group, "/mode advise")
    await drained(harness)
    assert bot_texts(harness, group)[-3:] == [
        text("quiet.set", "zh-Hans", windows="12:00-13:30 20:00-08:00"),
        text("restdays.set", "zh-Hans", days="周日"),
        text("mode.set", "zh-Hans", mode=text("policy.mode.advise", "zh-Hans")),
    ]
    audits = await audit_rows(harness)
    assert [(a.action, a.user_id) for a in audits] == [
        ("quiet", admin.id),
        ("restdays", admin.id),
        ("mode", admin.id),
    ]
    assert audits[0].old == {"quiet_windows": ["21:00-08:00"]}
    assert audits[0].new == {"quiet_windows": ["12:00-13:30", "20:00-08:00"]}
    assert audits[2].new == {"mode": "advise"}


async def test_bad_input_is_explained_and_changes_nothing(harness: BotHarness) -> None:
    world = harness.world
    admin = world.add_user("王书记")
    group = await joined_group(harness, admins=[admin])
    for command in ("/quiet 25:00-08:00", "/quiet", "/restdays funday", "/mode loud"):
        world.send(admin, group, command)
    world.send(admin, group, "/restdays mon tue wed thu fri sat sun")
    world.send(admin, group, "/quiet 08:00-20:00 20:00-08:00")
    await drained(harness)
    assert bot_texts(harness, group)[-6:] == [
        text("quiet.invalid", "zh-Hans", value="25:00-08:00"),
        text("quiet.usage", "zh-Hans"),
        text("restdays.invalid", "zh-Hans", value="funday"),
        text("mode.invalid", "zh-Hans", value="loud"),
        text("policy.error.rest_days", "zh-Hans"),
        text("policy.error.whole_day", "zh-Hans"),
    ]
    assert await audit_rows(harness) == []


async def test_a_member_is_refused_and_an_anonymous_admin_is_obeyed(harness: BotHarness) -> None:
    world = harness.world
    li = world.add_user("李明")
    hidden = world.add_user("匿名管理员")
    group = await joined_group(harness, admins=[hidden], members=[li])
    world.send(li, group, "/mode off")
    await drained(harness)
    assert bot_texts(harness, group)[-1] == text("admin.only", "zh-Hans", command="/mode")
    world.send(hidden, group, "/mode off", anonymous=True)
    await drained(harness)
    assert bot_texts(harness, group)[-1] == text(
        "mode.set", "zh-Hans", mode=text("policy.mode.off", "zh-Hans")
    )
    (audit,) = await audit_rows(harness)
    assert audit.user_id is None and audit.new == {"mode": "off"}


async def test_advise_mode_keeps_the_message_and_tells_the_sender_once_a_night(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_mode(harness, "advise")
    harness.clock.set(WED_NIGHT)
    first = world.send(li, group, "明天交材料")
    second = world.send(li, group, "还有下周的排班")
    await drained(harness)
    assert not first.deleted and not second.deleted
    assert await held_rows(harness, group) == []
    actions = await log_actions(harness, group)
    assert actions[first.message_id] == actions[second.message_id] == "advised"
    reminders = [t for t in private_texts(harness, li) if t.startswith("提醒")]
    assert len(reminders) == 1 and "明天 08:00" in reminders[0]
    harness.clock.set(shanghai(2026, 11, 19, 22))
    world.send(li, group, "再补充一点")
    await drained(harness)
    assert len([t for t in private_texts(harness, li) if t.startswith("提醒")]) == 2


async def test_mode_off_leaves_night_messages_alone(harness: BotHarness) -> None:
    world = harness.world
    li, group = await member_in_mode(harness, "off")
    harness.clock.set(WED_NIGHT)
    message = world.send(li, group, "明天交材料")
    await drained(harness)
    assert not message.deleted
    assert (await log_actions(harness, group))[message.message_id] == "mode_off"
    assert len(private_texts(harness, li)) == 1, "only the answer to /start"


async def test_shorter_quiet_hours_bring_the_held_messages_release_forward(
    harness: BotHarness,
) -> None:
    world = harness.world
    admin = world.add_user("王书记")
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, admins=[admin], members=[li])
    harness.clock.set(WED_NIGHT)
    world.send(li, group, "明天上午九点开会")
    await drained(harness)
    (row,) = await held_rows(harness, group)
    assert row.release_at == THU_MORNING
    world.send(admin, group, "/quiet 21:00-07:00")
    await drained(harness)
    (row,) = await held_rows(harness, group)
    assert row.release_at == shanghai(2026, 11, 19, 7)
    before = len(world.sent_by_bot(group))
    await at(harness, shanghai(2026, 11, 19, 6, 59))
    assert len(world.sent_by_bot(group)) == before
    await at(harness, shanghai(2026, 11, 19, 7))
    assert "明天上午九点开会" in "\n".join(bot_texts(harness, group)[before:])


async def test_a_rest_day_made_a_workday_releases_what_it_held_now_and_not_before(
    harness: BotHarness,
) -> None:
    world = harness.world
    admin = world.add_user("王书记")
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, admins=[admin], members=[li])
    harness.clock.set(shanghai(2026, 11, 20, 22, 30))  # Friday night: held until Monday 08:00
    world.send(li, group, "下周一的检查材料请提前准备")
    await drained(harness)
    harness.clock.set(shanghai(2026, 11, 21, 10))  # Saturday morning
    world.send(li, group, "周六加班的同志请到三楼")
    await drained(harness)
    assert [r.release_at for r in await held_rows(harness, group)] == [
        shanghai(2026, 11, 23, 8)
    ] * 2
    before = len(world.sent_by_bot(group))
    world.send(admin, group, "/restdays sun")  # Saturday is a workday now: it is work time
    await drained(harness)
    await at(harness, harness.clock.now())  # the alarm rings at once (it is woken)
    rows = await held_rows(harness, group)
    assert [r.status for r in rows] == ["released"] * 2, "released at once, none lost"
    assert all(r.release_at == shanghai(2026, 11, 21, 10) for r in rows), "never earlier than now"
    posted = "\n".join(bot_texts(harness, group)[before:])
    assert "下周一的检查材料请提前准备" in posted and "周六加班的同志请到三楼" in posted
