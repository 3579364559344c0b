"""Faults around holding: deletes refused, floods of 429s, a restart in the night."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.platform.i18n import text
from bot.platform.storage.models import OutboxItem
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
from testserver.faults import FaultKind


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
    morning = " ".join(m.text or "" for m in world.sent_by_bot(group)[before:])
    for row in held:
        assert row.payload["text"] not in morning, "still in the group: not shown twice"
    assert {row.status for row in await held_rows(harness, group)} == {"released"}


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


async def test_mixed_faults_on_batched_deletes_leave_no_item_claimed_and_delete_all(
    harness: BotHarness,
) -> None:
    world = harness.world
    senders = [await started_bot(harness, f"网格员{n}") for n in range(10)]
    group = await joined_group(harness, members=senders)
    harness.clock.set(WED_NIGHT)
    faults: list[tuple[FaultKind, int]] = [
        ("429", 2),
        ("500", 2),
        ("timeout", 1),
        ("drop", 1),
        ("502", 1),
    ]
    for kind, count in faults:
        harness.server.inject_fault("deleteMessages", kind, count=count, retry_after=1, hold=0.05)
    messages = []
    # The night's messages come in bursts while earlier deletes wait out their faults.
    for n in range(150):
        messages.append(world.send(senders[n % 10], group, f"夜间消息{n}"))
        if n % 10 == 9:
            await drained(harness)
            harness.clock.advance(timedelta(seconds=1))
    for _ in range(80):
        await drained(harness)
        if all(m.deleted for m in messages):
            break
        harness.clock.advance(timedelta(seconds=5))
    async with harness.services.sessions() as session:
        claimed = await session.scalar(select(func.count()).where(OutboxItem.status == "claimed"))
    assert claimed == 0
    assert [m.message_id for m in messages if not m.deleted] == []
    deletions = Counter(world.deleted_ids(group))
    assert all(deletions[m.message_id] == 1 for m in messages)


async def test_a_delete_whose_answer_was_lost_is_done_and_the_group_stays_enforced(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    # Telegram deletes it, but the answer never arrives; the retry hears "not found".
    harness.server.inject_fault("deleteMessage", "lost")
    first = world.send(li, group, "第一条:明天交材料")
    await drained(harness)
    for _ in range(10):
        if not await _waiting(harness):
            break
        harness.clock.advance(timedelta(seconds=30))
        await drained(harness)
    assert first.deleted
    assert [r.description for r in harness.server.requests_for("deleteMessage")][1:] == [
        "Bad Request: message to delete not found"
    ]
    assert text("rights.delete_failed", "zh-Hans") not in bot_texts(harness, group)
    later = world.send(li, group, "第二条:下周排班")
    await drained(harness)
    assert later.deleted, "still enforcing: the next quiet-time message is held"


async def test_a_message_a_batched_delete_skipped_is_found_out_and_treated_as_refused(
    harness: BotHarness,
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    messages = [world.send(li, group, f"夜间消息{n}") for n in range(3)]
    # deleteMessages answers True and skips it, as Telegram does with one it may not delete.
    messages[1].deletable = False
    await drained(harness)
    deletes = [r.method for r in harness.server.requests if r.method.startswith("delete")]
    assert deletes[0] == "deleteMessages"
    assert [m.deleted for m in messages] == [True, False, True]
    warning = text("rights.delete_failed", "zh-Hans")
    await harness.until(lambda: warning in bot_texts(harness, group))
    async with harness.services.sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(OutboxItem.subject_id, OutboxItem.status).where(
                        OutboxItem.kind == "held/delete"
                    )
                )
            ).all()
        )
    assert [statuses[m.message_id] for m in messages] == ["sent", "failed", "sent"]


async def _waiting(harness: BotHarness) -> bool:
    async with harness.services.sessions() as session:
        found = await session.scalar(
            select(func.count()).where(OutboxItem.status.in_(("pending", "claimed")))
        )
    return bool(found)
