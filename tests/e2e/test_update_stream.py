"""The update stream: batches stored before they are confirmed, poison updates set aside."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.platform.clock import ManualClock
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import AckRequest, ProcessedUpdate
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    THU_MORNING,
    WED_NIGHT,
    at,
    drained,
    log_actions,
    member_in_group,
)
from testserver.server import BotApiServer


async def test_an_update_nobody_can_read_is_logged_once_and_the_others_go_on(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    before = world.send(li, group, "明天上午九点开会")
    poison = world.add_raw_update("message", {"message_id": 999, "text": "no chat, no date"})
    after = world.send(li, group, "下午三点交材料")
    with caplog.at_level(logging.ERROR):
        await drained(harness)
    assert set(await log_actions(harness, group)) >= {before.message_id, after.message_id}
    said = f"update {poison.update_id} cannot be read"
    unreadable = [r for r in caplog.records if said in r.getMessage()]
    assert len(unreadable) == 1


async def test_an_update_delivered_again_is_not_decided_again(harness: BotHarness) -> None:
    """Telegram delivers again what it did not see confirmed; the stored record says it is done.
    Decided anew in the morning, a reply demand held overnight would get a tally in reply to a
    message no longer in the group."""
    world = harness.world
    li, group = await member_in_group(harness)
    harness.clock.set(WED_NIGHT)
    demand = world.send(li, group, "请各村明天上午十点前报送防汛物资清单,收到请回复")
    await drained(harness)
    assert demand.deleted
    async with harness.services.sessions() as session:
        update_id = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
    assert update_id is not None
    await at(harness, THU_MORNING)
    again = {"update_id": update_id, "message": demand.to_api()}
    await harness.application.bot_data.stream.handle([again])
    await drained(harness)
    async with harness.services.sessions() as session:
        requests = await session.scalar(
            select(func.count())
            .select_from(AckRequest)
            .where(AckRequest.request_message_id == demand.message_id)
        )
    assert requests == 0


async def test_a_flood_answer_to_get_updates_is_waited_out_not_a_crash(
    harness: BotHarness,
) -> None:
    world = harness.world
    person = world.add_user("陈静")
    harness.server.inject_fault("getUpdates", "429", retry_after=1)
    world.send(person, world.private_chat(person), "/start")
    await drained(harness)
    assert [r.status for r in harness.server.requests_for("getUpdates")][:1] == [429]
    assert len(world.sent_by_bot(world.private_chat(person))) == 1


async def test_a_failure_setting_the_command_menus_does_not_stop_the_start(
    server: BotApiServer, db_url: str, clock: ManualClock
) -> None:
    await upgrade_to_head(db_url)
    server.inject_fault("setMyCommands", "500")
    bot = BotHarness(server, db_url, clock)
    await bot.start()
    try:
        person = server.world.add_user("陈静")
        server.world.send(person, server.world.private_chat(person), "/start")
        await drained(bot)
        assert len(server.world.sent_by_bot(server.world.private_chat(person))) == 1
    finally:
        await bot.stop()
