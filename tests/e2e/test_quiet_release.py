"""The morning release end to end: demands with their button, acknowledgements kept out of
the digest, and a release that survives the bot being removed from the group halfway."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import Acknowledgement, AckRequest
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    THU_MORNING,
    WED_NIGHT,
    at,
    bot_texts,
    drained,
    held_rows,
    joined_group,
    private_texts,
    reply_of,
    started_bot,
    stop_alarm_clock,
)
from testserver.world import Chat, ChatMessage, User

DEMAND = "请各村明天上午十点前报送防汛物资清单，收到请回复"


async def acknowledged(harness: BotHarness) -> Counter[int]:
    """Acknowledgements per request, by the request's message id in the group."""
    async with harness.services.sessions() as session:
        rows = await session.execute(
            select(AckRequest.request_message_id).join(
                Acknowledgement, Acknowledgement.request_id == AckRequest.id
            )
        )
        return Counter(message_id for (message_id,) in rows)


def owner_of(group: Chat) -> User:
    (owner,) = [m.user for m in group.members.values() if m.status == "creator"]
    return owner


async def test_a_demand_held_overnight_comes_back_with_its_button_and_absorbs_the_replies(
    harness: BotHarness,
) -> None:
    world = harness.world
    stop_alarm_clock(harness)
    wang = await started_bot(harness, "王主任")
    people = [await started_bot(harness, name) for name in ("张三", "李四", "赵五", "钱六")]
    early = await started_bot(harness, "孙七")
    group = await joined_group(harness, members=[wang, *people, early])
    harness.clock.set(WED_NIGHT)
    world.send(people[0], group, "明天上午九点在村委会开会")
    demand = world.send(wang, group, DEMAND)
    await drained(harness)
    assert demand.deleted
    # One answered at once, before the demand was taken down: held too, and it counts.
    at_night = world.send(early, group, "收到", reply_to=demand)
    await drained(harness)
    assert at_night.deleted

    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    digest, tally = world.sent_by_bot(group)[before:]
    assert DEMAND in (digest.text or "") and "孙七" not in (digest.text or "")
    assert tally.reply_to_message_id == digest.message_id
    assert (await acknowledged(harness))[digest.message_id] == 1
    assert tally.callback_data[0].startswith("ack:")

    to_digest = [world.send(p, group, "收到", reply_to=digest) for p in people[:2]]
    to_tally = world.send(people[2], group, "收到", reply_to=tally)
    await drained(harness)
    assert all(m.deleted for m in (*to_digest, to_tally)), "absorbed, not left in the group"
    assert (await acknowledged(harness))[digest.message_id] == 4
    world.press(people[3], tally)
    await drained(harness)
    assert (await acknowledged(harness))[digest.message_id] == 5

    world.press(wang, tally, tally.callback_data[1])
    await drained(harness)
    header = text("ack.roster.header", "zh-Hans", title=DEMAND)
    assert any(t.startswith(header) for t in private_texts(harness, wang)), "named as asked"


async def test_night_acknowledgements_are_counted_or_kept_and_never_posted_in_the_morning(
    harness: BotHarness,
) -> None:
    world = harness.world
    stop_alarm_clock(harness)
    wang = await started_bot(harness, "王主任")
    sun = await started_bot(harness, "孙八")
    zhou = await started_bot(harness, "周九")
    group = await joined_group(harness, members=[wang, sun, zhou])
    harness.clock.set(WED_NIGHT)
    urgent = world.send(
        wang, group, "【紧急】明早六点前各村上报转移人数，因台风今晚登陆，收到请回复"
    )
    await drained(harness)
    assert not urgent.deleted
    tally = reply_of(harness, urgent)
    assert tally.callback_data[0].startswith("ack:"), "an urgent demand gets its button"
    counted = world.send(sun, group, "收到", reply_to=urgent)
    await drained(harness)
    assert counted.deleted
    assert (await acknowledged(harness))[urgent.message_id] == 1

    water = world.send(wang, group, "【紧急】今晚十点起停水，因主管道爆裂抢修")
    await drained(harness)
    kept = world.send(sun, group, "收到", reply_to=water)
    stray = world.send(zhou, group, "收到")
    notice = world.send(zhou, group, "明天上午九点在村委会开会")
    await drained(harness)
    assert not kept.deleted, "an acknowledgement of a message in the group stays, as by day"
    assert stray.deleted and notice.deleted
    assert [row.message_id for row in await held_rows(harness, group)] == [
        stray.message_id,
        notice.message_id,
    ]
    told = "您在“青石镇工作群”发的消息已暂存"
    hold_notices = [t for t in private_texts(harness, zhou) if t.startswith(told)]
    assert len(hold_notices) == 1, "told once, of the notice the morning posts"
    assert not any(t.startswith(told) for t in private_texts(harness, sun))

    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    (digest,) = world.sent_by_bot(group)[before:]
    lines = (digest.text or "").splitlines()
    assert lines == [
        text("release.header", "zh-Hans", count=1),
        text("release.left_out", "zh-Hans", count=1),
        "23:10 周九:明天上午九点在村委会开会",
    ]
    assert [row.status for row in await held_rows(harness, group)] == ["omitted", "released"]


