"""The Gateway (bot/platform/gateway.py) over PTB's Bot: Telegram's answers as plain values."""

from __future__ import annotations

import logging

from telegram import Bot, ChatMemberAdministrator
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.edge.inbound import person
from bot.platform.gateway import Download, Membership
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

    async def download(self, file_id: str, limit: int) -> Download:
        try:
            file = await self._bot.get_file(file_id)
            if file.file_size is not None and file.file_size > limit:
                return Download(None, f"{file.file_size} bytes: over the {limit} allowed")
            content = bytes(await file.download_as_bytearray())
        except (BadRequest, Forbidden) as error:
            return Download(None, f"Telegram refused the file: {error.message}")
        except (NetworkError, RetryAfter) as error:
            return Download(None, f"Telegram unreachable: {error}", retry=True)
        except TelegramError as error:
            return Download(None, f"Telegram error: {error}", retry=True)
        except RuntimeError:  # PTB: Telegram gave no file path to download from
            return Download(None, "Telegram gave no file path")
        if len(content) > limit:
            return Download(None, f"{len(content)} bytes: over the {limit} allowed")
        return Download(content)
