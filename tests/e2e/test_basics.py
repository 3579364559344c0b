"""The path end to end: /start in private and /help in a group, answered through the server."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import User
from tests.e2e.harness import BotHarness
from tests.e2e.scenes import bot_texts, drained, joined_group


async def test_start_in_private_greets_and_records_that_the_user_can_be_messaged(
    harness: BotHarness,
) -> None:
    world = harness.world
    user = world.add_user("李明")
    chat = world.private_chat(user)
    world.send(user, chat, "/start")
    await harness.settle()
    (reply,) = world.sent_by_bot(chat)
    assert reply.text is not None
    assert reply.text.startswith(text("start.private", "zh-Hans").strip())
    assert reply.text.endswith(
        text(
            "start.member", "zh-Hans", language="简体中文", groups=text("settings.none", "zh-Hans")
        )
    )
    async with harness.services.sessions() as session:
        stored = await session.scalar(select(User).where(User.user_id == user.id))
    assert stored is not None and stored.can_dm


async def test_help_in_a_group_answers_in_the_group(harness: BotHarness) -> None:
    world = harness.world
    admin = world.add_user("王书记", language_code="en")
    group = world.add_group("青石镇工作群", admins=[admin])
    world.send(admin, group, "/help")
    await harness.settle()
    (reply,) = world.sent_by_bot(group)
    assert reply.text is not None and reply.text.strip() == text("help.group", "en").strip()
    assert reply.reply_to_message_id is not None


async def test_start_tells_a_member_their_language_and_groups(harness: BotHarness) -> None:
    world = harness.world
    li = world.add_user("李明", language_code="zh-TW")
    group = await joined_group(harness, members=[li])
    world.send(li, group, "大家好")  # the bot knows its members from what they say
    world.send(li, world.private_chat(li), "/start")
    await drained(harness)
    (reply,) = bot_texts(harness, world.private_chat(li))
    assert reply.startswith(text("start.private", "zh-Hant").strip()), "zh-TW reads Traditional"
    assert reply.endswith(
        text("start.member", "zh-Hant", language="繁體中文", groups="青石镇工作群")
    )


async def test_command_menus_are_set_per_scope_and_language(harness: BotHarness) -> None:
    menus = harness.server.methods.commands
    assert {language for _, language in menus} == {"", "en"}

    def commands(scope: str, language: str = "") -> list[str]:
        return [c["command"] for c in menus[(json.dumps({"type": scope}), language)]]

    assert commands("all_private_chats") == ["start", "help", "digest", "groups", "report"]
    assert commands("all_group_chats", "en") == ["help", "policy"]
    admin = commands("all_chat_administrators")
    assert admin[0] == "settings" and {"quiet", "mode", "ack"} <= set(admin)
    english = menus[(json.dumps({"type": "all_chat_administrators"}), "en")]
    assert english[0]["description"] == text("command.settings", "en")
