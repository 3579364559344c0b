"""Whether someone is an admin of a group, asked of Telegram at the moment it matters."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.gateway import Gateway
from bot.platform.roster import record_member
from policies.message import ChatMessage


class Admins:
    def __init__(
        self, gateway: Gateway, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        self._gateway = gateway
        self._sessions = sessions
        self._clock = clock

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Telegram's word (getChatMember), not the roster's: rights change without our notice.

        What Telegram says is noted in the roster; when it cannot be asked, the answer is no.
        """
        membership = await self._gateway.membership(chat_id, user_id)
        if membership is None:
            return False
        async with self._sessions() as session:
            await record_member(session, chat_id, user_id, membership.status, self._clock.now())
            await session.commit()
        return membership.is_admin

    async def sent_by_admin(self, message: ChatMessage) -> bool:
        """An anonymous admin posts as the group itself; anyone else is looked up."""
        if message.is_anonymous_admin:
            return True
        if message.sender is None:
            return False
        return await self.is_admin(message.chat.id, message.sender.id)
