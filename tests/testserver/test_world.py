"""What people do in the simulated world reaches the bot as Telegram would deliver it."""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot, InputMediaPhoto, MessageOriginUser

from bot.platform.clock import ManualClock
from testserver import GROUP_ANONYMOUS_BOT, BotApiServer


async def test_media_polls_forwards_and_anonymous_admins(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    alice, bob = world.add_user("Alice"), world.add_user("Bob")
    group = world.add_group("街道群", members=[alice, bob])
    world.send(alice, group, media="voice", caption="语音通知")
    world.send(bob, group, media="document", file_name="台账.xlsx", caption="请填写")
    world.send(alice, group, poll=("周五开会？", ["能", "不能"]))
    world.send(bob, group, "转发的通知", forward_from=alice)
    world.send(alice, group, "以群身份发布", anonymous=True)
    voice, document, poll, forward, anonymous = [u.message for u in await bot.get_updates()]
    assert voice and voice.voice and voice.caption == "语音通知"
    assert document and document.document and document.document.file_name == "台账.xlsx"
    assert poll and poll.poll and [o.text for o in poll.poll.options] == ["能", "不能"]
    assert forward and isinstance(forward.forward_origin, MessageOriginUser)
    assert forward.forward_origin.sender_user.id == alice.id
    assert anonymous and anonymous.sender_chat and anonymous.sender_chat.id == group.id
    assert anonymous.from_user and anonymous.from_user.id == GROUP_ANONYMOUS_BOT.id


async def test_a_reply_and_an_edit(server: BotApiServer, bot: Bot, clock: ManualClock) -> None:
    world = server.world
    alice, bob = world.add_user("Alice"), world.add_user("Bob")
    group = world.add_group("村委群", members=[alice, bob])
    notice = world.send(alice, group, "收到请回复")
    reply = world.send(bob, group, "收到", reply_to=notice)
    clock.advance(timedelta(minutes=5))
    world.edit(notice, "【紧急】收到请回复 原因：防汛")
    updates = await bot.get_updates()
    replied = updates[1].message
    assert replied and replied.reply_to_message
    assert replied.reply_to_message.message_id == notice.message_id
    edited = updates[2].edited_message
    assert edited and edited.text == "【紧急】收到请回复 原因：防汛"
    assert (
        edited.edit_date and edited.date and edited.edit_date - edited.date == timedelta(minutes=5)
    )
    assert reply.reply_to_message_id == notice.message_id


async def test_message_dates_follow_the_injected_clock(
    server: BotApiServer, bot: Bot, clock: ManualClock
) -> None:
    world = server.world
    alice = world.add_user("Alice")
    group = world.add_group("群", members=[alice])
    late = world.send(alice, group, "23:00 的通知", date=clock.now() - timedelta(hours=10))
    [update] = await bot.get_updates()
    assert update.message and update.message.date == late.date.replace(microsecond=0)


async def test_the_bot_removed_from_a_group(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    owner = world.add_user("Owner")
    group = world.add_group("群", creator=owner)
    world.set_bot_status(group, "kicked", by=owner)
    [update] = await bot.get_updates()
    change = update.my_chat_member
    assert change and change.old_chat_member.status == "administrator"
    assert change.new_chat_member.status == "kicked"
    message = world.send(owner, group, "/help")
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert world.visible_messages(group)[-1] is message


async def test_a_sent_poll_is_stored(server: BotApiServer, bot: Bot) -> None:
    group = server.world.add_group("群")
    sent = await bot.send_poll(group.id, "周五开会？", ["能", "不能"], is_anonymous=False)
    [stored] = server.world.sent_by_bot(group)
    assert stored.poll is not None and stored.poll["question"] == "周五开会？"
    assert sent.poll is not None and sent.poll.is_anonymous is False


async def test_an_album_resent_by_file_id(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    alice = world.add_user("Alice")
    group = world.add_group("群", members=[alice])
    photos = [world.send(alice, group, media="photo") for _ in range(2)]
    file_ids = [p.media.file_id for p in photos if p.media]
    album = await bot.send_media_group(
        group.id, [InputMediaPhoto(file_ids[0], caption="昨晚的照片"), InputMediaPhoto(file_ids[1])]
    )
    assert [m.photo[-1].file_id for m in album] == file_ids
    assert album[0].caption == "昨晚的照片"
    assert len({m.media_group_id for m in album}) == 1
