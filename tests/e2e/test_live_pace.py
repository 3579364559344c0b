"""Tallies and roll-call lists share one chat's edit pace, and survive a crash before an edit."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.i18n import text
from bot.storage.migrate import upgrade_to_head
from tests.e2e.harness import BotHarness
from tests.e2e.live_scenes import (
    bot_may_delete,
    edit_gaps,
    flush_live_messages,
    reply_of,
    step,
    stop_alarm_clock,
)
from testserver.server import BotApiServer

NOTICE = "明天上午九点到村委会开会,收到请回复。"
CHAIN = "周日河道清理报名接龙\n1. 王书记\n2. 李娜"


def tally_line(count: int, total: int) -> str:
    return text("ack.tally", "zh-Hans", count=count, total=total)


async def test_a_tally_and_a_list_in_one_chat_take_turns(harness: BotHarness) -> None:
    world = harness.world
    stop_alarm_clock(harness)
    admin = world.add_user("王书记")
    people = [world.add_user(f"村民{i}") for i in range(6)]
    group = world.add_group("红旗村工作群", admins=[admin], members=people)
    await bot_may_delete(harness, group)
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

    assert (tally.text or "").endswith(tally_line(6, 7))
    assert len([line for line in (rollcall.text or "").split("\n") if line[:1].isdigit()]) == 8
    gaps = edit_gaps(harness, group)
    assert gaps and all(gap >= timedelta(seconds=5) for gap in gaps)


async def test_a_count_not_yet_shown_at_a_crash_is_shown_after_the_restart(
    server: BotApiServer, db_url: str, clock: ManualClock
) -> None:
    await upgrade_to_head(db_url)
    first = BotHarness(server, db_url, clock)
    await first.start()
    try:
        stop_alarm_clock(first)
        world = first.world
        admin = world.add_user("王书记")
        people = [world.add_user(f"村民{i}") for i in range(2)]
        group = world.add_group("红旗村工作群", admins=[admin], members=people)
        await bot_may_delete(first, group)
        notice = world.send(admin, group, NOTICE)
        await step(first)
        tally = reply_of(first, notice)
        await flush_live_messages(first)  # the group's size is measured and shown
        world.press(people[0], tally)
        await step(first, 0)  # shown at once: nothing edited in the last 5 s
        world.press(people[1], tally)
        await first.settle()  # counted, but within 5 s of the last edit: waits
        assert (tally.text or "").endswith(tally_line(1, 3))
    finally:
        await first.stop()
    clock.advance(timedelta(minutes=10))
    second = BotHarness(server, db_url, clock)
    await second.start()
    try:
        stop_alarm_clock(second)
        await second.tick()  # what the alarm clock does first at start-up
        await second.outbox_idle()
        assert (tally.text or "").endswith(tally_line(2, 3))
    finally:
        await second.stop()
