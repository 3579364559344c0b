"""The Gateway (bot/platform/gateway.py) over PTB's Bot: Telegram's answers as plain values."""

from __future__ import annotations

import logging

from telegram import Bot, ChatMemberAdministrator
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.edge.inbound import person
from bot.platform.gateway import Membership
from policies.message import Person

log = logging.getLogger(__name__)


class BotGateway:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    @property
    def bot_id(self) -> int:
        return self._bot.id

    @property
    def reads_all_messages(self) -> bool:
        return bool(self._bot.can_read_all_group_messages)

    async def membership(self, chat_id: int, user_id: int) -> Membership | None:
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            log.info("membership of %s in chat %s unavailable", user_id, chat_id, exc_info=True)
            return None
        can_delete = isinstance(member, ChatMemberAdministrator) and member.can_delete_messages
        return Membership(str(member.status), can_delete)

    async def administrators(self, chat_id: int) -> list[tuple[Person, str]]:
        try:
            admins = await self._bot.get_chat_administrators(chat_id)
        except TelegramError:
            log.info("administrators of chat %s unavailable", chat_id, exc_info=True)
            return []
        return [(person(admin.user), str(admin.status)) for admin in admins]

    async def member_count(self, chat_id: int) -> int | None:
        try:
            return await self._bot.get_chat_member_count(chat_id)
        except TelegramError:
            log.info("member count of chat %s unavailable", chat_id, exc_info=True)
            return None

    async def send_text(self, chat_id: int, text: str) -> bool:
        try:
            await self._bot.send_message(chat_id, text)
        except (Forbidden, BadRequest):
            return False
        return True
