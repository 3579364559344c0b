"""Digests end to end: the group's recap and batch modes, and each official's personal digest."""

from __future__ import annotations

from sqlalchemy import select

from bot.features.duplicates.wording import message_link
from bot.platform.i18n import text
from bot.platform.storage.models import Acknowledgement, DigestSubscription, PersonalDigest
from tests.e2e.harness import BotHarness, shanghai
from tests.e2e.scenes import (
    at,
    bot_may_delete,
    bot_texts,
    drained,
    private_texts,
    reply_of,
    restarted,
    step,
    stop_alarm_clock,
    toast,
)
from testserver.world import DEFAULT_BOT_RIGHTS, Chat, ChatMessage, User

THU_DIGEST = shanghai(2026, 11, 19, 8, 30)  # the default digest time, the morning after
OVERDUE = "请各村今天17点前上报低保户名单,收到请回复"
TODAY = "关于冬季消防检查的通知:请各村明天17点前完成自查,收到请回复"
THIS_WEEK = "关于防汛演练的通知:请于本周五前报送演练方案,收到请回复"
LATER = "请于下周三前上报自建房排查台账"
ROLLCALL = "接龙:参加周四培训的同志\n1. 王五"
ACTED_ON = "关于秋冬季森林防火的通知:请各村本周五前组织巡查,收到请回复"
NOTICE = "关于召开安全生产会议的通知:明天下午3点在三楼会议室召开安全生产工作会议,请各村书记参加。"


class Office:
    """An admin, the official 李明 (who has started the bot) and the groups they share."""

    def __init__(self, harness: BotHarness, titles: list[str], *, can_delete: bool = True) -> None:
        world = harness.world
        self.harness = harness
        self.admin = world.add_user("王主任", started=True)
        self.li = world.add_user("李明", started=True)
        rights = DEFAULT_BOT_RIGHTS if can_delete else DEFAULT_BOT_RIGHTS - {"can_delete_messages"}
        self.groups: list[Chat] = [
            world.add_group(title, admins=[self.admin], members=[self.li], bot_rights=rights)
            for title in titles
        ]
        self.can_delete = can_delete

    async def ready(self) -> Office:
        stop_alarm_clock(self.harness)
        for group in self.groups:
            await bot_may_delete(self.harness, group, can_delete=self.can_delete)
            self.harness.world.send(self.li, group, "大家好,我是李明")
        await step(self.harness)
        return self

    async def post(self, group: Chat, body: str, sender: User | None = None) -> ChatMessage:
        message = self.harness.world.send(sender or self.admin, group, body)
        await step(self.harness)
        return message

    async def private(self, user: User, body: str) -> str:
        world = self.harness.world
        world.send(user, world.private_chat(user), body)
        await drained(self.harness)
        return private_texts(self.harness, user)[-1]


def personal_digests(harness: BotHarness, user: User) -> list[ChatMessage]:
    header = text("digest.personal.header", "zh-Hans", count=2).split("共")[0]
    return [
        m
        for m in harness.world.sent_by_bot(harness.world.private_chat(user))
        if (m.text or "").startswith(header)
    ]


