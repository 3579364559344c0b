"""Holding at night: deleted from the group, stored verbatim, the sender told, released at 08:00."""

from __future__ import annotations

from bot.i18n import text
from tests.e2e.harness import BotHarness, shanghai
from tests.e2e.quiet_scenarios import (
    at,
    bot_texts,
    drained,
    held_rows,
    joined_group,
    log_actions,
    private_texts,
    started_bot,
)

WED_NIGHT = shanghai(2026, 11, 18, 23, 10)
THU_MORNING = shanghai(2026, 11, 19, 8, 0)


async def test_a_text_at_night_is_held_told_privately_and_released_at_eight(
    harness: BotHarness,
) -> None:
    world = harness.world
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, members=[li])
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
    assert row.status == "released"

    await at(harness, THU_MORNING)
    assert len(world.sent_by_bot(group)) == before + 1, "released once"
    assert bot_texts(harness, group)
