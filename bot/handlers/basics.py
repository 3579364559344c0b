"""/start and /help: what the bot does, in the reader's language."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from bot.context import JianfuContext
from bot.platform.i18n import language_for
from bot.platform.roster import record_user


async def start(update: Update, context: JianfuContext) -> None:
    """Greets the user; in private it also records that the bot may message them from now on."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    services = context.services
    private = chat.type == ChatType.PRIVATE
    async with services.sessions() as session:
        await record_user(session, user, services.clock.now(), started=private)
        await session.commit()
    lang = language_for(user.language_code, services.settings.defaults.language)
    await message.reply_text(services.catalogs.text(f"start.{_audience(private)}", lang))


async def help_command(update: Update, context: JianfuContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or chat is None:
        return
    services = context.services
    lang = language_for(user.language_code if user else None, services.settings.defaults.language)
    private = chat.type == ChatType.PRIVATE
    await message.reply_text(services.catalogs.text(f"help.{_audience(private)}", lang))


def _audience(private: bool) -> str:
    return "private" if private else "group"


def setup(application: Application, group: int) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start), group=group)
    application.add_handler(CommandHandler("help", help_command), group=group)
