"""A joiner's private reply to the bot's prompt becomes the note on their roll-call line."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot import rollcalls, tally
from bot.context import JianfuContext
from bot.platform.i18n import language_for


async def on_private_text(update: Update, context: JianfuContext) -> None:
    message = update.message
    if message is None or message.from_user is None or message.text is None:
        return
    services = context.services
    reply = message.reply_to_message
    async with services.sessions() as session:
        entry = await rollcalls.note_target(
            session,
            message.from_user.id,
            reply.message_id if reply is not None else None,
            services.clock.now(),
        )
        if entry is None:
            return
        note = await rollcalls.set_note(session, entry, message.text)
        await session.commit()
    lang = language_for(message.from_user.language_code, services.settings.defaults.language)
    await message.reply_text(services.catalogs.text("rollcall.note_saved", lang, note=note))
    await tally.flush_and_arm(context)


def setup(application: Application, group: int) -> None:  # type: ignore[type-arg]
    private_text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(private_text, on_private_text), group=group)
