"""What nearly every feature works with: sessions, the clock, the catalogs, the default policy."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.group_policies import group_policy
from bot.platform.i18n import Catalogs, language_for
from policies.group_policy import GroupPolicy
from policies.message import Person


@dataclass(frozen=True)
class Essentials:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    catalogs: Catalogs
    defaults: GroupPolicy

    async def policy(self, session: AsyncSession, chat_id: int) -> GroupPolicy:
        """The group's effective policy."""
        return await group_policy(session, chat_id, self.defaults)

    async def language(self, session: AsyncSession, chat_id: int, reader: Person | None) -> str:
        """The language `reader` reads the bot in about this group (the group's, by default)."""
        policy = await self.policy(session, chat_id)
        return language_for(reader.language_code if reader else None, policy.language)

    def text(self, key: str, lang: str, /, **params: object) -> str:
        return self.catalogs.text(key, lang, **params)
