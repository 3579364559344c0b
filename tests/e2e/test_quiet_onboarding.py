"""Joining a group: rights checked, intro with the rules, advise until a missing right is given."""

from __future__ import annotations

from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import Chat, Member
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    WED_NIGHT,
    bot_texts,
    drained,
    held_rows,
    joined_group,
    private_texts,
    started_bot,
)


async def chat_row(harness: BotHarness, chat_id: int) -> Chat:
    async with harness.services.sessions() as session:
        row = await session.get(Chat, chat_id)
    assert row is not None
    return row


async def test_added_with_every_right_it_introduces_itself_with_the_rules(
    harness: BotHarness,
) -> None:
    admin = harness.world.add_user("王书记")
    group = await joined_group(harness, admins=[admin])
    (intro,) = bot_texts(harness, group)
    assert intro.startswith(text("intro.group", "zh-Hans", policy="", marker="").split("\n")[0])
    assert "免打扰时段:21:00-08:00" in intro and "【紧急】" in intro
    row = await chat_row(harness, group.id)
    assert row.bot_is_admin and row.bot_can_delete and row.fallback_mode is None
    async with harness.services.sessions() as session:
        admins = set(
            await session.scalars(
                select(Member.user_id).where(Member.chat_id == group.id, Member.is_admin)
            )
        )
    assert admin.id in admins


async def test_without_the_delete_right_it_names_it_advises_and_enforces_once_granted(
    harness: BotHarness,
) -> None:
    world = harness.world
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, members=[li], rights={"can_invite_users"})
    missing = text(
        "rights.missing", "zh-Hans", rights=text("rights.name.can_delete_messages", "zh-Hans")
    )
    assert bot_texts(harness, group)[-1] == missing
    row = await chat_row(harness, group.id)
    assert not row.bot_can_delete and row.fallback_mode == "advise"

    harness.clock.set(WED_NIGHT)
    night = world.send(li, group, "明天交材料")
    await drained(harness)
    assert not night.deleted and private_texts(harness, li)[-1].startswith("提醒")

    owner = next(m.user for m in group.members.values() if m.status == "creator")
    world.set_bot_status(group, "administrator", by=owner, rights={"can_delete_messages"})
    await drained(harness)
    assert bot_texts(harness, group)[-1] == text("rights.restored", "zh-Hans")
    later = world.send(li, group, "还有一件事")
    await drained(harness)
    assert later.deleted and len(await held_rows(harness, group)) == 1


async def test_losing_the_right_is_noticed_from_the_membership_update(
    harness: BotHarness,
) -> None:
    world = harness.world
    group = await joined_group(harness)
    owner = next(m.user for m in group.members.values() if m.status == "creator")
    world.set_bot_status(group, "administrator", by=owner, rights={"can_invite_users"})
    await drained(harness)
    row = await chat_row(harness, group.id)
    assert not row.bot_can_delete and row.fallback_reason == "missing_rights"
    assert "删除消息" in bot_texts(harness, group)[-1]


async def test_roster_follows_chat_member_updates(harness: BotHarness) -> None:
    world = harness.world
    group = await joined_group(harness)
    zhao = world.add_user("赵强")
    world.set_member_status(group, zhao, "member")
    await drained(harness)
    world.set_member_status(group, zhao, "administrator")
    await drained(harness)
    async with harness.services.sessions() as session:
        member = await session.get(Member, (group.id, zhao.id))
    assert member is not None and member.is_admin and member.status == "administrator"
    world.set_member_status(group, zhao, "left")
    await drained(harness)
    async with harness.services.sessions() as session:
        member = await session.get(Member, (group.id, zhao.id), populate_existing=True)
    assert member is not None and member.status == "left" and not member.is_admin


async def test_a_group_it_was_already_in_is_checked_at_its_first_message(
    harness: BotHarness,
) -> None:
    world = harness.world
    li = world.add_user("李明")
    group = world.add_group("老工作群", members=[li], bot_rights={"can_invite_users"})
    world.send(li, group, "大家好")
    await drained(harness)
    row = await chat_row(harness, group.id)
    assert row.bot_is_admin and not row.bot_can_delete
    assert "删除消息" in bot_texts(harness, group)[-1]
