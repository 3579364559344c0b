"""Faults around holding: deletes refused, floods of 429s, a restart in the night."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from bot.platform.i18n import text
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    THU_MORNING,
    WED_NIGHT,
    at,
    bot_texts,
    drained,
    held_rows,
    joined_group,
    member_in_group,
    restarted,
    started_bot,
)


async def test_a_refused_delete_loses_nothing_switches_to_advise_and_tells_admins_once(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    # A single delete is refused by the rules, a batched one by an injected answer.
    harness.server.inject_fault(
        "deleteMessages", "400", description="Bad Request: message can't be deleted"
    )
    first = world.send(li, group, "第一条:明天交材料")
    second = world.send(li, group, "第二条:下周排班")
    first.deletable = second.deletable = False
    await drained(harness)
    warning = text("rights.delete_failed", "zh-Hans")
    # The failure is learnt in the outbox worker, which then enqueues the warning.
    await harness.until(lambda: warning in bot_texts(harness, group))
    await drained(harness)
    assert bot_texts(harness, group).count(warning) == 1
    held = await held_rows(harness, group)
    assert held and all(row.delete_status == "failed" for row in held)

    later = world.send(li, group, "第三条")
    await drained(harness)
    assert not later.deleted, "advise mode now"
    assert bot_texts(harness, group).count(warning) == 1

    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    (digest,) = world.sent_by_bot(group)[before:]
    for row in held:
        assert row.payload["text"] in (digest.text or "")


async def test_an_admin_choosing_enforce_again_has_the_rights_looked_at_anew(
    harness: BotHarness,
) -> None:
    world = harness.world
    admin = world.add_user("王书记")
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, admins=[admin], members=[li])
    harness.clock.set(WED_NIGHT)
    refused = world.send(li, group, "第一条")
    refused.deletable = False
    await drained(harness)
    await harness.until(
        lambda: text("rights.delete_failed", "zh-Hans") in bot_texts(harness, group)
    )
    world.send(admin, group, "/mode enforce")
    await drained(harness)
    assert text("rights.restored", "zh-Hans") in bot_texts(harness, group)
    again = world.send(li, group, "第二条")
    await drained(harness)
    assert again.deleted


async def test_two_hundred_night_messages_through_429s_are_all_held_and_deleted_once(
    harness: BotHarness,
) -> None:
    world = harness.world
    senders = [await started_bot(harness, f"网格员{n}") for n in range(20)]
    group = await joined_group(harness, members=senders)
    harness.clock.set(WED_NIGHT)
    harness.server.inject_fault("deleteMessages", "429", count=3, retry_after=1)
    harness.server.inject_fault("deleteMessage", "429", count=2, retry_after=1)
    messages = [world.send(senders[n % 20], group, f"夜间消息{n}") for n in range(200)]
    for _ in range(60):
        await drained(harness)
        if all(m.deleted for m in messages):
            break
        harness.clock.advance(timedelta(seconds=2))
    assert all(m.deleted for m in messages)
    assert harness.server.count_429 >= 1
    deletions = Counter(world.deleted_ids(group))
    assert all(deletions[m.message_id] == 1 for m in messages)
    held = await held_rows(harness, group)
    assert sorted(row.message_id for row in held) == sorted(m.message_id for m in messages)

    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    released = "\n".join(m.text or "" for m in world.sent_by_bot(group)[before:])
    assert all(f"夜间消息{n}\n" in released + "\n" for n in range(200))


async def test_a_restart_in_the_night_still_releases_once(harness: BotHarness) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    world.send(li, group, "明天上午九点开会")
    await drained(harness)

    async with restarted(harness) as again:
        before = len(world.sent_by_bot(group))
        await at(again, THU_MORNING)
        await at(again, THU_MORNING + timedelta(minutes=1))
        digests = world.sent_by_bot(group)[before:]
        assert len(digests) == 1 and "明天上午九点开会" in (digests[0].text or "")