async def test_a_personal_digest_across_three_groups_is_sorted_by_deadline_without_what_was_done(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群", "镇应急办工作群", "镇培训群"]).ready()
    east, emergency, training = office.groups
    assert "已开启" in await office.private(office.li, "/digest on")
    await office.post(east, OVERDUE)
    await office.post(emergency, TODAY)
    await office.post(training, THIS_WEEK)
    await office.post(east, LATER)
    await office.post(training, ROLLCALL)
    done = await office.post(emergency, ACTED_ON)
    await office.post(training, NOTICE)
    harness.world.press(office.li, reply_of(harness, done))  # 收到 on the group's tally
    await step(harness)

    await at(harness, THU_DIGEST)

    (digest,) = personal_digests(harness, office.li)
    body = digest.text or ""
    order = [OVERDUE, TODAY, THIS_WEEK, LATER, ROLLCALL.split("\n")[0], NOTICE]
    positions = [body.find(item[:12]) for item in order]
    assert all(p >= 0 for p in positions), body
    assert positions == sorted(positions), body
    assert ACTED_ON[:12] not in body
    assert "[镇应急办工作群] 王主任" in body
    assert body.index(text("digest.bucket.overdue", "zh-Hans")) < body.index(OVERDUE[:12])
    assert body.index(text("digest.section.info", "zh-Hans")) < body.index(NOTICE[:12])
    # Each summary links to the original message, which only the group's members can open.
    assert any(e["type"] == "text_link" for e in digest.entities or [])
    # Acknowledge buttons for the three open requests, a join button for the roll-call.
    kinds = sorted(data.split(":")[0] for data in digest.callback_data)
    assert kinds == ["dack", "dack", "dack", "djoin"]


async def test_acknowledging_from_the_digest_updates_the_group_tally(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await office.private(office.li, "/digest on")
    notice = await office.post(east, TODAY)
    tally = reply_of(harness, notice)
    before = tally.text
    await at(harness, THU_DIGEST)
    (digest,) = personal_digests(harness, office.li)
    (ack,) = [data for data in digest.callback_data if data.startswith("dack:")]

    press = harness.world.press(office.li, digest, ack)
    await step(harness, 6)
    await step(harness, 6)

    assert toast(press) == text("ack.toast.recorded", "zh-Hans")
    async with harness.services.sessions() as session:
        (row,) = (await session.scalars(select(Acknowledgement))).all()
    assert row.user_id == office.li.id
    assert tally.text != before
    assert "1/" in (tally.text or "") or "已确认 1" in (tally.text or "")


async def test_a_member_who_left_gets_nothing_of_that_group(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群", "镇应急办工作群"]).ready()
    east, emergency = office.groups
    await office.private(office.li, "/digest on")
    await office.post(east, TODAY)
    await office.post(emergency, THIS_WEEK)
    harness.world.set_member_status(emergency, office.li, "left")
    await step(harness)

    await at(harness, THU_DIGEST)

    (digest,) = personal_digests(harness, office.li)
    assert TODAY[:12] in (digest.text or "")
    assert THIS_WEEK[:12] not in (digest.text or "")
    assert "镇应急办工作群" not in (digest.text or "")


async def test_one_catch_up_digest_for_slots_missed_while_down_and_none_twice(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    await office.private(office.li, "/digest 08:30 16:00")
    await office.post(office.groups[0], LATER)  # a data request: open for days

    # Down from Wednesday until Thursday 17:00: the 16:00 and 08:30 slots give one digest.
    async with restarted(harness, after=shanghai(2026, 11, 19, 17) - harness.clock.now()) as again:
        stop_alarm_clock(again)
        await again.tick()
        await drained(again)
        await again.tick()
        await drained(again)
        assert len(personal_digests(again, office.li)) == 1
        async with again.services.sessions() as session:
            slots = (await session.scalars(select(PersonalDigest.slot))).all()
        assert [s.astimezone(shanghai(2026, 1, 1, 0).tzinfo) for s in slots] == [
            shanghai(2026, 11, 19, 16)
        ]


async def test_a_blocked_recipient_is_paused_until_they_write_again(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    await office.private(office.li, "/digest on")
    await office.post(office.groups[0], TODAY)
    harness.world.block_bot(office.li)
    await step(harness)

    await at(harness, THU_DIGEST)

    async with harness.services.sessions() as session:
        row = await session.get(DigestSubscription, office.li.id)
        assert row is not None and row.paused_at is not None
    office.li.blocked = False
    await office.private(office.li, "你好")
    async with harness.services.sessions() as session:
        row = await session.get(DigestSubscription, office.li.id)
        assert row is not None and row.paused_at is None


async def test_the_private_command_refuses_a_bad_time_in_one_line(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    reply = await office.private(office.li, "/digest 25:00")
    assert reply == text("digest.invalid_time", "zh-Hans", value="25:00")
    status = await office.private(office.li, "/digest")
    assert "河东村两委群" in status and "未开启" in status


# ---- group digests --------------------------------------------------------------------------


async def test_recap_lists_what_needs_attention_once_silently(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await office.post(east, NOTICE)
    await office.post(east, "今天中午食堂有饺子", sender=office.li)

    await at(harness, THU_DIGEST)
    await at(harness, shanghai(2026, 11, 19, 8, 31))

    header = text("digest.group.header", "zh-Hans", count=1)
    recaps = [m for m in harness.world.sent_by_bot(east) if (m.text or "").startswith(header)]
    assert len(recaps) == 1
    assert NOTICE[:12] in (recaps[0].text or "")
    assert "饺子" not in (recaps[0].text or "")
    assert recaps[0].disable_notification


async def test_recap_posts_nothing_when_nothing_needs_attention(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    before = len(bot_texts(harness, east))
    await at(harness, THU_DIGEST)
    assert len(bot_texts(harness, east)) == before


async def test_off_posts_no_digest(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    assert "不再发汇总" in (await _admin_command(office, east, "/digest off"))
    await office.post(east, NOTICE)
    await at(harness, THU_DIGEST)
    assert not any("本群汇总" in t for t in bot_texts(harness, east))


async def test_batch_holds_a_work_time_notice_until_the_digest_in_one_message(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await _admin_command(office, east, "/digest batch 16:00")
    notice = await office.post(east, NOTICE)
    demand = await office.post(east, OVERDUE)
    assert notice.message_id in harness.world.deleted_ids(east)
    assert demand.message_id not in harness.world.deleted_ids(east)
    # The sender hears when it will be posted (in the group: they have not started the bot).
    told = text("digest.batched_group", "zh-Hans", name="王主任", release_at="今天 16:00")
    assert told in bot_texts(harness, east)

    await at(harness, shanghai(2026, 11, 18, 16))

    header = text("digest.group.header", "zh-Hans", count=2)
    (digest,) = [m for m in harness.world.sent_by_bot(east) if (m.text or "").startswith(header)]
    assert NOTICE in (digest.text or "")  # the notice itself, released
    assert OVERDUE[:12] in (digest.text or "")  # the recap of the request


async def test_batch_without_the_delete_right_falls_back_to_recap_and_says_so_once(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群"], can_delete=False).ready()
    (east,) = office.groups
    await _admin_command(office, east, "/digest batch 16:00 17:00")
    notice = await office.post(east, NOTICE)
    assert notice.message_id not in harness.world.deleted_ids(east)
    await at(harness, shanghai(2026, 11, 18, 16))
    await office.post(east, NOTICE)
    await at(harness, shanghai(2026, 11, 18, 17))
    said = text("digest.batch_fallback", "zh-Hans")
    assert bot_texts(harness, east).count(said) == 1
    header = text("digest.group.header", "zh-Hans", count=1)
    assert sum(t.startswith(header) for t in bot_texts(harness, east)) == 2


async def test_policy_shows_the_digest_mode_and_times(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await _admin_command(office, east, "/digest batch 08:30 16:30")
    shown = await _admin_command(office, east, "/policy")
    assert text(
        "policy.line.digest",
        "zh-Hans",
        mode=text("policy.digest.batch", "zh-Hans"),
        times="08:30 16:30",
    ) in shown.split("\n")
    refused = await _admin_command(office, east, "/digest 25:00")
    assert refused == text("digest.group.invalid", "zh-Hans", value="25:00")


async def _admin_command(office: Office, group: Chat, body: str) -> str:
    message = office.harness.world.send(office.admin, group, body)
    await drained(office.harness)
    return reply_of(office.harness, message).text or ""


async def test_a_restart_during_fan_out_sends_every_digest_exactly_once(
    harness: BotHarness,
) -> None:
    world = harness.world
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    officials = [world.add_user(f"村干部{i:02d}", started=True) for i in range(12)]
    for person in officials:
        world.set_member_status(east, person, "member")
        world.send(person, world.private_chat(person), "/digest on")
    await drained(harness)
    await _admin_command(office, east, "/digest off")  # only personal digests are sent
    await office.post(east, LATER)
    # Telegram holds the first six digests without delivering them when the bot goes down.
    harness.server.inject_fault("sendMessage", "timeout", 6, hold=3600)

    harness.clock.set(THU_DIGEST)
    await harness.tick()
    await harness.until(lambda: sum(bool(personal_digests(harness, p)) for p in officials) == 6)
    async with restarted(harness) as again:
        stop_alarm_clock(again)
        await again.tick()  # the same slot again: already queued, nothing more
        await drained(again)
        await again.tick()
        await drained(again)
        assert [len(personal_digests(again, person)) for person in officials] == [1] * 12
        async with again.services.sessions() as session:
            rows = (await session.scalars(select(PersonalDigest.user_id))).all()
        assert sorted(rows) == sorted(p.id for p in officials)


async def test_the_private_command_says_when_the_years_holidays_are_unknown(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    harness.clock.set(shanghai(2027, 1, 6, 10))
    status = await office.private(office.li, "/digest on")
    assert text("digest.calendar_unknown", "zh-Hans", year=2027) in status.split("\n")


def _links(message: ChatMessage, item: str) -> list[str]:
    """The links on the line of the digest that names `item`."""
    body = message.text or ""
    start = body.index(item[:12])
    line_end = body.find("\n", start)
    end = len(body) if line_end < 0 else line_end
    return [
        e["url"]
        for e in message.entities or []
        if e["type"] == "text_link" and start <= e["offset"] < end
    ]


async def test_a_held_message_released_is_linked_where_its_released_copy_is(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await office.private(office.li, "/digest 09:00")
    await at(harness, shanghai(2026, 11, 18, 22))
    original = await office.post(east, NOTICE)  # in quiet time: held, removed from the group
    assert original.message_id in harness.world.deleted_ids(east)
    await at(harness, shanghai(2026, 11, 19, 8))  # released at the end of quiet time
    (released,) = [m for m in harness.world.sent_by_bot(east) if NOTICE in (m.text or "")]

    await at(harness, shanghai(2026, 11, 19, 9))

    (digest,) = personal_digests(harness, office.li)
    assert _links(digest, NOTICE) == [message_link(east.id, "supergroup", released.message_id)]


async def test_a_demand_released_in_the_morning_is_an_item_to_act_on_with_its_button(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await office.private(office.li, "/digest 09:00")
    await at(harness, shanghai(2026, 11, 18, 22))
    await office.post(east, TODAY)  # held; released at 08:00 with its button on the page
    await at(harness, shanghai(2026, 11, 19, 8))
    (page,) = [m for m in harness.world.sent_by_bot(east) if TODAY in (m.text or "")]

    await at(harness, shanghai(2026, 11, 19, 9))

    (digest,) = personal_digests(harness, office.li)
    assert [data for data in digest.callback_data if data.startswith("dack:")], "its ✅"
    assert _links(digest, TODAY) == [message_link(east.id, "supergroup", page.message_id)]


async def test_a_held_message_whose_delete_was_refused_is_linked_where_it_stayed(
    harness: BotHarness,
) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await office.private(office.li, "/digest 09:00")
    await at(harness, shanghai(2026, 11, 18, 22))
    original = harness.world.send(office.admin, east, NOTICE)
    original.deletable = False  # held, but Telegram refuses to take it away
    await drained(harness)
    await at(harness, shanghai(2026, 11, 19, 8))
    assert not [m for m in harness.world.sent_by_bot(east) if NOTICE in (m.text or "")]

    await at(harness, shanghai(2026, 11, 19, 9))

    (digest,) = personal_digests(harness, office.li)
    assert _links(digest, NOTICE) == [message_link(east.id, "supergroup", original.message_id)]


async def test_a_message_still_held_has_no_link_in_a_digest(harness: BotHarness) -> None:
    office = await Office(harness, ["河东村两委群"]).ready()
    (east,) = office.groups
    await _admin_command(office, east, "/digest batch 16:00")
    await office.private(office.li, "/digest 11:00")
    original = await office.post(east, NOTICE)  # held for the group's 16:00 digest
    assert original.message_id in harness.world.deleted_ids(east)

    await at(harness, shanghai(2026, 11, 18, 11))

    (digest,) = personal_digests(harness, office.li)
    assert NOTICE[:12] in (digest.text or "")
    assert _links(digest, NOTICE) == []
