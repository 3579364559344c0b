"""/ack: an admin replies it to a message, which then gets the button and tally."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot import acks
from bot.chat_admins import sent_by_admin
from bot.context import JianfuContext
from bot.platform import outbox
from bot.platform.group_policies import group_policy
from bot.platform.storage.models import Chat
from bot.translate import sender_id


async def ack_command(update: Update, context: JianfuContext) -> None:
    message = update.effective_message
    if message is None:
        return
    services = context.services
    chat_id = message.chat_id
    async with services.sessions() as session:
        lang = (await group_policy(session, chat_id, services.settings.defaults)).language
    if not await sent_by_admin(context, message):
        await message.reply_text(services.catalogs.text("admin.only", lang, command="/ack"))
        return
    target = message.reply_to_message
    if target is None:
        await message.reply_text(services.catalogs.text("ack.usage", lang))
        return
    # The notice's author is who wants the answers; a bot's message is the admin's request.
    author_is_person = target.from_user is None or not target.from_user.is_bot
    requester = sender_id(target if author_is_person else message)
    total = await acks.member_total(context.bot, services, chat_id)
    now = services.clock.now()
    async with services.sessions() as session:
        await acks.create_request(
            session,
            services,
            chat_id=chat_id,
            message_id=target.message_id,
            requester_id=requester,
            total=total,
            instant_reply=False,
            now=now,
        )
        chat = await session.get(Chat, chat_id)
        if chat is not None and chat.bot_can_delete:
            # The command has done its work; it need not stay in everyone's group.
            await outbox.enqueue_delete(
                session,
                prefix=acks.DELETE_KEY,
                chat_id=chat_id,
                message_id=message.message_id,
                not_before=now,
            )
        await session.commit()
    services.outbox.wake()


def setup(application: Application, group: int) -> None:  # type: ignore[type-arg]
    application.add_handler(
        CommandHandler("ack", ack_command, filters=filters.ChatType.GROUPS), group=group
    )
