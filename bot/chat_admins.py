"""Whether someone is an admin of a group, asked of Telegram at the moment it matters."""

from __future__ import annotations

from telegram import Message
from telegram.error import TelegramError

from bot.context import JianfuContext
from bot.platform.roster import ADMIN_STATUSES, record_member
from bot.translate import is_anonymous_admin


async def is_chat_admin(context: JianfuContext, chat_id: int, user_id: int) -> bool:
    """Telegram's word (getChatMember), not the roster's: rights change without our notice.

    What Telegram says is noted in the roster; when it cannot be asked, the answer is no.
    """
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    services = context.services
    async with services.sessions() as session:
        await record_member(session, chat_id, user_id, member.status, services.clock.now())
        await session.commit()
    return member.status in ADMIN_STATUSES


async def sent_by_admin(context: JianfuContext, message: Message) -> bool:
    """An anonymous admin posts as the group itself; anyone else is looked up."""
    if is_anonymous_admin(message):
        return True
    if message.from_user is None:
        return False
    return await is_chat_admin(context, message.chat_id, message.from_user.id)
