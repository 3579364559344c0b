"""Whether someone is an admin of a group, asked of Telegram at the moment it matters."""

from __future__ import annotations

from telegram import Bot, Message
from telegram.error import TelegramError

from bot.roster import ADMIN_STATUSES
from bot.translate import is_anonymous_admin


async def is_chat_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Telegram's word (getChatMember), not the roster's: rights change without our notice."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in ADMIN_STATUSES


async def sent_by_admin(bot: Bot, message: Message) -> bool:
    """An anonymous admin posts as the group itself; anyone else is looked up."""
    if is_anonymous_admin(message):
        return True
    if message.from_user is None:
        return False
    return await is_chat_admin(bot, message.chat_id, message.from_user.id)
