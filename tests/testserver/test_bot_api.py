"""The server as the bot sees it: a real PTB Bot over HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, Conflict, Forbidden

from bot.platform.clock import ManualClock
from testserver import BotApiServer

ACK = InlineKeyboardMarkup([[InlineKeyboardButton("✅ 收到", callback_data="ack:1")]])


async def test_get_me_names_the_bot(server: BotApiServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (server.world.bot.id, "jianfu_test_bot", True)
    assert me.can_read_all_group_messages is False


async def test_a_sent_message_is_stored_with_what_the_bot_asked_for(
    server: BotApiServer, bot: Bot
) -> None:
    world = server.world
    alice = world.add_user("Alice")
    group = world.add_group("街道工作群", members=[alice])
    notice = world.send(alice, group, "明早九点开会")
    sent = await bot.send_message(
        group.id,
        "<b>请按按钮</b>，无需回复",
        parse_mode="HTML",
        reply_markup=ACK,
        disable_notification=True,
        reply_parameters=ReplyParameters(notice.message_id),
    )
    assert sent.text == "请按按钮，无需回复"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 4
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.message_id == notice.message_id
    [stored] = world.sent_by_bot(group)
    assert stored.message_id == sent.message_id
    assert stored.disable_notification is True
    assert stored.reply_to_message_id == notice.message_id
    assert stored.callback_data == ["ack:1"]
    [request] = server.requests_for("sendMessage")
    assert request.params["chat_id"] == group.id
    assert request.params["disable_notification"] is True
    assert request.status == 200
    assert [m.message_id for m in world.visible_messages(group)] == [1, 2]


async def test_bad_html_is_refused_like_telegram(server: BotApiServer, bot: Bot) -> None:
    alice = server.world.add_user("Alice", started=True)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(alice.id, "<b>open", parse_mode="HTML")
    assert server.world.sent_by_bot() == []


async def test_the_bot_cannot_write_first_to_a_user(server: BotApiServer, bot: Bot) -> None:
    stranger = server.world.add_user("Stranger")
    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "hi")
    server.world.send(stranger, server.world.private_chat(stranger), "/start")
    await bot.send_message(stranger.id, "welcome")
    server.world.block_bot(stranger)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(stranger.id, "again")


async def test_long_poll_returns_a_message_sent_while_waiting(
    server: BotApiServer, bot: Bot
) -> None:
    world = server.world
    alice = world.add_user("Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    while not server.methods.polling:  # noqa: ASYNC110 - the server has no event for this
        await asyncio.sleep(0.01)
    world.send(alice, world.private_chat(alice), "/start")
    [update] = await poll
    assert update.message is not None and update.message.text == "/start"
    assert update.message.entities[0].type == "bot_command"
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert world.queued_updates == []


async def test_get_updates_honours_limit_and_offset(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    alice = world.add_user("Alice")
    chat = world.private_chat(alice)
    for text in ("一", "二", "三"):
        world.send(alice, chat, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["一", "二"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["三"]


async def test_chat_member_updates_come_only_when_asked_for(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    owner, bob = world.add_user("Owner"), world.add_user("Bob")
    group = world.add_group("村委会", creator=owner)
    world.set_member_status(group, bob, "member")
    kinds = [u.to_dict().keys() - {"update_id"} for u in await bot.get_updates()]
    assert kinds == [{"message"}]
    world.set_member_status(group, bob, "left")
    updates = await bot.get_updates(allowed_updates=["message", "chat_member"])
    assert updates[-2].chat_member is not None
    assert updates[-2].chat_member.new_chat_member.status == "left"
    assert updates[-1].message is not None and updates[-1].message.left_chat_member is not None


async def test_privacy_mode_hides_plain_group_messages_from_a_non_admin_bot(
    server: BotApiServer, bot: Bot
) -> None:
    world = server.world
    alice, other_bot = world.add_user("Alice"), world.add_user("Helper", is_bot=True)
    group = world.add_group("学校群", members=[alice, other_bot], bot_status="member")
    world.send(alice, group, "普通消息")
    world.send(other_bot, group, "/help")
    world.send(alice, group, "/help")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/help"]
    assert len(world.visible_messages(group)) == 3


async def test_my_chat_member_when_the_bot_is_added(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    owner = world.add_user("Owner")
    group = world.add_group("社区群", creator=owner, bot_status="left")
    world.set_bot_status(group, "administrator", by=owner, rights=["can_delete_messages"])
    updates = await bot.get_updates()
    change = updates[0].my_chat_member
    assert change is not None and change.new_chat_member.status == "administrator"
    member = await bot.get_chat_member(group.id, bot.id)
    assert member.can_delete_messages is True  # type: ignore[attr-defined]


async def test_a_button_press_reaches_the_bot_and_its_answer_is_recorded(
    server: BotApiServer, bot: Bot
) -> None:
    world = server.world
    alice = world.add_user("Alice")
    group = world.add_group("卫生院群", members=[alice])
    sent = await bot.send_message(group.id, "请确认", reply_markup=ACK)
    press = world.press(alice, group.messages[sent.message_id])
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.data == "ack:1" and query.from_user.id == alice.id
    assert query.message is not None and query.message.message_id == sent.message_id
    await query.answer("已确认")
    assert press.answer == {"callback_query_id": press.id, "text": "已确认"}
    assert world.callback_answers == [press]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("again")
    with pytest.raises(ValueError, match="no button"):
        world.press(alice, group.messages[sent.message_id], "rollcall:9")


async def test_editing_keeps_history_and_refuses_no_change(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    server.limiter.enabled = False
    group = world.add_group("工作群")
    sent = await bot.send_message(group.id, "已确认 0/28", reply_markup=ACK)
    await bot.edit_message_text("已确认 1/28", group.id, sent.message_id, reply_markup=ACK)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("已确认 1/28", group.id, sent.message_id, reply_markup=ACK)
    await bot.edit_message_reply_markup(group.id, sent.message_id)
    [first, second] = world.edits_in(group)
    assert (first.before["text"], first.after["text"]) == ("已确认 0/28", "已确认 1/28")
    assert "reply_markup" not in second.after
    assert group.messages[sent.message_id].edit_date is not None


async def test_the_bot_edits_only_its_own_messages(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    alice = world.add_user("Alice")
    group = world.add_group("工作群", members=[alice])
    theirs = world.send(alice, group, "收到")
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", group.id, theirs.message_id)


async def test_delete_messages_deletes_what_it_can(
    server: BotApiServer, bot: Bot, clock: ManualClock
) -> None:
    world = server.world
    alice = world.add_user("Alice")
    group = world.add_group("工作群", members=[alice])
    old = world.send(alice, group, "前天的消息")
    clock.advance(timedelta(hours=49))
    fresh = [world.send(alice, group, f"收到 {i}") for i in range(3)]
    ids = [old.message_id, *(m.message_id for m in fresh), 999]
    assert await bot.delete_messages(group.id, ids) is True
    assert world.deleted_ids(group) == [m.message_id for m in fresh]
    assert world.visible_messages(group) == [old]
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(group.id, old.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(group.id, fresh[0].message_id)
    with pytest.raises(BadRequest, match=r"(?i)too many"):
        await bot.delete_messages(group.id, list(range(1, 102)))


async def test_deleting_others_messages_needs_the_right(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    alice, owner = world.add_user("Alice"), world.add_user("Owner")
    group = world.add_group("工作群", creator=owner, members=[alice], bot_rights=[])
    message = world.send(alice, group, "深夜通知")
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(group.id, message.message_id)
    world.set_bot_status(group, "administrator", by=owner, rights=["can_delete_messages"])
    assert await bot.delete_message(group.id, message.message_id) is True


async def test_chat_lookups(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    owner, admin, member = world.add_user("O"), world.add_user("A"), world.add_user("M")
    group = world.add_group("镇政府群", creator=owner, admins=[admin], members=[member])
    chat = await bot.get_chat(group.id)
    assert (chat.title, chat.type) == ("镇政府群", "supergroup")
    admins = await bot.get_chat_administrators(group.id)
    assert {a.user.id for a in admins} == {owner.id, admin.id, bot.id}
    assert await bot.get_chat_member_count(group.id) == 4
    assert (await bot.get_chat_member(group.id, member.id)).status == "member"
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat(-42)
    assert await bot.leave_chat(group.id) is True
    with pytest.raises(Forbidden, match=r"(?i)not a member"):
        await bot.send_message(group.id, "hi")


async def test_media_can_be_resent_by_file_id(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    alice = world.add_user("Alice")
    group = world.add_group("工作群", members=[alice])
    photo = world.send(alice, group, media="photo", caption="台账截图")
    assert photo.media is not None
    resent = await bot.send_photo(group.id, photo.media.file_id, caption="转发")
    assert resent.photo[-1].file_id == photo.media.file_id
    uploaded = await bot.send_document(group.id, b"a,b\n1,2\n", filename="roll.csv")
    assert uploaded.document is not None
    file = await bot.get_file(uploaded.document.file_id)
    assert await file.download_as_bytearray() == bytearray(b"a,b\n1,2\n")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_voice(group.id, "no-such-file")


async def test_copy_and_forward(server: BotApiServer, bot: Bot) -> None:
    world = server.world
    alice = world.add_user("Alice", started=True)
    group = world.add_group("工作群", members=[alice])
    original = world.send(alice, group, "材料请周五前报送")
    copied = await bot.copy_message(alice.id, group.id, original.message_id)
    forwarded = await bot.forward_message(alice.id, group.id, original.message_id)
    private = world.private_chat(alice)
    assert private.messages[copied.message_id].text == "材料请周五前报送"
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == alice.id  # type: ignore[attr-defined]


async def test_commands_are_kept_per_scope(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert await bot.get_my_commands(language_code="en") == ()


async def test_get_updates_is_refused_while_a_webhook_is_set(bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_a_second_poller_ends_the_first_with_conflict(server: BotApiServer) -> None:
    async with (
        Bot(server.token, base_url=server.base_url) as one,
        Bot(server.token, base_url=server.base_url) as other,
    ):
        first = asyncio.create_task(one.get_updates(timeout=30))
        while not server.methods.polling:  # noqa: ASYNC110 - the server has no event for this
            await asyncio.sleep(0.01)
        second = asyncio.create_task(other.get_updates(timeout=30))
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await first
        alice = server.world.add_user("Alice")
        server.world.send(alice, server.world.private_chat(alice), "hi")
        assert len(await second) == 1
