"""The deep link that opens a group's settings in a private chat, and the button carrying it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.platform.i18n import Catalogs
from bot.platform.outbox.items import JSONObject


@dataclass(frozen=True)
class SettingsLink:
    catalogs: Catalogs
    bot_username: Callable[[], str]
    """Known once the bot has started (getMe)."""

    def url(self, chat_id: int) -> str:
        """/start settings<chat id>: opens the group's menu for an admin of it."""
        return f"https://t.me/{self.bot_username()}?start=settings{chat_id}"

    def button(self, chat_id: int, lang: str) -> JSONObject:
        """The "⚙️ Settings" button a group message carries."""
        return {"text": self.catalogs.text("settings.button", lang), "url": self.url(chat_id)}
