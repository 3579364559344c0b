"""The path end to end: /start in private and /help in a group, answered through the server."""

from __future__ import annotations

from sqlalchemy import select

from bot.platform.i18n import text
from bot.platform.storage.models import User
from tests.e2e.harness import BotHarness


async def test_start_in_private_greets_and_records_that_the_user_can_be_messaged(
    harness: BotHarness,
) -> None:
    world = harness.world
    user = world.add_user("李明")
    chat = world.private_chat(user)
    world.send(user, chat, "/start")
    await harness.settle()
    (reply,) = world.sent_by_bot(chat)
    assert reply.text == text("start.private", "zh-Hans").strip() or reply.text == text(
        "start.private", "zh-Hans"
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


async def test_command_menu_is_set_for_default_and_english(harness: BotHarness) -> None:
    languages = {
        r.params.get("language_code") for r in harness.server.requests_for("setMyCommands")
    }
    assert languages == {None, "en"}
