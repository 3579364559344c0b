"""接龙 end to end: one roll-call message with a live list instead of ever longer reposts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import OutboxItem, Rollcall, RollcallEntry, RollcallStatus
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    bot_may_delete,
    edit_gaps,
    flush_live_messages,
    listed,
    private_texts,
    reply_of,
    step,
    stop_alarm_clock,
    toast,
)
from testserver.world import Chat, ChatMessage, User

TOPIC = "周六志愿者报名接龙"
CHAIN = f"{TOPIC}\n1. 张伟\n2. 李娜"
REPOSTERS = ("王强", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周杰", "吴刚", "徐丽", "孙悦")


class Scene:
    def __init__(self, harness: BotHarness, names: tuple[str, ...] = REPOSTERS) -> None:
        world = harness.world
        self.harness = harness
        self.initiator = world.add_user("张伟")
        self.people = {name: world.add_user(name) for name in ("李娜", *names)}
        self.chat: Chat = world.add_group(
            "河西社区工作群", admins=[self.initiator], members=list(self.people.values())
        )

    async def start(self, body: str = CHAIN) -> ChatMessage:
        chain = self.harness.world.send(self.initiator, self.chat, body)
        await step(self.harness)
        return reply_of(self.harness, chain)

    async def started_bot(self, *users: User) -> None:
        """The users open a private chat with the bot and press Start."""
        for user in users:
            self.harness.world.send(user, self.harness.world.private_chat(user), "/start")
        await step(self.harness)


async def scene(harness: BotHarness, names: tuple[str, ...] = REPOSTERS) -> Scene:
    stop_alarm_clock(harness)
    made = Scene(harness, names)
    await bot_may_delete(harness, made.chat)
    await made.started_bot(made.initiator)
    return made


async def entries(harness: BotHarness) -> list[RollcallEntry]:
    async with harness.services.sessions() as session:
        rows = await session.scalars(
            select(RollcallEntry)
            .where(RollcallEntry.withdrawn_at.is_(None))
            .order_by(RollcallEntry.position)
        )
        return list(rows.all())


def repost_bodies(scene: Scene) -> list[tuple[User, str]]:
    """Ten reposts as people really make them: renumbered, 繁體, emoji, old copies, notes."""
    p = scene.people
    so_far = ["张伟", "李娜"]

    def full(*extra: str) -> str:
        return "\n".join([TOPIC, *(f"{i}. {n}" for i, n in enumerate([*so_far, *extra], 1))])

    bodies: list[tuple[User, str]] = []

    def add(name: str, body: str, entry: str | None = None) -> None:
        bodies.append((p[name], body))
        so_far.append(entry or name)

    add("王强", full("王强"))
    add("刘洋", "週六志願者報名接龍\n1. 張偉\n2. 李娜\n3. 王強\n4. 劉洋")
    add("陈静", full("陈静🙋"), "陈静")
    add(
        "杨帆",
        "\n".join([TOPIC, *(f"{i}、{n}" for i, n in enumerate(so_far, 1)), "6、杨帆 带家属"]),
        "杨帆 带家属",
    )
    add("赵敏", f"{CHAIN}\n3. 赵敏")  # an old copy: the others stay
    add("黄磊", full("黄磊"))
    add("周杰", "\n".join([TOPIC, *(f"({i}) {n}" for i, n in enumerate([*so_far, "周杰"], 1))]))
    add("吴刚", full("吴刚 3人"), "吴刚 3人")
    add("徐丽", f"{CHAIN}\n3. 徐丽")
    add("孙悦", full("孙悦"))
    return bodies


async def test_a_chain_reposted_by_ten_people_becomes_one_list(harness: BotHarness) -> None:
    world = harness.world
    s = await scene(harness)
    rollcall = await s.start()
    assert rollcall.callback_data == [
        f"{kind}:{rollcall.callback_data[0].split(':')[1]}" for kind in ("rcj", "rcw", "rcc")
    ]
    reposts = []
    for person, body in repost_bodies(s):
        reposts.append(world.send(person, s.chat, body))
        await step(harness)
    await flush_live_messages(harness)

    assert sorted(world.deleted_ids(s.chat)) == [m.message_id for m in reposts]
    assert [m for m in world.sent_by_bot(s.chat) if m.callback_data] == [rollcall]
    stored = await entries(harness)
    assert [(e.name, e.extra) for e in stored] == [
        ("张伟", None),
        ("李娜", None),
        ("王强", None),
        ("刘洋", None),
        ("陈静🙋", None),
        ("杨帆", "带家属"),
        ("赵敏", None),
        ("黄磊", None),
        ("周杰", None),
        ("吴刚", "3人"),
        ("徐丽", None),
        ("孙悦", None),
    ]
    owners = {e.name: e.user_id for e in stored}
    assert owners["张伟"] == s.initiator.id and owners["李娜"] is None
    assert owners["刘洋"] == s.people["刘洋"].id and owners["孙悦"] == s.people["孙悦"].id
    assert listed(rollcall)[-1] == "12. 孙悦" and "6. 杨帆(带家属)" in listed(rollcall)
    assert all(gap.total_seconds() >= 5 for gap in edit_gaps(harness, s.chat))


async def test_a_repost_drops_a_line_only_for_its_own_person(harness: BotHarness) -> None:
    world = harness.world
    s = await scene(harness, ("王强", "刘洋"))
    rollcall = await s.start(f"{CHAIN}\n3. 王强\n4. 刘洋")
    world.send(s.people["王强"], s.chat, f"{TOPIC}\n1. 张伟\n2. 李娜\n3. 刘洋")
    await step(harness)
    world.send(s.people["刘洋"], s.chat, f"{TOPIC}\n1. 张伟\n2. 刘洋")
    await flush_live_messages(harness)
    # 王强 took himself off; 刘洋's copy lacked 李娜, who stays. 王强's line was never his
    # by id (the initiator typed it), so it is his by name.
    assert [e.name for e in await entries(harness)] == ["张伟", "李娜", "刘洋"]
    assert listed(rollcall) == ["1. 张伟", "2. 李娜", "3. 刘洋"]


async def test_join_note_withdraw_and_close_with_the_csv(harness: BotHarness) -> None:
    world = harness.world
    s = await scene(harness, ("王强", "刘洋"))
    rollcall = await s.start()
    join, withdraw, close = rollcall.callback_data
    joiner, stranger = s.people["王强"], s.people["刘洋"]
    await s.started_bot(joiner)
    joined = world.press(joiner, rollcall, join)
    await step(harness)
    again = world.press(joiner, rollcall, join)
    await step(harness)
    (prompt,) = [m for m in world.sent_by_bot(world.private_chat(joiner)) if m.reply_markup]
    assert prompt.text == text("rollcall.note_prompt", "zh-Hans", title=TOPIC)
    world.send(joiner, world.private_chat(joiner), "带家属", reply_to=prompt)
    await step(harness)
    world.press(stranger, rollcall, join)  # has never started the bot: no prompt, still joins
    await step(harness)
    out = world.press(stranger, rollcall, withdraw)
    await step(harness)
    out_again = world.press(stranger, rollcall, withdraw)
    denied = world.press(stranger, rollcall, close)
    await flush_live_messages(harness)
    assert listed(rollcall) == ["1. 张伟", "2. 李娜", "3. 王强(带家属)"]

    closing = world.press(s.initiator, rollcall, close)
    await flush_live_messages(harness)
    late = world.press(joiner, rollcall, join, check=False)
    await step(harness)

    assert toast(joined) == text("rollcall.toast.joined", "zh-Hans")
    assert toast(again) == text("rollcall.toast.already", "zh-Hans")
    assert toast(out) == text("rollcall.toast.withdrawn", "zh-Hans")
    assert toast(out_again) == text("rollcall.toast.not_joined", "zh-Hans")
    assert toast(denied) == text("rollcall.toast.close_denied", "zh-Hans")
    assert toast(closing) == text("rollcall.toast.closed", "zh-Hans")
    assert toast(late) == text("rollcall.toast.closed", "zh-Hans")
    assert world.sent_by_bot(world.private_chat(stranger)) == []
    (document,) = [m for m in world.sent_by_bot(world.private_chat(s.initiator)) if m.media]
    assert document.media is not None
    rows = list(csv.reader(io.StringIO(document.media.content.decode("utf-8-sig"))))
    assert rows[0] == [
        text(f"rollcall.csv.{c}", "zh-Hans")
        for c in ("number", "name", "note", "user_id", "joined_at")
    ]
    assert [r[:4] for r in rows[1:]] == [
        ["1", "张伟", "", str(s.initiator.id)],
        ["2", "李娜", "", ""],
        ["3", "王强", "带家属", str(joiner.id)],
    ]
    assert rollcall.callback_data == []
    assert (rollcall.text or "").endswith(text("rollcall.closed", "zh-Hans", count=3))


async def test_three_hundred_entries_fit_one_message_and_all_reach_the_csv(
    harness: BotHarness,
) -> None:
    world = harness.world
    s = await scene(harness, ())
    lines = [f"{i}. 值守员{i:03d} 🌊" for i in range(1, 301)]
    rollcall = await s.start("\n".join(["全镇防汛值守报名接龙", *lines]))
    assert rollcall.text is not None and len(rollcall.text.encode("utf-16-le")) // 2 <= 4096
    shown = len(listed(rollcall))
    assert 0 < shown < 300
    assert text("rollcall.more", "zh-Hans", count=300 - shown) in rollcall.text
    assert len(await entries(harness)) == 300
    world.press(s.initiator, rollcall, rollcall.callback_data[2])
    await flush_live_messages(harness)
    (document,) = [m for m in world.sent_by_bot(world.private_chat(s.initiator)) if m.media]
    assert document.media is not None
    assert len(document.media.content.decode("utf-8-sig").strip().split("\n")) == 301


async def test_two_people_with_the_same_name_are_two_entries(harness: BotHarness) -> None:
    world = harness.world
    s = await scene(harness, ())
    first, second = world.add_user("李明"), world.add_user("李明")
    rollcall = await s.start(f"{TOPIC}\n1. 张伟\n2. 李明")
    world.press(first, rollcall, rollcall.callback_data[0])
    await step(harness)
    world.press(second, rollcall, rollcall.callback_data[0])
    await flush_live_messages(harness)
    stored = await entries(harness)
    assert [(e.name, e.user_id) for e in stored] == [
        ("张伟", s.initiator.id),
        ("李明", first.id),
        ("李明", second.id),
    ]
    assert listed(rollcall) == ["1. 张伟", "2. 李明", "3. 李明"]


async def test_a_roll_call_an_anonymous_admin_started_is_closed_by_an_admin(
    harness: BotHarness,
) -> None:
    world = harness.world
    s = await scene(harness, ("王强",))
    chain = world.send(s.initiator, s.chat, CHAIN, anonymous=True)
    await step(harness)
    rollcall = reply_of(harness, chain)
    close = rollcall.callback_data[2]
    denied = world.press(s.people["王强"], rollcall, close)
    await step(harness)
    closed = world.press(s.initiator, rollcall, close)
    await flush_live_messages(harness)
    assert toast(denied) == text("rollcall.toast.close_denied", "zh-Hans")
    assert toast(closed) == text("rollcall.toast.closed", "zh-Hans")
    assert [m for m in world.sent_by_bot(world.private_chat(s.initiator)) if m.media]
    assert rollcall.callback_data == []


async def test_the_csv_goes_through_the_outbox_and_arrives_once_after_a_failure(
    harness: BotHarness,
) -> None:
    world = harness.world
    s = await scene(harness, ())
    rollcall = await s.start()
    harness.server.inject_fault("sendDocument", "500")
    closing = world.press(s.initiator, rollcall, rollcall.callback_data[2])
    await step(harness, 0)
    assert toast(closing) == text("rollcall.toast.closed", "zh-Hans")
    assert [m for m in world.sent_by_bot(world.private_chat(s.initiator)) if m.media] == []
    async with harness.services.sessions() as session:
        waiting = await session.scalar(select(OutboxItem).where(OutboxItem.kind == "rollcall/csv"))
    assert waiting is not None and (waiting.status, waiting.attempts) == ("pending", 1)
    harness.clock.advance(timedelta(minutes=1))  # past the outbox's backoff
    await flush_live_messages(harness)
    (document,) = [m for m in world.sent_by_bot(world.private_chat(s.initiator)) if m.media]
    assert document.media is not None
    assert document.media.content.decode("utf-8-sig").count("\n") == 3  # header and two lines
    assert rollcall.callback_data == []
    async with harness.services.sessions() as session:
        status = await session.scalar(select(Rollcall.status))
    assert status == RollcallStatus.CLOSED


async def test_closing_without_a_private_chat_says_to_start_the_bot_and_closes_nothing(
    harness: BotHarness,
) -> None:
    world = harness.world
    stop_alarm_clock(harness)
    initiator = world.add_user("周敏")
    group = world.add_group("东村工作群", admins=[initiator])
    await bot_may_delete(harness, group)
    chain = world.send(initiator, group, CHAIN)
    await step(harness)
    rollcall = reply_of(harness, chain)
    pressed = world.press(initiator, rollcall, rollcall.callback_data[2])
    await step(harness)
    assert toast(pressed) == text("rollcall.toast.start_bot", "zh-Hans")
    assert rollcall.callback_data, "still open"


async def test_a_merged_repost_is_told_once_privately_or_briefly_in_the_group(
    harness: BotHarness,
) -> None:
    world = harness.world
    s = await scene(harness, ("王强", "刘洋"))
    await s.start()
    wang, liu = s.people["王强"], s.people["刘洋"]
    await s.started_bot(wang)
    world.send(wang, s.chat, f"{CHAIN}\n3. 王强")
    await step(harness)
    world.send(wang, s.chat, f"{CHAIN}\n3. 王强 带家属")
    await step(harness)
    world.send(liu, s.chat, f"{CHAIN}\n3. 王强 带家属\n4. 刘洋")  # has never started the bot
    await flush_live_messages(harness)

    told = text("rollcall.merged", "zh-Hans", group="河西社区工作群", title=TOPIC)
    assert [t for t in private_texts(harness, wang) if t == told] == [told], "once"
    # Besides the list, the group sees one note: for 刘洋, whom the bot cannot write to.
    (in_group,) = [m for m in world.sent_by_bot(s.chat) if not m.callback_data]
    assert in_group.text == text("rollcall.merged_group", "zh-Hans", name="刘洋")
    assert in_group.disable_notification and not in_group.deleted
    harness.clock.advance(timedelta(seconds=61))
    await flush_live_messages(harness)
    assert in_group.deleted


async def test_a_repost_sent_as_a_photo_caption_is_merged_and_the_photo_stays(
    harness: BotHarness,
) -> None:
    made = await scene(harness)
    posted = await made.start()
    wang = made.people["王强"]
    photo = harness.world.send(
        wang, made.chat, media="photo", caption=f"{CHAIN}\n3. 王强", reply_to=None
    )
    await flush_live_messages(harness)

    assert not photo.deleted and photo in harness.world.visible_messages(made.chat)
    assert [e.name for e in await entries(harness)] == ["张伟", "李娜", "王强"]
    assert listed(posted)[-1].endswith("王强")
    async with harness.services.sessions() as session:
        rollcalls = (await session.scalars(select(Rollcall))).all()
    assert len(rollcalls) == 1, "merged, not a second roll-call"
