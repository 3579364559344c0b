"""Tallies and roll-call lists share one chat's edit pace, and survive a crash before an edit."""

from __future__ import annotations

from datetime import timedelta

from bot.platform.i18n import text
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    bot_may_delete,
    edit_gaps,
    flush_live_messages,
    listed,
    reply_of,
    restarted,
    step,
    stop_alarm_clock,
)
from testserver.world import Chat, User

NOTICE = "明天上午九点到村委会开会,收到请回复。"
CHAIN = "周日河道清理报名接龙\n1. 王书记\n2. 李娜"


def tally_line(count: int, total: int) -> str:
    return text("ack.tally", "zh-Hans", count=count, total=total)


async def village(harness: BotHarness, people: int) -> tuple[User, list[User], Chat]:
    """红旗村工作群 with its admin and `people` villagers; the bot may delete, plays no alarm."""
    world = harness.world
    stop_alarm_clock(harness)
    admin = world.add_user("王书记")
    villagers = [world.add_user(f"村民{i}") for i in range(people)]
    group = world.add_group("红旗村工作群", admins=[admin], members=villagers)
    await bot_may_delete(harness, group)
    return admin, villagers, group


async def test_a_tally_and_a_list_in_one_chat_take_turns(harness: BotHarness) -> None:
    world = harness.world
    admin, people, group = await village(harness, 6)
    notice = world.send(admin, group, NOTICE)
    chain = world.send(admin, group, CHAIN)
    await step(harness)
    tally, rollcall = reply_of(harness, notice), reply_of(harness, chain)
    for person in people:
        # Each second someone presses both; only one live message may change per 5 s.
        world.press(person, tally)
        world.press(person, rollcall, rollcall.callback_data[0])
        await step(harness)
    await flush_live_messages(harness)

    assert (tally.text or "").endswith(tally_line(6, 6))  # the admin asked: not among the asked
    assert len(listed(rollcall)) == 8
    gaps = edit_gaps(harness, group)
    assert gaps and all(gap >= timedelta(seconds=5) for gap in gaps)


async def test_a_count_not_yet_shown_at_a_crash_is_shown_after_the_restart(
    harness: BotHarness,
) -> None:
    world = harness.world
    admin, people, group = await village(harness, 2)
    notice = world.send(admin, group, NOTICE)
    await step(harness)
    tally = reply_of(harness, notice)
    await flush_live_messages(harness)  # the group's size is measured and shown
    world.press(people[0], tally)
    await step(harness, 0)  # shown at once: nothing edited in the last 5 s
    world.press(people[1], tally)
    await harness.settle()  # counted, but within 5 s of the last edit: waits
    assert (tally.text or "").endswith(tally_line(1, 2))
    async with restarted(harness, after=timedelta(minutes=10)) as again:
        stop_alarm_clock(again)
        await again.tick()  # what the alarm clock does first at start-up
        await again.outbox_idle()
        assert (tally.text or "").endswith(tally_line(2, 2))