async def test_the_bot_removed_mid_release_posts_the_rest_when_it_is_back(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = harness.world
    stop_alarm_clock(harness)
    admin = await started_bot(harness, "王书记")
    li = await started_bot(harness, "李明")
    group = await joined_group(harness, admins=[admin], members=[li])
    owner = owner_of(group)
    harness.clock.set(WED_NIGHT)
    bodies = [f"第{n:02d}条:" + "请各村做好冬季防火巡查工作。" * 25 for n in range(80)]
    for body in bodies:
        world.send(li, group, body)
    await drained(harness)

    # The owner removes the bot just as it posts the fourth page of the digest.
    pages: list[ChatMessage] = []
    send_message = harness.server.methods.handler("sendMessage")
    assert send_message is not None

    def removing(params: Mapping[str, Any]) -> Any:
        if params.get("chat_id") == group.id and len(pages) == 3:
            world.set_bot_status(group, "kicked", by=owner)
        answer = send_message(params)
        if params.get("chat_id") == group.id:
            pages.append(group.messages[answer["message_id"]])
        return answer

    methods = harness.server.methods
    handler = methods.handler
    monkeypatch.setattr(
        methods, "handler", lambda method: removing if method == "sendMessage" else handler(method)
    )
    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    delivered = world.sent_by_bot(group)[before:]
    assert len(delivered) == 3
    posted = [line for page in delivered for line in (page.text or "").splitlines()[1:]]
    rows = await held_rows(harness, group)
    released = [row for row in rows if row.status == "released"]
    assert sorted(f"23:10 李明:{row.payload['text']}" for row in released) == sorted(posted)
    waiting = [row for row in rows if row.status == "held"]
    assert len(waiting) == len(bodies) - len(released) > 0
    pending = text("release.pending_admins", "zh-Hans", group="青石镇工作群", count=len(waiting))
    await harness.until(lambda: pending in private_texts(harness, admin))

    await at(harness, THU_MORNING.replace(minute=1))
    assert len(world.sent_by_bot(group)) == before + 3, "nothing while the bot is out"

    monkeypatch.undo()
    world.set_bot_status(group, "administrator", by=owner)
    await drained(harness)
    late = [m for m in world.sent_by_bot(group)[before + 3 :] if (m.text or "").startswith("🌅")]
    assert late and (late[0].text or "").splitlines()[1] == text("release.late", "zh-Hans")
    posted += [
        line
        for page in late
        for line in (page.text or "").splitlines()[1:]
        if line.startswith("23:10")
    ]
    assert sorted(posted) == sorted(f"23:10 李明:{body}" for body in bodies), "each once"
    assert all(row.status == "released" for row in await held_rows(harness, group))
    assert bot_texts(harness, group)


async def test_a_held_photo_that_demands_replies_gets_its_button_on_the_photo(
    harness: BotHarness,
) -> None:
    world = harness.world
    stop_alarm_clock(harness)
    wang = await started_bot(harness, "王主任")
    zhang = await started_bot(harness, "张三")
    group = await joined_group(harness, members=[wang, zhang])
    harness.clock.set(WED_NIGHT)
    world.send(wang, group, media="photo", caption="防汛物资清单模板，请各村填写，收到请回复")
    await drained(harness)
    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    digest, photo, tally = world.sent_by_bot(group)[before:]
    assert photo.media is not None and tally.reply_to_message_id == photo.message_id
    assert "收到请回复" not in (digest.text or ""), "the caption is on the photo alone"
    reply = world.send(zhang, group, "收到", reply_to=photo)
    await drained(harness)
    assert reply.deleted
    assert (await acknowledged(harness))[photo.message_id] == 1
